// zhiyuan-server: wires configuration, storage and the HTTP server together. The only file
// that constructs both server/ and storage/ objects (STYLE.md); keep it short.
#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "server/admin/context.hpp"
#include "server/admin/gate.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/receipts.hpp"
#include "server/candidate/snapshots.hpp"
#include "server/config.hpp"
#include "server/http/listener.hpp"
#include "server/http/log.hpp"
#include "server/http/metrics.hpp"
#include "server/http/openapi.hpp"
#include "server/http/router.hpp"
#include "server/http/system_routes.hpp"
#include "server/lifecycle.hpp"
#include "server/login_guard.hpp"
#include "server/maintenance.hpp"
#include "server/route_docs.hpp"
#include "server/schedule_config.hpp"
#include "storage/admin_ops_store.hpp"
#include "storage/admin_store.hpp"
#include "storage/auth_store.hpp"
#include "storage/candidate_store.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/database.hpp"
#include "storage/reference_data.hpp"
#include "storage/worker_pool.hpp"
#include "storage/write_path.hpp"

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

storage::write_path_options writer_options(const server::writer_settings& w,
                                           std::int64_t candidate_capacity) {
  storage::write_path_options o;
  // Fewer writers make larger batches: a transaction's fixed cost (round trips, the WAL flush)
  // is shared by more writes. One writer per four cores leaves the cores to the I/O threads and
  // PostgreSQL (bench/RESULTS.md, issue 4: one writer 4,834/s, two 4,316/s on two cores).
  o.writers = w.writers != 0 ? w.writers : std::max(1u, std::thread::hardware_concurrency() / 4);
  o.max_batch = w.max_batch;
  o.max_delay = w.max_delay;
  o.max_in_flight = w.max_in_flight;
  o.max_queue_per_writer = w.max_queue_per_writer;
  o.candidate_capacity = candidate_capacity;
  o.log = [](std::string_view message) {
    server::log_event(spdlog::level::warn, "writer", {{"message", message}});
  };
  return o;
}

int serve(const server::config& cfg) {
  storage::database db(storage_config(cfg.database));
  const auto applied = db.migrate();
  // Migrated as the owner; everything after signs in as the application role.
  const std::string conninfo = cfg.database.app_url.empty()
                                   ? storage::as_user(db.connection_string(), cfg.database.app_role)
                                   : cfg.database.app_url;
  storage::health_monitor health(conninfo, cfg.database.health_interval);
  health.probe_now();

  server::candidate_api_context api;
  // Read before the snapshots: an import applied meanwhile is reloaded at the first refresh.
  auto imports_seen = storage::applied_imports(conninfo);
  const auto data = storage::load_filing_data(conninfo);
  api.catalog.store(data.catalog);
  api.reference.store(storage::load_reference_data(conninfo));
  core::popularity_index loaded;
  if (const auto bad = storage::load_popularity(conninfo, *data.directory, loaded)) {
    server::log_event(spdlog::level::warn, "popularity_rows_skipped",
                      {{"rows", fmt::format("{}", bad)}, {"reason", "choices do not decode"}});
  }
  server::shared_popularity popularity(std::move(loaded));
  api.popularity = &popularity;
  api.directory = data.directory;
  // The file's timetable until the province changes it; then the newest stored revision.
  api.schedule.set(server::load_schedule(cfg.filing.schedule_file), 0);
  const auto refresh_schedule = server::schedule_refresh_task(
      api.schedule, [&conninfo]() -> std::optional<server::stored_schedule> {
        auto s = storage::latest_schedule(conninfo);
        if (!s) return std::nullopt;
        return server::stored_schedule{s->revision, std::move(s->document)};
      });
  refresh_schedule();
  server::snapshot_refresher snapshots(conninfo, api, std::move(imports_seen));
  api.clock_offset_seconds = cfg.filing.clock_offset_seconds;
  api.write_deadline = cfg.writer.deadline;
  api.session_absolute = cfg.auth.session_absolute;
  api.save_password_memo = cfg.auth.save_password_memo;
  const auto common = core::common_passwords::parse(
      cfg.auth.common_passwords_file.empty()
          ? std::string(server::shipped_common_passwords())
          : server::read_text_file(cfg.auth.common_passwords_file, "auth.common_passwords_file"));
  api.common_passwords = &common;
  const auto signer = server::receipt_signer::load_or_create(
      cfg.auth.receipt_key_file.empty() ? cfg.database.var_dir + "/receipt.key"
                                        : cfg.auth.receipt_key_file);
  api.signer = &signer;
  server::login_guard guard(cfg.auth.login_ip_per_minute);
  api.guard = &guard;
  server::session_table sessions(std::chrono::seconds(cfg.auth.session_idle).count());
  for (const auto& s : storage::load_live_sessions(conninfo, api.now_seconds())) {
    // A restart counts as activity: the idle timer starts afresh (last_seen is not written back
    // on every request), the absolute expiry stays.
    sessions.insert(s.hash,
                    {s.candidate_id, s.expires_at, api.now_seconds(), s.passwords_set, s.pledged});
  }
  api.sessions = &sessions;
  storage::write_path writes(conninfo, writer_options(cfg.writer, data.directory->id_bound()));
  writes.start();
  api.writes = &writes;
  storage::worker_pool auth_pool("auth", cfg.auth.hash_threads, cfg.auth.hash_queue, conninfo);
  api.auth_pool = &auth_pool;
  storage::worker_pool reads("reads", cfg.database.read_threads, cfg.database.read_queue, conninfo);
  api.reads = &reads;
  server::log_event(spdlog::level::info, "database_ready",
                    {{"embedded", db.is_embedded() ? "true" : "false"},
                     {"migrations_applied", fmt::format("{}", applied)},
                     {"candidates", fmt::format("{}", data.directory->size())},
                     {"groups", fmt::format("{}", data.catalog->groups().size())},
                     {"sessions", fmt::format("{}", sessions.size())},
                     {"receipt_key_id", signer.key_id()}});

  // Housekeeping: the drill's data goes when the drill ends (checked before serving, then each
  // minute), and expired sessions leave memory.
  server::maintenance chores(std::chrono::seconds(60));
  const auto drill_close = [&api] { return api.schedule.get()->drill.close; };
  chores.add("drill_purge", server::drill_purge_task(
                                drill_close, [&api] { return api.now_seconds(); },
                                [&conninfo, drill_close] {
                                  return storage::purge_drill_data(conninfo, drill_close());
                                }));
  chores.add("session_sweep", [&api, &sessions] { sessions.sweep(api.now_seconds()); });
  chores.start();
  // Every few seconds: what other nodes changed, and the filing counters' deltas folded (readers
  // add the deltas not folded yet, so statistics stay exact and their reads stay short).
  server::maintenance schedule_watch(std::chrono::seconds(cfg.filing.schedule_refresh_seconds));
  schedule_watch.add("schedule_refresh", refresh_schedule);
  schedule_watch.add("snapshots_refresh", [&snapshots] { snapshots.refresh(); });
  schedule_watch.add("filing_counts_fold", [&conninfo] { storage::fold_filing_counts(conninfo); });
  schedule_watch.start();

  server::system_state state;
  state.database_reachable = [&health] { return health.reachable(); };
  auto table = server::system_routes(state);
  for (auto& r : server::candidate_routes(api)) table.push_back(std::move(r));
  server::login_guard admin_guard(cfg.admin.login_ip_per_minute);
  server::admin_api_context admin{&reads,
                                  &auth_pool,
                                  &admin_guard,
                                  &sessions,
                                  &common,
                                  server::split_networks(cfg.admin.trusted_networks),
                                  cfg.admin.session_idle_seconds,
                                  static_cast<int>(cfg.admin.export_page_rows),
                                  [&api] { return api.now_micros(); }};
  admin.schedule = &api.schedule;
  admin.refresh_snapshots = [&snapshots] { return snapshots.refresh(); };
  admin.reminder_interval_seconds = cfg.admin.reminder_interval_seconds;
  admin.document_max_bytes = cfg.admin.document_max_bytes;
  admin.import_max_bytes = cfg.admin.import_max_bytes;
  admin.import_max_rows = cfg.admin.import_max_rows;
  for (auto& r : server::admin_routes(admin)) table.push_back(std::move(r));
  for (auto& r : server::admin_ops_routes(admin)) table.push_back(std::move(r));
  const server::router routes(std::move(table));
  server::metrics stats(routes.names());
  stats.add_exporter(
      [](const void* w) { return static_cast<const storage::write_path*>(w)->render_metrics(); },
      &writes);
  state.stats = &stats;
  state.openapi = server::build_openapi(routes, server::route_docs());

  server::http_server http(cfg.server, routes, stats);
  http.access_log = cfg.log.access;
  // Browsing yields to submissions once the write path is past half its capacity.
  http.shed_browsing = [&writes, half = cfg.writer.max_in_flight / 2] {
    return writes.in_flight() > half;
  };
  http.admit_upload = [&admin](std::string_view authorization) {
    return server::admin_http::admit_upload(admin, authorization);
  };
  http.start();
  server::log_event(spdlog::level::info, "listening",
                    {{"address", fmt::format("{}:{}", cfg.server.host, http.port())}});
  server::wait_and_drain(http, state, cfg.server, {[&] {
                           writes.drain_and_stop(cfg.server.shutdown_timeout);
                           auth_pool.stop();
                           reads.stop();
                         }});
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
