// zhiyuan-server: wires configuration, storage and the HTTP server together. The only file
// that knows both server/ and storage/ (STYLE.md); keep it short.
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "server/config.hpp"
#include "server/lifecycle.hpp"
#include "server/listener.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/openapi.hpp"
#include "server/router.hpp"
#include "server/system_routes.hpp"
#include "storage/database.hpp"

namespace {

using namespace zhiyuan;

storage::database_config storage_config(const server::database_settings& d) {
  storage::database_config c;
  c.url = d.url;
  c.embedded.var_dir = d.var_dir;
  c.embedded.os_user = d.embedded_user;
  c.embedded.bin_dir = d.pg_bin_dir;
  c.embedded.shared_buffers = d.shared_buffers;
  return c;
}

int serve(const server::config& cfg) {
  storage::database db(storage_config(cfg.database));
  const auto applied = db.migrate();
  server::log_event(spdlog::level::info, "database_ready",
                    {{"embedded", db.is_embedded() ? "true" : "false"},
                     {"migrations_applied", fmt::format("{}", applied)}});
  storage::health_monitor health(db.connection_string(), cfg.database.health_interval);
  health.probe_now();

  server::system_state state;
  state.database_reachable = [&health] { return health.reachable(); };
  const server::router routes(server::system_routes(state));
  server::metrics stats(routes.names());
  state.stats = &stats;
  state.openapi = server::build_openapi(routes);

  server::http_server http(cfg.server, routes, stats);
  http.access_log = cfg.log.access;
  http.start();
  server::log_event(spdlog::level::info, "listening",
                    {{"address", fmt::format("{}:{}", cfg.server.host, http.port())}});
  server::wait_and_drain(http, state, cfg.server, {});
  db.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  server::block_shutdown_signals();
  std::optional<server::config> cfg;
  try {
    cfg = server::load_config(argc, argv);
    if (!cfg) return 0;
    server::init_logging(cfg->log.level);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zhiyuan-server: configuration error: %s\n", e.what());
    return 2;
  }
  const auto effective = server::describe(*cfg);
  std::vector<server::log_field> fields;
  for (const auto& [key, value] : effective) fields.push_back({key, value});
  server::log_event(spdlog::level::info, "config", fields);
  try {
    return serve(*cfg);
  } catch (const std::exception& e) {
    server::log_event(spdlog::level::critical, "startup_failed", {{"error", e.what()}});
    return 1;
  }
}
