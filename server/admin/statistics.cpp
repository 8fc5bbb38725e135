// The offices' figures: a unit's filing statistics with its direct children, the submission
// timeline, and the list of eligible candidates without a formal submission (JSON pages, or a
// streamed CSV export). Storage scopes every query by the acting admin's unit; every list and
// export of candidate data is audited before the data leaves.
#include <memory>
#include <stdexcept>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/time.hpp"
#include "server/admin/encode.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/async.hpp"
#include "server/filing_clock.hpp"
#include "server/http/csv.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/identity.hpp"
#include "storage/admin_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server::admin_http {
namespace {

constexpr int list_page_rows = 200;

// The unit of the path (its code) and the batch of the query (default 本科批) every figure is
// about.
struct unit_batch {
  std::string unit;
  core::batch batch = core::batch::undergrad;
};

core::result<unit_batch> decode_unit_batch(const request_context& ctx) {
  auto unit = path_unit_code(ctx);
  if (!unit) return core::failure(unit.error());
  const auto b = query_batch(ctx, core::batch::undergrad);
  if (!b) return core::failure(b.error());
  return unit_batch{std::move(*unit), **b};
}

// ------------------------------------------------------------ statistics

double percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return 0;
  return static_cast<double>(part * 1000 / whole) / 10;  // one decimal, rounded down
}

void write_stats(json_writer& w, const storage::unit_stats& s) {
  const std::int64_t draft_only = s.drafted - s.drafted_submitted;
  const std::int64_t not_submitted = s.eligible - s.submitted;
  w.begin_object();
  w.key("unit");
  write_unit(w, s.unit, true);
  w.key("eligible").value(s.eligible);
  w.key("logged_in").value(s.logged_in);
  w.key("draft_only").value(draft_only);
  w.key("submitted").value(s.submitted);
  w.key("not_submitted").value(not_submitted);
  w.key("percent").begin_object();
  w.key("logged_in").value(percent(s.logged_in, s.eligible));
  w.key("draft_only").value(percent(draft_only, s.eligible));
  w.key("submitted").value(percent(s.submitted, s.eligible));
  w.key("not_submitted").value(percent(not_submitted, s.eligible));
  w.end_object();
  w.end_object();
}

asio::awaitable<void> unit_stats(request_context& ctx, admin_api_context& api) {
  const auto q = decode_unit_batch(ctx);
  if (!q) co_return fail(ctx, q.error());
  job fn = [q = *q](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto unit = storage::unit_code_in_scope(conn, q.unit, who.unit_id);
    if (!unit) return problem(errc::not_found, "no such unit");
    const auto rows =
        storage::load_unit_stats(conn, unit->id, storage::encode_batch(q.batch), who.unit_id);
    if (rows.empty()) return problem(errc::not_found, "no such unit");
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("batch").value(core::to_code(q.batch));
    w.key("unit");
    write_stats(w, rows.front());
    w.key("children").begin_array();
    for (std::size_t i = 1; i < rows.size(); ++i) write_stats(w, rows[i]);
    w.end_array();
    w.end_object();
    return r;
  };
  co_await run_admin_read(ctx, api, {core::admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> stats_timeline(request_context& ctx, admin_api_context& api) {
  const auto q = decode_unit_batch(ctx);
  if (!q) co_return fail(ctx, q.error());
  job fn = [q = *q, offset = api.clock_offset_seconds](pqxx::connection& conn,
                                                       const storage::admin_actor& who) {
    const auto unit = storage::unit_code_in_scope(conn, q.unit, who.unit_id);
    if (!unit) return problem(errc::not_found, "no such unit");
    const auto hours = storage::load_submission_timeline(
        conn, unit->id, storage::encode_batch(q.batch), who.unit_id, offset);
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("batch").value(core::to_code(q.batch));
    w.key("unit").value(unit->code);
    w.key("hours").begin_array();
    for (const auto& [hour, n] : hours) {
      w.begin_object();
      w.key("hour").value(core::format_rfc3339(hour));
      w.key("submissions").value(n);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    return r;
  };
  co_await run_admin_read(ctx, api, {core::admin_capability::statistics}, std::move(fn));
}

// ------------------------------------------------------------ unfiled lists

struct unfiled_query {
  unit_batch of;
  std::int64_t clock_offset_seconds = 0;  ///< the filing clock's, for sign-in times
  bool csv = false;                       ///< the whole list streamed as CSV, else one JSON page
  std::int64_t after = 0;                 ///< a JSON page starts after this candidate id
};

core::result<unfiled_query> decode_unfiled(const request_context& ctx) {
  const auto of = decode_unit_batch(ctx);
  if (!of) return core::failure(of.error());
  const auto format = query_choice(ctx, "format", {"csv", "json"});
  if (!format) return core::failure(format.error());
  const bool csv = *format == std::optional<std::size_t>(0);
  const auto after = query_positive(ctx, "page_token");
  if (!after || (csv && *after)) {
    return core::failure(core::errc::invalid_field,
                         "page_token: as returned by the previous JSON page");
  }
  return unfiled_query{std::move(*of), 0, csv, after->value_or(0)};
}

void write_unfiled_row(json_writer& w, const storage::unfiled_row& row, std::int64_t offset) {
  w.begin_object();
  write_identity(w, row);
  w.key("phone").value(core::mask_phone(row.phone));
  w.key("last_login");
  write_time_or_null(w, row.last_login_us, offset);
  w.key("draft").value(row.has_draft);
  w.key("reason");
  write_reason_or_null(w, row.reason);
  w.key("note").value(row.note);
  w.end_object();
}

// The audit row, then a JSON page (a CSV export's rows stream after the head).
reply list_unfiled(pqxx::connection& conn, const storage::admin_actor& who, const unfiled_query& q,
                   const std::string& ip, std::int32_t& unit_id) {
  const auto target = storage::unit_code_in_scope(conn, q.of.unit, who.unit_id);
  if (!target) return problem(errc::not_found, "no such unit");
  unit_id = target->id;
  const std::string batch_code(core::to_code(q.of.batch));
  // Every read and export of candidate data is audited before the data leaves.
  storage::append_audit(
      conn,
      {1, who.admin_id, who.unit_id, q.csv ? "unfiled.export" : "unfiled.list", target->code,
       audit_detail(
           {{"unit", target->code}, {"batch", batch_code}, {"format", q.csv ? "csv" : "json"}}),
       ip});
  reply r;
  if (q.csv) return r;
  const auto rows = storage::load_unfiled_page(conn, target->id, storage::encode_batch(q.of.batch),
                                               who.unit_id, q.after, list_page_rows);
  json_writer w(r.body);
  w.begin_object();
  w.key("batch").value(batch_code);
  w.key("unit").value(target->code);
  w.key("candidates").begin_array();
  for (const auto& row : rows) write_unfiled_row(w, row, q.clock_offset_seconds);
  w.end_array();
  write_next_page_token(w, rows, list_page_rows, &storage::unfiled_row::candidate_id);
  w.end_object();
  return r;
}

void append_csv_row(std::string& out, const storage::unfiled_row& row, std::int64_t offset) {
  const std::string id_number = core::mask_id_number(row.id_number);
  const std::string phone = core::mask_phone(row.phone);
  const std::string last_login =
      row.last_login_us != 0 ? format_db_time(row.last_login_us, offset) : std::string();
  // Stored text is guarded against spreadsheet formulas; what the server itself writes is not.
  const std::pair<std::string_view, bool> fields[] = {{row.exam_no, true},
                                                      {row.name, true},
                                                      {id_number, true},
                                                      {row.school_code, true},
                                                      {row.school_name, true},
                                                      {phone, true},
                                                      {last_login, false},
                                                      {row.has_draft ? "true" : "false", false},
                                                      {reason_code(row.reason), false},
                                                      {row.note, true}};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    if (i > 0) out += ',';
    csv_field(out, fields[i].first, fields[i].second);
  }
  out += "\r\n";
}

// A streamed export's position: the next page starts after `after`.
struct export_cursor {
  storage::worker_pool* pool = nullptr;
  std::int32_t unit = 0;
  std::int16_t batch = 0;
  std::int32_t actor_unit = 0;
  int page_rows = 2000;
  std::int64_t clock_offset_seconds = 0;
  std::int64_t after = 0;
};

// One step of a streamed CSV export: the next page of rows as CSV.
asio::awaitable<stream_step> next_csv_chunk(std::shared_ptr<export_cursor> cur,
                                            std::string& chunk) {
  auto load = [c = *cur](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_unfiled_page(*conn, c.unit, c.batch, c.actor_unit, c.after, c.page_rows);
  };
  auto rows = co_await run_on<std::vector<storage::unfiled_row>>(*cur->pool, std::move(load));
  if (!rows) co_return stream_step::failed;
  for (const auto& row : *rows) append_csv_row(chunk, row, cur->clock_offset_seconds);
  if (rows->size() < static_cast<std::size_t>(cur->page_rows)) co_return stream_step::done;
  cur->after = rows->back().candidate_id;
  co_return stream_step::more;
}

// The export's head (a BOM and the header line); its rows stream page by page after it.
void start_export(request_context& ctx, admin_api_context& api, const unit_batch& of,
                  std::int32_t unit_id, std::int32_t actor_unit) {
  auto cur = std::make_shared<export_cursor>(
      export_cursor{api.queries, unit_id, storage::encode_batch(of.batch), actor_unit,
                    api.export_page_rows, api.clock_offset_seconds, 0});
  ctx.res.content_type = "text/csv; charset=utf-8";
  ctx.res.body = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
  ctx.res.body +=
      "exam_no,name,id_number,school_code,school_name,phone,last_login,draft,reason,note\r\n";
  std::string disposition = "attachment; filename=\"unfiled-";
  disposition += of.unit;
  disposition += '-';
  disposition += core::to_code(of.batch);
  disposition += ".csv\"";
  ctx.res.headers.emplace_back("Content-Disposition", std::move(disposition));
  ctx.res.stream = [cur](std::string& chunk) { return next_csv_chunk(cur, chunk); };
}

asio::awaitable<void> unfiled(request_context& ctx, admin_api_context& api) {
  auto q = decode_unfiled(ctx);
  if (!q) co_return fail(ctx, q.error());
  q->clock_offset_seconds = api.clock_offset_seconds;
  // The stream needs the actor's unit and the listed one: the job hands them back.
  std::int32_t actor_unit = 0;
  std::int32_t unit_id = 0;
  job fn = [&actor_unit, &unit_id, q = *q, ip = peer_of(ctx)](pqxx::connection& conn,
                                                              const storage::admin_actor& who) {
    actor_unit = who.unit_id;  // read back on the I/O thread after the job completes
    return list_unfiled(conn, who, q, ip, unit_id);
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(fn));
  if (!q->csv || ctx.res.status != 200) co_return;
  start_export(ctx, api, q->of, unit_id, actor_unit);
}

}  // namespace

std::vector<route_spec> statistics_routes(admin_api_context& api) {
  return {
      {http::verb::get, "/api/v1/admin/units/{unit}/stats", handler_for(api, unit_stats)},
      {http::verb::get, "/api/v1/admin/units/{unit}/stats/timeline",
       handler_for(api, stats_timeline)},
      {http::verb::get, "/api/v1/admin/units/{unit}/unfiled", handler_for(api, unfiled)},
  };
}

}  // namespace zhiyuan::server::admin_http
