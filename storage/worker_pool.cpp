#include "storage/worker_pool.hpp"

#include <pqxx/pqxx>

namespace zhiyuan::storage {

worker_pool::worker_pool(std::string name, unsigned threads, std::size_t max_queue,
                         std::string conninfo)
    : name_(std::move(name)), max_queue_(max_queue), conninfo_(std::move(conninfo)) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() { stop(); }

bool worker_pool::try_post(job j) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(j));
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

void worker_pool::run() {
  std::unique_ptr<pqxx::connection> conn;
  for (;;) {
    job j;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      j = std::move(queue_.front());
      queue_.pop_front();
    }
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
