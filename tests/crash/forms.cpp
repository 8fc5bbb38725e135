#include "tests/crash/forms.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/validation.hpp"

namespace zhiyuan::crash {
namespace {

// A fixed generator (not <random>, whose distributions differ between standard libraries), so
// a form is the same on every machine and build.
struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n) for test data (n is far below 2^32).
  std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }
};

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The first `k` entries of `v` become a uniform random k-subset in random order.
template <typename T>
void partial_shuffle(std::vector<T>& v, std::size_t k, splitmix64& rng) {
  for (std::size_t i = 0; i < k && i + 1 < v.size(); ++i) {
    std::swap(v[i], v[i + rng.below(v.size() - i)]);
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

core::schedule always_open_schedule(core::batch b) {
  core::schedule s;
  s.batches[core::index_of(b)].formal = {0, std::numeric_limits<core::unix_seconds>::max()};
  return s;
}

core::unix_seconds instant_in_formal_window(const core::schedule& s, core::batch b) {
  const core::window w = s.of(b).formal;
  return w.open + (w.close - w.open) / 2;
}

std::size_t form_generator::profile(core::track t, core::category c, core::subject_set e) noexcept {
  return (static_cast<std::size_t>(t) * core::category_count + static_cast<std::size_t>(c)) * 16 +
         e.bits();
}

form_generator::form_generator(std::shared_ptr<const core::catalog> cat, core::batch b,
                               core::schedule sched, core::unix_seconds now, form_shape shape)
    : catalog_(std::move(cat)), batch_(b), schedule_(std::move(sched)), now_(now), shape_(shape) {
  const core::batch_limits limits = core::default_batch_limits()[core::index_of(b)];
  shape_.groups = std::clamp(shape_.groups, 1, limits.max_groups);
  shape_.majors = std::clamp(shape_.majors, 1, limits.max_majors);
  // Every (track, category, electives) profile's pool at once: 96 profiles, a few thousand
  // groups each scan, so a candidate's pool is one index away.
  for (std::size_t t = 0; t < core::track_count; ++t) {
    for (std::size_t c = 0; c < core::category_count; ++c) {
      for (std::uint8_t bits = 0; bits < 16; ++bits) {
        const auto trk = static_cast<core::track>(t);
        const auto cat_ = static_cast<core::category>(c);
        const auto electives = core::subject_set::from_bits(bits);
        auto& pool = pools_[profile(trk, cat_, electives)];
        for (const core::major_group& g : catalog_->groups_in(b)) {
          if (g.special_type || g.trk != trk || g.cat != cat_) continue;
          if (!g.requirement.first_met(trk) || !g.requirement.missing(electives).empty()) continue;
          if (catalog_->majors_of(g).empty()) continue;
          pool.push_back(g.id);
        }
      }
    }
  }
}

std::span<const core::group_id> form_generator::pool(const core::candidate& who) const noexcept {
  return pools_[profile(who.trk, who.cat, who.electives)];
}

bool form_generator::can_file(const core::candidate& who) const noexcept {
  return who.eligible.batches.contains(batch_) && !pool(who).empty();
}

core::result<core::choice_list> form_generator::make(const core::candidate& who,
                                                     std::uint64_t round) const {
  if (!can_file(who)) {
    return core::failure(core::errc::forbidden, "candidate cannot file this batch");
  }
  splitmix64 rng{fnv1a(who.exam_number) ^ (round * 0xd6e8feb86659fd93ULL)};
  const auto p = pool(who);
  std::vector<core::group_id> groups(p.begin(), p.end());
  const std::size_t n = std::min(groups.size(), static_cast<std::size_t>(shape_.groups));
  partial_shuffle(groups, n, rng);

  core::choice_list out;
  out.reserve(n);
  std::vector<core::major_id> majors;
  for (std::size_t i = 0; i < n; ++i) {
    const core::major_group* g = catalog_->find_group(groups[i]);
    majors.clear();
    for (const core::major& m : catalog_->majors_of(*g)) majors.push_back(m.id);
    const std::size_t k = std::min(majors.size(), static_cast<std::size_t>(shape_.majors));
    partial_shuffle(majors, k, rng);
    core::group_choice c;
    c.group = g->id;
    c.majors.assign(majors.begin(), majors.begin() + static_cast<std::ptrdiff_t>(k));
    c.accept_adjustment = true;
    out.push_back(std::move(c));
  }

  // The generator's claim that the form is valid is checked by the same rules the server uses.
  const auto findings =
      core::validate(who, batch_, out, *catalog_, schedule_, now_, core::mode::formal);
  if (!findings.empty()) {
    return core::failure(core::errc::validation_failed,
                         std::string(core::to_code(findings.front().code)));
  }
  return out;
}

std::string form_generator::to_json(std::span<const core::group_choice> choices) const {
  std::string out;
  out.reserve(64 + choices.size() * 96);
  out += "{\"choices\":[";
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const core::group_choice& c = choices[i];
    if (i > 0) out += ',';
    out += "{\"group\":";
    out += std::to_string(c.group);
    out += ",\"majors\":[";
    const auto majors = catalog_->majors_of(c.group);
    for (std::size_t j = 0; j < c.majors.size(); ++j) {
      if (j > 0) out += ',';
      const auto it = std::find_if(majors.begin(), majors.end(),
                                   [&](const core::major& m) { return m.id == c.majors[j]; });
      append_json_string(out, it == majors.end() ? std::string_view("??") : it->code);
    }
    out += "],\"accept_adjustment\":";
    out += c.accept_adjustment ? "true" : "false";
    if (c.special) out += ",\"special\":true";
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace zhiyuan::crash
