#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/connection>

#include "province/province.hpp"
#include "province/synthetic_passwords.hpp"

namespace zhiyuan::loadtest {

// The seed tables, the only ones zhiyuan-seed writes: units, candidates, colleges, major_groups,
// majors, historical_scores, score_tables, control_lines, dataset_info (but see
// `load_options::replace`).

struct load_options {
  /// Empty the seed tables first (TRUNCATE … CASCADE). CASCADE also empties every table that
  /// references them: all candidate-owned tables (sessions, drafts, applications, history, …)
  /// and, through units, the offices' tables (admin_users, admin_sessions, notices, documents,
  /// incidents, …). Without it, loading into non-empty seed tables is refused.
  bool replace = false;
  kdf_cost cost = kdf_cost::production;
  /// Drop the candidates' foreign keys and plain secondary indexes before their COPY and
  /// re-create them (from their catalog definitions) after it, in the same transaction: about
  /// half the database time of the load. The transaction holds an exclusive lock on candidates
  /// meanwhile, which is harmless for a seed load.
  bool defer_candidate_constraints = true;
};

/// Time spent on one table: COPY of all its rows.
struct table_load {
  std::string table;
  std::size_t rows = 0;
  double seconds = 0;
};

struct load_report {
  std::vector<table_load> tables;  ///< in load order
  double prepare_seconds = 0;      ///< emptiness check and, with replace, TRUNCATE
  double commit_seconds = 0;
  double hash_wait_seconds = 0;        ///< time the candidates' COPY waited for hashes
  std::vector<std::string> truncated;  ///< tables emptied by replace, cascade included
};

/// Number of rows in the seed tables (0 on an empty database).
std::int64_t seed_rows(pqxx::connection& conn);

/// The facts written to dataset_info: key, value (seed, sizes, current and historical years,
/// kdf cost and parameters, test_data=true|false, password rule version, hasher, special-type
/// lines, which have no place in control_lines).
std::vector<std::pair<std::string, std::string>> dataset_facts(const province& p,
                                                               const load_options& options);

/// Loads `p` (with `hashes`, one pair per candidate) in one transaction with COPY per table
/// (pqxx::stream_to; candidates in segments of 65,536 rows, loaded last but one). Sequences
/// owned by the seed tables restart first, so majors.major_id is 1..M in majors' row order.
/// Candidates get must_set_passwords=false, both hashes, pledge_at NULL and is_test_data = (cost ==
/// test). Throws std::runtime_error when the seed tables are not empty and `replace` is off,
/// std::invalid_argument when the hashes do not match the candidates, and pqxx exceptions on
/// database errors (nothing is committed then).
load_report load_province(pqxx::connection& conn, const province& p, const password_hashes& hashes,
                          const load_options& options);

/// The same, with hashes still being computed: each segment of candidates waits for its hashes,
/// so hashing overlaps the COPY of the catalog and of earlier candidates.
load_report load_province(pqxx::connection& conn, const province& p, password_hashing& hashing,
                          const load_options& options);

}  // namespace zhiyuan::loadtest
