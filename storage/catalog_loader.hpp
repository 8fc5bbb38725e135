#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pqxx/connection>

#include "core/candidate.hpp"
#include "core/catalog.hpp"

namespace zhiyuan::storage {

/// Loads the enrollment plan (colleges, major groups, majors) into an immutable snapshot.
/// Throws std::runtime_error when the rows do not form a valid catalog.
std::shared_ptr<const core::catalog> load_catalog(pqxx::connection& conn);

/// The candidates' filing-relevant facts, in memory: who may file what. Names and ID numbers
/// are not kept here (they are read from the database when a response needs them).
/// Immutable after loading; shared by every I/O thread.
class candidate_directory {
 public:
  /// A candidate as the validator sees it, plus the exam number for receipts.
  struct entry {
    core::candidate_id id = 0;
    char exam_no[14] = {};
    core::unit_id school = 0;
    char city[8] = {};  ///< the city's unit code (e.g. "4301"), NUL-padded
    core::category cat = core::category::regular;
    core::track trk = core::track::physics;
    core::subject_set electives;
    std::int16_t score = 0;
    std::int32_t rank = 0;
    core::eligibility eligible;

    std::string_view exam_number() const { return {exam_no, sizeof exam_no}; }
    std::string_view city_code() const { return {city, ::strnlen(city, sizeof city)}; }
    /// The core view used by validation (name and ID number left empty).
    core::candidate to_core() const;
  };

  static std::shared_ptr<const candidate_directory> load(pqxx::connection& conn);

  const entry* find(core::candidate_id id) const noexcept;
  const entry* find_exam_no(std::string_view exam_no) const noexcept;
  std::size_t size() const noexcept { return entries_.size(); }
  /// One past the largest candidate id (sizes the write path's mailbox table).
  core::candidate_id id_bound() const noexcept;

 private:
  std::vector<entry> entries_;                                      // sorted by id
  std::unordered_map<std::string_view, std::uint32_t> by_exam_no_;  // views into entries_
};

/// Everything the server holds in memory from the database, loaded once at start-up.
struct filing_data {
  std::shared_ptr<const core::catalog> catalog;
  std::shared_ptr<const candidate_directory> directory;
};

/// Connects, loads the catalog snapshot, disconnects (after an import of plans).
std::shared_ptr<const core::catalog> load_catalog(const std::string& conninfo);
/// Connects, loads the candidate directory, disconnects (after an import of candidates).
std::shared_ptr<const candidate_directory> load_directory(const std::string& conninfo);

/// Connects, loads the catalog snapshot and the candidate directory, disconnects.
filing_data load_filing_data(const std::string& conninfo);

}  // namespace zhiyuan::storage
