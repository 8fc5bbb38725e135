#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/catalog.hpp"
#include "core/choices.hpp"
#include "core/schedule.hpp"
#include "core/time.hpp"

namespace zhiyuan::core {

/// A rule a form breaks. The `to_code` strings are part of the API and never change.
enum class violation : std::uint8_t {
  window_not_open,     ///< The window for this action is not open yet (or assisted only;
                       ///< or, on a choice, 本科批 is in its special-type-only window).
  window_closed,       ///< The window for this action has closed.
  not_eligible,        ///< Not above the batch's control line (list), or not above the
                       ///< special-type line (on a special choice).
  unknown_group,       ///< No such group in the catalog.
  group_not_in_batch,  ///< The group belongs to another batch.
  track_mismatch,      ///< The group is in the other track's plan (物理类/历史类).
  category_mismatch,   ///< The group is for another category (普通类/艺术类/体育类).
  subject_requirement_not_met,  ///< Second-choice subjects missing; `finding::missing` says which.
  major_not_in_group,           ///< A major is not one of the group's.
  too_many_groups,              ///< More ordinary choices than the batch allows.
  too_many_majors,              ///< More majors in a choice than allowed (6).
  empty_choice,                 ///< No majors and no adjustment: the choice can admit nobody.
  empty_list,                   ///< A formal submission with no choices.
  duplicate_group,              ///< The same group appears again.
  duplicate_major,              ///< The same major appears again within one choice.
  special_not_allowed,          ///< A special-type choice in a batch without a special slot.
  special_mismatch,             ///< Special flag and group's special_type flag disagree.
  too_many_special,             ///< More special-type choices than the batch's special slots.
  outside_slot_window,  ///< A submission outside the candidate's staggered slot (分时段填报).
};

/// Whether the form is a formal submission or a draft (志愿草稿).
enum class mode : std::uint8_t {
  /// Everything applies; the window checked is that of `action::submit`.
  formal,
  /// A draft may be incomplete: `empty_list` and `empty_choice` are not reported, and the window
  /// checked is that of `action::save_draft`. All other rules are reported so the candidate sees
  /// them early; the server stores drafts even with findings.
  draft,
  /// The drill (模拟演练): `formal` and `draft` rules, with the drill window instead of the
  /// batch's windows (the drill is open for every batch; its data is kept apart).
  drill_formal,
  drill_draft,
};

/// One violation and where it is. `choice` and `major` are 0-based positions in the submitted
/// form, -1 when not applicable (a list-level finding has both -1).
struct finding {
  violation code = violation::empty_list;
  int choice = -1;
  int major = -1;
  subject_set missing;  ///< For subject_requirement_not_met: the subjects lacking.
  bool any_of = false;  ///< True when any one of `missing` would do (an "either" requirement).
  friend bool operator==(const finding&, const finding&) = default;
};

/// Validates a form of batch `b` for candidate `who` against the catalog snapshot and the
/// schedule at instant `now`. Clears `out` and appends EVERY finding (no early exit), sorted by
/// (choice, major, code) with list-level findings first; an empty `out` means valid. Does not
/// allocate when `out` has capacity and the form has at most 64 choices.
///
/// Rules: window (by `m`); batch eligibility; per choice: group exists, is in `b`, matches the
/// candidate's track and category, subject requirement met, special flag consistent with the
/// group and allowed by the batch (and the candidate above the special-type line), at most
/// `max_majors` majors, each major in the group and not repeated, not empty (formal); per list:
/// not empty (formal), at most `max_groups` ordinary and `special_slots` special choices, no
/// group twice (every occurrence after the first is reported).
void validate(const candidate& who, batch b, std::span<const group_choice> choices,
              const catalog& cat, const schedule& sched, unix_seconds now, mode m,
              std::vector<finding>& out, const batch_limit_table& limits = default_batch_limits());

/// Convenience overload returning a new vector.
std::vector<finding> validate(const candidate& who, batch b, std::span<const group_choice> choices,
                              const catalog& cat, const schedule& sched, unix_seconds now, mode m,
                              const batch_limit_table& limits = default_batch_limits());

/// Stable code of a violation, e.g. "duplicate_group".
std::string_view to_code(violation v) noexcept;

/// Human messages, 1-based positions, naming missing subjects, e.g.
/// "第3个志愿：不满足选科要求，缺少化学" / "Choice 3: subject requirement not met; missing
/// chemistry".
std::string message_zh(const finding& f);
std::string message_en(const finding& f);

}  // namespace zhiyuan::core
