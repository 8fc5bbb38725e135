#include "core/catalog.hpp"

#include <algorithm>
#include <utility>

namespace zhiyuan::core {

result<std::shared_ptr<const catalog>> catalog::build(std::vector<college> colleges,
                                                      std::vector<major_group> groups,
                                                      std::vector<major> majors) {
  // The constructor is private, so make_shared cannot reach it.
  std::shared_ptr<catalog> c(new catalog());
  if (auto r = c->set_colleges(std::move(colleges)); !r) return failure(r.error());
  if (auto r = c->set_groups(std::move(groups)); !r) return failure(r.error());
  if (auto r = c->index_group_ids(); !r) return failure(r.error());
  c->index_dense_ids();
  c->index_batches();
  if (auto r = c->set_majors(std::move(majors)); !r) return failure(r.error());
  return std::shared_ptr<const catalog>(std::move(c));
}

result<void> catalog::set_colleges(std::vector<college>&& colleges) {
  std::sort(colleges.begin(), colleges.end(),
            [](const college& x, const college& y) { return x.code < y.code; });
  for (std::size_t i = 1; i < colleges.size(); ++i) {
    if (colleges[i].code == colleges[i - 1].code) {
      return failure(errc::invalid_field, "duplicate college code " + colleges[i].code);
    }
  }
  colleges_ = std::move(colleges);
  return {};
}

result<void> catalog::set_groups(std::vector<major_group>&& groups) {
  std::sort(groups.begin(), groups.end(), [](const major_group& x, const major_group& y) {
    return x.b != y.b ? x.b < y.b : x.id < y.id;
  });
  for (const major_group& g : groups) {
    if (find_college(g.college_code) == nullptr) {
      return failure(errc::invalid_field, "group " + std::to_string(g.id) + " has unknown college");
    }
    if (!g.requirement.first_met(g.trk)) {
      return failure(errc::invalid_field,
                     "group " + std::to_string(g.id) + " requirement contradicts its track");
    }
  }
  groups_ = std::move(groups);
  return {};
}

result<void> catalog::index_group_ids() {
  const auto n = static_cast<std::uint32_t>(groups_.size());
  std::vector<std::pair<group_id, std::uint32_t>> by_id(n);
  for (std::uint32_t i = 0; i < n; ++i) by_id[i] = {groups_[i].id, i};
  std::sort(by_id.begin(), by_id.end());
  group_ids_.resize(n);
  group_pos_.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i > 0 && by_id[i].first == by_id[i - 1].first) {
      return failure(errc::invalid_field, "duplicate group id " + std::to_string(by_id[i].first));
    }
    group_ids_[i] = by_id[i].first;
    group_pos_[i] = by_id[i].second;
  }
  return {};
}

void catalog::index_dense_ids() {
  const auto n = static_cast<std::uint32_t>(groups_.size());
  // A direct table costs at most ~4 slots per group; beyond that, binary search it is.
  // Unsigned arithmetic: the span of arbitrary int64 ids may not fit in int64.
  if (n > 0 && static_cast<std::uint64_t>(group_ids_.back()) -
                       static_cast<std::uint64_t>(group_ids_.front()) <=
                   4ULL * n + 1024) {
    dense_min_ = group_ids_.front();
    dense_.assign(static_cast<std::size_t>(group_ids_.back() - dense_min_) + 1, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      dense_[static_cast<std::size_t>(group_ids_[i] - dense_min_)] = group_pos_[i] + 1;
    }
  }
}

void catalog::index_batches() {
  const auto n = static_cast<std::uint32_t>(groups_.size());
  for (std::size_t b = 0, i = 0; b <= batch_count; ++b) {
    while (i < n && static_cast<std::size_t>(groups_[i].b) < b) ++i;
    batch_begin_[b] = static_cast<std::uint32_t>(i);
  }
}

result<void> catalog::set_majors(std::vector<major>&& majors) {
  const auto n = static_cast<std::uint32_t>(groups_.size());
  // Order majors by their group's position, then code, so each group's majors are contiguous.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> order;  // (group position, major index)
  order.reserve(majors.size());
  for (std::uint32_t i = 0; i < majors.size(); ++i) {
    auto it = std::lower_bound(group_ids_.begin(), group_ids_.end(), majors[i].group);
    if (it == group_ids_.end() || *it != majors[i].group) {
      return failure(errc::invalid_field,
                     "major " + std::to_string(majors[i].id) + " has unknown group");
    }
    order.emplace_back(group_pos_[static_cast<std::size_t>(it - group_ids_.begin())], i);
  }
  std::sort(order.begin(), order.end(), [&](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first < y.first;
    const major& a = majors[x.second];
    const major& b = majors[y.second];
    return a.code != b.code ? a.code < b.code : a.id < b.id;
  });
  majors_.reserve(majors.size());
  major_begin_.assign(n + 1, 0);
  for (const auto& [pos, idx] : order) {
    majors_.push_back(std::move(majors[idx]));
    ++major_begin_[pos + 1];
  }
  for (std::uint32_t i = 0; i < n; ++i) major_begin_[i + 1] += major_begin_[i];

  major_ids_.reserve(majors_.size());
  for (const major& m : majors_) major_ids_.push_back(m.id);
  std::vector<major_id> ids = major_ids_;
  std::sort(ids.begin(), ids.end());
  if (auto d = std::adjacent_find(ids.begin(), ids.end()); d != ids.end()) {
    return failure(errc::invalid_field, "duplicate major id " + std::to_string(*d));
  }
  return {};
}

const major_group* catalog::find_group(group_id id) const noexcept {
  if (!dense_.empty()) {
    // Unsigned wrap sends ids below dense_min_ past the end too.
    const auto k = static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(dense_min_);
    if (k >= dense_.size() || dense_[k] == 0) return nullptr;
    return &groups_[dense_[k] - 1];
  }
  auto it = std::lower_bound(group_ids_.begin(), group_ids_.end(), id);
  if (it == group_ids_.end() || *it != id) return nullptr;
  return &groups_[group_pos_[static_cast<std::size_t>(it - group_ids_.begin())]];
}

const college* catalog::find_college(std::string_view code) const noexcept {
  auto it = std::lower_bound(colleges_.begin(), colleges_.end(), code,
                             [](const college& c, std::string_view k) { return c.code < k; });
  return it == colleges_.end() || it->code != code ? nullptr : &*it;
}

std::span<const major> catalog::majors_of(const major_group& g) const noexcept {
  const auto pos = static_cast<std::size_t>(&g - groups_.data());
  return std::span<const major>(majors_).subspan(major_begin_[pos],
                                                 major_begin_[pos + 1] - major_begin_[pos]);
}

std::span<const major> catalog::majors_of(group_id id) const noexcept {
  const major_group* g = find_group(id);
  return g == nullptr ? std::span<const major>{} : majors_of(*g);
}

bool catalog::group_has_major(const major_group& g, major_id m) const noexcept {
  // A group holds a handful of majors (rarely over 20): a linear scan over contiguous memory is
  // as fast as a search and keeps the span in display order.
  const auto pos = static_cast<std::size_t>(&g - groups_.data());
  for (std::uint32_t i = major_begin_[pos]; i < major_begin_[pos + 1]; ++i) {
    if (major_ids_[i] == m) return true;
  }
  return false;
}

std::span<const major_group> catalog::groups_in(batch b) const noexcept {
  const std::size_t i = index_of(b);
  return std::span<const major_group>(groups_).subspan(batch_begin_[i],
                                                       batch_begin_[i + 1] - batch_begin_[i]);
}

}  // namespace zhiyuan::core
