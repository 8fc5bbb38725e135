// Incident reports (异常情况上报): a unit reports one for itself; it and every unit above see it
// and move it on with events (comment, acknowledge, resolve). Storage scopes every query by the
// acting admin's unit; anyone else gets 404.

#include "core/admin.hpp"
#include "server/admin/bodies.hpp"
#include "server/admin/encode.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/admin_ops_store.hpp"

namespace zhiyuan::server::admin_http {
namespace {

using core::admin_capability;

constexpr int page_rows = 100;

std::optional<std::int16_t> severity_of(std::string_view code) {
  const auto level = core::parse_incident_severity(code);
  if (!level) return std::nullopt;
  return static_cast<std::int16_t>(*level);
}

void write_incident(json_writer& w, const storage::incident_row& i, std::int64_t offset) {
  w.begin_object();
  w.key("id").value(i.id);
  w.key("unit");
  write_unit(w, i.unit);
  w.key("category").value(i.category);
  w.key("severity").value(core::incident_severity_code(i.severity));
  w.key("description").value(i.description);
  w.key("status").value(core::incident_status_code(i.status));
  w.key("reported_at").value(format_db_time(i.created_us, offset));
  w.key("reported_by").value(i.reported_by);
  w.key("event_count").value(i.events);
  w.end_object();
}

asio::awaitable<void> report_incident(request_context& ctx, admin_api_context& api) {
  auto body = parse_incident(ctx);
  if (!body) co_return fail(ctx, body.error());
  job fn = [b = std::move(*body), ip = peer_of(ctx), offset = api.clock_offset_seconds](
               pqxx::connection& conn, const storage::admin_actor& who) {
    const auto i = storage::report_incident(conn, who, b.category, b.severity, b.description, ip);
    reply r;
    r.status = 201;
    json_writer w(r.body);
    write_incident(w, i, offset);
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

asio::awaitable<void> list_incidents(request_context& ctx, admin_api_context& api) {
  const auto before = query_positive(ctx, "page_token");
  if (!before) co_return fail(ctx, before.error());
  const auto status = query_choice(ctx, "status",
                                   {core::incident_status_code(0), core::incident_status_code(1),
                                    core::incident_status_code(2)});
  if (!status) co_return fail(ctx, status.error());
  job fn = [before = before->value_or(0),
            status = static_cast<std::int16_t>(status->has_value() ? **status : -1),
            offset = api.clock_offset_seconds](pqxx::connection& conn,
                                               const storage::admin_actor& who) {
    return page_of("incidents",
                   storage::list_incidents(conn, who.unit_id, before, page_rows, status), page_rows,
                   &storage::incident_row::id,
                   [offset](json_writer& w, const auto& i) { write_incident(w, i, offset); });
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> get_incident(request_context& ctx, admin_api_context& api) {
  const auto id = path_id(ctx, "id", INT32_MAX);
  if (!id) co_return fail(ctx, id.error());
  job fn = [id = *id, offset = api.clock_offset_seconds](pqxx::connection& conn,
                                                         const storage::admin_actor& who) {
    const auto found = storage::get_incident(conn, who.unit_id, id);
    if (!found) return problem(errc::not_found, "no such incident");
    reply r;
    json_writer w(r.body);
    w.begin_object().key("incident");
    write_incident(w, found->incident, offset);
    w.key("events").begin_array();
    for (const auto& e : found->events) {
      w.begin_object();
      w.key("id").value(e.id);
      w.key("kind").value(core::to_code(static_cast<core::incident_event>(e.kind % 3)));
      w.key("comment").value(e.comment);
      w.key("at").value(format_db_time(e.at_us, offset));
      w.key("by").value(e.actor);
      w.end_object();
    }
    w.end_array().end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> incident_event(request_context& ctx, admin_api_context& api) {
  const auto id = path_id(ctx, "id", INT32_MAX);
  if (!id) co_return fail(ctx, id.error());
  auto body = parse_incident_event_body(ctx);
  if (!body) co_return fail(ctx, body.error());
  job fn = [id = *id, e = std::move(*body), ip = peer_of(ctx), offset = api.clock_offset_seconds](
               pqxx::connection& conn, const storage::admin_actor& who) {
    const auto out = storage::add_incident_event(conn, who, id, e.kind, e.comment, ip);
    if (!out) return problem(errc::not_found, "no such incident");
    reply r;
    r.status = 201;
    json_writer w(r.body);
    w.begin_object();
    w.key("id").value(out->event_id);
    w.key("incident_id").value(id);
    w.key("kind").value(core::to_code(e.kind));
    w.key("comment").value(e.comment);
    w.key("status").value(core::incident_status_code(out->status));
    w.key("at").value(format_db_time(out->at_us, offset));
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {admin_capability::publish}, std::move(fn));
}

}  // namespace

core::result<incident_body> parse_incident(const request_context& ctx) {
  auto body = json_fields<incident_body>(ctx)
                  .text("category", &incident_body::category, 64)
                  .custom("severity", true,
                          json_code(&incident_body::severity, severity_of,
                                    "severity: low, medium, high or critical"))
                  .text("description", &incident_body::description, 4000)
                  .done();
  if (body && (body->category.empty() || body->description.empty())) {
    return core::failure(errc::invalid_field, "category, description: not empty");
  }
  return body;
}

core::result<event_body> parse_incident_event_body(const request_context& ctx) {
  auto body = json_fields<event_body>(ctx)
                  .custom("kind", true,
                          json_code(&event_body::kind, core::parse_incident_event,
                                    "kind: comment, acknowledge or resolve"))
                  .text("comment", &event_body::comment, 4000, false)
                  .done();
  if (body && body->kind == core::incident_event::comment && body->comment.empty()) {
    return core::failure(errc::invalid_field, "comment: required for a comment");
  }
  return body;
}

std::vector<route_spec> incidents_routes(admin_api_context& api) {
  return {
      {http::verb::post, "/api/v1/admin/incidents", handler_for(api, report_incident)},
      {http::verb::get, "/api/v1/admin/incidents", handler_for(api, list_incidents)},
      {http::verb::get, "/api/v1/admin/incidents/{id}", handler_for(api, get_incident)},
      {http::verb::post, "/api/v1/admin/incidents/{id}/events", handler_for(api, incident_event)},
  };
}

}  // namespace zhiyuan::server::admin_http
