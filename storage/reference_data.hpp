#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <pqxx/connection>

#include <functional>

#include "core/candidate.hpp"
#include "core/catalog.hpp"
#include "core/popularity.hpp"
#include "core/score_table.hpp"
#include "core/subjects.hpp"
#include "storage/catalog_loader.hpp"

namespace zhiyuan::storage {

/// Reference data the catalog endpoints serve from memory: historical minimum scores and ranks
/// per group, the score tables (一分一段) per year and track, control lines. Immutable after
/// loading; swapped atomically with the catalog.
///
/// Which year is "this year" is not decided here: the server takes the filing schedule's year
/// (core::schedule::year), the year whose filing the server runs; every earlier year with data
/// is history. `latest_year()` is only for reports and consistency checks.
struct reference_data {
  /// One group's result in one earlier year (历年分数), keyed by this year's group id.
  struct historical_score {
    core::group_id group = 0;
    int year = 0;
    int min_score = 0;
    int min_rank = 0;
    int admitted = 0;
  };
  /// The score table of one year and track.
  struct year_table {
    int year = 0;
    core::track trk = core::track::physics;
    core::score_table table;
  };
  /// A control line of one year. Special-type lines (not rows of control_lines, but facts
  /// `special_type_line.<year>.<track>` of dataset_info) have `line.special_type` set.
  struct year_line {
    int year = 0;
    core::control_line line;
  };

  std::vector<historical_score> history;  ///< Sorted by (group, year descending).
  std::vector<year_table> tables;         ///< Sorted by (year, track).
  std::vector<year_line> lines;           ///< Sorted by year.
  /// FNV-1a of every row: changes whenever the data does (ETags of score responses).
  std::uint64_t fingerprint = 0;

  /// The historical results of a group, most recent year first; empty when none.
  std::span<const historical_score> history_of(core::group_id g) const noexcept;
  /// The score table of (year, track), or nullptr.
  const core::score_table* table(int year, core::track t) const noexcept;
  /// Years that have a score table of track `t`, most recent first.
  std::vector<int> table_years(core::track t) const;
  /// The largest year with a score table, 0 when there is none.
  int latest_year() const noexcept;
  /// The control lines of a year (with the special-type lines).
  std::vector<core::control_line> lines_of(int year) const;
};

/// Loads the reference data. Throws std::runtime_error when a score table is inconsistent
/// (a score listed twice, or a `cumulative` column that is not the running sum of `count`).
std::shared_ptr<const reference_data> load_reference_data(pqxx::connection& conn);
std::shared_ptr<const reference_data> load_reference_data(const std::string& conninfo);

/// Fills `out` with every candidate's current formal choices (non-drill applications, their
/// choices read from application_history at the current version), each with the candidate's
/// score from `dir`. Reads in keyset pages so memory stays flat whatever the province's size.
/// Returns how many stored choice lists did not decode (skipped; the caller logs them).
/// A candidate's current formal choices of a batch, as committed.
struct popularity_change {
  std::int64_t candidate_id = 0;
  core::batch b{};
  std::int64_t version = 0;
  std::vector<core::group_choice> choices;
};

/// Whether a refresh still needs a version's choices (false: it read them before).
using popularity_wanted =
    std::function<bool(std::int64_t candidate_id, core::batch b, std::int64_t version)>;

/// The formal versions committed since `cursor_us` (the database's clock, with overlap; 0: only
/// the clock is read) and the next cursor. Choices are read and decoded only for the versions
/// `wanted` (all when empty); the others come back with none. Undecodable rows are skipped.
std::pair<std::vector<popularity_change>, std::int64_t> popularity_changes_since(
    const std::string& conninfo, std::int64_t cursor_us, const popularity_wanted& wanted = {});

std::size_t load_popularity(const std::string& conninfo, const candidate_directory& dir,
                            core::popularity_index& out);

}  // namespace zhiyuan::storage
