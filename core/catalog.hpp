#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.hpp"
#include "core/result.hpp"
#include "core/subjects.hpp"

namespace zhiyuan::core {

/// Database id of a college-major group (院校专业组).
using group_id = std::int64_t;
/// Database id of a major (专业) inside one group; globally unique.
using major_id = std::int64_t;

/// A college (院校).
struct college {
  std::string code;  ///< 院校代号, unique.
  std::string name;
  std::string region;  ///< Province or city where it is, e.g. "湖南".
  std::string type;    ///< Free text from the plan, e.g. "公办本科", "民办", "中外合作".
};

/// What a group demands of the first-choice subject.
enum class first_requirement : std::uint8_t { physics, history, either };

/// What a group demands of the second-choice subjects.
enum class second_requirement : std::uint8_t {
  none,    ///< 不限
  one,     ///< Subject `a` is required.
  both,    ///< Subjects `a` and `b` are both required.
  either,  ///< At least one of `a`, `b` (a "或" requirement).
};

/// The subject requirement (选科要求) shared by every major of a group.
struct subject_requirement {
  first_requirement first = first_requirement::either;
  second_requirement second = second_requirement::none;
  subject a = subject::chemistry;
  subject b = subject::chemistry;

  /// Second-choice subjects the candidate lacks: empty when met; for `either` both
  /// alternatives are returned when neither is held.
  constexpr subject_set missing(subject_set held) const noexcept {
    switch (second) {
      case second_requirement::none:
        return {};
      case second_requirement::one:
        return subject_set{a}.without(held);
      case second_requirement::both:
        return subject_set{a, b}.without(held);
      case second_requirement::either:
        return (held & subject_set{a, b}).empty() ? subject_set{a, b} : subject_set{};
    }
    return {};
  }
  /// Whether a candidate of track `t` is admitted by the first-choice requirement.
  constexpr bool first_met(track t) const noexcept {
    return first == first_requirement::either ||
           (first == first_requirement::physics) == (t == track::physics);
  }
  friend constexpr bool operator==(const subject_requirement&,
                                   const subject_requirement&) noexcept = default;
};

/// A college-major group as published in the plan; the unit of choice.
struct major_group {
  group_id id = 0;
  std::string college_code;
  std::string group_code;  ///< 专业组代号 within the college, e.g. "101".
  batch b = batch::undergrad;
  track trk = track::physics;  ///< The plan (物理类/历史类) this group is listed in.
  category cat = category::regular;
  subject_requirement requirement;
  int plan_count = 0;
  bool special_type = false;  ///< A 特殊类型 group: only in the special-type slot of 本科批.
};

/// A major (专业) of a group.
struct major {
  major_id id = 0;
  group_id group = 0;
  std::string code;  ///< 专业代号 within the group, e.g. "01".
  std::string name;
  int plan_count = 0;
  int years = 4;
  int tuition = 0;  ///< Yuan per year.
};

/// An immutable snapshot of the enrollment plans. Built once from rows, then shared read-only
/// between threads as `std::shared_ptr<const catalog>` and swapped atomically on reload.
/// Lookups: group by id O(1) for compact ids else O(log n), majors of a group as one contiguous
/// span in display order (by code), groups of a batch as a span, college by code O(log n).
class catalog {
 public:
  /// Builds a snapshot. Fails (errc::invalid_field) on a duplicate college code, group id or
  /// major id, a group whose college is unknown, a major whose group is unknown, or a group whose
  /// first-choice requirement contradicts its track.
  static result<std::shared_ptr<const catalog>> build(std::vector<college> colleges,
                                                      std::vector<major_group> groups,
                                                      std::vector<major> majors);

  const major_group* find_group(group_id id) const noexcept;
  const college* find_college(std::string_view code) const noexcept;
  /// The majors of a group sorted by code (then id); empty for an unknown group.
  std::span<const major> majors_of(group_id id) const noexcept;
  /// The majors of the group at `find_group`'s address (no second lookup).
  std::span<const major> majors_of(const major_group& g) const noexcept;
  /// Whether major `m` belongs to group `g` (a scan of the group's few majors).
  bool group_has_major(const major_group& g, major_id m) const noexcept;
  /// The groups of a batch, sorted by id.
  std::span<const major_group> groups_in(batch b) const noexcept;

  std::span<const major_group> groups() const noexcept { return groups_; }
  std::span<const college> colleges() const noexcept { return colleges_; }
  std::span<const major> majors() const noexcept { return majors_; }

 private:
  catalog() = default;

  // The steps of build(), in order: each reads what the previous ones set.
  result<void> set_colleges(std::vector<college>&& colleges);
  result<void> set_groups(std::vector<major_group>&& groups);
  result<void> index_group_ids();
  void index_dense_ids();
  void index_batches();
  result<void> set_majors(std::vector<major>&& majors);

  std::vector<college> colleges_;         // Sorted by code.
  std::vector<major_group> groups_;       // Sorted by (batch, id): each batch is contiguous.
  std::vector<group_id> group_ids_;       // Group ids in id order, for a cache-friendly search.
  std::vector<std::uint32_t> group_pos_;  // Index into groups_ for each entry of group_ids_.
  // When ids are compact (as database sequences make them), a direct table: dense_[id - dense_min_]
  // is the index into groups_ plus 1, or 0 for no group. Empty otherwise (binary search instead).
  std::vector<std::uint32_t> dense_;
  group_id dense_min_ = 0;
  std::vector<std::uint32_t> major_begin_;  // Per entry of groups_: [begin, begin of next).
  std::vector<major> majors_;               // Sorted by (group position, code, id).
  std::vector<major_id> major_ids_;  // Parallel to majors_: the hot membership scan reads only ids.
  std::array<std::uint32_t, batch_count + 1> batch_begin_{};
};

}  // namespace zhiyuan::core
