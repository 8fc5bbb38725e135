#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "core/schedule.hpp"
#include "server/shared_slot.hpp"

namespace zhiyuan::server {

/// The filing timetable every reader uses, swappable while the server runs: a province manager
/// changes it (PUT /api/v1/admin/schedule) and every node picks the stored revision up. A
/// request takes one snapshot (`get`) and decides with it throughout, so an operation stamped
/// inside a window is validated against one timetable and commits whatever changes meanwhile.
class schedule_holder {
 public:
  schedule_holder() : current_(std::make_shared<const core::schedule>()) {}
  explicit schedule_holder(core::schedule initial)
      : current_(std::make_shared<const core::schedule>(std::move(initial))) {}
  schedule_holder(const schedule_holder&) = delete;
  schedule_holder& operator=(const schedule_holder&) = delete;

  std::shared_ptr<const core::schedule> get() const noexcept { return current_.load(); }
  /// Replaces the timetable with stored revision `revision` (0: the file's), unless a newer
  /// revision is already in place; true when it changed.
  bool set(core::schedule s, std::int64_t revision) {
    auto next = std::make_shared<const core::schedule>(std::move(s));
    std::lock_guard lock(set_mutex_);  // the refresh thread and a PUT may race
    std::int64_t seen = revision_.load(std::memory_order_acquire);
    if (revision != 0 && revision <= seen) return false;
    current_.store(std::move(next));
    revision_.store(revision, std::memory_order_release);
    return true;
  }
  /// The stored revision in place (0: the configured file's).
  std::int64_t revision() const noexcept { return revision_.load(std::memory_order_acquire); }
  /// The timetable and its revision as one pair (never a new document with an old revision or
  /// the reverse): what an If-Match on the revision may rely on.
  std::pair<std::shared_ptr<const core::schedule>, std::int64_t> with_revision() const {
    std::lock_guard lock(set_mutex_);
    return {current_.load(), revision_.load(std::memory_order_acquire)};
  }

 private:
  shared_slot<const core::schedule> current_;
  std::atomic<std::int64_t> revision_{0};
  mutable std::mutex set_mutex_;
};

}  // namespace zhiyuan::server
