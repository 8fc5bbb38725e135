#include "server/system_routes.hpp"

#include "server/problem.hpp"

namespace zhiyuan::server {

std::vector<route_spec> system_routes(const system_state& state) {
  std::vector<route_spec> r;
  r.push_back({http::verb::get,
               "/livez",
               sync_handler([](request_context& ctx) { ctx.res.body = R"({"status":"ok"})"; }),
               {.summary = "Liveness: the process serves HTTP. Checks no dependency.",
                .response_schema = R"({"$ref":"#/components/schemas/Status"})"}});
  r.push_back({http::verb::get,
               "/readyz",
               sync_handler([&state](request_context& ctx) {
                 if (state.draining.load(std::memory_order_relaxed)) {
                   set_problem(ctx.res, core::errc::unavailable, "draining: shutting down",
                               ctx.request_id, ctx.path);
                 } else if (!state.database_reachable || !state.database_reachable()) {
                   set_problem(ctx.res, core::errc::unavailable, "database unreachable",
                               ctx.request_id, ctx.path);
                 } else {
                   ctx.res.body = R"({"status":"ready"})";
                 }
               }),
               {.summary = "Readiness: the database is reachable and the server is not draining.",
                .response_schema = R"({"$ref":"#/components/schemas/Status"})",
                .error_statuses = {503}}});
  r.push_back({http::verb::get,
               "/metrics",
               sync_handler([&state](request_context& ctx) {
                 ctx.res.content_type = "text/plain; version=0.0.4; charset=utf-8";
                 ctx.res.body = state.stats->render();
               }),
               {.summary = "Prometheus metrics, text format 0.0.4; every name starts zhiyuan_.",
                .response_schema = R"({"type":"string"})",
                .response_type = "text/plain"}});
  r.push_back({http::verb::get,
               "/openapi.json",
               sync_handler([&state](request_context& ctx) { ctx.res.body = state.openapi; }),
               {.summary = "This API, described in OpenAPI 3.1.",
                .response_schema = R"({"type":"object"})"}});
  r.push_back({http::verb::get,
               "/api/v1/ping",
               sync_handler([](request_context& ctx) { ctx.res.body = ping_body; }),
               {.summary = "A tiny JSON body; the baseline of the HTTP benchmark.",
                .response_schema = R"({"type":"object","properties":{"pong":{"type":"boolean"}},)"
                                   R"("required":["pong"]})"}});
  return r;
}

}  // namespace zhiyuan::server
