#include "core/plan_filter.hpp"

#include <algorithm>
#include <cmath>

namespace zhiyuan::core {

bool may_choose(const candidate& who, const major_group& g) noexcept {
  if (!who.eligible.batches.contains(g.b)) return false;
  if (g.trk != who.trk || g.cat != who.cat) return false;
  if (!g.requirement.first_met(who.trk) || !g.requirement.missing(who.electives).empty()) {
    return false;
  }
  if (g.special_type) {
    // The special-type slot exists only where the batch has one, and needs the special line.
    return default_batch_limits()[index_of(g.b)].special_slots > 0 && who.eligible.special_type;
  }
  return true;
}

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool text_matches(const plan_filter& f, const catalog& cat, const major_group& g,
                  const college* c) {
  if (f.text.empty()) return true;
  if (c != nullptr && (contains(c->name, f.text) || contains(c->code, f.text))) return true;
  for (const major& m : cat.majors_of(g)) {
    if (contains(m.name, f.text)) return true;
  }
  return false;
}

}  // namespace

bool matches(const plan_filter& f, const catalog& cat, const major_group& g) {
  if (f.b && g.b != *f.b) return false;
  if (f.trk && g.trk != *f.trk) return false;
  if (!f.college.empty() && g.college_code != f.college) return false;
  if (f.fits != nullptr && !may_choose(*f.fits, g)) return false;
  const college* c = nullptr;
  if (!f.region.empty() || !f.text.empty()) {
    c = cat.find_college(g.college_code);
    if (!f.region.empty() && (c == nullptr || c->region != f.region)) return false;
  }
  return text_matches(f, cat, g, c);
}

result<plan_page> select_plans(const catalog& cat, const plan_filter& f,
                               std::optional<group_id> after, std::size_t page_size) {
  // A batch filter narrows the scan to that batch's contiguous range of the catalog order.
  const std::span<const major_group> range = f.b ? cat.groups_in(*f.b) : cat.groups();
  std::size_t start = 0;
  if (after) {
    const major_group* last = cat.find_group(*after);
    if (last == nullptr || range.empty() || last < range.data() ||
        last >= range.data() + range.size()) {
      return failure(errc::invalid_field, "page_token");
    }
    start = static_cast<std::size_t>(last - range.data()) + 1;
  }
  plan_page page;
  page.groups.reserve(std::min<std::size_t>(page_size, 128));
  for (std::size_t i = 0; i < range.size(); ++i) {
    const major_group& g = range[i];
    if (!matches(f, cat, g)) continue;
    ++page.total;
    if (i < start) continue;
    if (page.groups.size() < page_size) {
      page.groups.push_back(&g);
    } else {
      page.more = true;
    }
  }
  return page;
}

namespace {

struct hasher {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void bytes(std::string_view s) {
    h = fnv1a(s, h);
    // A separator, so that ("ab", "c") and ("a", "bc") differ.
    h = fnv1a(std::string_view("\x1f", 1), h);
  }
  void number(std::int64_t v) {
    char buf[sizeof v];
    __builtin_memcpy(buf, &v, sizeof v);
    h = fnv1a(std::string_view(buf, sizeof buf), h);
  }
};

}  // namespace

std::uint64_t fingerprint(const catalog& cat) noexcept {
  hasher x;
  for (const college& c : cat.colleges()) {
    x.bytes(c.code);
    x.bytes(c.name);
    x.bytes(c.region);
    x.bytes(c.type);
  }
  for (const major_group& g : cat.groups()) {
    x.number(g.id);
    x.bytes(g.college_code);
    x.bytes(g.group_code);
    x.number(static_cast<std::int64_t>(index_of(g.b)) | static_cast<std::int64_t>(g.trk) << 8 |
             static_cast<std::int64_t>(g.cat) << 16 |
             static_cast<std::int64_t>(g.requirement.first) << 24 |
             static_cast<std::int64_t>(g.requirement.second) << 32 |
             static_cast<std::int64_t>(g.requirement.a) << 40 |
             static_cast<std::int64_t>(g.requirement.b) << 48 |
             static_cast<std::int64_t>(g.special_type) << 56);
    x.number(g.plan_count);
  }
  for (const major& m : cat.majors()) {
    x.number(m.id);
    x.number(m.group);
    x.bytes(m.code);
    x.bytes(m.name);
    x.number(m.plan_count);
    x.number(m.years);
    x.number(m.tuition);
  }
  return x.h;
}

std::uint32_t profile_key(const candidate& who) noexcept {
  return static_cast<std::uint32_t>(who.trk) | static_cast<std::uint32_t>(who.cat) << 2 |
         static_cast<std::uint32_t>(who.electives.bits()) << 4 |
         static_cast<std::uint32_t>(who.eligible.batches.bits()) << 8 |
         static_cast<std::uint32_t>(who.eligible.special_type) << 12;
}

suggestion_lists suggest(const candidate& who, std::span<const major_group> groups,
                         const history_lookup& history, std::size_t per_class,
                         const fit_thresholds& th) {
  suggestion_lists out;
  for (const major_group& g : groups) {
    if (!may_choose(who, g)) continue;
    suggestion s;
    s.group = &g;
    s.min_ranks = history(g);
    s.kind = classify(who.rank, s.min_ranks, th);
    if (s.kind != fit::reach && s.kind != fit::match && s.kind != fit::safe) continue;
    double sum = 0;
    int n = 0;
    for (int r : s.min_ranks) {
      if (r > 0) {
        sum += r;
        ++n;
      }
    }
    // classify returned a class, so n > 0.
    s.average_min_rank = sum / n;
    s.distance = std::abs(who.rank - s.average_min_rank) / s.average_min_rank;
    out.lists[static_cast<std::size_t>(s.kind)].push_back(s);
  }
  for (std::size_t k = 0; k < out.lists.size(); ++k) {
    auto& list = out.lists[k];
    out.totals[k] = list.size();
    const auto keep = std::min(per_class, list.size());
    const auto closer = [](const suggestion& a, const suggestion& b) {
      if (a.distance != b.distance) return a.distance < b.distance;
      return a.group->id < b.group->id;
    };
    std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(keep), list.end(),
                      closer);
    list.resize(keep);
  }
  return out;
}

}  // namespace zhiyuan::core
