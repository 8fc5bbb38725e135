// What only the province runs: the live schedule (read by every admin, changed by the
// province's managers with If-Match), CSV imports of units, candidates, plans and scores
// (checked row by row, applied all or nothing) and the reset of the drill's storage.
#include <fmt/format.h>

#include "core/admin.hpp"
#include "core/import.hpp"
#include "core/schedule.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/schedule_config.hpp"
#include "storage/admin_ops_store.hpp"

namespace zhiyuan::server::admin_http {
namespace {

using core::admin_capability;

// Schedule changes, imports and the drill reset are the province managers'.
constexpr gate province_managers{admin_capability::province_operations, false, true};

constexpr std::size_t reported_errors = 200;  // errors listed inline; the CSV report has all

// ------------------------------------------------------------ schedule

void write_schedule(reply& r, std::int64_t revision, const core::schedule& s) {
  json_writer w(r.body);
  w.begin_object();
  w.key("revision").value(revision);
  w.key("schedule").raw(schedule_to_json(s));
  w.end_object();
  r.headers.emplace_back("ETag", fmt::format("\"{}\"", revision));
}

asio::awaitable<void> get_schedule(request_context& ctx, admin_api_context& api) {
  job fn = [holder = api.schedule](pqxx::connection&, const storage::admin_actor&) {
    reply r;
    const auto [s, revision] = holder->with_revision();
    write_schedule(r, revision, *s);
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

// The 422 of a timetable that breaks its rules: every issue in the detail and as "errors".
void refuse_schedule(request_context& ctx, const std::vector<core::schedule_issue>& issues) {
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
}

asio::awaitable<void> put_schedule(request_context& ctx, admin_api_context& api) {
  if (!is_json(ctx.request)) co_return fail(ctx, errc::unsupported_media, "send application/json");
  std::vector<core::schedule_issue> issues;
  auto parsed = schedule_from_json(ctx.request.body(), issues);
  if (!issues.empty()) co_return refuse_schedule(ctx, issues);
  // The change names the revision it replaces (GET's ETag): two managers editing at once
  // cannot overwrite each other unseen. Checked after the session, as the role is.
  job fn = [holder = api.schedule, s = std::move(parsed), replaces = if_match(ctx.request),
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    if (!replaces) return problem(replaces.error());
    if (!*replaces) {
      return problem(errc::precondition_required,
                     "If-Match: the revision this change replaces (GET's ETag)");
    }
    // Stored in the canonical form; this node swaps at once, the others at their next refresh.
    const std::string doc = schedule_to_json(s);
    const auto revision = storage::store_schedule(conn, who, doc, **replaces, ip);
    if (!revision) {
      return problem(errc::precondition_failed,
                     "the schedule changed since that revision: GET it again and reapply");
    }
    holder->set(s, *revision);
    reply r;
    write_schedule(r, *revision, s);
    return r;
  };
  co_await run_admin(ctx, api, province_managers, std::move(fn));
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

// An import as it came: the kind of rows, the CSV text and what it may change.
struct import_request {
  std::string kind;  ///< units, candidates, plans or scores
  std::string text;
  std::size_t max_rows = 0;
  bool filing_open = false;  ///< a window is open: candidates' facts stay as they are
  std::function<bool()> refresh;
  std::string ip;
};

core::result<std::string> decode_import(const request_context& ctx, std::size_t max_bytes) {
  std::string kind(ctx.params.get("kind"));
  if (kind != "units" && kind != "candidates" && kind != "plans" && kind != "scores") {
    return core::failure(errc::not_found, "no such import: units, candidates, plans or scores");
  }
  const auto type = header(ctx.request, "Content-Type");
  if (type.substr(0, type.find(';')) != "text/csv") {
    return core::failure(errc::unsupported_media, "send text/csv");
  }
  if (ctx.request.body().size() > max_bytes) {
    return core::failure(errc::payload_too_large,
                         fmt::format("an import is at most {} bytes", max_bytes));
  }
  return kind;
}

// Checked row by row first (core); storage checks what needs the database and applies all or
// nothing in one transaction. Nothing is applied when `errors` is not empty.
storage::import_outcome check_and_apply(pqxx::connection& conn, const storage::admin_actor& who,
                                        const import_request& in, const core::csv_table& table,
                                        std::vector<core::import_error>& errors) {
  if (in.kind == "units") {
    const auto checked = core::check_units(table, errors);
    if (errors.empty()) return storage::import_units(conn, who, checked, in.ip);
  } else if (in.kind == "candidates") {
    const auto checked = core::check_candidates(table, errors);
    if (errors.empty()) {
      return storage::import_candidates(conn, who, checked, in.filing_open, in.ip);
    }
  } else if (in.kind == "plans") {
    const auto checked = core::check_plans(table, errors);
    if (errors.empty()) return storage::import_plans(conn, who, checked, in.ip);
  } else {
    const auto checked = core::check_scores(table, errors);
    if (errors.empty()) return storage::import_scores(conn, who, checked, in.ip);
  }
  return {};
}

reply run_import(pqxx::connection& conn, const storage::admin_actor& who,
                 const import_request& in) {
  std::vector<core::import_error> errors;
  const auto table = core::parse_csv(in.text, in.max_rows, errors);
  const std::size_t rows = table ? table->rows.size() : 0;
  storage::import_outcome out;
  if (table) out = check_and_apply(conn, who, in, *table, errors);
  if (!errors.empty()) {
    return refused_import(storage::record_refused_import(conn, who, in.kind, rows, errors, in.ip),
                          errors);
  }
  if (!out.applied) return refused_import(out.import_id, out.errors);
  // Committed: the answer is 200 whatever follows. The new snapshots replace the old ones
  // atomically (requests in flight finish with the snapshot they hold); should the reload
  // fail, the periodic refresh retries it, here and on every other node.
  const bool current = !in.refresh || in.refresh();
  reply r;
  json_writer w(r.body);
  w.begin_object();
  w.key("import_id").value(out.import_id);
  w.key("kind").value(in.kind);
  w.key("rows").value(static_cast<std::int64_t>(rows));
  w.key("applied").value(true);
  if (in.kind == "candidates") {
    w.key("inserted").value(out.inserted);
    w.key("updated").value(out.updated);
  }
  w.key("snapshots_current").value(current);
  w.end_object();
  return r;
}

// Whether a filing window of any batch is open now.
bool filing_open(const admin_api_context& api) {
  const auto now = api.now_micros() / 1'000'000;
  bool open = false;
  for (const auto b : core::all_batches) {
    open = open || core::is_filing_window(core::phase_at(*api.schedule->get(), b, now));
  }
  return open;
}

asio::awaitable<void> post_import(request_context& ctx, admin_api_context& api) {
  auto kind = decode_import(ctx, api.import_max_bytes);
  if (!kind) co_return fail(ctx, kind.error());
  // While a window is open, submissions are checked against the candidates' facts in memory:
  // a candidates import then leaves those facts alone.
  import_request in{std::move(*kind), ctx.request.body(),    api.import_max_rows,
                    filing_open(api), api.refresh_snapshots, peer_of(ctx)};
  job fn = [in = std::move(in)](pqxx::connection& conn, const storage::admin_actor& who) {
    return run_import(conn, who, in);
  };
  co_await run_admin(ctx, api, province_managers, std::move(fn));
}

asio::awaitable<void> import_errors(request_context& ctx, admin_api_context& api) {
  const auto id = path_id(ctx, "id", INT32_MAX);
  if (!id) co_return fail(ctx, id.error());
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
  co_await run_admin(ctx, api, province_managers, std::move(fn));
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
  co_await run_admin(ctx, api, province_managers, std::move(fn));
}

}  // namespace

std::vector<route_spec> province_routes(admin_api_context& api) {
  return {
      {http::verb::get, "/api/v1/admin/schedule", handler_for(api, get_schedule)},
      {http::verb::put, "/api/v1/admin/schedule", handler_for(api, put_schedule)},
      {http::verb::post, "/api/v1/admin/imports/{kind}", handler_for(api, post_import)},
      {http::verb::get, "/api/v1/admin/imports/{id}/errors.csv", handler_for(api, import_errors)},
      {http::verb::post, "/api/v1/admin/drill/reset", handler_for(api, reset_drill)},
  };
}

}  // namespace zhiyuan::server::admin_http
