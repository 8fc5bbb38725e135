#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace zhiyuan::core {

/// A time window, half-open: [open, close). With close = 17:00:00, an action stamped 16:59:59 is
/// inside and one stamped 17:00:00 is not; with open = 08:00:00, 08:00:00 is inside.
struct window {
  unix_seconds open = 0;
  unix_seconds close = 0;
  constexpr bool contains(unix_seconds t) const noexcept { return open <= t && t < close; }
  friend constexpr bool operator==(const window&, const window&) noexcept = default;
};

/// 分时段填报 (staggered filing, an overload measure): within its batch's formal window, the
/// candidates a slot names (a score band, and cities when listed) submit formal choices only
/// inside the slot's own window. Drafts and browsing stay open for the whole window.
struct filing_slot {
  window when;
  int min_score = 0;                ///< inclusive
  int max_score = 750;              ///< inclusive
  std::vector<std::string> cities;  ///< city (市州) unit codes; empty: every city
  bool matches(int score, std::string_view city) const noexcept;
  friend bool operator==(const filing_slot&, const filing_slot&) = default;
};

/// The real filing windows of one batch.
struct batch_schedule {
  window formal;  ///< 正式填报: drafts and submissions.
  /// Only for 本科批: the special-type slot (特殊类型) is filed earlier, together with 本科提前批.
  /// Inside it (and outside `formal`) a 本科批 submission may hold only special-type choices.
  std::optional<window> special;
  /// Staggered slots, first match wins; a candidate no slot names submits in the whole formal
  /// window. Empty: no staggering.
  std::vector<filing_slot> slots;
};

/// A supplementary round (征集志愿): a window in which the listed batches accept submissions
/// again. Who may file in a round (only candidates not yet admitted) is decided by the server.
struct supplementary_round {
  window when;
  batch_set batches;
};

/// The filing timetable of one year. Data (see config/schedule.toml), not code. Phases of a batch
/// at time t, first match wins: formal → special (本科批 only) → a supplementary round listing the
/// batch → assisted (from `assisted_open` until the batch's formal open) → not open yet (before
/// `assisted_open`) → closed. The drill is separate: it writes to drill storage only.
struct schedule {
  int year = 0;
  window drill;  ///< 模拟演练: rehearsal; drafts and submissions go to drill storage.
  unix_seconds assisted_open = 0;  ///< 辅助填报 opens (browse and favourites only).
  std::array<batch_schedule, batch_count> batches{};  ///< Indexed by `index_of(batch)`.
  std::vector<supplementary_round> supplementary;     ///< In time order.
  /// Household-registration (户籍) and physical-exam (体检) information can be confirmed only
  /// before this instant; no change after it.
  unix_seconds confirm_deadline = 0;

  const batch_schedule& of(batch b) const noexcept { return batches[index_of(b)]; }
};

/// Where a batch stands at an instant.
enum class phase : std::uint8_t {
  not_open,       ///< Before assisted filing.
  assisted,       ///< 辅助填报: browse and favourites.
  formal,         ///< 正式填报: drafts and submissions.
  special,        ///< 本科批 special-type slot only.
  supplementary,  ///< 征集志愿 round for this batch.
  closed,         ///< After the formal close and outside any round.
};

/// What a request wants to do.
enum class action : std::uint8_t {
  browse,            ///< Query plans and historical scores.
  favourite,         ///< Add or remove favourites.
  save_draft,        ///< Save a 志愿草稿.
  submit,            ///< Submit and save formal choices (正式志愿).
  confirm,           ///< Confirm household-registration / physical-exam information.
  drill_save_draft,  ///< Draft in the drill (模拟演练) storage.
  drill_submit,      ///< Submission in the drill storage.
};

/// Why an action is refused, or `ok`.
enum class deny_reason : std::uint8_t {
  ok,
  not_open_yet,    ///< Before the first window that would allow it.
  assisted_only,   ///< Assisted filing: browse and favourites only.
  closed,          ///< Windows closed (a later supplementary round may still open).
  outside_slot,    ///< Formal filing is open, but not the candidate's staggered slot.
  drill_closed,    ///< Drill action outside the drill window.
  confirm_closed,  ///< Past the confirmation deadline.
};

/// The answer to "may this action happen now", with enough context for a message.
struct decision {
  deny_reason reason = deny_reason::ok;
  phase ph = phase::not_open;             ///< The batch's phase at that instant.
  std::optional<unix_seconds> next_open;  ///< When a window allowing the action opens next.
  std::optional<window> slot;             ///< With outside_slot: the candidate's slot.
  constexpr bool allowed() const noexcept { return reason == deny_reason::ok; }
};

/// The phase of batch `b` at instant `t`.
phase phase_at(const schedule& s, batch b, unix_seconds t) noexcept;

/// Whether `p` is a filing window (formal, special-type or supplementary): the phases in which
/// choices are submitted.
constexpr bool is_filing_window(phase p) noexcept {
  return p == phase::formal || p == phase::special || p == phase::supplementary;
}

/// May action `a` on batch `b` happen at instant `t`?
///  - browse, favourite: in assisted, formal, special and supplementary phases;
///  - save_draft, submit: in formal, special and supplementary phases (in `special` the
///    validator restricts the form to the special-type slot);
///  - confirm: before `confirm_deadline` (batch ignored);
///  - drill_*: inside the drill window (batch ignored).
decision decide(const schedule& s, batch b, action a, unix_seconds t) noexcept;

/// Who asks, for the staggered slots: the candidate's total score and city (市州) unit code.
struct slot_subject {
  int score = 0;
  std::string_view city;
};

/// The candidate's slot in batch `b`, or nullptr when no slot names them.
const filing_slot* slot_of(const schedule& s, batch b, const slot_subject& who) noexcept;

/// `decide` for a candidate: a submission in the formal phase outside the candidate's slot is
/// refused with outside_slot (`slot` set, `next_open` when the slot is still to come).
decision decide(const schedule& s, batch b, action a, unix_seconds t,
                const slot_subject& who) noexcept;

/// `decide` as a result: the phase when allowed, else errc::window_closed whose detail is the
/// reason code (e.g. "assisted_only"), for the server's problem body.
result<phase> permit(const schedule& s, batch b, action a, unix_seconds t);

/// One rule a timetable breaks: the field (as in config/schedule.toml and the admin API, e.g.
/// "batches.undergrad.formal_close" or "supplementary[2].open") and why.
struct schedule_issue {
  std::string field;
  std::string message;
  friend bool operator==(const schedule_issue&, const schedule_issue&) = default;
};

/// Every rule `s` breaks, empty when it is a usable timetable: a plausible year; each window
/// opens before it closes; the drill ends no later than assisted filing opens; assisted filing
/// opens no later than any batch's formal or special window; 本科批's special-type window ends
/// no later than its formal window opens; supplementary rounds are in time order, list at least
/// one batch and open no earlier than the formal close of every batch they list; each staggered
/// slot lies within its batch's formal window, opens before it closes and has a score band
/// with min_score <= max_score.
std::vector<schedule_issue> check_schedule(const schedule& s);

/// Stable codes: "not_open", "assisted", ... ; "ok", "not_open_yet", ... ; "browse", ...
std::string_view to_code(phase p) noexcept;
std::string_view to_code(deny_reason r) noexcept;
std::string_view to_code(action a) noexcept;
std::optional<action> parse_action(std::string_view code) noexcept;

}  // namespace zhiyuan::core
