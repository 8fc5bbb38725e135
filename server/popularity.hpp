#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/popularity.hpp"
#include "storage/reference_data.hpp"

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
  /// record() of a version this node committed itself: also remembered (up to a bound) so that
  /// the refresher need not read its choices back from the database (take_own).
  void record_own(std::int64_t candidate_id, core::batch b, std::int64_t version, int score,
                  std::span<const core::group_choice> choices);
  /// record() of a version read from the database, unless this node has recorded a newer one of
  /// the candidate's batch since the last take_own (the read's snapshot predates it).
  void record_read(std::int64_t candidate_id, core::batch b, std::int64_t version, int score,
                   std::span<const core::group_choice> choices);
  /// (candidate id << 3 | batch) → version: what record_own saw since the last call.
  using own_versions = std::unordered_map<std::uint64_t, std::int64_t>;
  own_versions take_own();
  static std::uint64_t own_key(std::int64_t candidate_id, core::batch b) noexcept {
    return static_cast<std::uint64_t>(candidate_id) << 3 | static_cast<std::uint64_t>(b);
  }
  core::popularity_index::group_stats stats(core::group_id g, int score) const;
  std::optional<int> position_of(std::int64_t candidate_id, core::batch b, core::group_id g) const;
  std::size_t candidates() const;
  std::int64_t dropped() const;

 private:
  /// Bounds own_: past it, own versions are read back like any other node's.
  static constexpr std::size_t max_own_ = 1 << 20;
  mutable std::shared_mutex mutex_;
  core::popularity_index index_;
  own_versions own_;
};

/// Keeps a shared_popularity in step with every node's commits (issue 17), not only this
/// node's: each refresh records the formal choices committed since the previous one
/// (storage::popularity_changes_since). Rows read again in the overlap are skipped when the
/// previous refresh saw the same version, and this node's own commits (record_own) are not read
/// back at all. Not thread-safe: one maintenance thread calls it.
class popularity_refresher {
 public:
  /// Changes since the cursor and the next cursor (storage::popularity_changes_since), with
  /// choices only for the versions wanted.
  using fetch_fn = std::function<std::pair<std::vector<storage::popularity_change>, std::int64_t>(
      std::int64_t cursor_us, const storage::popularity_wanted& wanted)>;
  /// The score a candidate's choices count with (as at start: the directory's).
  using score_fn = std::function<int(std::int64_t candidate_id)>;

  popularity_refresher(shared_popularity& index, fetch_fn fetch, score_fn score);
  /// Records what was committed since the last call; returns how many changes it recorded.
  /// The first call asks `fetch` with cursor 0 (storage's: the clock only).
  std::size_t refresh();

 private:
  using version_key = std::tuple<std::int64_t, int, std::int64_t>;
  shared_popularity& index_;
  fetch_fn fetch_;
  score_fn score_;
  std::int64_t cursor_us_ = 0;
  std::set<version_key> seen_;  ///< what the previous refresh read
};

}  // namespace zhiyuan::server
