#include "storage/worker_pool.hpp"

#include <poll.h>

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
                         std::string conninfo)
    : name_(std::move(name)),
      max_queue_(max_queue),
      conninfo_(std::move(conninfo)),
      thread_count_(threads) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() { stop(); }

bool worker_pool::try_post(job j) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back({std::move(j), std::chrono::steady_clock::now()});
  }
  wake_.notify_one();
  return true;
}

void worker_pool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t worker_pool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
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
         [](const worker_pool& p) { return p.thread_count_; });
  family("zhiyuan_pool_queue_depth", "gauge", "Tasks waiting for a thread.",
         [](const worker_pool& p) { return p.queued(); });
  family("zhiyuan_pool_queue_capacity", "gauge", "Queue cap; tasks beyond it are refused.",
         [](const worker_pool& p) { return p.max_queue_; });
  family("zhiyuan_pool_rejected_total", "counter", "Tasks refused because the queue was full.",
         [](const worker_pool& p) { return p.rejected_.load(std::memory_order_relaxed); });
  out +=
      "# HELP zhiyuan_pool_wait_seconds From a task queued until a thread starts it.\n"
      "# TYPE zhiyuan_pool_wait_seconds histogram\n";
  for (const auto* p : pools) {
    p->wait_.render_series(out, "zhiyuan_pool_wait_seconds", fmt::format("pool=\"{}\"", p->name_));
  }
  return out;
}

void worker_pool::run() {
  std::unique_ptr<pqxx::connection> conn;
  current_slot = &conn;
  current_conninfo = &conninfo_;
  for (;;) {
    job j;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      j = std::move(queue_.front().run);
      const auto waited = std::chrono::steady_clock::now() - queue_.front().queued_at;
      queue_.pop_front();
      wait_.observe(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
    }
    if (conn && closed_while_idle(*conn)) conn.reset();
    if (!conninfo_.empty() && (!conn || !conn->is_open())) {
      try {
        conn = std::make_unique<pqxx::connection>(conninfo_);
      } catch (const std::exception&) {
        conn.reset();  // the job sees nullptr and answers 503
      }
    }
    try {
      j(conn.get());
    } catch (const pqxx::broken_connection&) {
      conn.reset();
    } catch (...) {
      // Jobs report their own failures; a connection left mid-transaction is reopened.
      if (conn && !conn->is_open()) conn.reset();
    }
  }
}

}  // namespace zhiyuan::storage
