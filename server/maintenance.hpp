#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/schedule.hpp"
#include "server/schedule_holder.hpp"

namespace zhiyuan::server {

/// Housekeeping on a thread of its own: each task runs once at `start` and then every
/// `interval` until the object is destroyed. A task that throws is logged and runs again at
/// the next tick.
class maintenance {
 public:
  explicit maintenance(std::chrono::seconds interval) : interval_(interval) {}
  maintenance(const maintenance&) = delete;
  maintenance& operator=(const maintenance&) = delete;
  ~maintenance();

  void add(std::string name, std::function<void()> task);
  /// Runs every task once on the calling thread, then starts the periodic thread.
  void start();

 private:
  void run_all();

  std::chrono::seconds interval_;
  std::vector<std::pair<std::string, std::function<void()>>> tasks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

/// The drill's data (模拟演练) is purged once the drill window has closed: a task for
/// `maintenance` that purges once per process when the filing clock `now()` is past the drill,
/// with `purge` deleting and returning the rows gone (storage::purge_drill_data; server/ holds
/// no SQL). Run at start before the server listens, nobody ever reads stale drill rows.
std::function<void()> drill_purge_task(std::function<core::unix_seconds()> drill_close,
                                       std::function<std::int64_t()> now,
                                       std::function<std::int64_t()> purge);

/// A stored schedule revision: number and JSON document (storage::latest_schedule).
struct stored_schedule {
  std::int64_t revision = 0;
  std::string document;
};

/// Puts the newest stored schedule (`latest`, nullopt: none stored) into `holder` when it is
/// newer than the one in force; a stored document that no longer passes the rules is logged
/// and skipped. For a `maintenance` of a few seconds' interval: every node follows a change
/// made through the admin API on any node without a restart. `reloaded(ok)` (optional) hears of
/// each newer revision taken (true) or refused, and of each failed read (false).
std::function<void()> schedule_refresh_task(schedule_holder& holder,
                                            std::function<std::optional<stored_schedule>()> latest,
                                            std::function<void(bool ok)> reloaded = {});

}  // namespace zhiyuan::server
