// What the offices tell candidates and one another: reminders to the unfiled candidates of a
// unit, announcements (最新公告) and the province's documents (e.g. 应急预案). Storage scopes
// every query by the acting admin's unit; handlers add the role checks (core::may,
// core::may_run_province).
#include <array>

#include <fmt/format.h>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "core/time.hpp"
#include "server/admin/bodies.hpp"
#include "server/admin/encode.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/admin_ops_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server::admin_http {
namespace {

using core::admin_capability;

constexpr int page_rows = 100;

// ------------------------------------------------------------ reminders

reply send_reminder_job(pqxx::connection& conn, const storage::admin_actor& who,
                        const reminder_body& b, std::int64_t interval, const std::string& ip) {
  const auto unit = storage::unit_code_in_scope(conn, b.unit, who.unit_id);
  if (!unit) return problem(errc::not_found, "no such unit");
  // Candidates read the title: the batch by its Chinese name.
  std::string title = "填报提醒（";
  title += core::name_zh(b.batch);
  title += "）";
  const auto out = storage::send_reminder(conn, who, *unit, storage::encode_batch(b.batch), title,
                                          b.message, interval, ip);
  using k = storage::reminder_outcome::kind;
  if (out.result == k::out_of_scope) return problem(errc::not_found, "no such unit");
  if (out.result == k::too_soon) {
    reply r = problem(errc::too_many_requests,
                      "this unit was reminded about this batch recently; retry later");
    r.retry_after = static_cast<unsigned>(out.retry_after);
    return r;
  }
  reply r;
  r.status = 201;
  json_writer w(r.body);
  w.begin_object();
  w.key("notice_id").value(out.notice_id);
  w.key("unit").value(unit->code);
  w.key("batch").value(core::to_code(b.batch));
  w.key("recipients").value(out.recipients);
  w.end_object();
  return r;
}

asio::awaitable<void> send_reminder(request_context& ctx, admin_api_context& api) {
  auto body = parse_reminder(ctx);
  if (!body) co_return fail(ctx, body.error());
  job fn = [b = std::move(*body), interval = api.reminder_interval_seconds, ip = peer_of(ctx)](
               pqxx::connection& conn, const storage::admin_actor& who) {
    return send_reminder_job(conn, who, b, interval, ip);
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

// ------------------------------------------------------------ notices

void write_notice(json_writer& w, const storage::office_notice_row& n, std::int64_t offset) {
  w.begin_object();
  w.key("id").value(n.id);
  w.key("kind").value(n.kind == 1 ? "reminder" : "announcement");
  w.key("batch");
  if (n.batch >= 0) {
    w.value(core::to_code(storage::decode_batch(n.batch)));
  } else {
    w.null();
  }
  w.key("title").value(n.title);
  w.key("body").value(n.body);
  w.key("unit");
  write_unit(w, n.unit);
  w.key("author").value(n.author);
  w.key("created_at").value(format_db_time(n.created_us, offset));
  if (n.kind == 1) w.key("recipients").value(n.recipients);
  w.end_object();
}

reply post_notice_job(pqxx::connection& conn, const storage::admin_actor& who, const notice_body& n,
                      std::int16_t batch, const std::string& ip, std::int64_t offset) {
  const auto target = storage::unit_code_in_scope(conn, n.unit, who.unit_id);
  if (!target) return problem(errc::not_found, "no such unit");
  // Province-wide announcements are the province managers' (issue 7).
  if (target->level == 0 &&
      !core::may_run_province(*core::admin_role_from_int(who.role), who.unit_level)) {
    return problem(errc::forbidden, "only the province's managers publish province-wide");
  }
  auto posted = storage::post_notice(conn, who, *target, batch, n.title, n.body, ip);
  if (!posted) return problem(errc::not_found, "no such unit");
  reply r;
  r.status = 201;
  json_writer w(r.body);
  write_notice(w, *posted, offset);
  return r;
}

asio::awaitable<void> post_notice(request_context& ctx, admin_api_context& api) {
  auto body = parse_notice(ctx);
  if (!body) co_return fail(ctx, body.error());
  std::int16_t batch = -1;
  if (!body->batch.empty()) {
    const auto b = core::parse_batch(body->batch);
    if (!b) co_return fail(ctx, errc::invalid_field, batch_codes);
    batch = storage::encode_batch(*b);
  }
  job fn = [n = std::move(*body), batch, ip = peer_of(ctx), offset = api.clock_offset_seconds](
               pqxx::connection& conn, const storage::admin_actor& who) {
    return post_notice_job(conn, who, n, batch, ip, offset);
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

asio::awaitable<void> list_notices(request_context& ctx, admin_api_context& api) {
  const auto before = query_positive(ctx, "page_token");
  if (!before) co_return fail(ctx, before.error());
  // Stored kinds: 0 announcement, 1 reminder.
  const auto kind = query_choice(ctx, "kind", {"announcement", "reminder"});
  if (!kind) co_return fail(ctx, kind.error());
  job fn = [before = before->value_or(0),
            kind = static_cast<std::int16_t>(kind->has_value() ? **kind : -1),
            offset = api.clock_offset_seconds](pqxx::connection& conn,
                                               const storage::admin_actor& who) {
    return page_of("notices", storage::list_notices(conn, who.unit_id, before, page_rows, kind),
                   page_rows, &storage::office_notice_row::id,
                   [offset](json_writer& w, const auto& n) { write_notice(w, n, offset); });
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

// ------------------------------------------------------------ documents

// Document types the province may publish; a download answers with the same static string.
constexpr std::array<std::string_view, 8> document_types = {
    "application/pdf",
    "text/plain; charset=utf-8",
    "text/csv; charset=utf-8",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/png"};

// The allow-listed type of a Content-Type header (parameters ignored, text types as UTF-8).
std::optional<std::string_view> document_type(std::string_view header_value) {
  const auto semi = header_value.find(';');
  std::string_view base = header_value.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  for (const auto t : document_types) {
    if (t.substr(0, t.find(';')) == base) return t;
  }
  return std::nullopt;
}

void write_document(json_writer& w, const storage::document_row& d, std::int64_t offset) {
  w.begin_object();
  w.key("id").value(d.id);
  w.key("title").value(d.title);
  w.key("filename").value(d.filename);
  w.key("content_type").value(d.content_type);
  w.key("size").value(d.size);
  w.key("uploaded_at").value(format_db_time(d.uploaded_us, offset));
  w.key("uploaded_by").value(d.uploaded_by);
  w.end_object();
}

bool safe_filename(std::string_view f) {
  if (f.empty() || f.size() > 200 || f.front() == '.') return false;
  for (const unsigned char c : f) {
    if (c < 0x20 || c == '"' || c == '/' || c == '\\' || c == 0x7f) return false;
  }
  return true;
}

// A document to publish: its type, title and file name, each checked.
struct upload {
  std::string_view type;
  std::string title;
  std::string filename;
};

core::result<upload> decode_upload(const request_context& ctx, std::size_t max_bytes) {
  const auto type = document_type(header(ctx.request, "Content-Type"));
  if (!type) {
    std::string allowed = "Content-Type: one of";
    for (const auto t : document_types) {
      allowed += ' ';
      allowed += t.substr(0, t.find(';'));
    }
    return core::failure(errc::unsupported_media, std::move(allowed));
  }
  if (ctx.request.body().size() > max_bytes) {
    return core::failure(errc::payload_too_large,
                         fmt::format("a document is at most {} bytes", max_bytes));
  }
  if (ctx.request.body().empty()) {
    return core::failure(errc::invalid_field, "body: the document's bytes");
  }
  auto title = query_text(ctx, "title", 200);
  if (!title || title->empty()) {
    return core::failure(errc::invalid_field, "title: 1-200 bytes (query parameter)");
  }
  auto filename = query_text(ctx, "filename", 200);
  if (!filename || !safe_filename(*filename)) {
    return core::failure(errc::invalid_field, "filename: a plain file name (query parameter)");
  }
  return upload{*type, std::move(*title), std::move(*filename)};
}

asio::awaitable<void> upload_document(request_context& ctx, admin_api_context& api) {
  auto u = decode_upload(ctx, api.document_max_bytes);
  if (!u) co_return fail(ctx, u.error());
  job fn = [u = std::move(*u), content = ctx.request.body(), ip = peer_of(ctx),
            offset = api.clock_offset_seconds](pqxx::connection& conn,
                                               const storage::admin_actor& who) {
    const auto d =
        storage::insert_document(conn, who, u.title, u.filename, std::string(u.type), content, ip);
    reply r;
    r.status = 201;
    json_writer w(r.body);
    write_document(w, d, offset);
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::province_operations, false, true}, std::move(fn));
}

asio::awaitable<void> list_documents(request_context& ctx, admin_api_context& api) {
  const auto before = query_positive(ctx, "page_token");
  if (!before) co_return fail(ctx, before.error());
  job fn = [before = before->value_or(0), offset = api.clock_offset_seconds](
               pqxx::connection& conn, const storage::admin_actor&) {
    return page_of("documents", storage::list_documents(conn, before, page_rows), page_rows,
                   &storage::document_row::id,
                   [offset](json_writer& w, const auto& d) { write_document(w, d, offset); });
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> download_document(request_context& ctx, admin_api_context& api) {
  const auto id = path_id(ctx, "id", INT32_MAX);
  if (!id) co_return fail(ctx, id.error());
  job fn = [id = *id, ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    auto d = storage::download_document(conn, who, id, ip);
    if (!d) return problem(errc::not_found, "no such document");
    reply r;
    r.body = std::move(d->content);
    r.content_type = document_type(d->content_type).value_or("application/octet-stream");
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + d->filename + "\"");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

}  // namespace

core::result<reminder_body> parse_reminder(const request_context& ctx) {
  auto body =
      json_fields<reminder_body>(ctx)
          .custom("unit", true, json_code(&reminder_body::unit, unit_code_of, "unit: a unit code"))
          .custom("batch", true, json_code(&reminder_body::batch, core::parse_batch, batch_codes))
          .text("message", &reminder_body::message, 2000)
          .done();
  if (body && body->message.empty()) {
    return core::failure(errc::invalid_field, "message: not empty");
  }
  return body;
}

core::result<notice_body> parse_notice(const request_context& ctx) {
  auto body =
      json_fields<notice_body>(ctx)
          .custom("unit", true, json_code(&notice_body::unit, unit_code_of, "unit: a unit code"))
          .text("title", &notice_body::title, 200)
          .text("body", &notice_body::body, 10000)
          .text("batch", &notice_body::batch, 32, false)
          .done();
  if (body && (body->title.empty() || body->body.empty())) {
    return core::failure(errc::invalid_field, "title, body: not empty");
  }
  return body;
}

std::vector<route_spec> communications_routes(admin_api_context& api) {
  return {
      {http::verb::post, "/api/v1/admin/reminders", handler_for(api, send_reminder)},
      {http::verb::post, "/api/v1/admin/notices", handler_for(api, post_notice)},
      {http::verb::get, "/api/v1/admin/notices", handler_for(api, list_notices)},
      {http::verb::post, "/api/v1/admin/documents", handler_for(api, upload_document)},
      {http::verb::get, "/api/v1/admin/documents", handler_for(api, list_documents)},
      {http::verb::get, "/api/v1/admin/documents/{id}", handler_for(api, download_document)},
  };
}

}  // namespace zhiyuan::server::admin_http
