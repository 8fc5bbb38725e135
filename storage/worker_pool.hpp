#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/connection>
#include <pqxx/except>

#include "storage/histogram.hpp"

namespace zhiyuan::storage {

/// A bounded pool of threads for work that must not run on an I/O thread: password hashing
/// and queries. Each thread owns a PostgreSQL connection (opened on first use, reopened after
/// it breaks). A full queue refuses work at once, so callers can answer 503.
class worker_pool {
 public:
  /// The job gets its thread's connection (connected; nullptr if the pool has no database).
  /// An exception escaping a job is the job's bug: it is swallowed after the connection is
  /// checked, so jobs must report their own failures.
  using job = std::function<void(pqxx::connection* conn)>;

  worker_pool(std::string name, unsigned threads, std::size_t max_queue, std::string conninfo);
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  ~worker_pool();

  /// Queues `j`; false when the queue is full or the pool is stopping.
  bool try_post(job j);
  /// Finishes queued jobs, then joins the threads.
  void stop();

  std::size_t queued() const;

  /// Called from inside a job after its connection broke (pqxx::broken_connection): replaces
  /// the calling pool thread's connection with a fresh one and returns it, or nullptr when it
  /// cannot connect (or the caller is no pool thread). After a failover every pooled
  /// connection is dead; a reader retries once on the new one instead of answering 503.
  static pqxx::connection* reopen_connection();

  /// `fn(conn)`'s result, retried once on a fresh connection when the connection broke
  /// (a failover, a restart). Safe: a transaction that lost its connection did not commit (a
  /// lost COMMIT is pqxx::in_doubt_error, which is not retried). nullopt when `fn` threw.
  template <typename R, typename Fn>
  static std::optional<R> call_retrying(Fn& fn, pqxx::connection* conn) {
    try {
      return fn(conn);
    } catch (const pqxx::broken_connection&) {
      if (auto* fresh = reopen_connection()) {
        try {
          return fn(fresh);
        } catch (...) {
        }
      }
    } catch (...) {
    }
    return std::nullopt;
  }
  const std::string& name() const noexcept { return name_; }

  /// Prometheus text of the zhiyuan_pool_* metrics, one series per pool (label `pool`: name).
  static std::string render_metrics(std::span<const worker_pool* const> pools);

 private:
  void run();

  std::string name_;
  std::size_t max_queue_;
  std::string conninfo_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  struct queued_job {
    job run;
    std::chrono::steady_clock::time_point queued_at;
  };
  std::deque<queued_job> queue_;
  std::size_t thread_count_;
  std::atomic<std::uint64_t> rejected_{0};
  histogram wait_{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}, 1e6};
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace zhiyuan::storage
