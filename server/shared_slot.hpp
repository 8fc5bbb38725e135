#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace zhiyuan::server {

/// A shared_ptr one thread replaces while others read it: each load is one whole snapshot
/// (pointer and ownership together). A mutex guards it rather than std::atomic<std::shared_ptr>:
/// libstdc++ 12's load() releases that type's lock bit with a relaxed store, so the pointer it
/// read is not ordered before the next store's write (ThreadSanitizer reports each swap as a data
/// race; only x86's strong ordering hides it). Uncontended, both cost two atomic operations.
template <class T>
class shared_slot {
 public:
  shared_slot() = default;
  explicit shared_slot(std::shared_ptr<T> initial) : value_(std::move(initial)) {}
  shared_slot(const shared_slot&) = delete;
  shared_slot& operator=(const shared_slot&) = delete;

  std::shared_ptr<T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

  void store(std::shared_ptr<T> next) {
    std::unique_lock lock(mutex_);
    value_.swap(next);
    // The replaced value is released outside the lock: no reader waits for its destructor.
    lock.unlock();
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<T> value_;
};

}  // namespace zhiyuan::server
