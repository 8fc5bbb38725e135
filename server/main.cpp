// zhiyuan-server: wires configuration, storage and the HTTP server together. The only file
// that constructs both server/ and storage/ objects (STYLE.md); keep it short.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/admission.hpp"
#include "server/admin/context.hpp"
#include "server/admin/gate.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/receipts.hpp"
#include "server/candidate/session.hpp"
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
#include "server/node_metrics.hpp"
#include "server/route_docs.hpp"
#include "server/schedule_config.hpp"
#include "server/session_sync.hpp"
#include "server/web/routes.hpp"
#include "storage/admin_ops_store.hpp"
#include "storage/admin_store.hpp"
#include "storage/auth_store.hpp"
#include "storage/candidate_store.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/database.hpp"
#include "storage/notification_listener.hpp"
#include "storage/reference_data.hpp"
#include "storage/session_store.hpp"
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
  o.max_wait = w.max_wait;
  o.candidate_capacity = candidate_capacity;
  o.log = [](std::string_view message) {
    server::log_event(spdlog::level::warn, "writer", {{"message", message}});
  };
  return o;
}

// Filing data and settings of the candidate API: catalog, reference data, directory, the
// timetable of the file (until the province changes it), clock and limits.
void load_filing_state(server::candidate_api_context& api, const storage::filing_data& data,
                       const std::string& conninfo, const server::config& cfg) {
  api.catalog.store(data.catalog);
  api.reference.store(storage::load_reference_data(conninfo));
  api.directory.store(data.directory);
  api.schedule.set(server::load_schedule(cfg.filing.schedule_file), 0);
  api.clock_offset_seconds = cfg.filing.clock_offset_seconds;
  api.write_deadline = cfg.writer.deadline;
  api.session_absolute = cfg.auth.session_absolute;
  api.save_password_memo = cfg.auth.save_password_memo;
}

core::popularity_index load_popularity(const std::string& conninfo,
                                       const storage::candidate_directory& directory) {
  core::popularity_index loaded;
  if (const auto bad = storage::load_popularity(conninfo, directory, loaded)) {
    server::log_event(spdlog::level::warn, "popularity_rows_skipped",
                      {{"rows", fmt::format("{}", bad)}, {"reason", "choices do not decode"}});
  }
  return loaded;
}

// Popularity counts every node's commits (issue 17): loaded whole at start, then refreshed
// from the database every few seconds. The cursor is read before the load, so that nothing
// committed between the two is missed (what is read twice is recorded twice, harmlessly).
struct popularity_links {
  popularity_links(const std::string& conninfo, server::candidate_api_context& api,
                   const storage::candidate_directory& directory)
      : cursor(storage::popularity_changes_since(conninfo, 0).second),
        index(load_popularity(conninfo, directory)),
        refresher(
            index,
            [&conninfo, this](std::int64_t at, const storage::popularity_wanted& wanted) {
              return storage::popularity_changes_since(conninfo, at != 0 ? at : cursor, wanted);
            },
            [&api](std::int64_t id) {
              const auto who = api.candidate(id);
              return who ? who->score : 0;
            }) {
    api.popularity = &index;
  }
  std::int64_t cursor;
  server::shared_popularity index;
  server::popularity_refresher refresher;
};

core::common_passwords load_common_passwords(const server::auth_settings& a) {
  return core::common_passwords::parse(
      a.common_passwords_file.empty()
          ? std::string(server::shipped_common_passwords())
          : server::read_text_file(a.common_passwords_file, "auth.common_passwords_file"));
}

// Sessions survive a restart. A restart counts as activity: the idle timer starts afresh
// (last_seen is not written back on every request), the absolute expiry stays.
void restore_sessions(server::session_table& sessions, const std::string& conninfo,
                      std::int64_t now) {
  for (const auto& s : storage::load_live_sessions(conninfo, now)) {
    sessions.insert(s.hash, {s.candidate_id, s.expires_at, now, s.passwords_set, s.pledged});
  }
}

// The sign-in abuse model's defaults with the configured address budget.
core::sign_in_policy sign_in_policy(const server::auth_settings& a) {
  core::sign_in_policy p;
  p.address_failure_burst = a.login_failures_per_address;
  p.address_failures_per_minute = a.login_failures_per_address / 6.0;
  return p;
}

server::admin_api_context admin_context(const server::admin_settings& a,
                                        server::candidate_api_context& api,
                                        storage::worker_pool& reads, storage::worker_pool& hashing,
                                        server::login_guard& guard) {
  server::admin_api_context admin{&reads,
                                  &hashing,
                                  nullptr,  // replica: serve() sets it (database.replica_url)
                                  &guard,
                                  api.sessions,
                                  api.common_passwords,
                                  server::split_networks(a.trusted_networks),
                                  a.session_idle_seconds,
                                  static_cast<int>(a.export_page_rows),
                                  [&api] { return api.now_micros(); }};
  admin.schedule = &api.schedule;
  admin.clock_offset_seconds = api.clock_offset_seconds;
  admin.reminder_interval_seconds = a.reminder_interval_seconds;
  admin.document_max_bytes = a.document_max_bytes;
  admin.import_max_bytes = a.import_max_bytes;
  admin.import_max_rows = a.import_max_rows;
  return admin;
}

std::vector<server::route_spec> route_table(const server::system_state& state,
                                            server::candidate_api_context& api,
                                            server::admin_api_context& admin,
                                            const server::web::web_context& web) {
  auto table = server::system_routes(state);
  for (auto& r : server::candidate_routes(api)) table.push_back(std::move(r));
  for (auto& r : server::admin_routes(admin)) table.push_back(std::move(r));
  for (auto& r : server::admin_ops_routes(admin)) table.push_back(std::move(r));
  for (auto& r : server::web::web_routes(web)) table.push_back(std::move(r));
  server::web::add_browser_headers(table, web);
  return table;
}

// What keeps a node in step with the fleet (issue 17): what other nodes revoke or change in
// sessions is heard on the sessions channel (each (re)connect of the listener catches up on
// what it may have missed), and sign-in throttles are counted in the database.
struct fleet_links {
  fleet_links(const std::string& conninfo, server::candidate_api_context& api,
              const core::sign_in_policy& policy)
      : feed(conninfo),
        listener(
            conninfo, storage::sessions_channel(),
            [&api](std::string_view p) { server::apply_session_notice(*api.sessions, p); },
            [this, &api] { server::catch_up_after_gap(*api.sessions, feed); }),
        guard(policy) {
    api.fleet_guard = &guard;
  }
  storage::session_feed feed;
  storage::notification_listener listener;
  server::fleet_login_guard guard;
};

// Housekeeping. Each minute: the drill's data goes when the drill ends (checked before serving
// too), and expired sessions leave memory. Every few seconds (`watch`): what other nodes changed
// (timetable, snapshots), and the filing counters' deltas folded (readers add the deltas not
// folded yet, so statistics stay exact and their reads stay short).
void add_housekeeping(server::maintenance& chores, server::maintenance& watch,
                      server::candidate_api_context& api, const std::string& conninfo,
                      std::function<void()> refresh_schedule, server::snapshot_refresher& snapshots,
                      fleet_links& fleet, popularity_links& popularity) {
  const auto drill_close = [&api] { return api.schedule.get()->drill.close; };
  chores.add("drill_purge", server::drill_purge_task(
                                drill_close, [&api] { return api.now_seconds(); },
                                [&conninfo, drill_close] {
                                  return storage::purge_drill_data(conninfo, drill_close());
                                }));
  chores.add("session_sweep", [&api] { api.sessions->sweep(api.now_seconds()); });
  watch.add("schedule_refresh", std::move(refresh_schedule));
  watch.add("snapshots_refresh", [&snapshots] { snapshots.refresh(); });
  watch.add("filing_counts_fold", [&conninfo] { storage::fold_filing_counts(conninfo); });
  chores.add("throttle_purge",
             [&api, &fleet, &conninfo] { fleet.guard.purge(conninfo, api.now_micros()); });
  watch.add("popularity_refresh", [&popularity] { popularity.refresher.refresh(); });
  watch.add("session_catch_up", [&api, &fleet] {
    server::catch_up_revocations(*api.sessions, fleet.feed);
    server::catch_up_accounts(*api.sessions, fleet.feed);
  });
  watch.add("idle_timers_write_back",
            [&api, &fleet] { server::write_back_idle_timers(*api.sessions, fleet.feed); });
}

// What /metrics shows beyond the transport: the write path, both worker pools, the node's own
// figures (sign-ins, reloads, what it serves, readiness, live sessions).
void add_node_metrics(server::metrics& stats, server::node_metrics& node,
                      const storage::write_path& writes,
                      const std::array<const storage::worker_pool*, 2>& pools) {
  stats.add_exporter(
      [](const void* w) { return static_cast<const storage::write_path*>(w)->render_metrics(); },
      &writes);
  stats.add_exporter(
      [](const void* p) {
        return storage::worker_pool::render_metrics(
            *static_cast<const std::array<const storage::worker_pool*, 2>*>(p));
      },
      &pools);
  stats.add_exporter(
      [](const void* n) { return static_cast<const server::node_metrics*>(n)->render(); }, &node);
}

// Live sessions of the fleet, counted in the database (a gauge: each node reports the same).
std::function<void()> count_sessions_task(server::node_metrics& node, fleet_links& fleet,
                                          const server::config& cfg) {
  return [&node, &fleet, &cfg] {
    const auto [candidates, admins] =
        fleet.feed.live_sessions(std::chrono::seconds(cfg.auth.session_idle).count(),
                                 static_cast<std::int64_t>(cfg.admin.session_idle_seconds));
    node.sessions_active[0].store(candidates, std::memory_order_relaxed);
    node.sessions_active[1].store(admins, std::memory_order_relaxed);
  };
}

// Serves until SIGTERM or SIGINT, then drains (`stop_writes` flushes what was admitted).
void serve_http(const server::config& cfg, const server::router& routes, server::metrics& stats,
                server::system_state& state, server::candidate_api_context& api,
                server::admin_api_context& admin, const storage::write_path& writes,
                std::function<void()> stop_writes) {
  server::http_server http(cfg.server, routes, stats);
  http.access_log = cfg.log.access;
  // Browsing yields to submissions once the write path is past half its capacity, or once a
  // write admitted now would wait past browsing's share of writer.max_wait: the CPU that
  // browsing takes on the I/O threads goes to the writers and PostgreSQL instead.
  http.shed_browsing = [&writes, half = cfg.writer.max_in_flight / 2] {
    return writes.in_flight() > half || !writes.admits(core::work_class::browse);
  };
  http.admit_upload = [&admin](std::string_view authorization) {
    return server::admin_http::admit_upload(admin, authorization);
  };
  // A token this node does not cache is looked up on the read pool, never on an I/O thread.
  http.wants_prelude = [&api](const server::request_context& ctx) {
    return server::needs_session_lookup(ctx, api);
  };
  http.prelude = [&api](server::request_context& ctx) { return server::look_up_session(ctx, api); };
  http.start();
  server::log_event(spdlog::level::info, "listening",
                    {{"address", fmt::format("{}:{}", cfg.server.host, http.port())},
                     {"transport", http.transport()}});
  server::wait_and_drain(http, state, cfg.server, {std::move(stop_writes)});
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
  load_filing_state(api, data, conninfo, cfg);
  popularity_links popularity(conninfo, api, *data.directory);
  // The newest stored timetable wins over the file's, now and whenever another node stores one.
  server::node_metrics node;
  node.schedule_revision = [&api] { return api.schedule.revision(); };
  const auto refresh_schedule = server::schedule_refresh_task(
      api.schedule,
      [&conninfo]() -> std::optional<server::stored_schedule> {
        auto s = storage::latest_schedule(conninfo);
        if (!s) return std::nullopt;
        return server::stored_schedule{s->revision, std::move(s->document)};
      },
      [&node](bool ok) { node.reloaded(server::snapshot_kind::schedule, ok); });
  refresh_schedule();
  // Reads that may trail the primary by the standby's replay lag (database.replica_url).
  const std::string replica_conninfo =
      cfg.database.replica_url.empty() ? conninfo : cfg.database.replica_url;
  server::snapshot_refresher snapshots(conninfo, replica_conninfo, api, std::move(imports_seen),
                                       &node);
  const auto common = load_common_passwords(cfg.auth);
  api.common_passwords = &common;
  const auto signer = server::receipt_signer::load_or_create(
      cfg.auth.receipt_key_file.empty() ? cfg.database.var_dir + "/receipt.key"
                                        : cfg.auth.receipt_key_file);
  api.signer = &signer;
  node.receipt_key_id = signer.key_id();
  const auto policy = sign_in_policy(cfg.auth);
  server::login_guard guard(cfg.auth.login_ip_per_minute, policy);
  api.guard = &guard;
  server::session_table sessions(std::chrono::seconds(cfg.auth.session_idle).count());
  restore_sessions(sessions, conninfo, api.now_seconds());
  api.sessions = &sessions;
  fleet_links fleet(conninfo, api, policy);
  storage::write_path writes(conninfo, writer_options(cfg.writer, data.directory->id_bound()));
  writes.start();
  api.writes = &writes;
  // Niced hashing threads give way under load; one more thread at normal priority takes the
  // submissions' save-password checks, which must not give way.
  storage::worker_pool auth_pool("auth", cfg.auth.hash_threads, cfg.auth.hash_queue, conninfo,
                                 {cfg.auth.hash_max_wait, static_cast<int>(cfg.auth.hash_nice),
                                  cfg.auth.hash_nice > 0 ? 1U : 0U});
  api.auth_pool = &auth_pool;
  storage::worker_pool reads("reads", cfg.database.read_threads, cfg.database.read_queue, conninfo,
                             {cfg.database.read_max_wait});
  api.reads = &reads;
  server::log_event(spdlog::level::info, "database_ready",
                    {{"embedded", db.is_embedded() ? "true" : "false"},
                     {"migrations_applied", fmt::format("{}", applied)},
                     {"candidates", fmt::format("{}", data.directory->size())},
                     {"groups", fmt::format("{}", data.catalog->groups().size())},
                     {"sessions", fmt::format("{}", sessions.size())},
                     {"receipt_key_id", signer.key_id()}});

  server::maintenance chores(std::chrono::seconds(60));
  server::maintenance watch(std::chrono::seconds(cfg.filing.schedule_refresh_seconds));
  add_housekeeping(chores, watch, api, conninfo, refresh_schedule, snapshots, fleet, popularity);
  chores.add("sessions_count", count_sessions_task(node, fleet, cfg));
  chores.start();
  watch.start();

  server::system_state state;
  state.database_reachable = [&health] { return health.reachable(); };
  node.database_up = state.database_reachable;
  node.ready = [&state] {
    return !state.draining.load(std::memory_order_relaxed) && state.database_reachable();
  };
  server::login_guard admin_guard(cfg.admin.login_ip_per_minute);
  auto admin = admin_context(cfg.admin, api, reads, auth_pool, admin_guard);
  std::optional<storage::worker_pool> replica_reads;
  if (!cfg.database.replica_url.empty()) {
    replica_reads.emplace("replica", 2, cfg.database.read_queue, replica_conninfo);
    admin.replica = &*replica_reads;
  }
  admin.refresh_snapshots = [&snapshots] { return snapshots.refresh(); };
  server::web::web_context web;
  try {
    web.cors_origins = server::web::parse_origins(cfg.web.cors_origins);
  } catch (const std::invalid_argument& e) {
    throw server::config_error("server.cors_origins", e.what());
  }
  web.site = server::web::static_site::load(cfg.web.root);
  server::log_event(spdlog::level::info, "web_root",
                    {{"path", cfg.web.root}, {"files", fmt::format("{}", web.site.size())}});
  auto table = route_table(state, api, admin, web);
  server::count_sign_ins(table, server::http::verb::post, "/api/v1/auth/login",
                         server::audience::candidate, node);
  server::count_sign_ins(table, server::http::verb::post, "/api/v1/admin/auth/login",
                         server::audience::admin, node);
  const server::router routes(std::move(table));
  server::metrics stats(routes.names());
  const std::array<const storage::worker_pool*, 2> pools{&auth_pool, &reads};
  add_node_metrics(stats, node, writes, pools);
  state.stats = &stats;
  state.openapi = server::build_openapi(routes, server::route_docs());

  serve_http(cfg, routes, stats, state, api, admin, writes, [&] {
    writes.drain_and_stop(cfg.server.shutdown_timeout);
    auth_pool.stop();
    reads.stop();
    if (replica_reads) replica_reads->stop();
  });
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
