#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/embedded_cluster.hpp"

namespace zhiyuan::storage {

/// Where the data lives: an external server (`url`) or the embedded cluster.
struct database_config {
  std::string url;            ///< libpq URI or conninfo; empty: embedded cluster
  embedded_options embedded;  ///< used only when `url` is empty
};

/// The database zhiyuan talks to. With no URL it starts (or reuses) the embedded cluster
/// and stops it again on `stop()` if it started it; with a URL it starts nothing.
class database {
 public:
  explicit database(database_config config);
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  const std::string& connection_string() const noexcept { return conninfo_; }
  bool is_embedded() const noexcept { return cluster_ != nullptr; }
  /// Applies pending migrations; returns how many were applied.
  std::size_t migrate();
  /// Stops the embedded cluster if this process started it.
  void stop();

 private:
  std::unique_ptr<embedded_cluster> cluster_;
  std::string conninfo_;
};

/// `conninfo` (a postgresql:// URI or key=value conninfo) that signs in as database user
/// `user` instead (the last `user` wins in libpq), everything else kept: the server's
/// connections as the application role of migration 0009. A password in `conninfo` would be
/// reused: give the role's own URL (database.app_url) instead. Empty `user`: unchanged.
std::string as_user(const std::string& conninfo, const std::string& user);

/// `conninfo` with `key=value` added, in the form the string is written in (a URI's query or
/// a conninfo's keyword list; the last occurrence wins in libpq).
std::string with_parameter(const std::string& conninfo, const std::string& key,
                           const std::string& value);

/// Probes the database from its own thread so that `/readyz` answers from memory and never
/// blocks an I/O thread on the network.
class health_monitor {
 public:
  health_monitor(std::string conninfo, std::chrono::milliseconds interval);
  health_monitor(const health_monitor&) = delete;
  health_monitor& operator=(const health_monitor&) = delete;
  ~health_monitor();

  /// Whether the last probe reached the database.
  bool reachable() const noexcept { return reachable_.load(std::memory_order_relaxed); }
  /// Probes once now, on the calling thread (used at start-up).
  bool probe_now();

 private:
  void run();

  std::string conninfo_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> reachable_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zhiyuan::storage
