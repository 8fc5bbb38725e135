// Integration tests of server/candidate/ (favorites.cpp, notices.cpp, filing/): favourites, drafts
// (read, import), formal choices (read, history, export) and notices, through HTTP against the
// seeded test province. Candidates come from pick_case(300..399) only; each test resets its
// candidates' own rows first so that it does not depend on what ran before.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <vector>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

// Instants of config/schedule.toml: inside the drill (模拟演练), before assisted filing opens.
constexpr const char* drill_instant = "2023-06-15T10:00:00+08:00";

// Concatenation by appending (integers in decimal): GCC 12 warns falsely (-Wrestrict) on
// `"literal" + std::to_string(n)`.
template <typename... Parts>
std::string join(const Parts&... parts) {
  std::string out;
  auto add = [&out](const auto& p) {
    if constexpr (std::is_integral_v<std::decay_t<decltype(p)>>) {
      out += std::to_string(p);
    } else {
      out += p;
    }
  };
  (add(parts), ...);
  return out;
}

std::int64_t candidate_id_of(pqxx::connection& db, const std::string& exam_no) {
  pqxx::work tx(db);
  auto r = tx.exec_params("SELECT candidate_id FROM candidates WHERE exam_no = $1", exam_no);
  tx.commit();
  return r.at(0)[0].as<std::int64_t>();
}

// Removes everything of a candidate that these endpoints read or write.
void reset(pqxx::connection& db, std::int64_t id) {
  pqxx::work tx(db);
  for (const char* table : {"favorites", "drafts", "application_history", "applications",
                            "notice_reads", "notice_recipients"}) {
    std::string q = "DELETE FROM ";
    q += table;
    q += " WHERE candidate_id = $1";
    tx.exec_params(q, id);
  }
  tx.commit();
}

// The n-th candidate of this file's range (pick_case gives distinct candidates per index).
const subject_case& my_case(std::size_t n) {
  static const std::vector<subject_case> cases = [] {
    std::vector<subject_case> out;
    for (int i = 300; i < 320; ++i) out.push_back(pick_case(i));
    return out;
  }();
  return cases.at(n);
}

std::vector<std::int64_t> groups_of(const subject_case& c) {
  simdjson::dom::parser p;
  std::vector<std::int64_t> out;
  for (auto ch : simdjson::dom::array(p.parse(c.choices))) out.push_back(std::int64_t(ch["group"]));
  return out;
}

// `n` ordinary groups of a batch (-1: of any batch) from the plan, in id order.
std::vector<std::int64_t> plan_groups(pqxx::connection& db, int batch, int n) {
  pqxx::work tx(db);
  auto r = tx.exec_params(
      "SELECT group_id FROM major_groups WHERE ($1 < 0 OR batch = $1) AND NOT special_type"
      " ORDER BY group_id LIMIT $2",
      batch, n);
  tx.commit();
  std::vector<std::int64_t> out;
  for (const auto& row : r) out.push_back(row[0].as<std::int64_t>());
  return out;
}

std::string auth(const std::string& token) { return bearer(token); }

http_reply put_favorite(std::uint16_t port, const std::string& token, const std::string& kind,
                        const std::string& id, const std::string& category) {
  std::string body = R"({"category":")";
  body += category;
  body += "\"}";
  return request(port, "PUT", "/api/v1/favorites/" + kind + "/" + id, auth(token) + json_header(),
                 body);
}

bool has_violation(const auto& doc, std::string_view code) {
  for (auto v : simdjson::dom::array(doc["violations"])) {
    if (std::string_view(v["code"]) == code) return true;
  }
  return false;
}

std::string problem_code(const http_reply& r) {
  simdjson::dom::parser p;
  std::string_view code;
  if (p.parse(r.body)["code"].get(code)) return "";
  return std::string(code);
}

// RFC 4180 lines into fields (quoted fields may hold commas and doubled quotes).
std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\r') {
      continue;
    } else if (c == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

class state_api_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(start_server(offset_to(formal_open_instant)));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete drill_server_;
    drill_server_ = nullptr;
  }
  void SetUp() override { db_ = std::make_unique<pqxx::connection>(database_url()); }
  void TearDown() override {
    if (HasFailure()) {
      std::fprintf(stderr, "--- server output ---\n%s\n", server_->output().c_str());
      if (drill_server_ != nullptr) {
        std::fprintf(stderr, "--- drill server output ---\n%s\n", drill_server_->output().c_str());
      }
    }
  }
  static std::uint16_t port() { return server_->port(); }
  // A second server whose clock is inside the drill window (and before assisted filing).
  static std::uint16_t drill_port() {
    if (drill_server_ == nullptr) {
      drill_server_ = new server_process(start_server(offset_to(drill_instant)));
    }
    return drill_server_->port();
  }
  // A candidate with a clean state, and a session that may write.
  struct who {
    subject_case c;
    std::int64_t id = 0;
    std::string token;
  };
  who ready(std::size_t index) {
    who w{my_case(index), 0, ""};
    w.id = candidate_id_of(*db_, w.c.exam_no);
    reset(*db_, w.id);
    w.token = ready_session(port(), w.c.exam_no);
    return w;
  }

  static server_process* server_;
  static server_process* drill_server_;
  std::unique_ptr<pqxx::connection> db_;
  simdjson::dom::parser parser_;
};
server_process* state_api_test::server_ = nullptr;
server_process* state_api_test::drill_server_ = nullptr;

// ------------------------------------------------------------------ favourites

TEST_F(state_api_test, favourites_are_added_recategorised_listed_and_removed) {
  const auto a = ready(0);
  const auto groups = groups_of(a.c);
  std::string college_code, college_name;
  {
    pqxx::work tx(*db_);
    auto r = tx.exec("SELECT code, name FROM colleges ORDER BY code DESC LIMIT 1");
    college_code = r[0][0].as<std::string>();
    college_name = r[0][1].as<std::string>();
  }

  auto empty = request(port(), "GET", "/api/v1/favorites", auth(a.token));
  ASSERT_EQ(empty.status, 200u) << empty.body;
  auto doc = parser_.parse(empty.body);
  std::vector<std::string> cats;
  for (auto c : simdjson::dom::array(doc["categories"])) cats.emplace_back(std::string_view(c));
  EXPECT_EQ(cats, (std::vector<std::string>{"冲", "稳", "保"}));
  EXPECT_EQ(simdjson::dom::array(doc["items"]).size(), 0u);

  const std::string g0 = std::to_string(groups[0]);
  auto put = put_favorite(port(), a.token, "group", g0, "冲");
  ASSERT_EQ(put.status, 200u) << put.body;
  doc = parser_.parse(put.body);
  EXPECT_EQ(std::string_view(doc["kind"]), "group");
  EXPECT_EQ(std::string_view(doc["id"]), g0);
  EXPECT_EQ(std::string_view(doc["category"]), "冲");
  ASSERT_EQ(put_favorite(port(), a.token, "college", college_code, "梦想").status, 200u);
  // A group id with a leading zero names the same group.
  ASSERT_EQ(put_favorite(port(), a.token, "group", "0" + g0, "稳").status, 200u);

  auto list = request(port(), "GET", "/api/v1/favorites", auth(a.token));
  ASSERT_EQ(list.status, 200u);
  doc = parser_.parse(list.body);
  cats.clear();
  for (auto c : simdjson::dom::array(doc["categories"])) cats.emplace_back(std::string_view(c));
  EXPECT_EQ(cats, (std::vector<std::string>{"冲", "稳", "保", "梦想"}));
  auto items = simdjson::dom::array(doc["items"]);
  ASSERT_EQ(items.size(), 2u) << list.body;
  // In the order they were made; the re-categorised group kept its place.
  auto first = items.at(0).value();
  auto second = items.at(1).value();
  EXPECT_EQ(std::string_view(first["kind"]), "group");
  EXPECT_EQ(std::string_view(first["id"]), g0);
  EXPECT_EQ(std::string_view(first["category"]), "稳");
  EXPECT_FALSE(std::string_view(first["name"]).empty());
  EXPECT_FALSE(std::string_view(first["created_at"]).empty());
  EXPECT_EQ(std::string_view(second["kind"]), "college");
  EXPECT_EQ(std::string_view(second["id"]), college_code);
  EXPECT_EQ(std::string_view(second["name"]), college_name);
  EXPECT_EQ(std::string_view(second["category"]), "梦想");

  {
    pqxx::work tx(*db_);
    auto r = tx.exec_params(
        "SELECT kind, target, category FROM favorites WHERE candidate_id = $1 ORDER BY kind", a.id);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[1][1].as<std::string>(), g0);
    EXPECT_EQ(r[1][2].as<std::string>(), "稳");
  }

  auto del = request(port(), "DELETE", "/api/v1/favorites/group/" + g0, auth(a.token));
  ASSERT_EQ(del.status, 200u) << del.body;
  EXPECT_NE(del.body.find(R"("deleted":true)"), std::string::npos) << del.body;
  auto again = request(port(), "DELETE", "/api/v1/favorites/group/" + g0, auth(a.token));
  EXPECT_EQ(again.status, 200u) << again.body;  // absent: still fine, and said so
  EXPECT_NE(again.body.find(R"("deleted":false)"), std::string::npos) << again.body;
  doc = parser_.parse(request(port(), "GET", "/api/v1/favorites", auth(a.token)).body);
  items = simdjson::dom::array(doc["items"]);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(std::string_view(items.at(0).value()["kind"]), "college");
}

TEST_F(state_api_test, favourite_input_is_checked_and_named) {
  const auto a = ready(1);
  const std::string g = std::to_string(groups_of(a.c)[0]);
  std::int64_t missing_group = 0;
  {
    pqxx::work tx(*db_);
    missing_group =
        tx.exec("SELECT max(group_id) + 1000 FROM major_groups")[0][0].as<std::int64_t>();
  }
  auto expect_400 = [&](const http_reply& r, const char* field) {
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(problem_code(r), "invalid_field") << r.body;
    EXPECT_NE(r.body.find(field), std::string::npos) << r.body;
  };
  expect_400(put_favorite(port(), a.token, "major", g, "冲"), "kind");
  expect_400(put_favorite(port(), a.token, "group", "abc", "冲"), "id");
  expect_400(put_favorite(port(), a.token, "group", "-3", "冲"), "id");
  expect_400(put_favorite(port(), a.token, "group", g, ""), "category");
  expect_400(put_favorite(port(), a.token, "group", g, "   "), "category");
  expect_400(put_favorite(port(), a.token, "group", g, "12345678901234567"), "category");
  expect_400(put_favorite(port(), a.token, "group", g, "a\\u0001b"), "category");
  expect_400(put_favorite(port(), a.token, "group", g, "a\\u0085b"), "category");
  expect_400(put_favorite(port(), a.token, "group", g, "\xff\xfe"), "body");
  expect_400(request(port(), "PUT", "/api/v1/favorites/group/" + g, auth(a.token) + json_header(),
                     R"({"category":"冲","extra":1})"),
             "extra");
  expect_400(request(port(), "PUT", "/api/v1/favorites/group/" + g, auth(a.token) + json_header(),
                     R"({})"),
             "category");
  expect_400(request(port(), "PUT", "/api/v1/favorites/group/" + g, auth(a.token) + json_header(),
                     R"({"category":7})"),
             "category");
  expect_400(request(port(), "PUT", "/api/v1/favorites/group/" + g, auth(a.token) + json_header(),
                     R"({"category":"冲"} trailing)"),
             "body");
  expect_400(request(port(), "DELETE", "/api/v1/favorites/major/1", auth(a.token)), "kind");

  auto media =
      request(port(), "PUT", "/api/v1/favorites/group/" + g, auth(a.token), R"({"category":"冲"})");
  EXPECT_EQ(media.status, 415u) << media.body;
  auto no_group = put_favorite(port(), a.token, "group", std::to_string(missing_group), "冲");
  EXPECT_EQ(no_group.status, 404u) << no_group.body;
  auto no_college = put_favorite(port(), a.token, "college", "NO-SUCH-COLLEGE", "冲");
  EXPECT_EQ(no_college.status, 404u) << no_college.body;

  // Exactly 16 characters (48 bytes of UTF-8) is accepted; nothing above was stored.
  const std::string sixteen = "一二三四五六七八九十甲乙丙丁戊己";
  auto ok = put_favorite(port(), a.token, "group", g, sixteen);
  EXPECT_EQ(ok.status, 200u) << ok.body;
  pqxx::work tx(*db_);
  auto r = tx.exec_params("SELECT category FROM favorites WHERE candidate_id = $1", a.id);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].as<std::string>(), sixteen);
}

TEST_F(state_api_test, favourites_cap_categories_and_items) {
  const auto a = ready(2);
  const auto groups = plan_groups(*db_, -1, 210);
  ASSERT_EQ(groups.size(), 210u);
  // Seven own categories on top of the three defaults make ten.
  for (int i = 0; i < 7; ++i) {
    std::string cat = "own";
    cat += std::to_string(i);
    auto r = put_favorite(port(), a.token, "group", std::to_string(groups[i]), cat);
    ASSERT_EQ(r.status, 200u) << r.body;
  }
  auto eleventh = put_favorite(port(), a.token, "group", std::to_string(groups[7]), "own7");
  EXPECT_EQ(eleventh.status, 422u) << eleventh.body;
  EXPECT_NE(eleventh.body.find("too_many_categories"), std::string::npos) << eleventh.body;
  EXPECT_NE(eleventh.body.find("category"), std::string::npos);
  // An existing category is fine, and so is moving the only member of "own6" to a new name.
  EXPECT_EQ(put_favorite(port(), a.token, "group", std::to_string(groups[7]), "own3").status, 200u);
  EXPECT_EQ(put_favorite(port(), a.token, "group", std::to_string(groups[6]), "renamed").status,
            200u);
  auto doc = parser_.parse(request(port(), "GET", "/api/v1/favorites", auth(a.token)).body);
  EXPECT_EQ(simdjson::dom::array(doc["categories"]).size(), 10u);

  // Fill up to 199 favourites directly, then the 200th is accepted and the 201st refused.
  {
    pqxx::work tx(*db_);
    for (int i = 8; i < 199; ++i) {
      tx.exec_params(
          "INSERT INTO favorites (candidate_id, kind, target, category) VALUES ($1, 1, $2, '冲')",
          a.id, std::to_string(groups[i]));
    }
    tx.commit();
  }
  auto last = put_favorite(port(), a.token, "group", std::to_string(groups[199]), "保");
  EXPECT_EQ(last.status, 200u) << last.body;
  auto over = put_favorite(port(), a.token, "group", std::to_string(groups[200]), "保");
  EXPECT_EQ(over.status, 422u) << over.body;
  EXPECT_NE(over.body.find("too_many_favorites"), std::string::npos) << over.body;
  // Re-categorising at the cap still works.
  EXPECT_EQ(put_favorite(port(), a.token, "group", std::to_string(groups[0]), "稳").status, 200u);
  pqxx::work tx(*db_);
  EXPECT_EQ(tx.exec_params("SELECT count(*) FROM favorites WHERE candidate_id = $1", a.id)[0][0]
                .as<int>(),
            200);
}

TEST_F(state_api_test, writes_need_the_pledge_and_the_window) {
  const auto c = my_case(3);
  const std::int64_t id = candidate_id_of(*db_, c.exam_no);
  reset(*db_, id);
  {
    // Whatever an earlier run did: this candidate has not accepted the pledge.
    pqxx::work tx(*db_);
    tx.exec_params("UPDATE candidates SET pledge_at = NULL WHERE candidate_id = $1", id);
    tx.commit();
  }
  const std::string g = std::to_string(groups_of(c)[0]);
  // Signed in, pledge not accepted: reads work, writes do not.
  const std::string token = login(port(), c.exam_no);
  EXPECT_EQ(request(port(), "GET", "/api/v1/favorites", auth(token)).status, 200u);
  auto put = put_favorite(port(), token, "group", g, "冲");
  EXPECT_EQ(put.status, 403u) << put.body;
  EXPECT_EQ(problem_code(put), "pledge_required");
  auto del = request(port(), "DELETE", "/api/v1/favorites/group/" + g, auth(token));
  EXPECT_EQ(del.status, 403u);
  auto import = request(port(), "POST", "/api/v1/drafts/undergrad/import-favorites", auth(token));
  EXPECT_EQ(import.status, 403u);
  EXPECT_EQ(problem_code(import), "pledge_required");

  // Before assisted filing opens, favourites are closed (window_closed, 403).
  const std::string t2 = ready_session(drill_port(), my_case(0).exam_no);
  auto closed = put_favorite(drill_port(), t2, "group", g, "冲");
  EXPECT_EQ(closed.status, 403u) << closed.body;
  EXPECT_EQ(problem_code(closed), "window_closed");
  EXPECT_EQ(request(drill_port(), "DELETE", "/api/v1/favorites/group/" + g, auth(t2)).status, 403u);
  // 高职专科批 is only in assisted filing on 6/30: its drafts cannot be saved yet.
  const auto a = ready(4);
  auto early = request(port(), "POST", "/api/v1/drafts/vocational/import-favorites", auth(a.token));
  EXPECT_EQ(early.status, 403u) << early.body;
  EXPECT_EQ(problem_code(early), "window_closed");
  pqxx::work tx(*db_);
  EXPECT_EQ(
      tx.exec_params("SELECT count(*) FROM favorites WHERE candidate_id = $1", id)[0][0].as<int>(),
      0);
  EXPECT_EQ(
      tx.exec_params("SELECT count(*) FROM drafts WHERE candidate_id = $1", a.id)[0][0].as<int>(),
      0);
}

// ---------------------------------------------------------------------- drafts

TEST_F(state_api_test, draft_reads_carry_version_etag_choices_and_findings) {
  const auto a = ready(5);
  auto none = request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token));
  ASSERT_EQ(none.status, 200u) << none.body;
  EXPECT_EQ(none.header("etag"), "\"0\"");
  auto doc = parser_.parse(none.body);
  EXPECT_EQ(std::int64_t(doc["version"]), 0);
  EXPECT_TRUE(doc["updated_at"].is_null());
  EXPECT_FALSE(bool(doc["drill"]));
  EXPECT_EQ(simdjson::dom::array(doc["choices"]).size(), 0u);
  EXPECT_EQ(
      request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token) + "If-None-Match: \"0\"\r\n")
          .status,
      304u);

  // Saved through PUT with If-Match "0": the read returns the same choices, by major code.
  auto put = request(port(), "PUT", "/api/v1/drafts/undergrad",
                     auth(a.token) + json_header() + "If-Match: \"0\"\r\n",
                     R"({"choices":)" + a.c.choices + "}");
  ASSERT_EQ(put.status, 200u) << put.body;
  auto got = request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token));
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.header("etag"), "\"1\"");
  doc = parser_.parse(got.body);
  EXPECT_EQ(std::int64_t(doc["version"]), 1);
  EXPECT_FALSE(doc["updated_at"].is_null());
  simdjson::dom::parser p2;
  auto sent_doc = p2.parse(a.c.choices);
  auto choices = simdjson::dom::array(doc["choices"]);
  auto expected = simdjson::dom::array(sent_doc);
  ASSERT_EQ(choices.size(), expected.size());
  for (std::size_t i = 0; i < choices.size(); ++i) {
    auto c = choices.at(i).value();
    auto e = expected.at(i).value();
    EXPECT_EQ(std::int64_t(c["group"]), std::int64_t(e["group"]));
    EXPECT_EQ(std::string_view(c["majors"].at(0)), std::string_view(e["majors"].at(0)));
    EXPECT_EQ(bool(c["accept_adjustment"]), bool(e["accept_adjustment"]));
    EXPECT_FALSE(bool(c["special"]));
  }
  // A valid form in the open window: nothing to report.
  EXPECT_EQ(simdjson::dom::array(doc["violations"]).size(), 0u) << got.body;
  EXPECT_EQ(
      request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token) + "If-None-Match: \"0\"\r\n")
          .status,
      200u);
  EXPECT_EQ(
      request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token) + "If-None-Match: \"1\"\r\n")
          .status,
      304u);

  // A stored draft that breaks the rules is reported in place.
  {
    pqxx::work tx(*db_);
    tx.exec_params(
        "UPDATE drafts SET version = 2, choices = $2 WHERE candidate_id = $1 AND batch = 1"
        " AND NOT drill",
        a.id, a.c.canonical + "|g-5:;a1");
    tx.commit();
  }
  got = request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token));
  doc = parser_.parse(got.body);
  EXPECT_EQ(std::int64_t(doc["version"]), 2);
  ASSERT_TRUE(has_violation(doc, "unknown_group")) << got.body;
  for (auto v : simdjson::dom::array(doc["violations"])) {
    if (std::string_view(v["code"]) == "unknown_group") {
      EXPECT_EQ(std::int64_t(v["choice"]), 3);
    }
  }
  EXPECT_EQ(request(port(), "GET", "/api/v1/drafts/nope", auth(a.token)).status, 404u);
}

TEST_F(state_api_test, import_appends_favourite_groups_of_the_batch_in_order) {
  const auto a = ready(6);
  const auto groups = groups_of(a.c);
  const auto other_batch = plan_groups(*db_, 2, 1);
  ASSERT_EQ(other_batch.size(), 1u);
  // Favourites: g2, another batch's group, g1, g0 (in this order); the draft holds g0.
  for (auto g : {groups[2], other_batch[0], groups[1], groups[0]}) {
    ASSERT_EQ(put_favorite(port(), a.token, "group", std::to_string(g), "冲").status, 200u);
  }
  const std::string first =
      join(R"({"choices":[{"group":)", groups[0], R"(,"majors":[],"accept_adjustment":true}]})");
  ASSERT_EQ(request(port(), "PUT", "/api/v1/drafts/undergrad",
                    auth(a.token) + json_header() + "If-Match: \"0\"\r\n", first)
                .status,
            200u);

  auto bad = request(port(), "POST", "/api/v1/drafts/undergrad/import-favorites",
                     auth(a.token) + "If-Match: abc\r\n");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("If-Match"), std::string::npos);
  auto stale = request(port(), "POST", "/api/v1/drafts/undergrad/import-favorites",
                       auth(a.token) + "If-Match: \"7\"\r\n");
  EXPECT_EQ(stale.status, 412u) << stale.body;
  EXPECT_EQ(request(port(), "POST", "/api/v1/drafts/nope/import-favorites", auth(a.token)).status,
            404u);

  auto imp = request(port(), "POST", "/api/v1/drafts/undergrad/import-favorites",
                     auth(a.token) + "If-Match: \"1\"\r\n");
  ASSERT_EQ(imp.status, 200u) << imp.body;
  EXPECT_EQ(imp.header("etag"), "\"2\"");
  auto doc = parser_.parse(imp.body);
  EXPECT_EQ(std::int64_t(doc["version"]), 2);
  EXPECT_EQ(std::string_view(doc["exam_no"]), a.c.exam_no);
  EXPECT_FALSE(bool(doc["limit_reached"]));
  std::vector<std::int64_t> imported;
  for (auto g : simdjson::dom::array(doc["imported"])) imported.push_back(std::int64_t(g));
  EXPECT_EQ(imported, (std::vector<std::int64_t>{groups[2], groups[1]}));

  auto got = request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token));
  doc = parser_.parse(got.body);
  auto choices = simdjson::dom::array(doc["choices"]);
  ASSERT_EQ(choices.size(), 3u) << got.body;
  const std::int64_t order[] = {groups[0], groups[2], groups[1]};
  for (std::size_t i = 0; i < 3; ++i) {
    auto c = choices.at(i).value();
    EXPECT_EQ(std::int64_t(c["group"]), order[i]);
    EXPECT_EQ(simdjson::dom::array(c["majors"]).size(), 0u);
    EXPECT_TRUE(bool(c["accept_adjustment"]));
  }
  // Without If-Match the current version is the base; nothing new to add.
  auto again = request(port(), "POST", "/api/v1/drafts/undergrad/import-favorites", auth(a.token));
  ASSERT_EQ(again.status, 200u) << again.body;
  doc = parser_.parse(again.body);
  EXPECT_EQ(std::int64_t(doc["version"]), 3);
  EXPECT_EQ(simdjson::dom::array(doc["imported"]).size(), 0u);
  pqxx::work tx(*db_);
  auto row = tx.exec_params(
      "SELECT version, choices FROM drafts WHERE candidate_id = $1 AND batch = 1 AND NOT drill",
      a.id);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].as<std::int64_t>(), 3);
  std::string expected;
  for (auto g : order) {
    if (!expected.empty()) expected += '|';
    expected += join("g", g, ":;a1");
  }
  EXPECT_EQ(row[0][1].as<std::string>(), expected);
}

TEST_F(state_api_test, import_stops_at_the_batch_group_limit) {
  const auto a = ready(7);
  const auto groups = plan_groups(*db_, 1, 47);
  ASSERT_EQ(groups.size(), 47u);
  std::string draft;
  for (int i = 0; i < 44; ++i) {
    if (!draft.empty()) draft += '|';
    draft += join("g", groups[i], ":;a1");
  }
  {
    pqxx::work tx(*db_);
    tx.exec_params(
        "INSERT INTO drafts (candidate_id, batch, drill, version, choices, updated_at)"
        " VALUES ($1, 1, false, 4, $2, now())",
        a.id, draft);
    // The last three groups and one already in the draft, made one after another.
    for (int i : {46, 10, 44, 45}) {
      tx.exec_params(
          "INSERT INTO favorites (candidate_id, kind, target, category, created_at)"
          " VALUES ($1, 1, $2, '冲', now() + $3 * interval '1 second')",
          a.id, std::to_string(groups[i]), i);
    }
    tx.commit();
  }
  auto imp = request(port(), "POST", "/api/v1/drafts/undergrad/import-favorites", auth(a.token));
  ASSERT_EQ(imp.status, 200u) << imp.body;
  auto doc = parser_.parse(imp.body);
  EXPECT_TRUE(bool(doc["limit_reached"]));
  EXPECT_EQ(std::int64_t(doc["max_groups"]), 45);
  auto imported = simdjson::dom::array(doc["imported"]);
  ASSERT_EQ(imported.size(), 1u);
  EXPECT_EQ(std::int64_t(imported.at(0).value()), groups[44]);
  std::vector<std::int64_t> left;
  for (auto g : simdjson::dom::array(doc["not_imported_over_limit"]))
    left.push_back(std::int64_t(g));
  EXPECT_EQ(left, (std::vector<std::int64_t>{groups[45], groups[46]}));
  auto got = parser_.parse(request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token)).body);
  EXPECT_EQ(simdjson::dom::array(got["choices"]).size(), 45u);
  EXPECT_EQ(std::int64_t(got["version"]), 5);
}

// -------------------------------------------------------------- formal choices

TEST_F(state_api_test, formal_choices_history_and_export) {
  const auto a = ready(8);
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/undergrad", auth(a.token)).status, 404u);
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/undergrad/export", auth(a.token)).status,
            404u);
  auto empty = request(port(), "GET", "/api/v1/applications/undergrad/history", auth(a.token));
  ASSERT_EQ(empty.status, 200u) << empty.body;
  EXPECT_EQ(simdjson::dom::array(parser_.parse(empty.body)["versions"]).size(), 0u);

  std::vector<std::string> receipts;
  for (int i = 0; i < 2; ++i) {
    auto r = request(port(), "POST", "/api/v1/applications/undergrad",
                     auth(a.token) + json_header() +
                         "Idempotency-Key: " + unique_key("state-submit") + join(i, "\r\n"),
                     a.c.body);
    ASSERT_EQ(r.status, 201u) << r.body;
    receipts.push_back(r.body);
  }
  simdjson::dom::parser rp;
  auto latest = rp.parse(receipts[1]);
  const std::int64_t version = latest["version"];

  auto cur = request(port(), "GET", "/api/v1/applications/undergrad", auth(a.token));
  ASSERT_EQ(cur.status, 200u) << cur.body;
  EXPECT_EQ(cur.header("etag"), quoted(version));
  auto doc = parser_.parse(cur.body);
  EXPECT_EQ(std::int64_t(doc["version"]), version);
  EXPECT_EQ(simdjson::dom::array(doc["choices"]).size(), 3u);
  auto receipt = doc["receipt"];
  EXPECT_EQ(std::string_view(receipt["choices_sha256"]), sha256_hex(a.c.canonical));
  EXPECT_EQ(std::string_view(receipt["exam_no"]), a.c.exam_no);
  // The GET re-renders the receipt the POST returned.
  EXPECT_EQ(std::string_view(receipt["receipt_hash"]), std::string_view(latest["receipt_hash"]));
  EXPECT_EQ(std::string_view(receipt["signature"]), std::string_view(latest["signature"]));
  EXPECT_EQ(std::string_view(receipt["canonical"]), std::string_view(latest["canonical"]));
  {
    pqxx::work tx(*db_);
    auto row = tx.exec_params(
        "SELECT encode(digest, 'hex'), encode(prev_hash, 'hex') FROM applications"
        " WHERE candidate_id = $1 AND batch = 1 AND NOT drill",
        a.id);
    ASSERT_EQ(row.size(), 1u);
    EXPECT_EQ(std::string_view(receipt["receipt_hash"]), row[0][0].as<std::string>());
    EXPECT_EQ(std::string_view(receipt["prev_hash"]), row[0][1].as<std::string>());
  }
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/undergrad",
                    auth(a.token) + "If-None-Match: " + quoted(version) + "\r\n")
                .status,
            304u);

  // History: newest first, chained.
  auto hist = request(port(), "GET", "/api/v1/applications/undergrad/history", auth(a.token));
  ASSERT_EQ(hist.status, 200u);
  doc = parser_.parse(hist.body);
  auto versions = simdjson::dom::array(doc["versions"]);
  ASSERT_EQ(versions.size(), 2u) << hist.body;
  auto v2 = versions.at(0).value();
  auto v1 = versions.at(1).value();
  EXPECT_EQ(std::int64_t(v2["version"]), version);
  EXPECT_EQ(std::int64_t(v1["version"]), version - 1);
  EXPECT_EQ(std::string_view(v2["receipt"]["prev_hash"]),
            std::string_view(v1["receipt"]["receipt_hash"]));
  EXPECT_TRUE(v1["receipt"]["prev_hash"].is_null());
  EXPECT_EQ(simdjson::dom::array(v1["choices"]).size(), 3u);
  EXPECT_TRUE(doc["next_before"].is_null());
  auto page = parser_.parse(
      request(port(), "GET", "/api/v1/applications/undergrad/history?limit=1", auth(a.token)).body);
  ASSERT_EQ(simdjson::dom::array(page["versions"]).size(), 1u);
  EXPECT_EQ(std::int64_t(page["next_before"]), version);
  page =
      parser_.parse(request(port(), "GET",
                            join("/api/v1/applications/undergrad/history?limit=1&before=", version),
                            auth(a.token))
                        .body);
  ASSERT_EQ(simdjson::dom::array(page["versions"]).size(), 1u);
  EXPECT_EQ(std::int64_t(page["versions"].at(0)["version"]), version - 1);
  for (const char* q : {"?limit=0", "?limit=abc", "?before=-1"}) {
    auto r = request(port(), "GET", std::string("/api/v1/applications/undergrad/history") + q,
                     auth(a.token));
    EXPECT_EQ(r.status, 400u) << q;
    EXPECT_NE(r.body.find(q[1] == 'l' ? "limit" : "before"), std::string::npos) << r.body;
  }

  // CSV: BOM, header, one row per major with the plan's codes and names.
  for (const char* target : {"/api/v1/applications/undergrad/export",
                             "/api/v1/applications/undergrad/export?format=csv"}) {
    auto csv = request(port(), "GET", target, auth(a.token));
    ASSERT_EQ(csv.status, 200u) << csv.body;
    EXPECT_EQ(csv.header("content-type").substr(0, 8), "text/csv");
    EXPECT_NE(csv.header("content-disposition").find("attachment"), std::string::npos);
    ASSERT_EQ(csv.body.substr(0, 3), "\xEF\xBB\xBF");
    const auto rows = parse_csv(std::string_view(csv.body).substr(3));
    ASSERT_EQ(rows.size(), 4u) << csv.body;
    EXPECT_EQ(rows[0][0], "choice");
    EXPECT_EQ(rows[0][4], "major_code");
    simdjson::dom::parser cp;
    auto sent = simdjson::dom::array(cp.parse(a.c.choices));
    pqxx::work tx(*db_);
    for (std::size_t i = 0; i < 3; ++i) {
      const std::int64_t g = sent.at(i).value()["group"];
      const std::string major(std::string_view(sent.at(i).value()["majors"].at(0)));
      auto plan = tx.exec_params(
          "SELECT g.college_code, c.name, g.group_code, m.name FROM major_groups g"
          " JOIN colleges c ON c.code = g.college_code JOIN majors m ON m.group_id = g.group_id"
          " WHERE g.group_id = $1 AND m.code = $2",
          g, major);
      ASSERT_EQ(plan.size(), 1u);
      const auto& row = rows[i + 1];
      ASSERT_GE(row.size(), 7u);
      EXPECT_EQ(row[0], std::to_string(i + 1));
      EXPECT_EQ(row[1], plan[0][0].as<std::string>());
      EXPECT_EQ(row[2], plan[0][1].as<std::string>());
      EXPECT_EQ(row[3], plan[0][2].as<std::string>());
      EXPECT_EQ(row[4], major);
      EXPECT_EQ(row[5], plan[0][3].as<std::string>());
      EXPECT_EQ(row[6], "yes");
    }
  }
  auto bad =
      request(port(), "GET", "/api/v1/applications/undergrad/export?format=xlsx", auth(a.token));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("format"), std::string::npos);
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/nope", auth(a.token)).status, 404u);
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/nope/history", auth(a.token)).status,
            404u);
}

// ------------------------------------------------------------------------ drill

TEST_F(state_api_test, drill_reads_and_writes_the_drill_rows_only) {
  const auto a = ready(9);
  const auto groups = groups_of(a.c);
  {
    pqxx::work tx(*db_);
    // A real draft (version 3) and a drill draft (version 8); a drill submission only.
    tx.exec_params(
        "INSERT INTO drafts (candidate_id, batch, drill, version, choices, updated_at)"
        " VALUES ($1, 1, false, 3, $2, now()), ($1, 1, true, 8, $3, now())",
        a.id, join("g", groups[0], ":;a1"), join("g", groups[1], ":;a0"));
    tx.exec_params(
        "INSERT INTO applications (candidate_id, batch, drill, version, digest, prev_hash,"
        " accepted_at, committed_at) VALUES ($1, 1, true, 1, sha256('x'), NULL, now(), now())",
        a.id);
    tx.exec_params(
        "INSERT INTO application_history (candidate_id, batch, drill, version, choices, digest,"
        " prev_hash, accepted_at, committed_at)"
        " VALUES ($1, 1, true, 1, $2, sha256('x'), NULL, now(), now())",
        a.id, a.c.canonical);
    tx.commit();
  }
  const std::string token = ready_session(drill_port(), a.c.exam_no);
  auto drill =
      parser_.parse(request(drill_port(), "GET", "/api/v1/drafts/undergrad", auth(token)).body);
  EXPECT_TRUE(bool(drill["drill"]));
  EXPECT_EQ(std::int64_t(drill["version"]), 8);
  EXPECT_EQ(std::int64_t(drill["choices"].at(0)["group"]), groups[1]);
  simdjson::dom::parser p2;
  auto real = p2.parse(request(port(), "GET", "/api/v1/drafts/undergrad", auth(a.token)).body);
  EXPECT_FALSE(bool(real["drill"]));
  EXPECT_EQ(std::int64_t(real["version"]), 3);

  auto app = request(drill_port(), "GET", "/api/v1/applications/undergrad", auth(token));
  ASSERT_EQ(app.status, 200u) << app.body;
  EXPECT_TRUE(bool(parser_.parse(app.body)["receipt"]["drill"]));
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/undergrad", auth(a.token)).status, 404u);
  EXPECT_EQ(
      request(drill_port(), "GET", "/api/v1/applications/undergrad/export", auth(token)).status,
      200u);

  // Importing in the drill writes the drill draft; the real one stays at version 3.
  {
    pqxx::work tx(*db_);
    tx.exec_params(
        "INSERT INTO favorites (candidate_id, kind, target, category) VALUES ($1, 1, $2, '稳')",
        a.id, std::to_string(groups[2]));
    tx.commit();
  }
  auto imp =
      request(drill_port(), "POST", "/api/v1/drafts/undergrad/import-favorites", auth(token));
  ASSERT_EQ(imp.status, 200u) << imp.body;
  EXPECT_TRUE(bool(parser_.parse(imp.body)["drill"]));
  pqxx::work tx(*db_);
  auto rows = tx.exec_params(
      "SELECT drill, version, choices FROM drafts WHERE candidate_id = $1 AND batch = 1"
      " ORDER BY drill",
      a.id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1].as<std::int64_t>(), 3);
  EXPECT_EQ(rows[1][1].as<std::int64_t>(), 9);
  EXPECT_EQ(rows[1][2].as<std::string>(), join("g", groups[1], ":;a0|g", groups[2], ":;a1"));
}

// ---------------------------------------------------------------------- notices

struct notice_ids {
  std::int64_t school = 0, province = 0, other_city = 0, reminder_a = 0, reminder_b = 0;
};

notice_ids insert_notices(pqxx::connection& db, std::int64_t a, std::int64_t b) {
  pqxx::work tx(db);
  auto units = tx.exec_params(
      "SELECT school_id, city_id, (SELECT id FROM units WHERE level = 0 LIMIT 1),"
      " (SELECT id FROM units u WHERE u.level = 1 AND u.id <> c.city_id LIMIT 1)"
      " FROM candidates c WHERE candidate_id = $1",
      a);
  const int school = units[0][0].as<int>();
  const int province = units[0][2].as<int>();
  const int other_city = units[0][3].as<int>();
  auto add = [&](int unit, int kind, const char* title, int age_seconds) {
    return tx
        .exec_params(
            "INSERT INTO notices (unit_id, kind, batch, title, body, created_at)"
            " VALUES ($1, $2, 1, $3, 'body, with \"quotes\"', now() - $4 * interval '1 second')"
            " RETURNING notice_id",
            unit, kind, title, age_seconds)[0][0]
        .as<std::int64_t>();
  };
  notice_ids n;
  n.province = add(province, 0, "province-wide", 50);
  n.school = add(school, 0, "to A's school", 40);
  n.other_city = add(other_city, 0, "to another city", 30);
  n.reminder_a = add(school, 1, "reminder to A", 20);
  n.reminder_b = add(school, 1, "reminder to B", 10);
  tx.exec_params("INSERT INTO notice_recipients (candidate_id, notice_id) VALUES ($1, $2)", a,
                 n.reminder_a);
  tx.exec_params("INSERT INTO notice_recipients (candidate_id, notice_id) VALUES ($1, $2)", b,
                 n.reminder_b);
  tx.commit();
  return n;
}

std::vector<std::int64_t> notice_list(const auto& doc) {
  std::vector<std::int64_t> out;
  for (auto n : simdjson::dom::array(doc["notices"])) out.push_back(std::int64_t(n["id"]));
  return out;
}

TEST_F(state_api_test, notices_addressed_to_me_newest_first_and_marked_read) {
  const auto a = ready(10);
  const auto b = ready(11);
  const auto n = insert_notices(*db_, a.id, b.id);

  auto list = request(port(), "GET", "/api/v1/notices?limit=100", auth(a.token));
  ASSERT_EQ(list.status, 200u) << list.body;
  auto doc = parser_.parse(list.body);
  const auto ids = notice_list(doc);
  auto pos = [&](std::int64_t id) { return std::find(ids.begin(), ids.end(), id) - ids.begin(); };
  auto has = [&](std::int64_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
  ASSERT_TRUE(has(n.province) && has(n.school) && has(n.reminder_a)) << list.body;
  EXPECT_FALSE(has(n.other_city));
  EXPECT_FALSE(has(n.reminder_b));
  EXPECT_LT(pos(n.reminder_a), pos(n.school));
  EXPECT_LT(pos(n.school), pos(n.province));
  for (auto x : simdjson::dom::array(doc["notices"])) {
    if (std::int64_t(x["id"]) == n.reminder_a) {
      EXPECT_EQ(std::string_view(x["kind"]), "reminder");
      EXPECT_EQ(std::string_view(x["batch"]), "undergrad");
      EXPECT_EQ(std::string_view(x["body"]), "body, with \"quotes\"");
      EXPECT_FALSE(bool(x["read"]));
    }
  }

  // Marking: idempotent, visible only for notices addressed to me, committed when answered.
  const std::string mark_a = join("/api/v1/notices/", n.reminder_a, "/read");
  EXPECT_EQ(request(port(), "POST", mark_a, auth(a.token)).status, 200u);
  EXPECT_EQ(request(port(), "POST", mark_a, auth(a.token)).status, 200u);
  auto foreign =
      request(port(), "POST", join("/api/v1/notices/", n.reminder_b, "/read"), auth(a.token));
  EXPECT_EQ(foreign.status, 404u) << foreign.body;
  EXPECT_EQ(request(port(), "POST", join("/api/v1/notices/", n.other_city, "/read"), auth(a.token))
                .status,
            404u);
  EXPECT_EQ(request(port(), "POST", "/api/v1/notices/999999999999/read", auth(a.token)).status,
            404u);
  auto bad = request(port(), "POST", "/api/v1/notices/abc/read", auth(a.token));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("id"), std::string::npos);
  {
    pqxx::work tx(*db_);
    auto reads = tx.exec_params(
        "SELECT candidate_id, notice_id FROM notice_reads WHERE notice_id IN ($1, $2)",
        n.reminder_a, n.reminder_b);
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0][0].as<std::int64_t>(), a.id);
    EXPECT_EQ(reads[0][1].as<std::int64_t>(), n.reminder_a);
  }
  doc = parser_.parse(request(port(), "GET", "/api/v1/notices?limit=100", auth(a.token)).body);
  for (auto x : simdjson::dom::array(doc["notices"])) {
    const std::int64_t id = x["id"];
    if (id == n.reminder_a) {
      EXPECT_TRUE(bool(x["read"]));
    }
    if (id == n.school) {
      EXPECT_FALSE(bool(x["read"]));
    }
  }
  // B sees their own reminder, unread, and not A's.
  simdjson::dom::parser bp;
  auto bdoc = bp.parse(request(port(), "GET", "/api/v1/notices?limit=100", auth(b.token)).body);
  const auto bids = notice_list(bdoc);
  EXPECT_NE(std::find(bids.begin(), bids.end(), n.reminder_b), bids.end());
  EXPECT_EQ(std::find(bids.begin(), bids.end(), n.reminder_a), bids.end());
  for (auto x : simdjson::dom::array(bdoc["notices"])) {
    if (std::int64_t(x["id"]) == n.reminder_b) {
      EXPECT_FALSE(bool(x["read"]));
    }
  }

  // Paging: one at a time from below reminder_a, following next_before, gives the same order
  // as the full list (notices other tests add meanwhile are newer, so they are not in it).
  auto first = parser_.parse(request(port(), "GET", "/api/v1/notices?limit=1", auth(a.token)).body);
  EXPECT_EQ(notice_list(first).size(), 1u);
  EXPECT_FALSE(first["next_before"].is_null());
  std::vector<std::int64_t> paged;
  std::string target = join("/api/v1/notices?limit=1&before=", n.reminder_a);
  for (int i = 0; i < 2; ++i) {
    auto page = parser_.parse(request(port(), "GET", target, auth(a.token)).body);
    const auto one = notice_list(page);
    ASSERT_EQ(one.size(), 1u);
    paged.push_back(one[0]);
    if (i == 1) break;
    ASSERT_FALSE(page["next_before"].is_null());
    target = join("/api/v1/notices?limit=1&before=", std::int64_t(page["next_before"]));
  }
  const auto from = ids.begin() + pos(n.reminder_a) + 1;
  EXPECT_EQ(paged, std::vector<std::int64_t>(from, from + 2));
  for (const char* q : {"?limit=0", "?limit=101", "?limit=x", "?before=0"}) {
    auto r = request(port(), "GET", std::string("/api/v1/notices") + q, auth(a.token));
    EXPECT_EQ(r.status, 400u) << q;
    EXPECT_NE(r.body.find(q[1] == 'l' ? "limit" : "before"), std::string::npos) << r.body;
  }
}

// -------------------------------------------------------------------- isolation

TEST_F(state_api_test, one_candidate_never_reads_or_changes_anothers_state) {
  const auto a = ready(12);
  const auto b = ready(13);
  const auto bg = groups_of(b.c);
  // B: a favourite in a private category, a draft, two submissions.
  ASSERT_EQ(put_favorite(port(), b.token, "group", std::to_string(bg[0]), "B私有").status, 200u);
  ASSERT_EQ(request(port(), "PUT", "/api/v1/drafts/undergrad",
                    auth(b.token) + json_header() + "If-Match: \"0\"\r\n",
                    R"({"choices":)" + b.c.choices + "}")
                .status,
            200u);
  auto sub = request(
      port(), "POST", "/api/v1/applications/undergrad",
      auth(b.token) + json_header() + "Idempotency-Key: " + unique_key("state-iso") + "\r\n",
      b.c.body);
  EXPECT_EQ(sub.status, 201u) << sub.body;

  // A's reads show none of it, whatever A adds to the query.
  auto fav = request(port(), "GET", join("/api/v1/favorites?candidate_id=", b.id), auth(a.token));
  ASSERT_EQ(fav.status, 200u);
  EXPECT_EQ(fav.body.find("B私有"), std::string::npos) << fav.body;
  EXPECT_EQ(simdjson::dom::array(parser_.parse(fav.body)["items"]).size(), 0u);
  auto draft = parser_.parse(
      request(port(), "GET", join("/api/v1/drafts/undergrad?candidate_id=", b.id), auth(a.token))
          .body);
  EXPECT_EQ(std::int64_t(draft["version"]), 0);
  EXPECT_EQ(simdjson::dom::array(draft["choices"]).size(), 0u);
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/undergrad", auth(a.token)).status, 404u);
  EXPECT_EQ(request(port(), "GET", "/api/v1/applications/undergrad/export", auth(a.token)).status,
            404u);
  EXPECT_EQ(simdjson::dom::array(
                parser_.parse(
                    request(port(), "GET", "/api/v1/applications/undergrad/history", auth(a.token))
                        .body)["versions"])
                .size(),
            0u);

  // A's writes touch only A's rows: deleting the same target, adding it, importing.
  EXPECT_EQ(
      request(port(), "DELETE", join("/api/v1/favorites/group/", bg[0]), auth(a.token)).status,
      200u);
  EXPECT_EQ(put_favorite(port(), a.token, "group", std::to_string(bg[0]), "A的").status, 200u);
  auto imp = request(port(), "POST", "/api/v1/drafts/undergrad/import-favorites", auth(a.token));
  ASSERT_EQ(imp.status, 200u) << imp.body;
  EXPECT_EQ(std::string_view(parser_.parse(imp.body)["exam_no"]), a.c.exam_no);

  pqxx::work tx(*db_);
  auto bfav =
      tx.exec_params("SELECT target, category FROM favorites WHERE candidate_id = $1", b.id);
  ASSERT_EQ(bfav.size(), 1u);
  EXPECT_EQ(bfav[0][1].as<std::string>(), "B私有");
  auto bdraft = tx.exec_params(
      "SELECT version, choices FROM drafts WHERE candidate_id = $1 AND batch = 1 AND NOT drill",
      b.id);
  ASSERT_EQ(bdraft.size(), 1u);
  EXPECT_EQ(bdraft[0][0].as<std::int64_t>(), 1);
  EXPECT_EQ(bdraft[0][1].as<std::string>(), b.c.canonical);
  auto adraft = tx.exec_params(
      "SELECT choices FROM drafts WHERE candidate_id = $1 AND batch = 1 AND NOT drill", a.id);
  ASSERT_EQ(adraft.size(), 1u);
  EXPECT_EQ(adraft[0][0].as<std::string>(), join("g", bg[0], ":;a1"));
}

TEST_F(state_api_test, every_endpoint_needs_a_session_and_is_documented) {
  const std::pair<const char*, const char*> routes[] = {
      {"GET", "/api/v1/favorites"},
      {"PUT", "/api/v1/favorites/group/1"},
      {"DELETE", "/api/v1/favorites/group/1"},
      {"GET", "/api/v1/drafts/undergrad"},
      {"POST", "/api/v1/drafts/undergrad/import-favorites"},
      {"GET", "/api/v1/applications/undergrad"},
      {"GET", "/api/v1/applications/undergrad/history"},
      {"GET", "/api/v1/applications/undergrad/export"},
      {"GET", "/api/v1/notices"},
      {"POST", "/api/v1/notices/1/read"}};
  for (const auto& [method, path] : routes) {
    auto r = request(port(), method, path, "Authorization: Bearer not-a-token\r\n" + json_header(),
                     R"({"category":"冲"})");
    EXPECT_EQ(r.status, 401u) << method << ' ' << path << ": " << r.body;
    EXPECT_EQ(problem_code(r), "unauthenticated");
  }
  auto spec = request(port(), "GET", "/openapi.json");
  ASSERT_EQ(spec.status, 200u);
  auto doc = parser_.parse(spec.body);
  const std::pair<const char*, const char*> documented[] = {
      {"/api/v1/favorites", "get"},
      {"/api/v1/favorites/{kind}/{id}", "put"},
      {"/api/v1/favorites/{kind}/{id}", "delete"},
      {"/api/v1/drafts/{batch}", "get"},
      {"/api/v1/drafts/{batch}/import-favorites", "post"},
      {"/api/v1/applications/{batch}", "get"},
      {"/api/v1/applications/{batch}/history", "get"},
      {"/api/v1/applications/{batch}/export", "get"},
      {"/api/v1/notices", "get"},
      {"/api/v1/notices/{id}/read", "post"}};
  for (const auto& [path, method] : documented) {
    auto op = doc["paths"][path][method];
    ASSERT_FALSE(op.error()) << path << ' ' << method;
    EXPECT_FALSE(op["security"].error()) << path;
    EXPECT_FALSE(op["responses"]["401"].error()) << path;
    EXPECT_FALSE(std::string_view(op["summary"]).empty());
  }
  EXPECT_FALSE(doc["paths"]["/api/v1/favorites/{kind}/{id}"]["put"]["requestBody"].error());
}

}  // namespace
}  // namespace zhiyuan::test
