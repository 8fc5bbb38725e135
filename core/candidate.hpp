#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/batch.hpp"
#include "core/subjects.hpp"
#include "core/units.hpp"

namespace zhiyuan::core {

/// Database id of a candidate (not the exam number).
using candidate_id = std::int64_t;

/// The batches a candidate may file (上线), plus whether they passed the special-type line
/// (特殊类型招生控制线) that opens the special-type slot of 本科批.
struct eligibility {
  batch_set batches;
  bool special_type = false;
  friend constexpr bool operator==(const eligibility&, const eligibility&) noexcept = default;
};

/// A candidate (考生) as the filing rules see them. `id_number` is never shown unmasked: use
/// `mask_id_number` for any output.
struct candidate {
  candidate_id id = 0;
  std::string exam_number;  ///< 考生号, 14 digits.
  std::string name;
  std::string id_number;  ///< 身份证号, 18 characters.
  unit_id school = 0;     ///< 报名点 (a school-level unit).
  std::string city;       ///< The school's city (市州) unit code: staggered filing slots.
  category cat = category::regular;
  track trk = track::physics;  ///< 首选科目.
  subject_set electives;       ///< 再选科目: two of four.
  int score = 0;               ///< Total score 0..750.
  int rank = 0;                ///< Rank within the track (cumulative, 1 = best).
  eligibility eligible;        ///< Derived from control lines by `eligible_batches`.
};

/// A batch control line (批次控制线) for one track and category. `special_type` lines are the
/// special-type line of 本科批; the others gate a whole batch.
struct control_line {
  batch b = batch::undergrad;
  track trk = track::physics;
  category cat = category::regular;
  bool special_type = false;
  int min_score = 0;
};

/// The batches (and special-type slot) a candidate reaches: a batch is eligible when some line
/// of that batch, the candidate's track and category has `min_score <= score`. A batch without
/// such a line is not eligible. The special-type slot also needs 本科批 itself to be eligible.
eligibility eligible_batches(int score, track t, category c,
                             std::span<const control_line> lines) noexcept;

/// True when `s` is a well-formed exam number (考生号): exactly 14 ASCII digits.
bool valid_exam_number(std::string_view s) noexcept;

/// True when `s` is a valid 18-character resident ID number (GB 11643-1999): 17 digits, a
/// check character (digit or 'X'/'x') matching the ISO 7064 MOD 11-2 checksum, and a
/// plausible birth date.
bool valid_id_number(std::string_view s) noexcept;

/// Masks an ID number keeping the first 4 and last 4 characters:
/// "430102200501011234" → "4301**********1234". Inputs of 8 characters or fewer, or with
/// non-ASCII bytes, are masked entirely (one '*' per byte).
std::string mask_id_number(std::string_view id);

/// Masks a phone number keeping the first 3 and last 4 characters:
/// "13812345678" → "138****5678". Inputs of 7 characters or fewer, or with non-ASCII bytes,
/// are masked entirely.
std::string mask_phone(std::string_view phone);

}  // namespace zhiyuan::core
