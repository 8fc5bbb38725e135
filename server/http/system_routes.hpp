#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "server/http/metrics.hpp"
#include "server/http/router.hpp"

namespace zhiyuan::server {

/// What the operational endpoints look at. Filled in by main before serving starts;
/// `draining` flips once on SIGTERM.
struct system_state {
  std::atomic<bool> draining{false};
  std::function<bool()> database_reachable;
  const metrics* stats = nullptr;
  std::string openapi;  ///< serialised once at start-up
};

/// GET /livez, /readyz, /metrics, /openapi.json and /api/v1/ping.
std::vector<route_spec> system_routes(const system_state& state);

/// The body of GET /api/v1/ping, also served by nginx in bench/ping_vs_nginx.sh.
inline constexpr std::string_view ping_body = R"({"pong":true})";

}  // namespace zhiyuan::server
