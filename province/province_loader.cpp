#include "province/province_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <tuple>

namespace zhiyuan::loadtest {

namespace {

namespace sql {

constexpr std::string_view count_seed_rows =
    "SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM candidates)"
    " + (SELECT count(*) FROM colleges) + (SELECT count(*) FROM major_groups)"
    " + (SELECT count(*) FROM majors) + (SELECT count(*) FROM historical_scores)"
    " + (SELECT count(*) FROM score_tables) + (SELECT count(*) FROM control_lines)"
    " + (SELECT count(*) FROM dataset_info)";

// Every table a TRUNCATE … CASCADE of the seed tables empties: the seed tables and, transitively,
// every table with a foreign key to one of them.
constexpr std::string_view cascade_set =
    "WITH RECURSIVE dep(rel) AS ("
    "  SELECT c.oid FROM pg_class c"
    "  WHERE c.oid IN ('units'::regclass, 'candidates'::regclass, 'colleges'::regclass,"
    "    'major_groups'::regclass, 'majors'::regclass, 'historical_scores'::regclass,"
    "    'score_tables'::regclass, 'control_lines'::regclass, 'dataset_info'::regclass)"
    "  UNION"
    "  SELECT con.conrelid FROM pg_constraint con JOIN dep ON con.confrelid = dep.rel"
    "  WHERE con.contype = 'f')"
    " SELECT rel::regclass::text FROM dep ORDER BY 1";

// Sequences owned by columns of the seed tables (majors.major_id since migration 0004): restarted
// before the load so that the same seed gives the same ids.
constexpr std::string_view seed_sequences =
    "SELECT s.oid::regclass::text FROM pg_depend d"
    " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
    " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
    "   AND d.deptype IN ('a', 'i')"
    "   AND d.refobjid IN ('units'::regclass, 'candidates'::regclass, 'colleges'::regclass,"
    "     'major_groups'::regclass, 'majors'::regclass, 'historical_scores'::regclass,"
    "     'score_tables'::regclass, 'control_lines'::regclass, 'dataset_info'::regclass)"
    " ORDER BY 1";

// The candidates' foreign keys and the indexes that back no constraint, with their definitions,
// so that they can be dropped for the bulk load and re-created exactly as they were.
constexpr std::string_view candidate_foreign_keys =
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE conrelid = 'candidates'::regclass AND contype = 'f' ORDER BY conname";
constexpr std::string_view candidate_plain_indexes =
    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
    " WHERE i.indrelid = 'candidates'::regclass"
    "   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
    " ORDER BY 1";

constexpr std::string_view truncate_seed_tables =
    "TRUNCATE units, candidates, colleges, major_groups, majors, historical_scores,"
    " score_tables, control_lines, dataset_info CASCADE";

}  // namespace sql

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

using columns = std::vector<std::string>;

// COPYs `rows` into `table` through pqxx::stream_to; `to_tuple` gives a row's fields in
// `cols` order.
template <typename Rows, typename ToTuple>
table_load copy_rows(pqxx::work& tx, const std::string& table, const columns& cols,
                     const Rows& rows, ToTuple&& to_tuple) {
  const auto start = steady::now();
  pqxx::stream_to stream{tx, table, cols};
  std::size_t n = 0;
  for (const auto& row : rows) {
    stream << to_tuple(row, n);
    ++n;
  }
  stream.complete();
  return {table, n, seconds_since(start)};
}

}  // namespace

std::int64_t seed_rows(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  return tx.exec1(std::string(sql::count_seed_rows))[0].as<std::int64_t>();
}

std::vector<std::pair<std::string, std::string>> dataset_facts(const province& p,
                                                               const load_options& options) {
  const province_options& o = p.options;
  const kdf_params kdf = kdf_parameters(options.cost);
  const std::int64_t regular = p.regular_candidates();
  std::vector<std::pair<std::string, std::string>> facts = {
      {"generator", "zhiyuan-seed"},
      {"seed", std::to_string(o.seed)},
      {"year", std::to_string(o.year)},
      {"historical_years", fmt::format("{},{},{}", o.year - 3, o.year - 2, o.year - 1)},
      {"candidates", std::to_string(p.candidates.size())},
      {"regular_candidates", std::to_string(regular)},
      {"vocational_candidates",
       std::to_string(static_cast<std::int64_t>(p.candidates.size()) - regular)},
      {"units", std::to_string(p.units.size())},
      {"colleges", std::to_string(p.colleges.size())},
      {"major_groups", std::to_string(p.major_groups.size())},
      {"majors", std::to_string(p.majors.size())},
      {"historical_scores", std::to_string(p.historical_scores.size())},
      {"kdf_cost", std::string(to_string(options.cost))},
      {"kdf_opslimit", std::to_string(kdf.opslimit)},
      {"kdf_memlimit", std::to_string(kdf.memlimit)},
      {"kdf_hasher", std::string(bulk_hasher_name())},
      {"test_data", options.cost == kdf_cost::test ? "true" : "false"},
      {"password_rule",
       fmt::format("loadtest::synthetic_login_password/synthetic_save_password v{}",
                   synthetic_password_version)},
  };
  // The special-type line has no row in control_lines (batch has no value for it).
  for (const special_type_line& l : p.special_type_lines) {
    facts.emplace_back(fmt::format("special_type_line.{}.{}", l.year,
                                   l.track == track_physics ? "physics" : "history"),
                       std::to_string(l.score));
  }
  return facts;
}

namespace {

// Rows per COPY statement of candidates: the stream waits for the hashes of one segment at a
// time, so the COPY of early segments overlaps the hashing of later ones.
constexpr std::size_t candidate_segment = 65'536;

// Drops the candidates' foreign keys and plain secondary indexes and returns the statements that
// re-create them. Per row, the foreign-key triggers cost ~3x the COPY itself and index
// insertion ~1x; checking each key once with a join and building each index with a sort is
// several times cheaper (PostgreSQL manual, "Populating a Database"). All of it happens in the
// load's transaction, so the schema is the same after commit and untouched after a failure.
std::vector<std::string> drop_candidate_constraints(pqxx::work& tx) {
  std::vector<std::string> recreate;
  for (const auto& row : tx.exec(std::string(sql::candidate_foreign_keys))) {
    const std::string name = tx.quote_name(row[0].as<std::string>());
    tx.exec("ALTER TABLE candidates DROP CONSTRAINT " + name);
    recreate.push_back("ALTER TABLE candidates ADD CONSTRAINT " + name + " " +
                       row[1].as<std::string>());
  }
  for (const auto& row : tx.exec(std::string(sql::candidate_plain_indexes))) {
    tx.exec("DROP INDEX " + row[0].as<std::string>());
    recreate.insert(recreate.begin(), row[1].as<std::string>());  // indexes before the keys
  }
  return recreate;
}

// Checks that the seed tables are empty or, with replace, empties them (TRUNCATE … CASCADE,
// noting every table emptied); restarts the seed tables' sequences.
void prepare(pqxx::work& tx, const load_options& options, load_report& report) {
  const auto start = steady::now();
  const auto existing = tx.exec1(std::string(sql::count_seed_rows))[0].as<std::int64_t>();
  if (existing > 0) {
    if (!options.replace) {
      throw std::runtime_error(fmt::format(
          "the database already holds {} rows in the seed tables; use --replace to empty them "
          "(TRUNCATE … CASCADE, which also empties every candidate-owned and office table)",
          existing));
    }
    for (const auto& row : tx.exec(std::string(sql::cascade_set))) {
      report.truncated.push_back(row[0].as<std::string>());
    }
    tx.exec(std::string(sql::truncate_seed_tables));
  }
  for (const auto& row : tx.exec(std::string(sql::seed_sequences))) {
    tx.exec("ALTER SEQUENCE " + row[0].as<std::string>() + " RESTART");
  }
  report.prepare_seconds = seconds_since(start);
}

// Every seed table but candidates and dataset_info, in an order their foreign keys accept.
void copy_catalog(pqxx::work& tx, const province& p, load_report& report) {
  report.tables.push_back(copy_rows(
      tx, "units", {"id", "parent_id", "level", "code", "name", "lo", "hi"}, p.units,
      [](const unit_row& u, std::size_t) {
        return std::forward_as_tuple(u.id, u.parent_id, u.level, u.code, u.name, u.lo, u.hi);
      }));

  report.tables.push_back(copy_rows(tx, "colleges", {"code", "name", "region", "type"}, p.colleges,
                                    [](const college_row& c, std::size_t) {
                                      return std::forward_as_tuple(c.code, c.name, c.region,
                                                                   c.type);
                                    }));

  report.tables.push_back(
      copy_rows(tx, "major_groups",
                {"group_id", "college_code", "group_code", "batch", "track", "category",
                 "special_type", "req_first", "req_second_kind", "req_subjects", "plan_count"},
                p.major_groups, [](const major_group_row& g, std::size_t) {
                  return std::forward_as_tuple(g.group_id, g.college_code, g.group_code, g.batch,
                                               g.track, g.category, g.special_type, g.req_first,
                                               g.req_second_kind, g.req_subjects, g.plan_count);
                }));

  report.tables.push_back(copy_rows(
      tx, "majors", {"group_id", "code", "name", "plan_count", "years", "tuition"}, p.majors,
      [](const major_row& m, std::size_t) {
        return std::forward_as_tuple(m.group_id, m.code, m.name, m.plan_count, m.years, m.tuition);
      }));

  report.tables.push_back(copy_rows(
      tx, "historical_scores", {"group_id", "year", "min_score", "min_rank", "admitted"},
      p.historical_scores, [](const historical_score_row& h, std::size_t) {
        return std::forward_as_tuple(h.group_id, h.year, h.min_score, h.min_rank, h.admitted);
      }));

  report.tables.push_back(
      copy_rows(tx, "score_tables", {"year", "track", "score", "count", "cumulative"},
                p.score_tables, [](const score_table_row& s, std::size_t) {
                  return std::forward_as_tuple(s.year, s.track, s.score, s.count, s.cumulative);
                }));

  report.tables.push_back(
      copy_rows(tx, "control_lines", {"year", "batch", "track", "category", "score"},
                p.control_lines, [](const control_line_row& l, std::size_t) {
                  return std::forward_as_tuple(l.year, l.batch, l.track, l.category, l.score);
                }));
}

// The candidates in segments, each once its hashes are ready, with their constraints deferred
// when the options say so.
void copy_candidates(pqxx::work& tx, const province& p, const password_hashes& hashes,
                     const std::function<void(std::size_t)>& wait_for_hashes,
                     const load_options& options, load_report& report) {
  const bool must_set_passwords = false;
  const bool is_test_data = options.cost == kdf_cost::test;
  const columns candidate_columns = {
      "candidate_id", "exam_no",    "name",      "id_number",          "school_id",   "county_id",
      "city_id",      "category",   "track",     "electives",          "score",       "rank",
      "eligible",     "login_hash", "save_hash", "must_set_passwords", "is_test_data"};
  table_load candidates{"candidates", 0, 0};
  auto start = steady::now();
  std::vector<std::string> recreate;
  if (options.defer_candidate_constraints) recreate = drop_candidate_constraints(tx);
  for (std::size_t begin = 0; begin < p.candidates.size(); begin += candidate_segment) {
    const std::size_t end = std::min(begin + candidate_segment, p.candidates.size());
    const auto wait_start = steady::now();
    wait_for_hashes(end);
    report.hash_wait_seconds += seconds_since(wait_start);
    pqxx::stream_to stream{tx, "candidates", candidate_columns};
    for (std::size_t i = begin; i < end; ++i) {
      const candidate_row& c = p.candidates[i];
      // The hash views are NUL-terminated inside their slots.
      stream << std::make_tuple(std::cref(c.candidate_id), std::cref(c.exam_no), std::cref(c.name),
                                std::cref(c.id_number), c.school_id, c.county_id, c.city_id,
                                c.category, c.track, c.electives, c.score, c.rank, c.eligible,
                                hashes.login(i).data(), hashes.save(i).data(), must_set_passwords,
                                is_test_data);
    }
    stream.complete();
    candidates.rows += end - begin;
  }
  candidates.seconds = seconds_since(start);
  report.tables.push_back(candidates);
  if (!recreate.empty()) {
    start = steady::now();
    for (const std::string& statement : recreate) tx.exec(statement);
    report.tables.push_back({"candidates: indexes, foreign keys", 0, seconds_since(start)});
  }
}

load_report load(pqxx::connection& conn, const province& p, const password_hashes& hashes,
                 const std::function<void(std::size_t)>& wait_for_hashes,
                 const load_options& options) {
  if (hashes.size() != p.candidates.size()) {
    throw std::invalid_argument(fmt::format("{} password hash pairs for {} candidates",
                                            hashes.size(), p.candidates.size()));
  }
  load_report report;
  pqxx::work tx(conn, "zhiyuan-seed");
  prepare(tx, options, report);
  copy_catalog(tx, p, report);
  // Candidates last but one: their hashes may still be computed meanwhile.
  copy_candidates(tx, p, hashes, wait_for_hashes, options, report);
  const auto facts = dataset_facts(p, options);
  report.tables.push_back(copy_rows(
      tx, "dataset_info", {"key", "value"}, facts,
      [](const auto& kv, std::size_t) { return std::forward_as_tuple(kv.first, kv.second); }));

  const auto start = steady::now();
  tx.commit();
  report.commit_seconds = seconds_since(start);
  return report;
}

}  // namespace

load_report load_province(pqxx::connection& conn, const province& p, const password_hashes& hashes,
                          const load_options& options) {
  return load(
      conn, p, hashes, [](std::size_t) {}, options);
}

load_report load_province(pqxx::connection& conn, const province& p, password_hashing& hashing,
                          const load_options& options) {
  return load(
      conn, p, hashing.hashes(), [&hashing](std::size_t n) { hashing.wait_for(n); }, options);
}

}  // namespace zhiyuan::loadtest
