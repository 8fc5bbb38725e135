#pragma once

// A synthetic province, generated deterministically from a seed: the units tree, the candidates
// and the catalog, as plain rows of the tables in storage/migrations/0001. Sizes and shapes are
// modelled on Hunan 2022 (see shared/DOMAIN.md); every name, code and number is synthetic.
//
// Choices made here (documented once, relied on by tests and the load test):
// - The current year is `province_options::year` (2023); the three historical years are
//   year-3 .. year-1 (2020, 2021, 2022). Exam numbers start with the current year's two digits.
// - Candidates are either regular-exam candidates (~497/655 of them, with score, per-track rank
//   and eligibility) or vocational-track candidates (中职对口, the rest): those have score and rank
//   NULL, electives 0, category regular, eligible 0 (they are admitted through the separate
//   对口 exam, which this schema does not model), and a track drawn with the same split so that
//   the column stays meaningful for statistics. They study at vocational schools (职业中专).
// - Rank within a track = 1 + number of candidates of the track with a strictly higher score.
// - score_tables rows cover every score 0..750 for each (year, track); `cumulative` is the number
//   of candidates of the track scoring that score or more, so a candidate's rank is
//   cumulative - count + 1. The current year's table is computed from the candidates; the
//   historical years' tables come from synthetic populations of their own.
// - control_lines: batch 0 and 1 share the undergraduate line, batch 2 and 3 the vocational line;
//   categories arts and sports have their own (lower, synthetic) lines. Historical years' lines
//   sit at the same rank share as the current year's. The special-type (特殊类型) line has no
//   place in control_lines (batch has no value for it); it is in `special_type_lines`.
// - eligible: bits early_undergrad|undergrad when score >= the undergraduate line of the
//   candidate's track and category; bits early_vocational|vocational when score >= the
//   vocational line; bit 16 (eligible_special_type) when a regular-category candidate also
//   reaches the special-type line of the track.
// - historical_scores: min_score/min_rank of each group in each historical year come from the
//   group's prestige through that year's score table (a rank share held roughly constant), so they
//   are consistent with score_tables. About 5% of (group, year) pairs are missing (new groups).
// - major_groups: every batch has groups of every category it admits (arts and sports ones in
//   the main batches too), so that every candidate eligible for a batch can list groups of it
//   (province/catalog_generator.hpp). Those added for that come after the colleges' own groups.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zhiyuan::loadtest {

// Integer encodings of storage/migrations/0001 (never reorder).
inline constexpr int track_physics = 0;
inline constexpr int track_history = 1;
inline constexpr int category_regular = 0;
inline constexpr int category_arts = 1;
inline constexpr int category_sports = 2;
inline constexpr int batch_early_undergrad = 0;
inline constexpr int batch_undergrad = 1;
inline constexpr int batch_early_vocational = 2;
inline constexpr int batch_vocational = 3;
inline constexpr int subject_chemistry = 1;
inline constexpr int subject_biology = 2;
inline constexpr int subject_politics = 4;
inline constexpr int subject_geography = 8;
inline constexpr int req_first_either = 0;
inline constexpr int req_first_physics = 1;
inline constexpr int req_first_history = 2;
inline constexpr int req_second_none = 0;
inline constexpr int req_second_one = 1;
inline constexpr int req_second_both = 2;
inline constexpr int req_second_either_of_two = 3;
inline constexpr int eligible_special_type = 16;  ///< eligible bit: passed the special-type line
inline constexpr int max_score = 750;

/// What to generate. The defaults are the full province.
struct province_options {
  std::uint64_t seed = 2022;
  std::int64_t candidates = 655'000;  ///< registered candidates, regular and vocational track
  int year = 2023;                    ///< current exam year; history is year-3 .. year-1
  /// Share of candidates sitting the regular exam (Hunan 2022: 497,000 of 655,000).
  double regular_share = 497.0 / 655.0;
  /// Share of physics among regular-exam candidates (Hunan 2022: 59.33%).
  double physics_share = 0.5933;
  int schools = 1200;
  int colleges = 2000;
  // Current-year control lines of the regular category (Hunan 2022, unverified): undergraduate,
  // special type and vocational, indexed by track (physics, history).
  int undergrad_line[2] = {414, 451};
  int special_type_line[2] = {506, 527};
  int vocational_line = 200;
};

/// units: province › city › county › school. `parent_id` is empty for the province.
struct unit_row {
  int id = 0;
  std::optional<int> parent_id;
  int level = 0;  ///< 0 province, 1 city, 2 county, 3 school
  std::string code;
  std::string name;
  int lo = 0;  ///< pre-order interval: x is inside u when u.lo <= x.lo && x.hi <= u.hi
  int hi = 0;
  bool vocational_school = false;  ///< school level only: a 职业中专 (not a column)

  bool operator==(const unit_row&) const = default;
};

/// candidates, without the password hashes (see synthetic_passwords.hpp).
struct candidate_row {
  std::int64_t candidate_id = 0;  ///< 1..N in exam-number order
  std::string exam_no;            ///< 14 digits: yy cc dd sss nnnnn
  std::string name;
  std::string id_number;  ///< 18 characters, ISO 7064 MOD 11-2 check character
  int school_id = 0;
  int county_id = 0;
  int city_id = 0;
  int category = 0;
  int track = 0;
  int electives = 0;  ///< subject bit set, two bits for regular candidates, 0 otherwise
  std::optional<int> score;
  std::optional<int> rank;
  int eligible = 0;  ///< bit (1 << batch), plus eligible_special_type

  bool operator==(const candidate_row&) const = default;
};

struct college_row {
  std::string code;  ///< 5 digits
  std::string name;
  std::string region;
  std::string type;
  bool undergrad = false;  ///< undergraduate college (本科) rather than vocational (not a column)

  bool operator==(const college_row&) const = default;
};

struct major_group_row {
  int group_id = 0;
  std::string college_code;
  std::string group_code;  ///< 3 digits, unique within the college
  int batch = 0;
  int track = 0;
  int category = 0;
  bool special_type = false;
  int req_first = 0;
  int req_second_kind = 0;
  int req_subjects = 0;
  int plan_count = 0;  ///< sum of the majors' plans

  bool operator==(const major_group_row&) const = default;
};

struct major_row {
  int group_id = 0;
  std::string code;  ///< 2 digits, unique within the group
  std::string name;
  int plan_count = 0;
  int years = 0;
  int tuition = 0;  ///< yuan per year

  bool operator==(const major_row&) const = default;
};

struct historical_score_row {
  int group_id = 0;
  int year = 0;
  int min_score = 0;
  int min_rank = 0;
  int admitted = 0;

  bool operator==(const historical_score_row&) const = default;
};

struct score_table_row {
  int year = 0;
  int track = 0;
  int score = 0;
  int count = 0;
  int cumulative = 0;  ///< candidates of (year, track) with this score or more

  bool operator==(const score_table_row&) const = default;
};

struct control_line_row {
  int year = 0;
  int batch = 0;
  int track = 0;
  int category = 0;
  int score = 0;

  bool operator==(const control_line_row&) const = default;
};

/// The special-type (特殊类型) line of a year and track (regular category).
struct special_type_line {
  int year = 0;
  int track = 0;
  int score = 0;

  bool operator==(const special_type_line&) const = default;
};

/// A whole generated province. Rows of each table are in primary-key order.
struct province {
  province_options options;
  std::vector<unit_row> units;
  std::vector<candidate_row> candidates;
  std::vector<college_row> colleges;
  std::vector<major_group_row> major_groups;
  std::vector<major_row> majors;
  std::vector<historical_score_row> historical_scores;
  std::vector<score_table_row> score_tables;
  std::vector<control_line_row> control_lines;
  std::vector<special_type_line> special_type_lines;

  /// The three historical years, oldest first.
  std::vector<int> historical_years() const;
  std::int64_t regular_candidates() const;  ///< candidates with a score
};

/// Generates the province. Pure: the same options give identical rows whatever `threads` is
/// (candidates are generated per school from per-school random streams; `threads` only splits
/// that work). `threads` <= 0 means one per hardware thread. Throws std::invalid_argument for
/// a negative candidate count, a year outside 2001..2099, fewer than 244 schools, a college
/// count outside 1..89999, or more candidates than the exam-number and ID formats can hold
/// (99,999 per school, 731,000 per county: tens of millions in all).
province generate_province(const province_options& options, int threads = 0);

/// The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number
/// (GB 11643): '0'..'9' or 'X'.
char id_check_character(std::string_view first17);

}  // namespace zhiyuan::loadtest
