#pragma once

#include <filesystem>
#include <string>

namespace zhiyuan::storage {

/// Settings for the private PostgreSQL cluster used when no `database.url` is configured.
struct embedded_options {
  std::filesystem::path var_dir = "var";  ///< cluster lives in <var_dir>/pg
  std::string os_user = "postgres";       ///< unprivileged account to run as when we are root
  std::filesystem::path bin_dir;          ///< initdb/pg_ctl location; empty: auto-detect
  std::string database = "zhiyuan";
  std::string shared_buffers = "512MB";
  int max_connections = 200;
  int start_timeout_seconds = 60;
};

/// A private PostgreSQL cluster under `<var_dir>/pg`, reachable only on a Unix socket.
///
/// `ensure_running` creates the cluster (initdb) or reuses it, starts it with `pg_ctl`
/// unless another process already did, waits until it accepts connections and creates the
/// database. Only the instance that started the server stops it (`stop`, or destruction).
/// Concurrent starts on the same var/ are serialised with a file lock.
class embedded_cluster {
 public:
  explicit embedded_cluster(embedded_options options);
  embedded_cluster(const embedded_cluster&) = delete;
  embedded_cluster& operator=(const embedded_cluster&) = delete;
  ~embedded_cluster();

  /// Starts or reuses the cluster; throws std::runtime_error with a clear message.
  void ensure_running();
  /// Stops the server if this instance started it. Safe to call twice.
  void stop();
  /// Leaves the server running when this object goes away (for `zhiyuan-dbctl start`).
  void detach() noexcept { started_by_us_ = false; }
  /// Stops the server whoever started it (for `zhiyuan-dbctl stop`); no-op if not running.
  void stop_any();

  /// libpq connection string for the application database.
  std::string connection_string() const;
  /// libpq connection string for the maintenance database `postgres`.
  std::string admin_connection_string() const;
  bool started_by_us() const noexcept { return started_by_us_; }
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }
  const std::filesystem::path& socket_dir() const noexcept { return socket_dir_; }

 private:
  // Follows var/pg when it links to a cluster kept elsewhere (see ensure_running).
  void resolve_root();
  void init_cluster();
  bool is_running() const;
  void create_database();

  embedded_options options_;
  std::filesystem::path root_;        // <var_dir>/pg, absolute
  std::filesystem::path data_dir_;    // <root>/data
  std::filesystem::path socket_dir_;  // <root>/run
  std::filesystem::path bin_dir_;
  bool started_by_us_ = false;
};

}  // namespace zhiyuan::storage
