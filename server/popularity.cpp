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

void shared_popularity::record_own(std::int64_t candidate_id, core::batch b, std::int64_t version,
                                   int score, std::span<const core::group_choice> choices) {
  std::unique_lock lock(mutex_);
  index_.record(candidate_id, b, score, choices);
  if (own_.size() < max_own_) own_[own_key(candidate_id, b)] = version;
}

void shared_popularity::record_read(std::int64_t candidate_id, core::batch b, std::int64_t version,
                                    int score, std::span<const core::group_choice> choices) {
  std::unique_lock lock(mutex_);
  const auto it = own_.find(own_key(candidate_id, b));
  if (it != own_.end() && it->second > version) return;
  index_.record(candidate_id, b, score, choices);
}

shared_popularity::own_versions shared_popularity::take_own() {
  own_versions taken;
  std::unique_lock lock(mutex_);
  taken.swap(own_);
  return taken;
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
  // Taken before the read: every version in it committed before the read's snapshot.
  const auto own = index_.take_own();
  // Versions read in the previous refresh (the overlap) and this node's own commits (recorded
  // when they were answered) come back without their choices.
  const auto known = [&](std::int64_t id, core::batch b, std::int64_t v) {
    const auto it = own.find(shared_popularity::own_key(id, b));
    return (it != own.end() && it->second == v) ||
           seen_.count(version_key{id, static_cast<int>(b), v}) != 0;
  };
  auto [changes, next] = fetch_(
      cursor_us_, [&](std::int64_t id, core::batch b, std::int64_t v) { return !known(id, b, v); });
  cursor_us_ = next;
  std::set<version_key> seen;
  std::size_t recorded = 0;
  for (const auto& c : changes) {
    seen.insert(version_key{c.candidate_id, static_cast<int>(c.b), c.version});
    if (known(c.candidate_id, c.b, c.version)) continue;
    index_.record_read(c.candidate_id, c.b, c.version, score_(c.candidate_id), c.choices);
    ++recorded;
  }
  seen_ = std::move(seen);
  return recorded;
}

}  // namespace zhiyuan::server
