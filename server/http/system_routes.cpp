#include "server/http/system_routes.hpp"

#include "server/http/problem.hpp"

namespace zhiyuan::server {
namespace {

void livez(request_context& ctx, const system_state&) { ctx.res.body = R"({"status":"ok"})"; }

void readyz(request_context& ctx, const system_state& state) {
  // `reason` tells a load balancer's check the two 503s apart without matching prose: a
  // draining node leaves rotation, a node that lost the database (a failover) stays.
  if (state.draining.load(std::memory_order_relaxed)) {
    fail(ctx, core::errc::unavailable, "draining: shutting down", 0, R"("reason":"draining")");
  } else if (!state.database_reachable || !state.database_reachable()) {
    fail(ctx, core::errc::unavailable, "database unreachable", 0,
         R"("reason":"database_unreachable")");
  } else {
    ctx.res.body = R"({"status":"ready"})";
  }
}

void metrics_text(request_context& ctx, const system_state& state) {
  ctx.res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  ctx.res.body = state.stats->render();
}

void openapi(request_context& ctx, const system_state& state) { ctx.res.body = state.openapi; }

void ping(request_context& ctx, const system_state&) { ctx.res.body = ping_body; }

}  // namespace

std::vector<route_spec> system_routes(const system_state& state) {
  return {
      {http::verb::get, "/livez", handler_for(state, livez)},
      {http::verb::get, "/readyz", handler_for(state, readyz)},
      {http::verb::get, "/metrics", handler_for(state, metrics_text)},
      {http::verb::get, "/openapi.json", handler_for(state, openapi)},
      {http::verb::get, "/api/v1/ping", handler_for(state, ping)},
  };
}

}  // namespace zhiyuan::server
