#include "core/popularity.hpp"

#include <algorithm>

namespace zhiyuan::core {

namespace {

// Block layout (16-bit words): [0] score; for batch k, [1 + 2k] its number of groups and
// [2 + 2k] the index of its first ordinary (non-special) choice, or `none`; then the slots.
constexpr std::size_t header_words = 1 + 2 * batch_count;
constexpr std::uint16_t none = 0xFFFF;

std::size_t slot_words(const std::uint16_t* data) {
  std::size_t n = 0;
  for (std::size_t k = 0; k < batch_count; ++k) n += data[1 + 2 * k];
  return n;
}

}  // namespace

popularity_index::block* popularity_index::find_block(std::int64_t id) {
  if (id >= 0 && id < dense_bound) {
    const auto i = static_cast<std::size_t>(id);
    return i < dense_.size() && dense_[i] ? &dense_[i] : nullptr;
  }
  auto it = sparse_.find(id);
  return it == sparse_.end() ? nullptr : &it->second;
}

const popularity_index::block* popularity_index::find_block(std::int64_t id) const {
  return const_cast<popularity_index*>(this)->find_block(id);
}

popularity_index::block& popularity_index::block_for(std::int64_t id) {
  if (id >= 0 && id < dense_bound) {
    const auto i = static_cast<std::size_t>(id);
    if (i >= dense_.size()) dense_.resize(std::max(i + 1, dense_.size() + dense_.size() / 2));
    return dense_[i];
  }
  return sparse_[id];
}

popularity_index::slot popularity_index::slot_of(group_id g) {
  auto it = slots_.find(g);
  if (it != slots_.end()) return it->second;
  if (groups_.size() >= max_slots) return static_cast<slot>(max_slots);
  const auto s = static_cast<slot>(groups_.size());
  slots_.emplace(g, s);
  groups_.push_back({g, 0, 0, nullptr});
  return s;
}

void popularity_index::count(const std::uint16_t* data, int sign) {
  const std::size_t score = data[0];
  const std::uint16_t* slots = data + header_words;
  for (std::size_t k = 0; k < batch_count; ++k) {
    const std::uint16_t n = data[1 + 2 * k];
    const std::uint16_t first = data[2 + 2 * k];
    for (std::uint16_t i = 0; i < n; ++i) {
      group_counts& gc = groups_[slots[i]];
      gc.any += sign;
      if (i == first) gc.first += sign;
      if (!gc.by_score) gc.by_score = std::make_unique<std::array<std::int32_t, max_score + 1>>();
      (*gc.by_score)[score] += sign;
    }
    slots += n;
  }
}

void popularity_index::record(std::int64_t candidate_id, batch b, int score,
                              std::span<const group_choice> choices) {
  score = std::clamp(score, 0, max_score);
  // The new slots of batch `b`, in form order, each group once.
  std::array<slot, 64> fresh;
  std::uint16_t fresh_n = 0;
  std::uint16_t fresh_first = none;
  for (const group_choice& c : choices) {
    if (fresh_n == fresh.size()) break;
    const slot s = slot_of(c.group);
    if (s == max_slots) {
      ++dropped_;
      continue;
    }
    if (std::find(fresh.begin(), fresh.begin() + fresh_n, s) != fresh.begin() + fresh_n) continue;
    if (!c.special && fresh_first == none) fresh_first = fresh_n;
    fresh[fresh_n++] = s;
  }

  block& old = block_for(candidate_id);
  std::array<std::uint16_t, header_words> header{};
  if (old) {
    std::copy(old.get(), old.get() + header_words, header.begin());
    count(old.get(), -1);
  }
  const std::size_t kb = index_of(b);
  const std::size_t old_total = old ? slot_words(old.get()) : 0;
  const std::size_t total = old_total - header[1 + 2 * kb] + fresh_n;
  if (total == 0) {
    if (old) {
      old.reset();
      --candidates_;
    }
    if (candidate_id < 0 || candidate_id >= dense_bound) sparse_.erase(candidate_id);
    return;
  }
  block next(new std::uint16_t[header_words + total]);
  header[0] = static_cast<std::uint16_t>(score);
  std::uint16_t* out = next.get() + header_words;
  const std::uint16_t* in = old ? old.get() + header_words : nullptr;
  for (std::size_t k = 0; k < batch_count; ++k) {
    const std::uint16_t n = header[1 + 2 * k];
    if (k == kb) {
      out = std::copy(fresh.begin(), fresh.begin() + fresh_n, out);
      header[1 + 2 * k] = fresh_n;
      header[2 + 2 * k] = fresh_first;
    } else if (n > 0) {
      out = std::copy(in, in + n, out);
    }
    if (in != nullptr) in += n;
  }
  std::copy(header.begin(), header.end(), next.get());
  count(next.get(), +1);
  if (!old) ++candidates_;
  old = std::move(next);
}

popularity_index::group_stats popularity_index::stats(group_id g, int score) const {
  group_stats out;
  auto it = slots_.find(g);
  if (it == slots_.end()) return out;
  const group_counts& gc = groups_[it->second];
  out.first_choice = gc.first;
  out.any_position = gc.any;
  if (gc.by_score) {
    const auto& h = *gc.by_score;
    for (int s = std::max(score + 1, 0); s <= max_score; ++s) {
      out.higher += h[static_cast<std::size_t>(s)];
    }
    if (score >= 0 && score <= max_score) out.tied = h[static_cast<std::size_t>(score)];
  }
  return out;
}

std::optional<int> popularity_index::position_of(std::int64_t candidate_id, batch b,
                                                 group_id g) const {
  auto it = slots_.find(g);
  const block* blk = find_block(candidate_id);
  if (it == slots_.end() || blk == nullptr) return std::nullopt;
  const std::uint16_t* data = blk->get();
  const std::uint16_t* slots = data + header_words;
  for (std::size_t k = 0; k < index_of(b); ++k) slots += data[1 + 2 * k];
  const std::uint16_t n = data[1 + 2 * index_of(b)];
  for (std::uint16_t i = 0; i < n; ++i) {
    if (slots[i] == it->second) return i + 1;
  }
  return std::nullopt;
}

std::size_t popularity_index::candidates() const { return candidates_; }

std::int64_t popularity_index::dropped() const { return dropped_; }

}  // namespace zhiyuan::core
