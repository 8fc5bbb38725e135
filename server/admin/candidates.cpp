// One candidate as the offices see it: the filing status per batch (never the choices, drafts,
// favourites or the save password), the reason recorded for not filing, and a reset of the
// login password. Storage finds the candidate only inside the acting admin's subtree; every
// read and change is audited.
#include <stdexcept>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/time.hpp"
#include "server/admin/bodies.hpp"
#include "server/admin/context.hpp"
#include "server/admin/encode.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/password_hash.hpp"
#include "storage/admin_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server::admin_http {
namespace {

void write_batch_status(json_writer& w, const storage::admin_candidate_row& c, core::batch b,
                        std::int64_t offset) {
  const auto stored = storage::encode_batch(b);
  storage::admin_candidate_row::batch_status s;
  for (const auto& x : c.batches) {
    if (x.batch == stored) s = x;
  }
  w.begin_object();
  w.key("batch").value(core::to_code(b));
  w.key("eligible").value((c.eligible & (1 << stored)) != 0);
  w.key("status").value(s.submitted_version ? "submitted"
                        : s.draft_version   ? "draft"
                                            : "not_filed");
  w.key("submitted_version").value(s.submitted_version);
  w.key("submitted_at");
  write_time_or_null(w, s.submitted_at_us, offset);
  w.key("draft_version").value(s.draft_version);
  w.key("unfiled_reason");
  write_reason_or_null(w, s.reason);
  w.end_object();
}

void write_candidate(json_writer& w, const storage::admin_candidate_row& c, std::int64_t offset) {
  w.begin_object();
  w.key("exam_no").value(c.exam_no);
  w.key("name").value(c.name);
  w.key("id_number").value(core::mask_id_number(c.id_number));
  w.key("school").begin_object();
  w.key("code").value(c.school_code);
  w.key("name").value(c.school_name);
  w.end_object();
  w.key("phone").value(core::mask_phone(c.phone));
  w.key("must_set_passwords").value(c.must_set_passwords);
  w.key("last_login");
  write_time_or_null(w, c.last_login_us, offset);
  w.key("batches").begin_array();
  for (const auto b : core::all_batches) write_batch_status(w, c, b, offset);
  w.end_array();
  w.end_object();
}

asio::awaitable<void> candidate(request_context& ctx, admin_api_context& api) {
  const std::string exam(ctx.params.get("exam_no"));
  job fn = [exam, ip = peer_of(ctx), offset = api.clock_offset_seconds](
               pqxx::connection& conn, const storage::admin_actor& who) {
    const auto c = storage::load_admin_candidate(conn, exam, who.unit_id);
    if (!c) return problem(errc::not_found, "no such candidate");
    storage::append_audit(conn, {1, who.admin_id, who.unit_id, "candidate.read", exam, "", ip});
    reply r;
    json_writer w(r.body);
    write_candidate(w, *c, offset);
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(fn));
}

asio::awaitable<void> put_reason(request_context& ctx, admin_api_context& api) {
  const std::string exam(ctx.params.get("exam_no"));
  auto body = parse_reason(ctx);
  if (!body) co_return fail(ctx, body.error());
  job fn = [exam, b = std::move(*body), ip = peer_of(ctx)](pqxx::connection& conn,
                                                           const storage::admin_actor& who) {
    const auto id = storage::put_unfiled_reason(conn, who, exam, storage::encode_batch(b.batch),
                                                static_cast<std::int16_t>(b.reason), b.note, ip);
    if (!id) return problem(id.error());
    if (*id == 0) return problem(errc::not_found, "no such candidate");
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("exam_no").value(exam);
    w.key("batch").value(core::to_code(b.batch));
    w.key("reason").value(core::to_code(b.reason));
    w.key("reason_zh").value(core::label_zh(b.reason));
    w.key("note").value(b.note);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(fn));
}

asio::awaitable<void> reset_candidate(request_context& ctx, admin_api_context& api) {
  const std::string exam(ctx.params.get("exam_no"));
  job fn = [exam, ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    const std::string password = one_time_password();
    const std::string hash = hash_password(password);
    if (hash.empty()) throw std::runtime_error("out of memory");
    const auto id = storage::reset_candidate_password(conn, who, exam, hash, ip);
    if (id == 0) return problem(errc::not_found, "no such candidate");
    reply r;
    r.candidate_id = id;
    json_writer w(r.body);
    w.begin_object();
    w.key("exam_no").value(exam);
    w.key("one_time_password").value(password);
    w.key("must_set_passwords").value(true);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(fn),
                     api.hashing);
}

}  // namespace

core::result<reason_body> parse_reason(const request_context& ctx) {
  return json_fields<reason_body>(ctx)
      .custom("batch", true, json_code(&reason_body::batch, core::parse_batch, batch_codes))
      .custom("reason", true,
              json_code(&reason_body::reason, core::parse_unfiled_reason,
                        "reason: abandon/放弃, abroad/出国, repeat/复读, military/参军, "
                        "unreachable/联系不上 or other/其他"))
      .text("note", &reason_body::note, 500, false)
      .done();
}

std::vector<route_spec> candidates_routes(admin_api_context& api) {
  return {
      {http::verb::get, "/api/v1/admin/candidates/{exam_no}", handler_for(api, candidate)},
      {http::verb::put, "/api/v1/admin/candidates/{exam_no}/unfiled-reason",
       handler_for(api, put_reason)},
      {http::verb::post, "/api/v1/admin/candidates/{exam_no}/password-reset",
       handler_for(api, reset_candidate)},
  };
}

}  // namespace zhiyuan::server::admin_http
