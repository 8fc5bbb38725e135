#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <span>

#include "core/popularity.hpp"

namespace zhiyuan::server {

/// The popularity index every I/O thread shares: core::popularity_index (the counting) behind a
/// reader-writer lock (one writer at a time, readers in parallel). Nothing else.
class shared_popularity {
 public:
  /// Takes over an index loaded before the server starts (storage::load_popularity).
  explicit shared_popularity(core::popularity_index index = {});
  shared_popularity(const shared_popularity&) = delete;
  shared_popularity& operator=(const shared_popularity&) = delete;

  /// See core::popularity_index; each call holds the lock for its duration.
  void record(std::int64_t candidate_id, core::batch b, int score,
              std::span<const core::group_choice> choices);
  core::popularity_index::group_stats stats(core::group_id g, int score) const;
  std::optional<int> position_of(std::int64_t candidate_id, core::batch b, core::group_id g) const;
  std::size_t candidates() const;
  std::int64_t dropped() const;

 private:
  mutable std::shared_mutex mutex_;
  core::popularity_index index_;
};

}  // namespace zhiyuan::server
