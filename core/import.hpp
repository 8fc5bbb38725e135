#pragma once

// The province's CSV imports (units, plans, historical scores), checked row by row before
// anything is applied: a file either applies whole or not at all, and every bad cell is named
// by line and column in the error report. Pure: no I/O; storage applies the checked rows.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/subjects.hpp"

namespace zhiyuan::core {

/// One problem of an import file. `line` is 1-based (the header is line 1); `column` is the
/// header name, empty when the whole row or file is wrong.
struct import_error {
  std::size_t line = 0;
  std::string column;
  std::string message;
  friend bool operator==(const import_error&, const import_error&) = default;
};

/// A parsed CSV file: the header and the data rows with their line numbers.
struct csv_table {
  std::vector<std::string> header;
  struct row {
    std::size_t line = 0;
    std::vector<std::string> cells;
  };
  std::vector<row> rows;
};

/// Parses RFC 4180 CSV (UTF-8, an optional BOM, CRLF or LF, quoted fields with "" escapes).
/// Written by hand: the format is small and no packaged CSV reader reports line numbers of
/// quoted multi-line fields as needed here. Fails with an error on an unterminated quote, a
/// row whose cell count differs from the header's, or more than `max_rows` data rows.
std::optional<csv_table> parse_csv(std::string_view text, std::size_t max_rows,
                                   std::vector<import_error>& errors);

/// Checks that `header` holds exactly `expected` (in any order); returns each expected
/// column's index, or nullopt after adding errors.
std::optional<std::vector<std::size_t>> map_columns(const std::vector<std::string>& header,
                                                    const std::vector<std::string_view>& expected,
                                                    std::vector<import_error>& errors);

/// units.csv: code,name,level,parent_code (level: province, city, county, school).
struct unit_import_row {
  std::size_t line = 0;
  std::string code;
  std::string name;
  int level = 0;  ///< 0 province .. 3 school
  std::string parent_code;
};
inline const std::vector<std::string_view> unit_columns = {"code", "name", "level", "parent_code"};

/// plans.csv: one row per major of a college-major group (the columns of colleges,
/// major_groups and majors).
struct plan_import_row {
  std::size_t line = 0;
  std::string college_code, college_name, region, college_type;
  std::string group_code;
  batch b = batch::undergrad;
  track trk = track::physics;
  category cat = category::regular;
  bool special_type = false;
  int req_first = 0;        ///< 0 either, 1 physics, 2 history
  int req_second_kind = 0;  ///< 0 none, 1 one, 2 both, 3 either of two
  int req_subjects = 0;     ///< subject bit set
  int group_plan_count = 0;
  std::string major_code, major_name;
  int major_plan_count = 0;
  int years = 4;
  int tuition = 0;
};
inline const std::vector<std::string_view> plan_columns = {"college_code",
                                                           "college_name",
                                                           "region",
                                                           "college_type",
                                                           "group_code",
                                                           "batch",
                                                           "track",
                                                           "category",
                                                           "special_type",
                                                           "req_first",
                                                           "req_second_kind",
                                                           "req_subjects",
                                                           "group_plan_count",
                                                           "major_code",
                                                           "major_name",
                                                           "major_plan_count",
                                                           "years",
                                                           "tuition"};

/// scores.csv: a group's minimum score and rank of an earlier year (historical_scores).
struct score_import_row {
  std::size_t line = 0;
  std::string college_code, group_code;
  batch b = batch::undergrad;
  track trk = track::physics;
  int year = 0;
  int min_score = 0;
  int min_rank = 0;
  int admitted = 0;
};
inline const std::vector<std::string_view> score_columns = {
    "college_code", "group_code", "batch", "track", "year", "min_score", "min_rank", "admitted"};

/// candidates.csv: one row per candidate (考生), from the registration system after the exam.
/// `electives` names the two second-choice subjects joined by '+' ("chemistry+biology"), empty
/// only without a score; `score` and `rank` are empty for a candidate without a 3+1+2 score
/// (absent, or of the vocational exam); `eligible` lists the
/// batches reached (上线) joined by '+', plus "special_type" for the special-type line, and
/// is empty when none. Passwords never travel in a spreadsheet: a new candidate signs in after
/// the school's office issues a one-time password.
struct candidate_import_row {
  std::size_t line = 0;
  std::string exam_no, name, id_number, school_code;
  category cat = category::regular;
  track trk = track::physics;
  subject_set electives;
  std::optional<int> score;
  std::optional<int> rank;
  eligibility eligible;
};
inline const std::vector<std::string_view> candidate_columns = {
    "exam_no", "name",      "id_number", "school_code", "category",
    "track",   "electives", "score",     "rank",        "eligible"};

/// The rows of a file checked cell by cell; `errors` gets one entry per bad cell. Cross-row
/// rules (codes unique in the file, a group's columns agreeing across its majors) are checked
/// too; rules needing the database (a parent unit, a known group) are storage's.
std::vector<unit_import_row> check_units(const csv_table& t, std::vector<import_error>& errors);
std::vector<plan_import_row> check_plans(const csv_table& t, std::vector<import_error>& errors);
std::vector<score_import_row> check_scores(const csv_table& t, std::vector<import_error>& errors);
std::vector<candidate_import_row> check_candidates(const csv_table& t,
                                                   std::vector<import_error>& errors);

/// "chemistry+biology": exactly two different second-choice subjects.
std::optional<subject_set> parse_electives(std::string_view text) noexcept;
/// "undergrad+vocational+special_type", or "" for none; the special-type slot needs 本科批.
std::optional<eligibility> parse_eligibility(std::string_view text) noexcept;

/// "province", "city", "county", "school" or the stored number 0..3.
std::optional<int> parse_unit_level(std::string_view text) noexcept;

}  // namespace zhiyuan::core
