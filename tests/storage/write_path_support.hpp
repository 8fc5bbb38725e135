#pragma once

// What the write path's integration test (tests/storage/write_path_test.cpp) and its benchmark
// (bench/storage/write_path_bench.cpp) share: candidates made for one run on a real
// PostgreSQL, full-size forms, a renderer and a collector of completed ops.

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/sql/lock_keys.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::storage::test {

using namespace std::chrono_literals;

/// Completed ops, handed back by the writers: set `op->done = collector::on_done` and
/// `op->context` to the collector.
struct collector {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::unique_ptr<write_op>> ops;

  static void on_done(std::unique_ptr<write_op> op) {
    auto* c = static_cast<collector*>(op->context);
    std::lock_guard lock(c->mutex);
    c->ops.push_back(std::move(op));
    c->cv.notify_all();
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 60s) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return ops.size() >= n; });
  }
  std::vector<std::unique_ptr<write_op>> take() {
    std::lock_guard lock(mutex);
    return std::move(ops);
  }
};

/// The one text a test varies per op: the choices (submit, save_draft), the favourite's target,
/// the phone (contact), what is confirmed (confirm), the client address (sign_in); "" for a
/// pledge.
inline std::string_view payload_of(const write_op& op) {
  if (const auto* c = args_as<choices_args>(op)) return c->choices;
  if (const auto* f = args_as<favorite_args>(op)) return f->target;
  if (const auto* c = std::get_if<contact_args>(&op.args)) return c->phone;
  if (const auto* c = std::get_if<confirm_args>(&op.args)) return c->what;
  if (const auto* s = std::get_if<sign_in_args>(&op.args)) return s->ip;
  return {};
}

/// The stored response names the version, so that a replay can be checked against the history
/// row it promises.
inline void render_receipt(const write_op& op, unsigned& status, std::string& body) {
  if (op.status == op_status::conflict) {
    status = 409;
    body = R"({"error":"version_conflict"})";
    return;
  }
  status = 200;
  body = fmt::format(R"({{"version":{},"committed_at":{},"tag":"{}"}})", op.version,
                     op.committed_at_us, payload_of(op).substr(0, 40));
}

/// Where the candidates made for a run live: a school of the loaded province if there is one,
/// else a test-only unit tree (created once).
struct school_place {
  int school = 0, county = 0, city = 0;

  static school_place find_or_create(pqxx::connection& c) {
    pqxx::work tx(c);
    auto school = tx.exec(
        "SELECT s.id, s.parent_id, co.parent_id FROM units s JOIN units co ON co.id = s.parent_id"
        " WHERE s.level = 3 ORDER BY s.id LIMIT 1");
    school_place out{990003, 990002, 990001};
    if (school.empty()) {
      tx.exec(
          "INSERT INTO units (id, parent_id, level, code, name, lo, hi) VALUES"
          " (990000, NULL, 0, 'ZWTEST0', 'write-path test province', 0, 3),"
          " (990001, 990000, 1, 'ZWTEST1', 'write-path test city', 1, 3),"
          " (990002, 990001, 2, 'ZWTEST2', 'write-path test county', 2, 3),"
          " (990003, 990002, 3, 'ZWTEST3', 'write-path test school', 3, 3)"
          " ON CONFLICT DO NOTHING");
    } else {
      out = {school[0][0].as<int>(), school[0][1].as<int>(), school[0][2].as<int>()};
    }
    tx.commit();
    return out;
  }
};

/// Creates `n` candidates of `at` for this run only (ids from 9,000,000 up, fresh per call, so
/// repeated runs against a persisting cluster pass); returns the first id. Processes run in
/// parallel (ctest -j), so the next free id is taken under a transaction-level advisory lock
/// shared by all of them (the counters' fold key, which also keeps the fold away meanwhile).
inline std::int64_t make_candidates(pqxx::connection& c, const school_place& at, int n) {
  pqxx::work tx(c);
  tx.exec_params("SELECT pg_advisory_xact_lock($1::bigint)", lock_key::counters_fold);
  const std::int64_t first = tx.exec1(
                                   "SELECT greatest(coalesce(max(candidate_id), 0) + 1, 9000000)"
                                   " FROM candidates WHERE candidate_id >= 9000000")[0]
                                 .as<std::int64_t>();
  tx.exec_params(
      "INSERT INTO candidates (candidate_id, exam_no, name, id_number, school_id, county_id,"
      " city_id, category, track, electives, login_hash, is_test_data)"
      " SELECT g, (90000000000000 + g)::text, 'write-path test', 'x', $3, $4, $5, 0, 0, 0,"
      " 'x', true FROM generate_series($1::bigint, $2::bigint) AS g",
      first, first + n - 1, at.school, at.county, at.city);
  tx.commit();
  return first;
}

/// A realistic 本科批 form: 45 groups × 6 majors, ~2.6 kB canonical.
inline std::string full_form(int seed) {
  std::string s;
  s.reserve(2800);
  for (int g = 0; g < 45; ++g) {
    if (g) s += '|';
    const int group = 10000 + (seed * 7 + g * 131) % 90000;
    s += fmt::format("g{}:", group);
    for (int m = 0; m < 6; ++m) s += fmt::format("{}{}", m ? "," : "", group * 10 + m);
    s += ";a1";
  }
  return s;
}

}  // namespace zhiyuan::storage::test
