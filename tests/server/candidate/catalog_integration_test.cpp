// Integration tests of server/candidate/catalog/: the catalog endpoints of a zhiyuan-server child
// process against the seeded test province, cross-checked with the database and with core's
// validator. Candidates come from pick_case(200..299) only.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <pqxx/pqxx>
#include <set>

#include "core/plan_filter.hpp"
#include "core/popularity.hpp"
#include "core/schedule.hpp"
#include "core/score_table.hpp"
#include "core/validation.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/reference_data.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

// The suite's server port, for the helpers below.
std::uint16_t the_port = 0;

class catalog_api_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(start_server(offset_to(formal_open_instant)));
    the_port = server_->port();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void TearDown() override {
    if (HasFailure()) {
      std::fprintf(stderr, "--- server output ---\n%s\n", server_->output().c_str());
    }
  }
  static std::uint16_t port() { return server_->port(); }
  static server_process* server_;
};
server_process* catalog_api_test::server_ = nullptr;

const storage::filing_data& data() {
  static const auto d = storage::load_filing_data(database_url());
  return d;
}

http_reply get(const std::string& target, const std::string& token, const std::string& extra = "") {
  return request(the_port, "GET", target, bearer(token) + extra);
}

// A 400 problem naming `field`.
void expect_invalid(const http_reply& r, const std::string& field) {
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_NE(r.body.find("invalid_field"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(field), std::string::npos)
      << "problem does not name " << field << ": " << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
}

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

// A form of one choice of group `g`: its first major and adjustment.
core::choice_list one_choice(const core::catalog& cat, const core::major_group& g) {
  const auto majors = cat.majors_of(g);
  core::group_choice c{g.id, {}, true, g.special_type};
  if (!majors.empty()) c.majors.push_back(majors[0].id);
  return {c};
}

// Whether the validator accepts `g` for `who` as the only choice of a form, in a drill window
// that is always open (so that only the per-group rules can refuse it).
bool validator_accepts(const core::candidate& who, const core::major_group& g) {
  core::schedule always;
  always.year = 2023;
  always.drill = {0, std::numeric_limits<core::unix_seconds>::max()};
  const auto findings = core::validate(who, g.b, one_choice(*data().catalog, g), *data().catalog,
                                       always, 1, core::mode::drill_formal);
  return findings.empty();
}

// Walks every page of `query` (without page_token); the group ids in order, and the totals.
std::vector<std::int64_t> walk(const std::string& query, const std::string& token,
                               std::int64_t& total) {
  std::vector<std::int64_t> ids;
  std::string page_token;
  simdjson::dom::parser p;
  for (int guard = 0; guard < 2000; ++guard) {
    std::string target = "/api/v1/plans?" + query;
    if (!page_token.empty()) target += "&page_token=" + page_token;
    const auto r = get(target, token);
    EXPECT_EQ(r.status, 200u) << r.body;
    if (r.status != 200) break;
    auto doc = p.parse(r.body);
    total = std::int64_t(doc["total"]);
    for (auto g : simdjson::dom::array(doc["groups"])) ids.push_back(std::int64_t(g["id"]));
    if (doc["next_page_token"].is_null()) break;
    page_token = str(doc["next_page_token"]);
  }
  return ids;
}

TEST_F(catalog_api_test, schedule_is_public_and_consistent_with_its_windows) {
  const auto r = request(port(), "GET", "/api/v1/schedule");
  ASSERT_EQ(r.status, 200u) << r.body;
  simdjson::dom::parser p;
  auto doc = p.parse(r.body);
  const auto now = core::parse_rfc3339(str(doc["server_time"]));
  ASSERT_TRUE(now);
  // The server's clock is moved to the fixture's instant (plus the seconds the tests took).
  EXPECT_LT(std::llabs(*now - *core::parse_rfc3339(formal_open_instant)), 600);
  const auto window_of = [](simdjson::dom::element e) {
    return core::window{*core::parse_rfc3339(str(e["open"])),
                        *core::parse_rfc3339(str(e["close"]))};
  };
  // Rebuild a schedule from the response and check that every phase follows from it.
  core::schedule s;
  s.year = int(std::int64_t(doc["year"]));
  s.assisted_open = *core::parse_rfc3339(str(doc["assisted_open"]));
  s.confirm_deadline = *core::parse_rfc3339(str(doc["confirm_deadline"]));
  s.drill = window_of(doc["drill"]);
  std::map<std::string, std::string> phases;
  for (auto b : simdjson::dom::array(doc["batches"])) {
    const auto code = core::parse_batch(str(b["batch"]));
    ASSERT_TRUE(code);
    s.batches[core::index_of(*code)].formal = window_of(b["formal"]);
    if (!b["special"].is_null()) s.batches[core::index_of(*code)].special = window_of(b["special"]);
    for (auto w : simdjson::dom::array(b["supplementary"])) {
      s.supplementary.push_back({window_of(w), {*code}});
    }
    phases[str(b["batch"])] = str(b["phase"]);
    // The schedule governs writes only: it never says a loaded plan may not be browsed.
    EXPECT_TRUE(b["may_browse"].error());
    EXPECT_FALSE(b["may_favorite"].error());
  }
  ASSERT_EQ(phases.size(), core::batch_count);
  for (core::batch b : core::all_batches) {
    EXPECT_EQ(phases[std::string(core::to_code(b))], core::to_code(core::phase_at(s, b, *now)));
  }
  // The fixture's instant is inside 本科批's formal window.
  EXPECT_EQ(phases["undergrad"], "formal");
  EXPECT_EQ(bool(doc["drill_active"]), s.drill.contains(*now));
}

TEST_F(catalog_api_test, every_catalog_route_needs_a_session) {
  const auto g = data().catalog->groups().front();
  const std::string id = std::to_string(g.id);
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/plans", "/api/v1/plans/" + id, "/api/v1/plans/" + id + "/popularity",
           "/api/v1/colleges/" + g.college_code, "/api/v1/scores?group=" + id,
           "/api/v1/score-table?track=physics", "/api/v1/me/rank",
           "/api/v1/suggestions?batch=undergrad"}) {
    const auto none = request(port(), "GET", path);
    EXPECT_EQ(none.status, 401u) << path;
    EXPECT_EQ(none.header("www-authenticate"), "Bearer") << path;
    EXPECT_EQ(request(port(), "GET", path, bearer("not-a-token")).status, 401u) << path;
  }
}

TEST_F(catalog_api_test, plan_pages_walk_every_group_once_and_match_the_database) {
  const auto c = pick_case(200);
  const std::string token = login(port(), c.exam_no);
  std::int64_t total = -1;
  const auto ids = walk("batch=undergrad&track=physics&page_size=37", token, total);
  std::set<std::int64_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "a group appeared on two pages";
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  std::set<std::int64_t> expected;
  for (const auto& row :
       tx.exec("SELECT group_id FROM major_groups WHERE batch = 1 AND track = 0")) {
    expected.insert(row[0].as<std::int64_t>());
  }
  ASSERT_GT(expected.size(), 37u) << "the walk must span several pages";
  EXPECT_EQ(unique, expected);
  EXPECT_EQ(total, static_cast<std::int64_t>(expected.size()));

  // Another page size walks the same result.
  std::int64_t total2 = -1;
  EXPECT_EQ(walk("batch=undergrad&track=physics&page_size=100", token, total2), ids);

  // Text search: every group of one college by its name, as the database counts them.
  const auto college = tx.exec(
      "SELECT c.code, c.name, count(*) FROM colleges c JOIN"
      " major_groups g ON g.college_code = c.code GROUP BY c.code, c.name"
      " ORDER BY count(*) DESC, c.code LIMIT 1")[0];
  std::int64_t by_code_total = -1;
  const auto by_code = walk("college=" + college[0].as<std::string>(), token, by_code_total);
  EXPECT_EQ(by_code_total, college[2].as<std::int64_t>());
  EXPECT_EQ(static_cast<std::int64_t>(by_code.size()), by_code_total);
}

TEST_F(catalog_api_test, fits_me_returns_exactly_the_groups_the_validator_accepts) {
  const auto c = pick_case(202);
  const std::string token = login(port(), c.exam_no);
  const auto* e = data().directory->find_exam_no(c.exam_no);
  ASSERT_NE(e, nullptr);
  const core::candidate who = e->to_core();
  std::int64_t total = -1;
  const auto ids = walk("batch=undergrad&fits_me=true&page_size=100", token, total);
  std::set<std::int64_t> got(ids.begin(), ids.end());
  std::set<std::int64_t> expected;
  for (const auto& g : data().catalog->groups_in(core::batch::undergrad)) {
    if (validator_accepts(who, g)) expected.insert(g.id);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_LT(expected.size(), data().catalog->groups_in(core::batch::undergrad).size());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(total, static_cast<std::int64_t>(expected.size()));
}

TEST_F(catalog_api_test, page_tokens_only_resume_their_own_query) {
  const auto c = pick_case(203);
  const std::string token = login(port(), c.exam_no);
  simdjson::dom::parser p;
  const auto first = get("/api/v1/plans?batch=undergrad&page_size=5", token);
  ASSERT_EQ(first.status, 200u) << first.body;
  const std::string next = str(p.parse(first.body)["next_page_token"]);
  ASSERT_FALSE(next.empty());
  // The same query (another page size is allowed) resumes after the first page.
  const auto second = get("/api/v1/plans?batch=undergrad&page_size=3&page_token=" + next, token);
  ASSERT_EQ(second.status, 200u) << second.body;
  // Another query, a damaged token or garbage: refused, naming page_token.
  expect_invalid(get("/api/v1/plans?batch=vocational&page_size=5&page_token=" + next, token),
                 "page_token");
  expect_invalid(get("/api/v1/plans?batch=undergrad&q=x&page_token=" + next, token), "page_token");
  std::string damaged = next;
  damaged[damaged.size() / 2] = damaged[damaged.size() / 2] == 'A' ? 'B' : 'A';
  expect_invalid(get("/api/v1/plans?batch=undergrad&page_token=" + damaged, token), "page_token");
  expect_invalid(get("/api/v1/plans?batch=undergrad&page_token=%21%21", token), "page_token");
}

TEST_F(catalog_api_test, bad_parameters_are_400_naming_the_field) {
  const auto c = pick_case(204);
  const std::string token = login(port(), c.exam_no);
  expect_invalid(get("/api/v1/plans?page_size=0", token), "page_size");
  expect_invalid(get("/api/v1/plans?page_size=101", token), "page_size");
  expect_invalid(get("/api/v1/plans?page_size=ten", token), "page_size");
  expect_invalid(get("/api/v1/plans?batch=nope", token), "batch");
  expect_invalid(get("/api/v1/plans?track=chemistry", token), "track");
  expect_invalid(get("/api/v1/plans?fits_me=maybe", token), "fits_me");
  expect_invalid(get("/api/v1/plans?q=%ZZ", token), "q");
  expect_invalid(get("/api/v1/plans?region=" + std::string(65, 'a'), token), "region");
  expect_invalid(get("/api/v1/plans/abc", token), "group_id");
  expect_invalid(get("/api/v1/plans/abc/popularity", token), "group_id");
  expect_invalid(get("/api/v1/scores", token), "college");
  expect_invalid(get("/api/v1/scores?college=1&group=2", token), "group");
  expect_invalid(get("/api/v1/scores?group=x1", token), "group");
  expect_invalid(get("/api/v1/score-table?track=both", token), "track");
  expect_invalid(get("/api/v1/suggestions", token), "batch");
  expect_invalid(get("/api/v1/suggestions?batch=all", token), "batch");
  // At the limit is fine.
  EXPECT_EQ(get("/api/v1/plans?page_size=100", token).status, 200u);
}

TEST_F(catalog_api_test, unknown_groups_and_colleges_are_404) {
  const auto c = pick_case(205);
  const std::string token = login(port(), c.exam_no);
  const std::string missing = std::to_string(data().catalog->groups().back().id + 100000);
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/plans/" + missing, "/api/v1/plans/" + missing + "/popularity",
           "/api/v1/colleges/no-such-college", "/api/v1/scores?group=" + missing,
           "/api/v1/scores?college=no-such-college"}) {
    const auto r = get(path, token);
    EXPECT_EQ(r.status, 404u) << path << ": " << r.body;
    EXPECT_NE(r.body.find("not_found"), std::string::npos) << path;
  }
}

TEST_F(catalog_api_test, etags_answer_304_and_cached_bytes_are_stable) {
  const auto c = pick_case(206);
  const std::string token = login(port(), c.exam_no);
  const auto& g = data().catalog->groups_in(core::batch::undergrad)[3];
  for (const std::string& path : std::vector<std::string>{
           std::string("/api/v1/plans?batch=undergrad&track=physics"),
           "/api/v1/plans?batch=undergrad&fits_me=true", "/api/v1/plans/" + std::to_string(g.id),
           "/api/v1/colleges/" + g.college_code, "/api/v1/scores?group=" + std::to_string(g.id),
           std::string("/api/v1/score-table?track=history")}) {
    const auto first = get(path, token);
    ASSERT_EQ(first.status, 200u) << path << ": " << first.body;
    const std::string etag = first.header("etag");
    ASSERT_FALSE(etag.empty()) << path;
    const auto again = get(path, token);
    EXPECT_EQ(again.body, first.body) << path;
    EXPECT_EQ(again.header("etag"), etag) << path;
    const auto cached = get(path, token, "If-None-Match: " + etag + "\r\n");
    EXPECT_EQ(cached.status, 304u) << path;
    EXPECT_TRUE(cached.body.empty()) << path;
    const auto stale = get(path, token, "If-None-Match: \"something-else\"\r\n");
    EXPECT_EQ(stale.status, 200u) << path;
    EXPECT_EQ(stale.body, first.body) << path;
  }
  // Different queries have different tags.
  EXPECT_NE(get("/api/v1/plans?batch=undergrad", token).header("etag"),
            get("/api/v1/plans?batch=vocational", token).header("etag"));
}

TEST_F(catalog_api_test, plan_and_college_match_the_catalog) {
  const auto c = pick_case(207);
  const std::string token = login(port(), c.exam_no);
  const auto& cat = *data().catalog;
  const auto& g = cat.groups_in(core::batch::undergrad)[7];
  simdjson::dom::parser p;
  const auto r = get("/api/v1/plans/" + std::to_string(g.id), token);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto doc = p.parse(r.body);
  EXPECT_EQ(std::int64_t(doc["id"]), g.id);
  EXPECT_EQ(str(doc["college_code"]), g.college_code);
  EXPECT_EQ(str(doc["group_code"]), g.group_code);
  EXPECT_EQ(std::int64_t(doc["plan_count"]), g.plan_count);
  const auto majors = cat.majors_of(g);
  auto listed = simdjson::dom::array(doc["majors"]);
  ASSERT_EQ(listed.size(), majors.size());
  std::size_t i = 0;
  for (auto m : listed) {
    EXPECT_EQ(std::int64_t(m["id"]), majors[i].id);
    EXPECT_EQ(str(m["name"]), majors[i].name);
    ++i;
  }

  simdjson::dom::parser p2;
  const auto col = get("/api/v1/colleges/" + g.college_code, token);
  ASSERT_EQ(col.status, 200u) << col.body;
  auto cdoc = p2.parse(col.body);
  EXPECT_EQ(str(cdoc["college"]["code"]), g.college_code);
  std::size_t groups = 0;
  bool found = false;
  for (auto b : simdjson::dom::array(cdoc["batches"])) {
    for (auto x : simdjson::dom::array(b["groups"])) {
      ++groups;
      EXPECT_EQ(str(x["college_code"]), g.college_code);
      EXPECT_EQ(str(x["batch"]), str(b["batch"]));
      found = found || std::int64_t(x["id"]) == g.id;
    }
  }
  EXPECT_TRUE(found);
  std::size_t expected = 0;
  for (const auto& x : cat.groups()) expected += x.college_code == g.college_code ? 1 : 0;
  EXPECT_EQ(groups, expected);
}

// The score table of (year, track) from the database.
core::score_table table_from_db(pqxx::read_transaction& tx, int year, int track) {
  std::vector<core::score_count> rows;
  for (const auto& r : tx.exec_params(
           "SELECT score, count FROM score_tables WHERE year = $1 AND track = $2", year, track)) {
    rows.push_back({r[0].as<int>(), r[1].as<int>()});
  }
  return *core::score_table::build(rows);
}

TEST_F(catalog_api_test, scores_carry_this_years_equivalent_of_each_minimum) {
  const auto c = pick_case(208);
  const std::string token = login(port(), c.exam_no);
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  const int this_year =
      tx.exec("SELECT value::int FROM dataset_info WHERE key = 'year'")[0][0].as<int>();
  // A group with three years of history.
  const auto pick = tx.exec(
      "SELECT h.group_id, g.track FROM historical_scores h JOIN major_groups g USING (group_id)"
      " GROUP BY h.group_id, g.track HAVING count(*) = 3 ORDER BY h.group_id LIMIT 1");
  ASSERT_EQ(pick.size(), 1u);
  const auto group = pick[0][0].as<std::int64_t>();
  const int track = pick[0][1].as<int>();
  const auto now_table = table_from_db(tx, this_year, track);

  simdjson::dom::parser p;
  const auto r = get("/api/v1/scores?group=" + std::to_string(group), token);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto doc = p.parse(r.body);
  EXPECT_EQ(std::int64_t(doc["this_year"]), this_year);
  auto groups = simdjson::dom::array(doc["groups"]);
  ASSERT_EQ(groups.size(), 1u);
  std::map<int, std::array<int, 2>> db;
  for (const auto& row : tx.exec_params(
           "SELECT year, min_score, min_rank FROM historical_scores WHERE group_id = $1", group)) {
    db[row[0].as<int>()] = {row[1].as<int>(), row[2].as<int>()};
  }
  int seen = 0;
  int previous_year = std::numeric_limits<int>::max();
  for (auto y : simdjson::dom::array((*groups.begin())["years"])) {
    const int year = int(std::int64_t(y["year"]));
    EXPECT_LT(year, previous_year) << "most recent year first";
    previous_year = year;
    ASSERT_TRUE(db.count(year));
    const int min_score = db[year][0];
    EXPECT_EQ(std::int64_t(y["min_score"]), min_score);
    EXPECT_EQ(std::int64_t(y["min_rank"]), db[year][1]);
    // 等位分: the score this year whose rank is that year's rank of the minimum.
    const auto then_table = table_from_db(tx, year, track);
    const auto expected = now_table.score_for_rank(std::max(then_table.rank(min_score), 1));
    ASSERT_TRUE(expected);
    EXPECT_EQ(std::int64_t(y["equivalent_score"]), *expected) << year;
    ++seen;
  }
  EXPECT_EQ(seen, 3);

  // By college: every group of the college.
  const auto college =
      tx.exec_params("SELECT college_code FROM major_groups WHERE group_id = $1", group)[0][0]
          .as<std::string>();
  const auto count =
      tx.exec_params("SELECT count(*) FROM major_groups WHERE college_code = $1", college)[0][0]
          .as<std::int64_t>();
  simdjson::dom::parser p2;
  const auto by_college = get("/api/v1/scores?college=" + college, token);
  ASSERT_EQ(by_college.status, 200u) << by_college.body;
  EXPECT_EQ(
      static_cast<std::int64_t>(simdjson::dom::array(p2.parse(by_college.body)["groups"]).size()),
      count);
}

TEST_F(catalog_api_test, score_table_and_my_rank_agree_with_the_database) {
  const auto c = pick_case(209);
  const std::string token = login(port(), c.exam_no);
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  const int this_year =
      tx.exec("SELECT value::int FROM dataset_info WHERE key = 'year'")[0][0].as<int>();
  const auto me =
      tx.exec_params("SELECT score, rank, track FROM candidates WHERE exam_no = $1", c.exam_no)[0];
  const int score = me[0].as<int>();
  const int rank = me[1].as<int>();
  const int track = me[2].as<int>();
  const std::string track_code = track == 0 ? "physics" : "history";

  // Without ?track the candidate's own track.
  simdjson::dom::parser p;
  const auto t = get("/api/v1/score-table", token);
  ASSERT_EQ(t.status, 200u) << t.body;
  auto doc = p.parse(t.body);
  EXPECT_EQ(str(doc["track"]), track_code);
  EXPECT_EQ(std::int64_t(doc["year"]), this_year);
  std::map<int, std::array<std::int64_t, 2>> db;
  for (const auto& row : tx.exec_params(
           "SELECT score, count, cumulative FROM score_tables WHERE year = $1 AND track = $2"
           " AND count > 0",
           this_year, track)) {
    db[row[0].as<int>()] = {row[1].as<std::int64_t>(), row[2].as<std::int64_t>()};
  }
  std::size_t rows = 0;
  std::int64_t sum = 0;
  for (auto row : simdjson::dom::array(doc["rows"])) {
    const int s = int(std::int64_t(row["score"]));
    ASSERT_TRUE(db.count(s)) << s;
    EXPECT_EQ(std::int64_t(row["count"]), db[s][0]);
    EXPECT_EQ(std::int64_t(row["cumulative"]), db[s][1]);
    sum += std::int64_t(row["count"]);
    ++rows;
  }
  EXPECT_EQ(rows, db.size());
  EXPECT_EQ(std::int64_t(doc["total"]), sum);

  simdjson::dom::parser p2;
  const auto r = get("/api/v1/me/rank", token);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto mine = p2.parse(r.body);
  EXPECT_EQ(std::int64_t(mine["score"]), score);
  EXPECT_EQ(std::int64_t(mine["rank"]), rank);
  EXPECT_EQ(std::int64_t(mine["total"]), sum);
  const std::int64_t best = mine["tie"]["best_rank"];
  const std::int64_t worst = mine["tie"]["worst_rank"];
  EXPECT_EQ(best, rank) << "the directory's rank is 1 + those strictly above";
  EXPECT_EQ(worst, db[score][1]);
  EXPECT_EQ(worst - best + 1, std::int64_t(mine["tie"]["count"]));
  const auto now_table = table_from_db(tx, this_year, track);
  int years = 0;
  for (auto e : simdjson::dom::array(mine["equivalent_scores"])) {
    const int year = int(std::int64_t(e["year"]));
    EXPECT_LT(year, this_year);
    // This year's score → the earlier year's score at the same rank.
    const auto expected =
        table_from_db(tx, year, track).score_for_rank(std::max(now_table.rank(score), 1));
    ASSERT_TRUE(expected);
    EXPECT_EQ(std::int64_t(e["score"]), *expected);
    ++years;
  }
  EXPECT_EQ(years, 3);
}

TEST_F(catalog_api_test, suggestions_are_choosable_classified_and_ordered) {
  const auto c = pick_case(210);
  const std::string token = login(port(), c.exam_no);
  const auto* e = data().directory->find_exam_no(c.exam_no);
  ASSERT_NE(e, nullptr);
  const core::candidate who = e->to_core();
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  std::map<std::int64_t, std::vector<int>> history;  // most recent year first
  for (const auto& row :
       tx.exec("SELECT group_id, min_rank FROM historical_scores ORDER BY group_id, year DESC")) {
    history[row[0].as<std::int64_t>()].push_back(row[1].as<int>());
  }
  simdjson::dom::parser p;
  const auto r = get("/api/v1/suggestions?batch=undergrad", token);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto doc = p.parse(r.body);
  std::size_t listed = 0;
  for (const char* cls : {"reach", "match", "safe"}) {
    double previous = -1;
    std::size_t n = 0;
    for (auto s : simdjson::dom::array(doc[cls]["groups"])) {
      const std::int64_t id = s["group_id"];
      const auto* g = data().catalog->find_group(id);
      ASSERT_NE(g, nullptr);
      EXPECT_TRUE(validator_accepts(who, *g)) << id;
      const auto& ranks = history[id];
      EXPECT_EQ(core::to_code(core::classify(who.rank, ranks)), cls) << id;
      double sum = 0;
      for (int x : ranks) sum += x;
      const double avg = sum / static_cast<double>(ranks.size());
      const double distance = std::abs(who.rank - avg) / avg;
      EXPECT_GE(distance, previous) << "closest first";
      previous = distance;
      ++n;
    }
    EXPECT_LE(n, 50u);
    EXPECT_LE(static_cast<std::int64_t>(n), std::int64_t(doc[cls]["total"]));
    listed += n;
  }
  EXPECT_GT(listed, 0u);
}

// The group ids of a pick_case form, in order.
std::vector<std::int64_t> form_groups(const subject_case& c) {
  simdjson::dom::parser p;
  std::vector<std::int64_t> out;
  for (auto x : simdjson::dom::array(p.parse(c.choices))) out.push_back(std::int64_t(x["group"]));
  return out;
}

struct popularity {
  std::int64_t first = -1, any = -1, rank = -1, tied = -1;
  std::optional<std::int64_t> position;
};

popularity popularity_of(std::uint16_t port, const std::string& token, std::int64_t group) {
  const auto r =
      request(port, "GET", "/api/v1/plans/" + std::to_string(group) + "/popularity", bearer(token));
  EXPECT_EQ(r.status, 200u) << r.body;
  popularity out;
  if (r.status != 200) return out;
  simdjson::dom::parser p;
  auto doc = p.parse(r.body);
  out.first = doc["first_choice"];
  out.any = doc["any_position"];
  out.rank = doc["my_rank"];
  out.tied = doc["tied"];
  if (!doc["my_position"].is_null()) out.position = std::int64_t(doc["my_position"]);
  return out;
}

http_reply submit_form(std::uint16_t port, const std::string& token, const std::string& body) {
  return request(port, "POST", "/api/v1/applications/undergrad",
                 bearer(token) + json_header() + "Idempotency-Key: " + unique_key("cat") + "\r\n",
                 body);
}

TEST_F(catalog_api_test, popularity_follows_committed_submissions) {
  const auto c = pick_case(211);
  const auto groups = form_groups(c);
  ASSERT_EQ(groups.size(), 3u);
  const std::string token = ready_session(port(), c.exam_no);
  // Only this server process records into its index, so the differences are exact.
  std::vector<popularity> before;
  for (auto g : groups) before.push_back(popularity_of(port(), token, g));
  for (const auto& b : before) EXPECT_FALSE(b.position) << "the case has not submitted yet";

  const auto first = submit_form(port(), token, c.body);
  ASSERT_EQ(first.status, 201u) << first.body;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const auto after = popularity_of(port(), token, groups[i]);
    EXPECT_EQ(after.any, before[i].any + 1) << "group " << groups[i];
    EXPECT_EQ(after.first, before[i].first + (i == 0 ? 1 : 0)) << "group " << groups[i];
    EXPECT_EQ(after.position, static_cast<std::int64_t>(i + 1));
    // The candidate holds it now, with their own score: tied with at least themselves, and
    // their rank is unchanged (nobody above them was added).
    EXPECT_GE(after.tied, 1);
    EXPECT_EQ(after.rank, before[i].rank);
  }

  // The same groups in reverse order: the first choice moves, any-position counts stay.
  simdjson::dom::parser p;
  std::string reversed = "[";
  auto list = simdjson::dom::array(p.parse(c.choices));
  std::vector<std::string> items;
  for (auto x : list) items.push_back(simdjson::minify(x));
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (reversed.size() > 1) reversed += ',';
    reversed += *it;
  }
  reversed += "]";
  std::string body = c.body;
  body.replace(body.find(c.choices), c.choices.size(), reversed);
  const auto second = submit_form(port(), token, body);
  ASSERT_EQ(second.status, 201u) << second.body;
  const auto g0 = popularity_of(port(), token, groups[0]);
  const auto g2 = popularity_of(port(), token, groups[2]);
  EXPECT_EQ(g0.first, before[0].first);
  EXPECT_EQ(g2.first, before[2].first + 1);
  EXPECT_EQ(g0.any, before[0].any + 1);
  EXPECT_EQ(g0.position, 3);
  EXPECT_EQ(g2.position, 1);
}

// Submits the case's form and returns its groups.
std::vector<std::int64_t> submitted_case(int k, std::string& exam_no) {
  const auto c = pick_case(k);
  exam_no = c.exam_no;
  const std::string token = ready_session(the_port, c.exam_no);
  const auto r = submit_form(the_port, token, c.body);
  EXPECT_EQ(r.status, 201u) << r.body;
  return form_groups(c);
}

TEST_F(catalog_api_test, load_popularity_reads_the_current_formal_choices) {
  std::string exam_no;
  const auto groups = submitted_case(212, exam_no);
  ASSERT_EQ(groups.size(), 3u);
  const auto* e = data().directory->find_exam_no(exam_no);
  ASSERT_NE(e, nullptr);
  core::popularity_index index;
  storage::load_popularity(database_url(), *data().directory, index);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    EXPECT_EQ(index.position_of(e->id, core::batch::undergrad, groups[i]), static_cast<int>(i + 1));
    const auto st = index.stats(groups[i], e->score);
    EXPECT_GE(st.any_position, 1);
    EXPECT_GE(st.tied, 1) << "the candidate is counted with their score";
  }
  EXPECT_GE(index.stats(groups[0], 0).first_choice, 1);
  // Every current non-drill application is loaded once.
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  const auto current =
      tx.exec("SELECT count(DISTINCT candidate_id) FROM applications WHERE NOT drill")[0][0]
          .as<std::size_t>();
  // Other test processes may commit between the two reads: only more, never fewer.
  EXPECT_LE(index.candidates(), current);
  EXPECT_GE(index.candidates(), 1u);
}

// The feed of every node's commits (issue 17) names each candidate's newest formal version
// committed since the cursor, with its choices, once per candidate and batch.
TEST_F(catalog_api_test, popularity_feed_names_the_newest_version_since_the_cursor) {
  const auto cursor = storage::popularity_changes_since(database_url(), 0).second;
  std::string exam_no;
  const auto groups = submitted_case(214, exam_no);
  ASSERT_EQ(groups.size(), 3u);
  const auto c = pick_case(214);
  const auto again = submit_form(the_port, ready_session(the_port, exam_no), c.body);
  ASSERT_EQ(again.status, 201u) << again.body;
  const auto* e = data().directory->find_exam_no(exam_no);
  ASSERT_NE(e, nullptr);
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  const auto current = tx.exec_params1(
                             "SELECT version FROM applications WHERE candidate_id = $1 "
                             "AND batch = 1 AND NOT drill",
                             e->id)[0]
                           .as<std::int64_t>();
  const auto [changes, next] = storage::popularity_changes_since(database_url(), cursor);
  EXPECT_GT(next, cursor);
  int seen = 0;
  for (const auto& ch : changes) {
    if (ch.candidate_id != e->id) continue;
    ++seen;
    EXPECT_EQ(ch.version, current);
    ASSERT_EQ(ch.choices.size(), 3u);
    EXPECT_EQ(ch.choices[0].group, groups[0]);
  }
  EXPECT_EQ(seen, 1);
}

TEST_F(catalog_api_test, a_server_starts_with_the_committed_popularity) {
  std::string exam_no;
  const auto groups = submitted_case(213, exam_no);
  ASSERT_EQ(groups.size(), 3u);
  // needs server/main.cpp: storage::load_popularity(conninfo, *data.directory, popularity);
  server_process fresh = start_server(offset_to(formal_open_instant));
  const std::string token = login(fresh.port(), exam_no);
  const auto loaded = popularity_of(fresh.port(), token, groups[1]);
  EXPECT_EQ(loaded.position, 2) << "choices loaded at start-up";
  EXPECT_GE(loaded.any, 1);
}

TEST_F(catalog_api_test, openapi_documents_the_catalog_routes) {
  const auto r = request(port(), "GET", "/openapi.json");
  ASSERT_EQ(r.status, 200u);
  simdjson::dom::parser p;
  auto doc = p.parse(r.body);
  ASSERT_FALSE(doc.error()) << "openapi.json is not JSON";
  for (const char* path :
       {"/api/v1/schedule", "/api/v1/plans", "/api/v1/plans/{group_id}",
        "/api/v1/plans/{group_id}/popularity", "/api/v1/colleges/{code}", "/api/v1/scores",
        "/api/v1/score-table", "/api/v1/me/rank", "/api/v1/suggestions"}) {
    auto op = doc["paths"][path]["get"];
    ASSERT_FALSE(op.error()) << path;
    EXPECT_FALSE(op["summary"].error()) << path;
  }
}

}  // namespace
}  // namespace zhiyuan::test
