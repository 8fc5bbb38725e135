#include "server/candidate/helpers.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "server/candidate/receipts.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "storage/encoding.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

std::optional<session_info> authenticate(request_context& ctx, candidate_api_context& api) {
  const std::string_view token =
      presented_token(header(ctx.request, "Authorization"), header(ctx.request, "Cookie"));
  if (auto digest = session_table::digest_of(token)) {
    if (auto s = api.sessions->find(*digest, api.now_seconds())) {
      return session_info{s->candidate_id, *digest, s->passwords_set, s->pledged};
    }
  }
  fail(ctx, core::errc::unauthenticated, "sign in first (POST /api/v1/auth/login)");
  ctx.res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return std::nullopt;
}

bool may_write(request_context& ctx, const session_info& s) {
  if (!s.passwords_set) {
    fail(ctx, core::errc::passwords_required,
         "set your login and save passwords first (POST /api/v1/me/passwords)");
    return false;
  }
  if (!s.pledged) {
    fail(ctx, core::errc::pledge_required,
         "accept the filing pledge first (POST /api/v1/me/pledge)");
    return false;
  }
  return true;
}

bool drilling(const candidate_api_context& api) {
  return api.schedule.get()->drill.contains(api.now_seconds());
}

std::optional<std::int64_t> if_match_version(const http_request& req) {
  std::string_view v = header(req, "If-Match");
  if (v.empty()) return std::nullopt;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::int64_t n = -2;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n < 0) return -2;
  return n;
}

// Turns the write path's outcome into the HTTP response.
void answer_write(request_context& ctx, const write_outcome& out) {
  using core::errc;
  // Sign-ins and pledges carry no Idempotency-Key: their client simply retries.
  const bool keyed = storage::is_keyed(out.op->kind());
  switch (out.admitted) {
    case storage::admit::ok:
      break;
    case storage::admit::key_in_flight:
      set_problem(ctx.res, errc::idempotency_key_in_flight,
                  "a request with this Idempotency-Key is still being processed", ctx.request_id,
                  ctx.path, 1);
      return;
    case storage::admit::overloaded:
      set_problem(ctx.res, errc::unavailable,
                  keyed ? "too many writes in flight; retry with the same key"
                        : "too many writes in flight; retry shortly",
                  ctx.request_id, ctx.path, 1);
      return;
    case storage::admit::stopping:
      set_problem(ctx.res, errc::unavailable, "server is shutting down", ctx.request_id, ctx.path,
                  2);
      return;
  }
  const storage::write_op& op = *out.op;
  if (!keyed && op.status != storage::op_status::unavailable) {
    // Nothing stored to answer with: the handler answers a committed one itself; any other
    // outcome (a pledge whose candidate row is gone) is a bug.
    set_problem(ctx.res, errc::internal, "", ctx.request_id, ctx.path);
    return;
  }
  switch (op.status) {
    case storage::op_status::committed:
    case storage::op_status::replayed:
    case storage::op_status::conflict:
      ctx.res.status = op.response_status;
      ctx.res.content_type =
          op.response_status >= 400 ? "application/problem+json" : "application/json";
      ctx.res.body = op.response_body;
      if (op.kind() == storage::op_kind::save_draft && op.response_status == 200) {
        ctx.res.headers.emplace_back("ETag", fmt::format("\"{}\"", op.version));
      }
      return;
    case storage::op_status::key_mismatch:
      set_problem(ctx.res, errc::idempotency_key_reused,
                  "this Idempotency-Key was used with a different request", ctx.request_id,
                  ctx.path);
      return;
    case storage::op_status::unavailable:
      set_problem(ctx.res, errc::unavailable,
                  keyed ? "not committed in time; retry with the same Idempotency-Key"
                        : "not committed in time; retry shortly",
                  ctx.request_id, ctx.path, 2);
      return;
    case storage::op_status::failed:
      set_problem(ctx.res, errc::internal, "", ctx.request_id, ctx.path);
      return;
  }
}

void write_violations(json_writer& w, const std::vector<core::finding>& findings) {
  w.begin_array();
  for (const auto& f : findings) {
    w.begin_object();
    w.key("code").value(core::to_code(f.code));
    w.key("choice").value(f.choice);
    w.key("major").value(f.major);
    w.key("message_zh").value(core::message_zh(f));
    w.key("message_en").value(core::message_en(f));
    w.end_object();
  }
  w.end_array();
}

std::string violations_json(const std::vector<core::finding>& findings) {
  std::string out = "\"violations\":";
  json_writer w(out);
  write_violations(w, findings);
  return out;
}

void render_receipt(const storage::write_op& op, unsigned& status, std::string& body) {
  using core::errc;
  body.clear();
  json_writer w(body);
  if (op.status == storage::op_status::conflict) {
    // A draft's If-Match failed (412); a submission's optional If-Match is a conflict (409).
    const bool draft = op.kind() == storage::op_kind::save_draft;
    response res;
    set_problem(res, draft ? errc::precondition_failed : errc::conflict,
                "the version this change was based on is no longer current; reload and retry", "",
                "");
    status = res.status;
    body = std::move(res.body);
    return;
  }
  const storage::choices_args& c = *storage::args_as<storage::choices_args>(op);
  const core::batch b = storage::decode_batch(c.batch);
  w.begin_object();
  if (op.kind() == storage::op_kind::submit) {
    // The signed receipt: rebuilt from the op and what the database decided (version, previous
    // hash, receipt hash), so GETs of this version produce the same bytes.
    status = 201;
    receipt_view r{.exam_no = c.exam_no,
                   .b = b,
                   .drill = c.drill,
                   .version = op.version,
                   .accepted_at_us = op.accepted_at_us,
                   .committed_at_us = op.committed_at_us,
                   .choices_sha256 = c.choices_sha256,
                   .receipt_hash = op.receipt_hash};
    if (op.has_prev_hash) r.prev_hash = op.prev_hash;
    write_receipt_members(w, r, *static_cast<const receipt_signer*>(op.render_context));
  } else {
    status = 200;
    w.key("exam_no").value(c.exam_no);
    w.key("batch").value(core::to_code(b));
    w.key("drill").value(c.drill);
    w.key("version").value(op.version);
    w.key("accepted_at").value(core::format_utc_micros(op.accepted_at_us));
    w.key("committed_at").value(core::format_utc_micros(op.committed_at_us));
    w.key("choices_sha256").value(hex(c.choices_sha256.data(), c.choices_sha256.size()));
  }
  w.end_object();
}

std::optional<simdjson::dom::object> json_body(request_context& ctx, simdjson::dom::parser& parser,
                                               std::initializer_list<std::string_view> allowed) {
  if (!is_json(ctx.request)) {
    fail(ctx, core::errc::unsupported_media, "send application/json");
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (parser.parse(ctx.request.body()).get(obj)) {
    fail(ctx, core::errc::invalid_field, "body: a JSON object");
    return std::nullopt;
  }
  for (auto [key, value] : obj) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(ctx, core::errc::invalid_field, fmt::format("{} (unknown member)", key));
      return std::nullopt;
    }
  }
  return obj;
}

std::optional<std::string> string_member(request_context& ctx, simdjson::dom::object& obj,
                                         std::string_view name, std::size_t max_bytes,
                                         bool required) {
  std::string_view v;
  auto member = obj[name];
  if (member.error() == simdjson::NO_SUCH_FIELD && !required) return std::string();
  if (member.get_string().get(v) || v.size() > max_bytes) {
    fail(ctx, core::errc::invalid_field,
         fmt::format("{}: a string of at most {} bytes", name, max_bytes));
    return std::nullopt;
  }
  return std::string(v);
}

}  // namespace zhiyuan::server
