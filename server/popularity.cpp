#include "server/popularity.hpp"

#include <mutex>
#include <utility>

namespace zhiyuan::server {

shared_popularity::shared_popularity(core::popularity_index index) : index_(std::move(index)) {}

void shared_popularity::record(std::int64_t candidate_id, core::batch b, int score,
                               std::span<const core::group_choice> choices) {
  std::unique_lock lock(mutex_);
  index_.record(candidate_id, b, score, choices);
}

core::popularity_index::group_stats shared_popularity::stats(core::group_id g, int score) const {
  std::shared_lock lock(mutex_);
  return index_.stats(g, score);
}

std::optional<int> shared_popularity::position_of(std::int64_t candidate_id, core::batch b,
                                                  core::group_id g) const {
  std::shared_lock lock(mutex_);
  return index_.position_of(candidate_id, b, g);
}

std::size_t shared_popularity::candidates() const {
  std::shared_lock lock(mutex_);
  return index_.candidates();
}

std::int64_t shared_popularity::dropped() const {
  std::shared_lock lock(mutex_);
  return index_.dropped();
}

popularity_refresher::popularity_refresher(shared_popularity& index, fetch_fn fetch, score_fn score)
    : index_(index), fetch_(std::move(fetch)), score_(std::move(score)) {}

std::size_t popularity_refresher::refresh() {
  // Versions read in the previous refresh (the overlap) come back without their choices.
  auto [changes, next] = fetch_(cursor_us_, [this](std::int64_t id, core::batch b, std::int64_t v) {
    return seen_.count(version_key{id, static_cast<int>(b), v}) == 0;
  });
  cursor_us_ = next;
  std::set<version_key> seen;
  std::size_t recorded = 0;
  for (const auto& c : changes) {
    const version_key key{c.candidate_id, static_cast<int>(c.b), c.version};
    seen.insert(key);
    if (seen_.count(key) != 0) continue;
    index_.record(c.candidate_id, c.b, score_(c.candidate_id), c.choices);
    ++recorded;
  }
  seen_ = std::move(seen);
  return recorded;
}

}  // namespace zhiyuan::server
