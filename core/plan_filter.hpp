#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/catalog.hpp"
#include "core/result.hpp"
#include "core/score_table.hpp"
#include "core/subjects.hpp"

namespace zhiyuan::core {

/// Whether `who` may put group `g` on a form, as far as the group itself decides (the window,
/// the form's size and duplicates are the validator's business): the candidate is eligible for
/// the group's batch (上线), the group is in the candidate's track and category, its first- and
/// second-choice subject requirements are met, and a special-type group needs the candidate
/// above the special-type line. Agrees with `validate` on every per-group rule.
bool may_choose(const candidate& who, const major_group& g) noexcept;

/// The filters of the plan search. Empty strings and nullopt mean "any".
struct plan_filter {
  std::optional<batch> b;
  std::optional<track> trk;
  std::string_view college;  ///< Exact college code.
  std::string_view region;   ///< Exact region of the college, e.g. "湖南".
  /// Substring (bytes, so any UTF-8 text) of the college's name or code, or of a major's name.
  std::string_view text;
  const candidate* fits = nullptr;  ///< When set: only groups `may_choose(*fits, g)` accepts.
};

/// Whether group `g` passes every filter of `f` (its college is looked up in `cat`).
bool matches(const plan_filter& f, const catalog& cat, const major_group& g);

/// One page of the plan search, in catalog order (batch, then group id).
struct plan_page {
  std::vector<const major_group*> groups;
  std::size_t total = 0;  ///< Matching groups in the whole result, all pages.
  bool more = false;      ///< Groups after the last one of this page match too.
};

/// The groups matching `f`, at most `page_size` of them, starting after group `after` (the last
/// group of the previous page; nullopt for the first page). Fails with errc::invalid_field
/// ("page_token") when `after` is not a group of the searched range.
result<plan_page> select_plans(const catalog& cat, const plan_filter& f,
                               std::optional<group_id> after, std::size_t page_size);

/// A 64-bit FNV-1a hash of every field of the snapshot: equal snapshots hash equal, so the
/// ETags and page tokens built from it stay valid across restarts and server nodes.
std::uint64_t fingerprint(const catalog& cat) noexcept;

/// FNV-1a 64 of bytes, continuing from `h` (the offset basis by default).
constexpr std::uint64_t fnv1a(std::string_view bytes,
                              std::uint64_t h = 0xcbf29ce484222325ULL) noexcept {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// The part of a candidate that decides which groups `may_choose` admits (track, category,
/// electives, eligibility) packed in one number: candidates with equal keys see the same groups.
std::uint32_t profile_key(const candidate& who) noexcept;

/// A group suggested to a candidate, with what it was classified on.
struct suggestion {
  const major_group* group = nullptr;
  fit kind = fit::no_history;
  std::array<int, 3> min_ranks{};  ///< Most recent year first; 0 = no data that year.
  double average_min_rank = 0;
  double distance = 0;  ///< |candidate rank − average| / average: 0 is a perfect match.
};

/// Reach / match / safe lists (indexed by fit::reach, fit::match, fit::safe).
struct suggestion_lists {
  std::array<std::vector<suggestion>, 3> lists;
  std::array<std::size_t, 3> totals{};  ///< Before truncation to the per-class limit.
};

/// The historical minimum ranks of a group (most recent year first, 0 = no data).
using history_lookup = std::function<std::array<int, 3>(const major_group&)>;

/// Classifies every group of `groups` that `who` may choose with `classify` on its historical
/// minimum ranks; not_suggested and no_history groups are left out. Each list is ordered by
/// `distance` ascending (the group whose usual minimum rank is closest to the candidate's rank
/// first), ties by group id, and cut to `per_class` entries.
suggestion_lists suggest(const candidate& who, std::span<const major_group> groups,
                         const history_lookup& history, std::size_t per_class,
                         const fit_thresholds& th = {});

}  // namespace zhiyuan::core
