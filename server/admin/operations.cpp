// The admission offices' operations (admin API part 2): reminders to unfiled candidates,
// announcements (最新公告), the province's documents (e.g. 应急预案), incident reports
// (异常情况上报) and their events, the live schedule, CSV imports and the drill reset. As in
// server/admin_api.cpp, storage scopes every query by the acting admin's unit; handlers add
// the role checks (core::may, core::may_run_province).
#include <array>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/admin.hpp"
#include "core/import.hpp"
#include "core/time.hpp"
#include "server/admin/context.hpp"
#include "server/admin/gate.hpp"
#include "server/candidate/helpers.hpp"
#include "server/http/json_writer.hpp"
#include "server/schedule_config.hpp"
#include "storage/admin_ops_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

using namespace admin_http;
using core::admin_capability;

constexpr int page_rows = 100;
constexpr std::size_t reported_errors = 200;  // errors listed inline; the CSV report has all

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

std::optional<std::int64_t> page_token(request_context& ctx) {
  const auto t = query_param(ctx.query, "page_token");
  if (!t.present || t.value.empty()) return 0;
  auto v = t.malformed ? std::nullopt : parse_int<std::int64_t>(t.value);
  if (!v || *v <= 0) {
    fail(ctx, errc::invalid_field, "page_token: as returned by the previous page");
    return std::nullopt;
  }
  return v;
}

template <typename Rows>
void next_token(json_writer& w, const Rows& rows, int limit) {
  w.key("next_page_token");
  if (rows.size() == static_cast<std::size_t>(limit)) {
    w.value(std::to_string(rows.back().id));
  } else {
    w.null();
  }
}

void write_unit(json_writer& w, const storage::unit_ref& u) {
  w.begin_object();
  w.key("id").value(static_cast<std::int64_t>(u.id));
  w.key("code").value(u.code);
  w.key("name").value(u.name);
  w.end_object();
}

std::optional<std::int32_t> unit_member(request_context& ctx, dom::object& obj) {
  std::int64_t unit = 0;
  if (obj["unit"].get_int64().get(unit) || unit <= 0 || unit > INT32_MAX) {
    fail(ctx, errc::invalid_field, "unit: a unit id");
    return std::nullopt;
  }
  return static_cast<std::int32_t>(unit);
}

// ------------------------------------------------------------ reminders and notices

asio::awaitable<void> send_reminder(request_context& ctx, admin_api_context& api) {
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"unit", "batch", "message"});
  if (!obj) co_return;
  const auto unit = unit_member(ctx, *obj);
  if (!unit) co_return;
  auto batch_text = string_member(ctx, *obj, "batch", 32);
  if (!batch_text) co_return;
  const auto b = batch_code(ctx, *batch_text);
  if (!b) co_return;
  auto message = string_member(ctx, *obj, "message", 2000);
  if (!message) co_return;
  if (message->empty()) {
    fail(ctx, errc::invalid_field, "message: not empty");
    co_return;
  }
  job fn = [unit = *unit, b = *b, message = std::move(*message),
            interval = api.reminder_interval_seconds,
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    std::string title = "填报提醒 (";
    title += core::to_code(b);
    title += ')';
    const auto out = storage::send_reminder(conn, who, unit, storage::encode_batch(b), title,
                                            message, interval, ip);
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
    w.key("unit_id").value(static_cast<std::int64_t>(unit));
    w.key("batch").value(core::to_code(b));
    w.key("recipients").value(out.recipients);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

void write_notice(json_writer& w, const storage::office_notice_row& n) {
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
  w.key("created_at").value(core::format_utc_micros(n.created_us));
  if (n.kind == 1) w.key("recipients").value(n.recipients);
  w.end_object();
}

asio::awaitable<void> post_notice(request_context& ctx, admin_api_context& api) {
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"unit", "title", "body", "batch"});
  if (!obj) co_return;
  const auto unit = unit_member(ctx, *obj);
  if (!unit) co_return;
  auto title = string_member(ctx, *obj, "title", 200);
  if (!title) co_return;
  auto body = string_member(ctx, *obj, "body", 10000);
  if (!body) co_return;
  if (title->empty() || body->empty()) {
    fail(ctx, errc::invalid_field, "title, body: not empty");
    co_return;
  }
  auto batch_text = string_member(ctx, *obj, "batch", 32, false);
  if (!batch_text) co_return;
  std::int16_t batch = -1;
  if (!batch_text->empty()) {
    const auto b = batch_code(ctx, *batch_text);
    if (!b) co_return;
    batch = storage::encode_batch(*b);
  }
  job fn = [unit = *unit, batch, title = std::move(*title), body = std::move(*body),
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto target = storage::unit_in_scope(conn, unit, who.unit_id);
    if (!target) return problem(errc::not_found, "no such unit");
    // Province-wide announcements are the province managers' (issue 7).
    if (target->level == 0 &&
        !core::may_run_province(*core::admin_role_from_int(who.role), who.unit_level)) {
      return problem(errc::forbidden, "only the province's managers publish province-wide");
    }
    auto n = storage::post_notice(conn, who, unit, batch, title, body, ip);
    if (!n) return problem(errc::not_found, "no such unit");
    n->unit = *target;
    reply r;
    r.status = 201;
    json_writer w(r.body);
    write_notice(w, *n);
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

asio::awaitable<void> list_notices(request_context& ctx, admin_api_context& api) {
  const auto before = page_token(ctx);
  if (!before) co_return;
  std::int16_t kind = -1;
  if (const auto k = query_param(ctx.query, "kind"); k.present && !k.value.empty()) {
    if (k.value == "announcement") {
      kind = 0;
    } else if (k.value == "reminder") {
      kind = 1;
    } else {
      fail(ctx, errc::invalid_field, "kind: announcement or reminder");
      co_return;
    }
  }
  job fn = [before = *before, kind](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto rows = storage::list_notices(conn, who.unit_id, before, page_rows, kind);
    reply r;
    json_writer w(r.body);
    w.begin_object().key("notices").begin_array();
    for (const auto& n : rows) write_notice(w, n);
    w.end_array();
    next_token(w, rows, page_rows);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

// ------------------------------------------------------------ documents

void write_document(json_writer& w, const storage::document_row& d) {
  w.begin_object();
  w.key("id").value(d.id);
  w.key("title").value(d.title);
  w.key("filename").value(d.filename);
  w.key("content_type").value(d.content_type);
  w.key("size").value(d.size);
  w.key("uploaded_at").value(core::format_utc_micros(d.uploaded_us));
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

asio::awaitable<void> upload_document(request_context& ctx, admin_api_context& api) {
  const auto type = document_type(header(ctx.request, "Content-Type"));
  if (!type) {
    std::string allowed = "Content-Type: one of";
    for (const auto t : document_types) {
      allowed += ' ';
      allowed += t.substr(0, t.find(';'));
    }
    fail(ctx, errc::unsupported_media, allowed);
    co_return;
  }
  if (ctx.request.body().size() > api.document_max_bytes) {
    fail(ctx, errc::payload_too_large,
         fmt::format("a document is at most {} bytes", api.document_max_bytes));
    co_return;
  }
  if (ctx.request.body().empty()) {
    fail(ctx, errc::invalid_field, "body: the document's bytes");
    co_return;
  }
  const auto title = query_param(ctx.query, "title");
  const auto filename = query_param(ctx.query, "filename");
  if (!title.present || title.malformed || title.value.empty() || title.value.size() > 200) {
    fail(ctx, errc::invalid_field, "title: 1-200 bytes (query parameter)");
    co_return;
  }
  if (!filename.present || filename.malformed || !safe_filename(filename.value)) {
    fail(ctx, errc::invalid_field, "filename: a plain file name (query parameter)");
    co_return;
  }
  job fn = [title = std::string(title.value), filename = std::string(filename.value),
            type = std::string(*type), content = ctx.request.body(),
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto d = storage::insert_document(conn, who, title, filename, type, content, ip);
    reply r;
    r.status = 201;
    json_writer w(r.body);
    write_document(w, d);
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::province_operations, false, true}, std::move(fn));
}

asio::awaitable<void> list_documents(request_context& ctx, admin_api_context& api) {
  const auto before = page_token(ctx);
  if (!before) co_return;
  job fn = [before = *before](pqxx::connection& conn, const storage::admin_actor&) {
    const auto rows = storage::list_documents(conn, before, page_rows);
    reply r;
    json_writer w(r.body);
    w.begin_object().key("documents").begin_array();
    for (const auto& d : rows) write_document(w, d);
    w.end_array();
    next_token(w, rows, page_rows);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> download_document(request_context& ctx, admin_api_context& api) {
  const auto id = id_param(ctx, "id");
  if (!id) co_return;
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

// ------------------------------------------------------------ incidents

constexpr std::array<std::string_view, 4> severities = {"low", "medium", "high", "critical"};

void write_incident(json_writer& w, const storage::incident_row& i) {
  w.begin_object();
  w.key("id").value(i.id);
  w.key("unit");
  write_unit(w, i.unit);
  w.key("category").value(i.category);
  w.key("severity").value(severities[static_cast<std::size_t>(i.severity) % severities.size()]);
  w.key("description").value(i.description);
  w.key("status").value(core::incident_status_code(i.status));
  w.key("reported_at").value(core::format_utc_micros(i.created_us));
  w.key("reported_by").value(i.reported_by);
  w.key("events").value(i.events);
  w.end_object();
}

asio::awaitable<void> report_incident(request_context& ctx, admin_api_context& api) {
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"category", "severity", "description"});
  if (!obj) co_return;
  auto category = string_member(ctx, *obj, "category", 64);
  if (!category) co_return;
  auto severity = string_member(ctx, *obj, "severity", 16);
  if (!severity) co_return;
  auto description = string_member(ctx, *obj, "description", 4000);
  if (!description) co_return;
  const auto level = std::find(severities.begin(), severities.end(), *severity);
  if (level == severities.end()) {
    fail(ctx, errc::invalid_field, "severity: low, medium, high or critical");
    co_return;
  }
  if (category->empty() || description->empty()) {
    fail(ctx, errc::invalid_field, "category, description: not empty");
    co_return;
  }
  job fn = [category = std::move(*category),
            severity = static_cast<std::int16_t>(level - severities.begin()),
            description = std::move(*description),
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto i = storage::report_incident(conn, who, category, severity, description, ip);
    reply r;
    r.status = 201;
    json_writer w(r.body);
    write_incident(w, i);
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

asio::awaitable<void> list_incidents(request_context& ctx, admin_api_context& api) {
  const auto before = page_token(ctx);
  if (!before) co_return;
  std::int16_t status = -1;
  if (const auto s = query_param(ctx.query, "status"); s.present && !s.value.empty()) {
    for (int i = 0; i < 3; ++i) {
      if (core::incident_status_code(i) == s.value) status = static_cast<std::int16_t>(i);
    }
    if (status < 0) {
      fail(ctx, errc::invalid_field, "status: open, acknowledged or resolved");
      co_return;
    }
  }
  job fn = [before = *before, status](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto rows = storage::list_incidents(conn, who.unit_id, before, page_rows, status);
    reply r;
    json_writer w(r.body);
    w.begin_object().key("incidents").begin_array();
    for (const auto& i : rows) write_incident(w, i);
    w.end_array();
    next_token(w, rows, page_rows);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> get_incident(request_context& ctx, admin_api_context& api) {
  const auto id = id_param(ctx, "id");
  if (!id) co_return;
  job fn = [id = *id](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto found = storage::get_incident(conn, who.unit_id, id);
    if (!found) return problem(errc::not_found, "no such incident");
    reply r;
    json_writer w(r.body);
    w.begin_object().key("incident");
    write_incident(w, found->incident);
    w.key("events").begin_array();
    for (const auto& e : found->events) {
      w.begin_object();
      w.key("id").value(e.id);
      w.key("kind").value(core::to_code(static_cast<core::incident_event>(e.kind % 3)));
      w.key("comment").value(e.comment);
      w.key("at").value(core::format_utc_micros(e.at_us));
      w.key("by").value(e.actor);
      w.end_object();
    }
    w.end_array().end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> incident_event(request_context& ctx, admin_api_context& api) {
  const auto id = id_param(ctx, "id");
  if (!id) co_return;
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"kind", "comment"});
  if (!obj) co_return;
  auto kind_text = string_member(ctx, *obj, "kind", 16);
  if (!kind_text) co_return;
  const auto kind = core::parse_incident_event(*kind_text);
  if (!kind) {
    fail(ctx, errc::invalid_field, "kind: comment, acknowledge or resolve");
    co_return;
  }
  auto comment = string_member(ctx, *obj, "comment", 4000, false);
  if (!comment) co_return;
  if (*kind == core::incident_event::comment && comment->empty()) {
    fail(ctx, errc::invalid_field, "comment: required for a comment");
    co_return;
  }
  job fn = [id = *id, kind = *kind, comment = std::move(*comment), ip = peer_of(ctx)](
               pqxx::connection& conn, const storage::admin_actor& who) {
    const auto out = storage::add_incident_event(conn, who, id, kind, comment, ip);
    if (!out) return problem(errc::not_found, "no such incident");
    reply r;
    r.status = 201;
    json_writer w(r.body);
    w.begin_object();
    w.key("id").value(out->event_id);
    w.key("incident_id").value(static_cast<std::int64_t>(id));
    w.key("kind").value(core::to_code(kind));
    w.key("comment").value(comment);
    w.key("status").value(core::incident_status_code(out->status));
    w.key("at").value(core::format_utc_micros(out->at_us));
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

// ------------------------------------------------------------ schedule

void write_schedule(std::string& out, std::int64_t revision, const core::schedule& s) {
  json_writer w(out);
  w.begin_object();
  w.key("revision").value(revision);
  w.key("schedule").raw(schedule_to_json(s));
  w.end_object();
}

asio::awaitable<void> get_schedule(request_context& ctx, admin_api_context& api) {
  job fn = [holder = api.schedule](pqxx::connection&, const storage::admin_actor&) {
    reply r;
    const auto [s, revision] = holder->with_revision();
    write_schedule(r.body, revision, *s);
    r.headers.emplace_back("ETag", fmt::format("\"{}\"", revision));
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> put_schedule(request_context& ctx, admin_api_context& api) {
  if (!is_json(ctx.request)) {
    fail(ctx, errc::unsupported_media, "send application/json");
    co_return;
  }
  std::vector<core::schedule_issue> issues;
  auto parsed = schedule_from_json(ctx.request.body(), issues);
  if (!issues.empty()) {
    std::string extra;
    json_writer w(extra);
    w.begin_array();
    for (const auto& i : issues) {
      w.begin_object().key("field").value(i.field).key("message").value(i.message).end_object();
    }
    w.end_array();
    std::string detail = "the schedule breaks its rules:";
    for (const auto& i : issues) {
      detail += ' ';
      detail += i.field;
      detail += " (";
      detail += i.message;
      detail += ");";
    }
    fail(ctx, errc::validation_failed, detail, 0, "\"errors\":" + extra);
    co_return;
  }
  // The change names the revision it replaces (GET's ETag): two managers editing at once
  // cannot overwrite each other unseen.
  job fn = [holder = api.schedule, s = std::move(parsed), replaces = if_match_version(ctx.request),
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    if (!replaces) {
      return problem(errc::precondition_required,
                     "If-Match: the revision this change replaces (GET's ETag)");
    }
    if (*replaces < 0) return problem(errc::invalid_field, "If-Match: a revision such as \"3\"");
    // Stored in the canonical form; this node swaps at once, the others at their next refresh.
    const std::string doc = schedule_to_json(s);
    const auto revision = storage::store_schedule(conn, who, doc, *replaces, ip);
    if (!revision) {
      return problem(errc::precondition_failed,
                     "the schedule changed since that revision: GET it again and reapply");
    }
    holder->set(s, *revision);
    reply r;
    write_schedule(r.body, *revision, s);
    r.headers.emplace_back("ETag", fmt::format("\"{}\"", *revision));
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::province_operations, false, true}, std::move(fn));
}

// ------------------------------------------------------------ imports

reply refused_import(std::int64_t import_id, const std::vector<core::import_error>& errors) {
  reply r = problem(errc::validation_failed,
                    fmt::format("{} error(s); nothing was applied (the full report: "
                                "/api/v1/admin/imports/{}/errors.csv)",
                                errors.size(), import_id));
  std::string extra;
  json_writer w(extra);
  w.begin_array();
  for (std::size_t i = 0; i < errors.size() && i < reported_errors; ++i) {
    w.begin_object();
    w.key("line").value(static_cast<std::int64_t>(errors[i].line));
    w.key("column").value(errors[i].column);
    w.key("message").value(errors[i].message);
    w.end_object();
  }
  w.end_array();
  r.extra_members = fmt::format(R"("import_id":{},"report":"/api/v1/admin/imports/{}/errors.csv",)"
                                R"("errors":{})",
                                import_id, import_id, extra);
  return r;
}

asio::awaitable<void> post_import(request_context& ctx, admin_api_context& api) {
  const std::string kind(ctx.params.get("kind"));
  if (kind != "units" && kind != "candidates" && kind != "plans" && kind != "scores") {
    fail(ctx, errc::not_found, "no such import: units, candidates, plans or scores");
    co_return;
  }
  const auto type = header(ctx.request, "Content-Type");
  if (type.substr(0, type.find(';')) != "text/csv") {
    fail(ctx, errc::unsupported_media, "send text/csv");
    co_return;
  }
  if (ctx.request.body().size() > api.import_max_bytes) {
    fail(ctx, errc::payload_too_large,
         fmt::format("an import is at most {} bytes", api.import_max_bytes));
    co_return;
  }
  // While a window is open, submissions are checked against the candidates' facts in memory:
  // a candidates import then leaves those facts alone.
  bool filing_open = false;
  const auto now = api.now_micros() / 1'000'000;
  for (const auto b : core::all_batches) {
    filing_open =
        filing_open || core::is_filing_window(core::phase_at(*api.schedule->get(), b, now));
  }
  job fn = [kind, text = ctx.request.body(), max_rows = api.import_max_rows, filing_open,
            refresh = api.refresh_snapshots,
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    std::vector<core::import_error> errors;
    const auto table = core::parse_csv(text, max_rows, errors);
    std::size_t rows = table ? table->rows.size() : 0;
    storage::import_outcome out;
    // Checked row by row first; storage checks what needs the database and applies all or
    // nothing in one transaction.
    if (table && kind == "units") {
      const auto checked = core::check_units(*table, errors);
      if (errors.empty()) out = storage::import_units(conn, who, checked, ip);
    } else if (table && kind == "candidates") {
      const auto checked = core::check_candidates(*table, errors);
      if (errors.empty()) out = storage::import_candidates(conn, who, checked, filing_open, ip);
    } else if (table && kind == "plans") {
      const auto checked = core::check_plans(*table, errors);
      if (errors.empty()) out = storage::import_plans(conn, who, checked, ip);
    } else if (table) {
      const auto checked = core::check_scores(*table, errors);
      if (errors.empty()) out = storage::import_scores(conn, who, checked, ip);
    }
    if (!errors.empty()) {
      return refused_import(storage::record_refused_import(conn, who, kind, rows, errors, ip),
                            errors);
    }
    if (!out.applied) return refused_import(out.import_id, out.errors);
    // Committed: the answer is 200 whatever follows. The new snapshots replace the old ones
    // atomically (requests in flight finish with the snapshot they hold); should the reload
    // fail, the periodic refresh retries it, here and on every other node.
    const bool current = !refresh || refresh();
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("import_id").value(out.import_id);
    w.key("kind").value(kind);
    w.key("rows").value(static_cast<std::int64_t>(rows));
    w.key("applied").value(true);
    if (kind == "candidates") {
      w.key("inserted").value(out.inserted);
      w.key("updated").value(out.updated);
    }
    w.key("snapshots_current").value(current);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::province_operations, false, true}, std::move(fn));
}

asio::awaitable<void> import_errors(request_context& ctx, admin_api_context& api) {
  const auto id = id_param(ctx, "id");
  if (!id) co_return;
  job fn = [id = *id](pqxx::connection& conn, const storage::admin_actor& who) {
    auto csv = storage::import_errors_csv(conn, who.unit_id, id);
    if (!csv) return problem(errc::not_found, "no such import");
    reply r;
    r.body = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
    r.body += *csv;
    r.content_type = "text/csv; charset=utf-8";
    r.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"import-{}-errors.csv\"", id));
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::province_operations, false, true}, std::move(fn));
}

// ------------------------------------------------------------ drill

asio::awaitable<void> reset_drill(request_context& ctx, admin_api_context& api) {
  job fn = [ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    // Every drill row, whenever written: the drill's storage starts empty again.
    constexpr std::int64_t far_future = 32'503'680'000;  // 3000-01-01
    const auto rows = storage::reset_drill(conn, who, far_future, ip);
    reply r;
    json_writer w(r.body);
    w.begin_object().key("rows_deleted").value(rows).end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::province_operations, false, true}, std::move(fn));
}

}  // namespace

std::vector<route_spec> admin_ops_routes(admin_api_context& api) {
  return {
      {http::verb::post, "/api/v1/admin/reminders", handler_for(api, send_reminder)},
      {http::verb::post, "/api/v1/admin/notices", handler_for(api, post_notice)},
      {http::verb::get, "/api/v1/admin/notices", handler_for(api, list_notices)},
      {http::verb::post, "/api/v1/admin/documents", handler_for(api, upload_document)},
      {http::verb::get, "/api/v1/admin/documents", handler_for(api, list_documents)},
      {http::verb::get, "/api/v1/admin/documents/{id}", handler_for(api, download_document)},
      {http::verb::post, "/api/v1/admin/incidents", handler_for(api, report_incident)},
      {http::verb::get, "/api/v1/admin/incidents", handler_for(api, list_incidents)},
      {http::verb::get, "/api/v1/admin/incidents/{id}", handler_for(api, get_incident)},
      {http::verb::post, "/api/v1/admin/incidents/{id}/events", handler_for(api, incident_event)},
      {http::verb::get, "/api/v1/admin/schedule", handler_for(api, get_schedule)},
      {http::verb::put, "/api/v1/admin/schedule", handler_for(api, put_schedule)},
      {http::verb::post, "/api/v1/admin/imports/{kind}", handler_for(api, post_import)},
      {http::verb::get, "/api/v1/admin/imports/{id}/errors.csv", handler_for(api, import_errors)},
      {http::verb::post, "/api/v1/admin/drill/reset", handler_for(api, reset_drill)},
  };
}

}  // namespace zhiyuan::server
