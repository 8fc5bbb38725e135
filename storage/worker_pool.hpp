#pragma once

#include <array>
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

#include "core/admission.hpp"
#include "storage/histogram.hpp"

namespace zhiyuan::storage {

/// How a pool admits work beyond its queue cap: by the wait a new job would have.
struct pool_admission {
  /// A job is refused at once when the queue ahead of it would keep it waiting longer than
  /// this (core::expected_wait_us); 0: the queue cap alone.
  std::chrono::microseconds max_wait{0};
  /// The threads' nice value (0-19): a pool whose work is CPU-bound (Argon2) and less urgent
  /// than the I/O threads' gives them the CPU first under overload.
  int nice = 0;
  /// Threads more, at the process's own priority, that take formal submissions' jobs only: in a
  /// niced pool under overload a submission's job would otherwise wait for the scheduler to give
  /// a niced thread the CPU, behind everything at nice 0. While one of them is idle the other
  /// threads leave submissions to it.
  unsigned first_lane_threads = 0;
};

/// A bounded pool of threads for work that must not run on an I/O thread: password hashing
/// and queries. Each thread owns a PostgreSQL connection (opened on first use, reopened after
/// it breaks). A full queue, or one whose expected wait is past the budget, refuses work at
/// once, so callers can answer 503.
class worker_pool {
 public:
  /// The job gets its thread's connection (connected; nullptr if the pool has no database).
  /// An exception escaping a job is the job's bug: it is swallowed after the connection is
  /// checked, so jobs must report their own failures.
  using job = std::function<void(pqxx::connection* conn)>;

  worker_pool(std::string name, unsigned threads, std::size_t max_queue, std::string conninfo,
              pool_admission admission = {});
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  ~worker_pool();

  /// Queues `j` as work of class `c`; false when the queue is full, the wait it would have is
  /// past its class's share of max_wait (core::class_budget_us), or the pool is stopping.
  /// Submissions and other writes (a formal submission's save password) go ahead of sign-ins
  /// and browsing: a sign-in surge cannot keep a signed-in candidate's submission waiting.
  bool try_post(job j, core::work_class c = core::work_class::write);
  /// The wait a job queued now would have, from the depth and the measured service time.
  std::chrono::microseconds expected_wait() const;
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
  /// A pool thread's loop; a first-lane-only thread sleeps while that lane is empty.
  void run(bool first_lane_only);

  std::string name_;
  std::size_t max_queue_;
  pool_admission admission_;
  std::string conninfo_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable wake_first_lane_;  ///< the first-lane-only threads sleep on it
  struct queued_job {
    job run;
    std::chrono::steady_clock::time_point queued_at;
  };
  // [0] formal submissions, [1] other writes, [2] sign-ins and browsing: taken in that order.
  std::array<std::deque<queued_job>, 3> lanes_;
  std::size_t depth() const noexcept {
    return lanes_[0].size() + lanes_[1].size() + lanes_[2].size();
  }
  /// The lane a general thread takes next, or nullptr: none queued, or (not stopping) only
  /// submissions that an idle first-lane thread will take.
  std::deque<queued_job>* next_lane() noexcept;
  unsigned idle_first_lane_ = 0;  ///< first-lane threads waiting for work (under mutex_)
  std::size_t thread_count_;      ///< the threads that take every lane
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> shed_{0};  ///< of those: refused by the expected wait
  core::service_time service_;          ///< guarded by mutex_
  histogram wait_{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}, 1e6};
  histogram submission_wait_{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}, 1e6};
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace zhiyuan::storage
