#pragma once

#include <functional>
#include <vector>

#include "server/config.hpp"
#include "server/http/listener.hpp"
#include "server/http/system_routes.hpp"

namespace zhiyuan::server {

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it creates later, so
/// that only `wait_and_drain` receives them. Call first thing in main.
void block_shutdown_signals();

/// Waits for SIGINT or SIGTERM, then shuts down in order: /readyz turns 503, the drain
/// delay passes (a second signal cuts it short), the listener closes, in-flight requests
/// finish (bounded by shutdown_timeout), `flush_hooks` run (pending writes), the I/O
/// threads stop. Returns the signal number received.
int wait_and_drain(http_server& server, system_state& state, const server_settings& settings,
                   const std::vector<std::function<void()>>& flush_hooks);

}  // namespace zhiyuan::server
