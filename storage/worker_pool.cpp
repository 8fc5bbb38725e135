#include "storage/worker_pool.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

namespace zhiyuan::storage {
namespace {

// The pool thread's connection slot and connection string, for reopen_connection().
thread_local std::unique_ptr<pqxx::connection>* current_slot = nullptr;
thread_local const std::string* current_conninfo = nullptr;

// An idle connection has nothing to read: readable means the server closed it or sent a
// FATAL (restart, failover, idle timeout), found with one poll instead of a failed query.
bool closed_while_idle(pqxx::connection& conn) {
  pollfd p{conn.sock(), POLLIN, 0};
  return conn.sock() < 0 || ::poll(&p, 1, 0) != 0;
}

}  // namespace

pqxx::connection* worker_pool::reopen_connection() {
  if (current_slot == nullptr || current_conninfo == nullptr || current_conninfo->empty()) {
    return nullptr;
  }
  current_slot->reset();
  try {
    *current_slot = std::make_unique<pqxx::connection>(*current_conninfo);
  } catch (const std::exception&) {
    return nullptr;
  }
  return current_slot->get();
}

worker_pool::worker_pool(std::string name, unsigned threads, std::size_t max_queue,
                         std::string conninfo, pool_admission admission)
    : name_(std::move(name)),
      max_queue_(max_queue),
      admission_(admission),
      conninfo_(std::move(conninfo)),
      thread_count_(threads) {
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      // Linux takes a thread id for PRIO_PROCESS: this thread alone; raising one's own nice
      // value needs no privilege, and a failure only leaves the thread at the process's.
      if (admission_.nice > 0) (void)::setpriority(PRIO_PROCESS, ::gettid(), admission_.nice);
      run(false);
    });
  }
  for (unsigned i = 0; i < admission_.first_lane_threads; ++i) {
    threads_.emplace_back([this] { run(true); });
  }
}

worker_pool::~worker_pool() { stop(); }

bool worker_pool::try_post(job j, core::work_class c) {
  bool to_first_lane = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || depth() >= max_queue_) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    const std::size_t lane = c == core::work_class::submission ? 0
                             : c == core::work_class::write    ? 1
                                                               : 2;
    const bool first = lane == 0;
    // A job waits behind its own lane and the lanes taken before it; submissions have the
    // first-lane threads too.
    std::size_t ahead = 0;
    for (std::size_t l = 0; l <= lane; ++l) ahead += lanes_[l].size();
    const auto servers = thread_count_ + (first ? admission_.first_lane_threads : 0);
    const auto wait =
        core::expected_wait_us(ahead, static_cast<unsigned>(servers), service_.mean_us);
    if (!core::admit_within(wait, core::class_budget_us(c, admission_.max_wait.count()))) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      shed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    lanes_[lane].push_back({std::move(j), std::chrono::steady_clock::now()});
    to_first_lane = first && idle_first_lane_ > 0;
  }
  // A general thread leaves a submission to an idle first-lane thread (next_lane): waking one
  // then would find nothing.
  (to_first_lane ? wake_first_lane_ : wake_).notify_one();
  return true;
}

void worker_pool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  wake_first_lane_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t worker_pool::queued() const {
  std::lock_guard lock(mutex_);
  return depth();
}

std::chrono::microseconds worker_pool::expected_wait() const {
  std::lock_guard lock(mutex_);
  return std::chrono::microseconds(
      core::expected_wait_us(depth(), static_cast<unsigned>(thread_count_), service_.mean_us));
}

std::string worker_pool::render_metrics(std::span<const worker_pool* const> pools) {
  std::string out;
  // Each metric's series grouped under one HELP/TYPE, as the text format requires.
  auto family = [&](std::string_view metric, std::string_view type, std::string_view help,
                    auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", metric, help, metric, type);
    for (const auto* p : pools) {
      out += fmt::format("{}{{pool=\"{}\"}} {}\n", metric, p->name_, value(*p));
    }
  };
  family("zhiyuan_pool_threads", "gauge", "Threads of the pool.",
         [](const worker_pool& p) { return p.thread_count_ + p.admission_.first_lane_threads; });
  family("zhiyuan_pool_queue_depth", "gauge", "Tasks waiting for a thread.",
         [](const worker_pool& p) { return p.queued(); });
  family("zhiyuan_pool_queue_capacity", "gauge", "Queue cap; tasks beyond it are refused.",
         [](const worker_pool& p) { return p.max_queue_; });
  family("zhiyuan_pool_rejected_total", "counter",
         "Tasks refused because the queue was full or its expected wait past the budget.",
         [](const worker_pool& p) { return p.rejected_.load(std::memory_order_relaxed); });
  family("zhiyuan_pool_shed_total", "counter",
         "Of the refused tasks, those refused by the expected wait (auth/read max_wait_ms).",
         [](const worker_pool& p) { return p.shed_.load(std::memory_order_relaxed); });
  family("zhiyuan_pool_expected_wait_seconds", "gauge",
         "The wait a task queued now would have: depth / threads x mean service time.",
         [](const worker_pool& p) { return static_cast<double>(p.expected_wait().count()) / 1e6; });
  out +=
      "# HELP zhiyuan_pool_wait_seconds From a task queued until a thread starts it.\n"
      "# TYPE zhiyuan_pool_wait_seconds histogram\n";
  for (const auto* p : pools) {
    p->wait_.render_series(out, "zhiyuan_pool_wait_seconds", fmt::format("pool=\"{}\"", p->name_));
  }
  out +=
      "# HELP zhiyuan_pool_submission_wait_seconds Of those, formal submissions' tasks (a save "
      "password's check).\n"
      "# TYPE zhiyuan_pool_submission_wait_seconds histogram\n";
  for (const auto* p : pools) {
    p->submission_wait_.render_series(out, "zhiyuan_pool_submission_wait_seconds",
                                      fmt::format("pool=\"{}\"", p->name_));
  }
  return out;
}

std::deque<worker_pool::queued_job>* worker_pool::next_lane() noexcept {
  // Stopping, the first-lane threads leave: the general threads drain every lane.
  if (!lanes_[0].empty() && (idle_first_lane_ == 0 || stopping_)) return &lanes_[0];
  if (!lanes_[1].empty()) return &lanes_[1];
  if (!lanes_[2].empty()) return &lanes_[2];
  return nullptr;
}

void worker_pool::run(bool first_lane_only) {
  std::unique_ptr<pqxx::connection> conn;
  current_slot = &conn;
  current_conninfo = &conninfo_;
  std::int64_t took_us = -1;  // the last job's time, recorded under the lock taken for the next
  for (;;) {
    job j;
    {
      std::unique_lock lock(mutex_);
      if (took_us >= 0) service_.observe(took_us);
      std::deque<queued_job>* taken = nullptr;
      if (first_lane_only) {
        ++idle_first_lane_;
        wake_first_lane_.wait(lock, [this] { return stopping_ || !lanes_[0].empty(); });
        --idle_first_lane_;
        if (lanes_[0].empty()) return;  // stopping; the general threads drain the rest
        taken = &lanes_[0];
      } else {
        wake_.wait(lock, [&] { return (taken = next_lane()) != nullptr || stopping_; });
        if (taken == nullptr) return;  // stopping and drained
      }
      auto& lane = *taken;
      j = std::move(lane.front().run);
      const auto waited = std::chrono::steady_clock::now() - lane.front().queued_at;
      lane.pop_front();
      // More submissions than idle first-lane threads: a general thread may take them now.
      if (first_lane_only && !lanes_[0].empty()) wake_.notify_one();
      const auto waited_us = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(waited).count());
      wait_.observe(waited_us);
      if (taken == &lanes_[0]) submission_wait_.observe(waited_us);
    }
    if (conn && closed_while_idle(*conn)) conn.reset();
    if (!conninfo_.empty() && (!conn || !conn->is_open())) {
      try {
        conn = std::make_unique<pqxx::connection>(conninfo_);
      } catch (const std::exception&) {
        conn.reset();  // the job sees nullptr and answers 503
      }
    }
    const auto started = std::chrono::steady_clock::now();
    try {
      j(conn.get());
    } catch (const pqxx::broken_connection&) {
      conn.reset();
    } catch (...) {
      // Jobs report their own failures; a connection left mid-transaction is reopened.
      if (conn && !conn->is_open()) conn.reset();
    }
    took_us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  }
}

}  // namespace zhiyuan::storage
