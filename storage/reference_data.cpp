#include "storage/reference_data.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "core/choices.hpp"
#include "core/plan_filter.hpp"
#include "storage/columns.hpp"
#include "storage/encoding.hpp"
#include "storage/pg_arrays.hpp"
#include "storage/sql/catalog.hpp"

namespace zhiyuan::storage {

std::span<const reference_data::historical_score> reference_data::history_of(
    core::group_id g) const noexcept {
  const auto lo =
      std::lower_bound(history.begin(), history.end(), g,
                       [](const historical_score& h, core::group_id v) { return h.group < v; });
  auto hi = lo;
  while (hi != history.end() && hi->group == g) ++hi;
  return {lo, hi};
}

const core::score_table* reference_data::table(int year, core::track t) const noexcept {
  for (const year_table& y : tables) {
    if (y.year == year && y.trk == t) return &y.table;
  }
  return nullptr;
}

std::vector<int> reference_data::table_years(core::track t) const {
  std::vector<int> out;
  for (auto it = tables.rbegin(); it != tables.rend(); ++it) {
    if (it->trk == t) out.push_back(it->year);
  }
  return out;
}

int reference_data::latest_year() const noexcept { return tables.empty() ? 0 : tables.back().year; }

std::vector<core::control_line> reference_data::lines_of(int year) const {
  std::vector<core::control_line> out;
  for (const year_line& l : lines) {
    if (l.year == year) out.push_back(l.line);
  }
  return out;
}

namespace {

void hash_number(std::uint64_t& h, std::int64_t v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  h = core::fnv1a(std::string_view(buf, sizeof buf), h);
}

// Builds the table of one (year, track) from its rows and checks the stored cumulative column.
core::score_table build_table(int year, int trk, const std::vector<core::score_count>& rows,
                              const std::vector<int>& cumulative) {
  auto t = core::score_table::build(rows);
  if (!t) {
    throw std::runtime_error(fmt::format("score table {}/{}: {}", year, trk, t.error().detail));
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (t->rank(rows[i].score) != cumulative[i]) {
      throw std::runtime_error(
          fmt::format("score table {}/{}: cumulative of score {} is not the running sum of the "
                      "counts",
                      year, trk, rows[i].score));
    }
  }
  return *t;
}

// Each reader below appends its rows to `out` and folds every stored value into the
// fingerprint `h`, in the order the rows come.

void read_history(pqxx::read_transaction& tx, reference_data& out, std::uint64_t& h) {
  for (const auto& r : tx.exec(sql::reference_history)) {
    reference_data::historical_score s;
    s.group = r[0].as<std::int64_t>();
    s.year = r[1].as<int>();
    s.min_score = r[2].as<int>();
    s.min_rank = r[3].as<int>();
    s.admitted = r[4].as<int>();
    for (std::int64_t v : {s.group, std::int64_t{s.year}, std::int64_t{s.min_score},
                           std::int64_t{s.min_rank}, std::int64_t{s.admitted}}) {
      hash_number(h, v);
    }
    out.history.push_back(s);
  }
}

void read_score_tables(pqxx::read_transaction& tx, reference_data& out, std::uint64_t& h) {
  // Rows come ordered by (year, track, score): one table per run of equal (year, track).
  std::vector<core::score_count> rows;
  std::vector<int> cumulative;
  int year = -1;
  int trk = -1;
  const auto flush = [&] {
    if (rows.empty()) return;
    out.tables.push_back({year, decode_track(trk), build_table(year, trk, rows, cumulative)});
    rows.clear();
    cumulative.clear();
  };
  for (const auto& r : tx.exec(sql::reference_score_tables)) {
    const int y = r[0].as<int>();
    const int t = r[1].as<int>();
    if (y != year || t != trk) {
      flush();
      year = y;
      trk = t;
    }
    rows.push_back({r[2].as<int>(), r[3].as<int>()});
    cumulative.push_back(r[4].as<int>());
    for (std::int64_t v : {std::int64_t{y}, std::int64_t{t}, std::int64_t{rows.back().score},
                           std::int64_t{rows.back().count}}) {
      hash_number(h, v);
    }
  }
  flush();
}

void read_control_lines(pqxx::read_transaction& tx, reference_data& out, std::uint64_t& h) {
  for (const auto& r : tx.exec(sql::reference_control_lines)) {
    reference_data::year_line l;
    l.year = r[0].as<int>();
    l.line.b = decode_batch(r[1].as<int>());
    l.line.trk = decode_track(r[2].as<int>());
    l.line.cat = decode_category(r[3].as<int>());
    l.line.min_score = r[4].as<int>();
    for (int v : {l.year, r[1].as<int>(), r[2].as<int>(), r[3].as<int>(), l.line.min_score}) {
      hash_number(h, v);
    }
    out.lines.push_back(l);
  }
}

void read_special_lines(pqxx::read_transaction& tx, reference_data& out, std::uint64_t& h) {
  for (const auto& r : tx.exec(sql::reference_special_lines)) {
    // "special_type_line.2023.physics" → year 2023, track physics.
    const std::string key = r[0].as<std::string>();
    const auto dot = key.find('.', sizeof "special_type_line");
    if (dot == std::string::npos)
      throw std::runtime_error(fmt::format("bad dataset_info key {}", key));
    const auto trk_code = core::parse_track(std::string_view(key).substr(dot + 1));
    if (!trk_code) throw std::runtime_error(fmt::format("bad dataset_info key {}", key));
    reference_data::year_line l;
    l.year = std::stoi(key.substr(sizeof "special_type_line", dot - sizeof "special_type_line"));
    l.line.b = core::batch::undergrad;
    l.line.trk = *trk_code;
    l.line.cat = core::category::regular;
    l.line.special_type = true;
    l.line.min_score = std::stoi(r[1].as<std::string>());
    h = core::fnv1a(key, h);
    hash_number(h, l.line.min_score);
    out.lines.push_back(l);
  }
}

}  // namespace

std::shared_ptr<const reference_data> load_reference_data(pqxx::connection& conn) {
  auto out = std::make_shared<reference_data>();
  std::uint64_t h = 0xcbf29ce484222325ULL;
  pqxx::read_transaction tx(conn);
  read_history(tx, *out, h);
  read_score_tables(tx, *out, h);
  read_control_lines(tx, *out, h);
  read_special_lines(tx, *out, h);
  std::stable_sort(out->lines.begin(), out->lines.end(),
                   [](const auto& a, const auto& b) { return a.year < b.year; });
  out->fingerprint = h;
  return out;
}

std::shared_ptr<const reference_data> load_reference_data(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  return load_reference_data(conn);
}

std::size_t load_popularity(const std::string& conninfo, const candidate_directory& dir,
                            core::popularity_index& out) {
  std::size_t undecodable = 0;
  pqxx::connection conn(conninfo);
  // One snapshot for every page, so that a submission committing meanwhile is seen once.
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
  constexpr int page = 20'000;
  std::int64_t after_candidate = -1;
  int after_batch = -1;
  for (;;) {
    const auto rows =
        tx.exec_params(sql::popularity_current_choices, after_candidate, after_batch, page);
    for (const auto& r : rows) {
      after_candidate = r[0].as<std::int64_t>();
      after_batch = r[1].as<int>();
      const std::string_view text(r[2].c_str(), r[2].size());
      auto choices = core::decode_canonical(text);
      if (!choices) {
        // Popularity is advice: one bad row must not keep the server from starting.
        ++undecodable;
        continue;
      }
      const auto* who = dir.find(after_candidate);
      out.record(after_candidate, decode_batch(after_batch), who ? who->score : 0, *choices);
    }
    if (rows.size() < static_cast<std::size_t>(page)) break;
  }
  tx.commit();
  return undecodable;
}

std::pair<std::vector<popularity_change>, std::int64_t> popularity_changes_since(
    const std::string& conninfo, std::int64_t cursor_us, const popularity_wanted& wanted) {
  pqxx::connection conn(conninfo);
  // One snapshot: the next cursor is not later than what the rows show.
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
  const auto next = tx.exec1(sql::popularity_clock_us)[0].as<std::int64_t>();
  std::vector<popularity_change> out;
  if (cursor_us == 0) return {std::move(out), next};
  std::array<std::string, 3> keys;
  for (auto& k : keys) open_array(k);
  // (candidate, batch) → position in `out` of the versions whose choices are read below (one
  // current version per candidate and batch), and whether they decoded.
  std::vector<std::pair<std::pair<std::int64_t, int>, std::size_t>> pending;
  std::vector<std::uint8_t> unread;
  for (const auto& r : tx.exec_params(sql::popularity_changed_since, cursor_us)) {
    const auto [id, batch, version] = columns<std::int64_t, int, std::int64_t>(r);
    out.push_back({id, decode_batch(batch), version, {}});
    const bool want = !wanted || wanted(id, out.back().b, version);
    unread.push_back(want ? 1 : 0);
    if (!want) continue;
    pending.push_back({{id, batch}, out.size() - 1});
    append_int(keys[0], id);
    append_int(keys[1], batch);
    append_int(keys[2], version);
  }
  if (!pending.empty()) {
    for (auto& k : keys) close_array(k);
    std::sort(pending.begin(), pending.end());
    for (const auto& r : tx.exec_params(sql::popularity_choices_of, keys[0], keys[1], keys[2])) {
      const auto [id, batch, text] = columns<std::int64_t, int, std::string_view>(r);
      const auto it = std::lower_bound(pending.begin(), pending.end(),
                                       std::pair(std::pair(id, batch), std::size_t{0}));
      if (it == pending.end() || it->first != std::pair(id, batch)) continue;
      auto choices = core::decode_canonical(text);
      if (!choices) continue;  // advice: one bad row must not stop the others
      out[it->second].choices = std::move(*choices);
      unread[it->second] = 0;
    }
  }
  tx.commit();
  // A wanted version without decoded choices is left out.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (unread[i]) continue;
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
  return {std::move(out), next};
}

}  // namespace zhiyuan::storage
