// server/admin/ (communications, incidents, province) through HTTP: reminders (reach and rate
// limit), announcements, documents, incidents and the authorization matrix of these endpoints
// against the shared test province; the live schedule and CSV imports against a database of their
// own (they change what every other test's server would see). Candidates pick_case(404..499).
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "core/admin.hpp"
#include "core/import.hpp"
#include "province/province_loader.hpp"
#include "server/admin/context.hpp"
#include "storage/admin_store.hpp"
#include "storage/database.hpp"
#include "storage/migrate.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

using core::admin_role;

std::string tag() {
  static const std::string t =
      std::to_string(getpid()) + "y" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000'000);
  return t;
}

struct account {
  std::int32_t id = 0;
  std::string username, password;
};

account make_admin(pqxx::connection& conn, const std::string& unit_code, std::int32_t unit_id,
                   admin_role role, const std::string& name) {
  account a;
  a.username = name + "." + tag();
  a.password = server::one_time_password();
  const auto hash = server::hash_password(a.password);
  a.id =
      storage::bootstrap_admin(conn, a.username, unit_code, static_cast<std::int16_t>(role), hash);
  EXPECT_GT(a.id, 0);
  storage::admin_actor who;
  who.admin_id = a.id;
  who.unit_id = unit_id;
  storage::set_own_admin_password(conn, who, hash, "");
  return a;
}

std::string sign_in(std::uint16_t port, const account& a) {
  auto r = request(port, "POST", "/api/v1/admin/auth/login", json_header(),
                   R"({"username":")" + a.username + R"(","password":")" + a.password + "\"}");
  EXPECT_EQ(r.status, 200u) << r.body;
  if (r.status != 200) return "";
  simdjson::dom::parser p;
  return std::string(std::string_view(p.parse(r.body)["token"]));
}

http_reply call(std::uint16_t port, const char* method, const std::string& path,
                const std::string& token, const std::string& body = {},
                const std::string& type = "application/json") {
  std::string headers = bearer(token);
  if (!body.empty()) headers += "Content-Type: " + type + "\r\n";
  return request(port, method, path, headers, body);
}

std::int64_t scalar(const std::string& url, const std::string& query) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  return tx.exec1(query)[0].as<std::int64_t>();
}

// "<problem code>: <violation codes>" of a problem+json reply, to compare in one assertion.
std::string problem_summary(const http_reply& r) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  std::string_view code;
  if (p.parse(r.body).get(doc) || doc["code"].get(code)) return "not a problem: " + r.body;
  std::string out(code);
  out += ':';
  simdjson::dom::array violations;
  if (!doc["violations"].get(violations)) {
    for (auto v : violations) {
      std::string_view c;
      out += ' ';
      out += v["code"].get(c) ? std::string_view("?") : c;
    }
  }
  return out;
}

// An empty formal form is judged on the filing rules while its window is open (422, the empty
// list its only violation) and refused for the window alone once it is closed (403).
::testing::AssertionResult empty_form_answered(const http_reply& r, bool window_open) {
  const unsigned status = window_open ? 422 : 403;
  const std::string summary =
      window_open ? "validation_failed: empty_list" : "window_closed: window_closed";
  if (r.status == status && problem_summary(r) == summary) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << status << " " << summary << ", got " << r.status << " " << r.body;
}

struct unit {
  std::int32_t id = 0;
  std::string code;
};

unit unit_of(pqxx::connection& conn, const std::string& query) {
  pqxx::work tx(conn);
  const auto r = tx.exec1(query);
  return {r[0].as<std::int32_t>(), r[1].as<std::string>()};
}

class admin_ops_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(
        server_args(offset_to(formal_open_instant),
                    {"--admin.login_ip_per_minute", "100000", "--admin.reminder_interval_seconds",
                     "5", "--admin.document_max_bytes", "2000"}));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  std::uint16_t port() const { return server_->port(); }
  static server_process* server_;
};
server_process* admin_ops_test::server_ = nullptr;

// The school of a candidate, its county, and a sibling school in the same county.
struct places {
  unit school, county, sibling, province;
};

places places_of(pqxx::connection& conn, const std::string& exam_no) {
  places p;
  p.school = unit_of(conn,
                     "SELECT s.id, s.code FROM candidates c JOIN units s ON s.id ="
                     " c.school_id WHERE c.exam_no = '" +
                         exam_no + "'");
  p.county = unit_of(conn,
                     "SELECT p.id, p.code FROM units s JOIN units p ON p.id = s.parent_id"
                     " WHERE s.id = " +
                         std::to_string(p.school.id));
  p.sibling = unit_of(
      conn, "SELECT u.id, u.code FROM units u WHERE u.parent_id = " + std::to_string(p.county.id) +
                " AND u.id <> " + std::to_string(p.school.id) + " ORDER BY u.id LIMIT 1");
  p.province = unit_of(conn, "SELECT id, code FROM units WHERE level = 0");
  return p;
}

TEST_F(admin_ops_test, siblings_viewers_schools_and_non_province_managers_are_refused) {
  pqxx::connection conn(database_url());
  const auto at = places_of(conn, pick_case(404).exam_no);
  const auto op = make_admin(conn, at.school.code, at.school.id, admin_role::operator_, "ops.op");
  const auto other =
      make_admin(conn, at.sibling.code, at.sibling.id, admin_role::operator_, "ops.sib");
  const auto viewer = make_admin(conn, at.school.code, at.school.id, admin_role::viewer, "ops.v");
  const auto county_mgr =
      make_admin(conn, at.county.code, at.county.id, admin_role::manager, "ops.cm");
  const std::string t_op = sign_in(port(), op), t_other = sign_in(port(), other),
                    t_viewer = sign_in(port(), viewer), t_cm = sign_in(port(), county_mgr);
  const std::string sibling = at.sibling.code;
  // Aimed at the sibling's subtree: 404.
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/reminders", t_op,
                 R"({"unit":")" + sibling + R"(","batch":"undergrad","message":"hi"})")
                .status,
            404u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/notices", t_op,
                 R"({"unit":")" + sibling + R"(","title":"t","body":"b"})")
                .status,
            404u);
  // A school cannot publish beyond itself (its county), nor province-wide.
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/notices", t_op,
                 R"({"unit":")" + at.county.code + R"(","title":"t","body":"b"})")
                .status,
            404u);
  // The county manager may publish to its county but not province-wide.
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/notices", t_cm,
                 R"({"unit":")" + at.county.code + R"(","title":"c","body":"b"})")
                .status,
            201u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/notices", t_cm,
                 R"({"unit":")" + at.province.code + R"(","title":"p","body":"b"})")
                .status,
            404u);
  // Viewers write nothing.
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/notices", t_viewer,
                 R"({"unit":")" + at.school.code + R"(","title":"t","body":"b"})")
                .status,
            403u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/reminders", t_viewer,
                 R"({"unit":")" + at.school.code + R"(","batch":"undergrad","message":"hi"})")
                .status,
            403u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/incidents", t_viewer,
                 R"({"category":"network","severity":"low","description":"d"})")
                .status,
            403u);
  // Only province managers run the province's operations.
  for (const auto* t : {&t_op, &t_cm, &t_viewer}) {
    EXPECT_EQ(call(port(), "POST", "/api/v1/admin/documents?title=x&filename=x.txt", *t, "hello",
                   "text/plain")
                  .status,
              403u);
    simdjson::dom::parser sp;
    const auto current = call(port(), "GET", "/api/v1/admin/schedule", *t).body;
    EXPECT_EQ(call(port(), "PUT", "/api/v1/admin/schedule", *t,
                   simdjson::to_string(sp.parse(current)["schedule"]))
                  .status,
              403u);
    EXPECT_EQ(call(port(), "POST", "/api/v1/admin/imports/units", *t,
                   "code,name,level,parent_code\n", "text/csv")
                  .status,
              403u);
    EXPECT_EQ(call(port(), "POST", "/api/v1/admin/drill/reset", *t).status, 403u);
  }
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/schedule", t_viewer).status, 200u);
  // Incidents: the reporting unit and its ancestors see them, the sibling does not.
  auto reported =
      call(port(), "POST", "/api/v1/admin/incidents", t_op,
           R"({"category":"network","severity":"high","description":"ops )" + tag() + R"("})");
  ASSERT_EQ(reported.status, 201u) << reported.body;
  simdjson::dom::parser p;
  const auto incident = std::int64_t(p.parse(reported.body)["id"]);
  const std::string events = "/api/v1/admin/incidents/" + std::to_string(incident) + "/events";
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/incidents", t_other).body.find("ops " + tag()),
            std::string::npos);
  EXPECT_EQ(call(port(), "POST", events, t_other, R"({"kind":"comment","comment":"x"})").status,
            404u);
  EXPECT_NE(call(port(), "GET", "/api/v1/admin/incidents", t_cm).body.find("ops " + tag()),
            std::string::npos);
  auto ack = call(port(), "POST", events, t_cm, R"({"kind":"acknowledge"})");
  EXPECT_EQ(ack.status, 201u) << ack.body;
  EXPECT_NE(ack.body.find(R"("status":"acknowledged")"), std::string::npos);
  EXPECT_EQ(call(port(), "POST", events, t_op, R"({"kind":"comment","comment":"on it"})").status,
            201u);
  auto resolved = call(port(), "POST", events, t_op, R"({"kind":"resolve"})");
  EXPECT_NE(resolved.body.find(R"("status":"resolved")"), std::string::npos) << resolved.body;
  auto listed = call(port(), "GET", "/api/v1/admin/incidents?status=resolved", t_cm);
  EXPECT_NE(listed.body.find("ops " + tag()), std::string::npos);
  EXPECT_NE(listed.body.find(R"("event_count":3)"), std::string::npos) << listed.body;
  // One incident with its events in order, for the unit and above only.
  const std::string one = "/api/v1/admin/incidents/" + std::to_string(incident);
  EXPECT_EQ(call(port(), "GET", one, t_other).status, 404u);
  auto detail = call(port(), "GET", one, t_cm);
  ASSERT_EQ(detail.status, 200u) << detail.body;
  const auto d = p.parse(detail.body);
  EXPECT_EQ(std::int64_t(d["incident"]["id"]), incident);
  EXPECT_EQ(std::string_view(d["incident"]["status"]), "resolved");
  // A count is named as one; `events` is the list.
  EXPECT_EQ(std::int64_t(d["incident"]["event_count"]), 3);
  EXPECT_TRUE(d["incident"]["events"].error());
  std::vector<std::string> kinds;
  for (auto e : d["events"].get_array()) kinds.emplace_back(std::string_view(e["kind"]));
  EXPECT_EQ(kinds, (std::vector<std::string>{"acknowledge", "comment", "resolve"}));
  EXPECT_EQ(std::string_view(d["events"].at(1)["comment"]), "on it");
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/incidents/999999999", t_cm).status, 404u);
  // Notices: the county's announcement is seen below it, not by the sibling county's offices.
  EXPECT_NE(call(port(), "GET", "/api/v1/admin/notices", t_op).body.find(R"("title":"c")"),
            std::string::npos);
}

TEST_F(admin_ops_test, a_reminder_reaches_exactly_the_unfiled_eligible_of_the_subtree) {
  pqxx::connection conn(database_url());
  auto exam_where = [&](const std::string& where) {
    pqxx::work tx(conn);
    const auto r = tx.exec(
        "SELECT c.exam_no FROM candidates c WHERE c.eligible & 2 <> 0 AND NOT EXISTS (SELECT 1"
        " FROM applications p WHERE p.candidate_id = c.candidate_id AND p.batch = 1 AND NOT"
        " p.drill) AND " +
        where + " ORDER BY c.candidate_id DESC LIMIT 1");
    return r.empty() ? std::string() : r[0][0].as<std::string>();
  };
  // A filer whose school has another eligible candidate who has not filed.
  subject_case filer;
  places at;
  std::string inside;
  for (int i = 405; i < 440 && inside.empty(); ++i) {
    filer = pick_case(i);
    at = places_of(conn, filer.exam_no);
    inside = exam_where("c.school_id = " + std::to_string(at.school.id) + " AND c.exam_no <> '" +
                        filer.exam_no + "'");
  }
  const std::string token = ready_session(port(), filer.exam_no);
  auto submitted = request(
      port(), "POST", "/api/v1/applications/undergrad",
      bearer(token) + json_header() + "Idempotency-Key: " + unique_key("ops-reminder") + "\r\n",
      filer.body);
  ASSERT_EQ(submitted.status, 201u) << submitted.body;
  const std::string outside = exam_where("c.school_id <> " + std::to_string(at.school.id));
  ASSERT_FALSE(inside.empty());
  ASSERT_FALSE(outside.empty());
  const auto op = make_admin(conn, at.school.code, at.school.id, admin_role::operator_, "rem");
  const std::string admin = sign_in(port(), op);
  const std::string message = "please file " + tag();
  const std::string body =
      R"({"unit":")" + at.school.code + R"(","batch":"undergrad","message":")" + message + "\"}";
  // Another run may have reminded this school seconds ago: its reminders are moved back in
  // time, out of the 5 s limit.
  {
    pqxx::work tx(conn);
    tx.exec_params(
        "UPDATE notices SET created_at = created_at - interval '1 hour' WHERE kind = 1"
        " AND unit_id = $1 AND batch = 1",
        at.school.id);
    tx.commit();
  }
  auto sent = call(port(), "POST", "/api/v1/admin/reminders", admin, body);
  ASSERT_EQ(sent.status, 201u) << sent.body;
  auto again = call(port(), "POST", "/api/v1/admin/reminders", admin, body);
  EXPECT_EQ(again.status, 429u);
  EXPECT_FALSE(again.header("retry-after").empty());
  auto notices_of = [&](const std::string& exam) {
    return request(port(), "GET", "/api/v1/notices", bearer(login(port(), exam))).body;
  };
  const std::string seen = notices_of(inside);
  EXPECT_NE(seen.find(message), std::string::npos);
  // Candidates read the batch in Chinese in the title.
  EXPECT_NE(seen.find("填报提醒（本科批）"), std::string::npos) << seen;
  // The audit names the unit by its code and the batch by its name, as the API does.
  EXPECT_EQ(scalar(database_url(),
                   "SELECT count(*) FROM audit_log WHERE action = 'reminder.send' AND actor_id = " +
                       std::to_string(op.id) + " AND target = '" + at.school.code +
                       "' AND detail->>'batch' = 'undergrad'"),
            1);
  EXPECT_EQ(notices_of(outside).find(message), std::string::npos);
  EXPECT_EQ(notices_of(filer.exam_no).find(message), std::string::npos);
  EXPECT_EQ(scalar(database_url(),
                   "SELECT count(*) FROM audit_log WHERE action = 'reminder.send' AND actor_id = " +
                       std::to_string(op.id)),
            1);
}

TEST_F(admin_ops_test, documents_upload_list_download_audited_and_size_limited) {
  pqxx::connection conn(database_url());
  const auto province = unit_of(conn, "SELECT id, code FROM units WHERE level = 0");
  const auto boss = make_admin(conn, province.code, province.id, admin_role::manager, "doc.m");
  const auto viewer = make_admin(conn, province.code, province.id, admin_role::viewer, "doc.v");
  const std::string t = sign_in(port(), boss), tv = sign_in(port(), viewer);
  const std::string content = "应急预案 " + tag();
  auto up = call(port(), "POST", "/api/v1/admin/documents?title=plan&filename=plan.txt", t, content,
                 "text/plain");
  ASSERT_EQ(up.status, 201u) << up.body;
  simdjson::dom::parser p;
  const auto id = std::int64_t(p.parse(up.body)["id"]);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/documents?title=x&filename=x.exe", t, "MZ",
                 "application/x-msdownload")
                .status,
            415u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/documents?title=big&filename=big.txt", t,
                 std::string(3000, 'x'), "text/plain")
                .status,
            413u);
  // A large upload is refused on its head, before any of the body is sent, without a session
  // of a province manager; with one, the body is read and the handler answers.
  auto head_only = [&](const std::string& token, std::size_t length) {
    raw_connection c(port());
    c.send("POST /api/v1/admin/imports/plans HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\n" +
           (token.empty() ? std::string() : bearer(token)) +
           "Content-Length: " + std::to_string(length) + "\r\n\r\n");
    const auto r = c.read_reply();
    return r ? r->status : 0u;
  };
  EXPECT_EQ(head_only("", 10'000'000), 401u);
  EXPECT_EQ(head_only("not-a-session", 10'000'000), 401u);
  EXPECT_EQ(head_only(tv, 10'000'000), 403u);
  {
    // Asked to be told first, a client admitted gets "100 Continue" before it sends the body.
    raw_connection c(port());
    c.send(
        "POST /api/v1/admin/documents?title=big&filename=big.txt HTTP/1.1\r\nHost: t\r\n"
        "Content-Type: text/plain\r\nExpect: 100-continue\r\n" +
        bearer(t) + "Content-Length: 100000\r\n\r\n");
    const auto interim = c.read_reply();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100u);
    c.send(std::string(100'000, 'x'));
    const auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u) << r->body;
  }
  {
    raw_connection c(port());
    const std::string body(100'000, 'x');
    c.send(
        "POST /api/v1/admin/documents?title=big&filename=big.txt HTTP/1.1\r\nHost: t\r\n"
        "Content-Type: text/plain\r\n" +
        bearer(t) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    const auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u) << r->body;  // the handler's admin.document_max_bytes (2000)
  }
  EXPECT_NE(call(port(), "GET", "/api/v1/admin/documents", tv).body.find("plan.txt"),
            std::string::npos);
  auto down = call(port(), "GET", "/api/v1/admin/documents/" + std::to_string(id), tv);
  ASSERT_EQ(down.status, 200u);
  EXPECT_EQ(down.body, content);
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/documents/999999999", tv).status, 404u);
  EXPECT_EQ(scalar(database_url(),
                   "SELECT count(*) FROM audit_log WHERE action = 'document.download' AND"
                   " actor_id = " +
                       std::to_string(viewer.id) + " AND target = '" + std::to_string(id) + "'"),
            1);
}

// The server signs in as the application role of migration 0009: audit rows are appended and
// read, never changed or deleted; the audit table cannot be altered; no other role is taken.
TEST(admin_ops_audit_role, the_servers_role_appends_audit_rows_but_cannot_change_them) {
  pqxx::connection conn(storage::as_user(database_url(), "zhiyuan_app"));
  const std::string mark = "role.check." + tag();
  {
    pqxx::work tx(conn);
    const auto who = tx.exec1("SELECT current_user, session_user");
    EXPECT_EQ(who[0].as<std::string>(), "zhiyuan_app");
    EXPECT_EQ(who[1].as<std::string>(), "zhiyuan_app");
    tx.exec_params("INSERT INTO audit_log (actor_kind, action, target) VALUES (0, $1, 'x')", mark);
    tx.commit();
  }
  const std::string row = "(SELECT audit_id FROM audit_log WHERE action = '" + mark + "')";
  const std::vector<std::string> refused = {
      "UPDATE audit_log SET action = 'x' WHERE audit_id = " + row,
      "DELETE FROM audit_log WHERE audit_id = " + row,
      "TRUNCATE audit_log",
      "ALTER TABLE audit_log DISABLE TRIGGER USER",
      "DROP TRIGGER audit_log_no_change ON audit_log",
      "SET ROLE postgres"};
  for (const auto& statement : refused) {
    pqxx::work tx(conn);
    try {
      tx.exec(statement);
      ADD_FAILURE() << "allowed: " << statement;
    } catch (const pqxx::insufficient_privilege&) {
      // Refused by privileges (42501: permission denied, must be owner), not by the trigger.
    } catch (const pqxx::sql_error& e) {
      ADD_FAILURE() << statement << ": " << e.what();
    }
  }
  EXPECT_EQ(scalar(database_url(),
                   "SELECT count(*) FROM audit_log WHERE action = '" + mark + "' AND target = 'x'"),
            1);
}

// ------------------------------------------------------------ a database of its own

// The schedule and imports change what every server of the database sees: these tests load a
// small province into a database created (and dropped) here.
class admin_ops_own_db : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    storage::embedded_options o;
    o.var_dir = ZHIYUAN_TEST_VAR_DIR;
    admin_url_ = storage::embedded_cluster(o).admin_connection_string();
    name_ = fmt::format("zhiyuan_admin_ops_{}", ::getpid());
    {
      pqxx::connection admin(admin_url_);
      pqxx::nontransaction tx(admin);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
      tx.exec("CREATE DATABASE " + tx.quote_name(name_));
    }
    pqxx::connection conn(url());
    storage::migrate(conn);
    loadtest::province_options po;
    po.candidates = 1000;
    po.schools = 250;
    po.seed = 77;
    const auto province = loadtest::generate_province(po, 2);
    const auto hashes =
        loadtest::hash_synthetic_passwords(province.candidates, loadtest::kdf_cost::test, 2);
    loadtest::load_options lo;
    lo.cost = loadtest::kdf_cost::test;
    loadtest::load_province(conn, province, hashes, lo);
    auto args = server_args(offset_to(formal_open_instant),
                            {"--admin.login_ip_per_minute", "100000", "--auth.login_ip_per_minute",
                             "100000", "--filing.schedule_refresh_seconds", "1"});
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--database.url") args[i + 1] = url();
    }
    server_ = new server_process(args);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  }
  static std::string url() { return admin_url_ + " dbname=" + name_; }
  std::uint16_t port() const { return server_->port(); }
  static std::string manager_token(admin_role role = admin_role::manager) {
    static int made = 0;
    pqxx::connection conn(url());
    const auto province = unit_of(conn, "SELECT id, code FROM units WHERE level = 0");
    return sign_in(server_->port(), make_admin(conn, province.code, province.id, role,
                                               "own" + std::to_string(++made) + "." +
                                                   std::string(core::to_code(role))));
  }
  static inline std::string admin_url_, name_;
  static inline server_process* server_ = nullptr;
};

TEST_F(admin_ops_own_db, a_schedule_change_is_live_without_restart_and_checked) {
  const std::string t = manager_token();
  pqxx::connection conn(url());
  std::string exam;
  {
    pqxx::work tx(conn);
    exam = tx.exec1("SELECT exam_no FROM candidates WHERE eligible & 2 <> 0 LIMIT 1")[0]
               .as<std::string>();
  }
  const std::string candidate = ready_session(port(), exam);
  auto submit = [&] {
    return request(
        port(), "POST", "/api/v1/applications/undergrad",
        bearer(candidate) + json_header() + "Idempotency-Key: " + unique_key("ops-sched") + "\r\n",
        R"({"choices":[],"save_password":")" + loadtest::synthetic_save_password(exam) + "\"}");
  };
  const auto opened = submit();
  EXPECT_EQ(opened.body.find("window_closed"), std::string::npos);
  EXPECT_TRUE(empty_form_answered(opened, true));
  const std::string original = call(port(), "GET", "/api/v1/admin/schedule", t).body;
  simdjson::dom::parser p;
  const std::string doc = simdjson::to_string(p.parse(original)["schedule"]);
  // Close 本科批 an hour before "now" (2023-06-30T10:00+08:00).
  const std::string open = R"("formal_open":"2023-06-29T08:00:00+08:00")";
  std::string closed = doc;
  const auto at = closed.find(R"("undergrad":{)");
  ASSERT_NE(at, std::string::npos) << doc;
  const auto close_at = closed.find("\"formal_close\":\"", at);
  closed.replace(close_at, std::string(R"("formal_close":"2023-07-02T17:00:00+08:00")").size(),
                 R"("formal_close":"2023-06-30T09:00:00+08:00")");
  auto bad = doc;
  bad.replace(bad.find(R"("year":2023)"), 11, R"("year":1900)");
  // Every change names the revision it replaces (GET's ETag).
  std::string revision = call(port(), "GET", "/api/v1/admin/schedule", t).header("etag");
  ASSERT_FALSE(revision.empty());
  auto put = [&](const std::string& body, const std::string& if_match) {
    auto r = request(port(), "PUT", "/api/v1/admin/schedule",
                     bearer(t) + json_header() + "If-Match: " + if_match + "\r\n", body);
    if (r.status == 200) revision = r.header("etag");
    return r;
  };
  EXPECT_EQ(call(port(), "PUT", "/api/v1/admin/schedule", t, doc).status, 428u);
  auto refused = put(bad, revision);
  EXPECT_EQ(refused.status, 422u);
  EXPECT_NE(refused.body.find(R"("field":"year")"), std::string::npos) << refused.body;
  const std::string first = revision;
  auto changed = put(closed, revision);
  ASSERT_EQ(changed.status, 200u) << changed.body << "\n" << closed;
  EXPECT_NE(revision, first);
  const auto closed_now = submit();
  EXPECT_NE(closed_now.body.find("window_closed"), std::string::npos);
  EXPECT_TRUE(empty_form_answered(closed_now, false));
  // A change based on the revision just replaced (another manager's stale copy) is refused.
  EXPECT_EQ(put(doc, first).status, 412u);
  const auto still_closed = submit();
  EXPECT_NE(still_closed.body.find("window_closed"), std::string::npos);
  EXPECT_TRUE(empty_form_answered(still_closed, false));
  auto restored = put(doc, revision);
  ASSERT_EQ(restored.status, 200u);
  const auto reopened = submit();
  EXPECT_EQ(reopened.body.find("window_closed"), std::string::npos);
  EXPECT_TRUE(empty_form_answered(reopened, true));
  EXPECT_GE(scalar(url(), "SELECT count(*) FROM audit_log WHERE action = 'schedule.change'"), 2);
  // A second node (same database) follows without a restart.
  auto args =
      server_args(offset_to(formal_open_instant), {"--filing.schedule_refresh_seconds", "1"});
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--database.url") args[i + 1] = url();
  }
  server_process other(args);
  ASSERT_EQ(put(closed, revision).status, 200u);
  // It polls each second: seen within a bounded wait, or the test fails.
  http_reply seen;
  for (int i = 0; i < 100; ++i) {
    seen = request(other.port(), "GET", "/api/v1/schedule");
    if (seen.body.find("2023-06-30T09:00:00") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(seen.body.find("2023-06-30T09:00:00"), std::string::npos) << seen.body;
  ASSERT_EQ(put(doc, revision).status, 200u);
  (void)open;
}

TEST_F(admin_ops_own_db, imports_apply_whole_or_not_at_all_and_swap_the_catalog) {
  const std::string t = manager_token();
  pqxx::connection conn(url());
  // One existing group's row, its plan count changed.
  std::string row;
  std::int64_t group = 0;
  {
    pqxx::work tx(conn);
    const auto r = tx.exec1(
        "SELECT g.group_id, c.code, c.name, c.region, c.type, g.group_code, g.batch, g.track,"
        " g.category, g.special_type, g.req_first, g.req_second_kind, g.req_subjects,"
        " g.plan_count, m.code, m.name, m.plan_count, m.years, m.tuition FROM major_groups g"
        " JOIN colleges c ON c.code = g.college_code JOIN majors m ON m.group_id = g.group_id"
        " WHERE g.batch = 1 ORDER BY g.group_id LIMIT 1");
    group = r[0].as<std::int64_t>();
    static const char* batches[] = {"early_undergrad", "undergrad", "early_vocational",
                                    "vocational"};
    static const char* categories[] = {"regular", "arts", "sports"};
    row = fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", r[1].c_str(),
                      r[2].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str(),
                      batches[r[6].as<int>()], r[7].as<int>() == 0 ? "physics" : "history",
                      categories[r[8].as<int>()], r[9].as<bool>() ? "true" : "false",
                      r[10].as<int>(), r[11].as<int>(), r[12].as<int>(), 4321, r[14].c_str(),
                      r[15].c_str(), r[16].as<int>(), r[17].as<int>(), r[18].as<int>());
  }
  std::string header;
  for (const auto c : core::plan_columns) {
    if (!header.empty()) header += ',';
    header += c;
  }
  const std::string plans = "/api/v1/admin/imports/plans";
  // One bad row: nothing applies, the report names it.
  auto bad = call(port(), "POST", plans, t, header + "\n" + row + "\n" + row + "x,,\n", "text/csv");
  EXPECT_EQ(bad.status, 422u) << bad.body;
  EXPECT_NE(bad.body.find(R"("line":3)"), std::string::npos) << bad.body;
  simdjson::dom::parser p;
  const auto import_id = std::int64_t(p.parse(bad.body)["import_id"]);
  auto report =
      call(port(), "GET", "/api/v1/admin/imports/" + std::to_string(import_id) + "/errors.csv", t);
  EXPECT_EQ(report.status, 200u);
  EXPECT_NE(report.body.find("line,column,message"), std::string::npos);
  EXPECT_EQ(scalar(url(), "SELECT count(*) FROM major_groups WHERE plan_count = 4321"), 0);
  // Unknown groups in a scores file: refused by the database check, nothing applied.
  auto scores = call(port(), "POST", "/api/v1/admin/imports/scores", t,
                     "college_code,group_code,batch,track,year,min_score,min_rank,admitted\n"
                     "NOPE,1,undergrad,physics,2020,500,100,1\n",
                     "text/csv");
  EXPECT_EQ(scores.status, 422u) << scores.body;
  std::string exam;
  {
    pqxx::work tx(conn);
    exam = tx.exec1("SELECT exam_no FROM candidates ORDER BY candidate_id DESC LIMIT 1")[0]
               .as<std::string>();
  }
  const std::string candidate = bearer(login(port(), exam));
  // Requests keep being answered while the catalog snapshot is swapped.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread reader([&] {
    while (!stop) {
      const auto r = request(port(), "GET", "/api/v1/plans/" + std::to_string(group), candidate);
      (r.status == 200 ? answered : failed)++;
    }
  });
  auto good = call(port(), "POST", plans, t, header + "\r\n" + row + "\r\n", "text/csv");
  // A few more answers after the swap (bounded: the reader's requests fail or succeed).
  // Bounded: each of the reader's requests times out after 10 s at most.
  for (const int target = answered + failed + 5; answered + failed < target;) {
    std::this_thread::yield();
  }
  stop = true;
  reader.join();
  ASSERT_EQ(good.status, 200u) << good.body;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(scalar(url(),
                   "SELECT plan_count FROM major_groups WHERE group_id = " + std::to_string(group)),
            4321);
  EXPECT_NE(
      request(port(), "GET", "/api/v1/plans/" + std::to_string(group), candidate).body.find("4321"),
      std::string::npos);
  // Units: a new school under an existing county; the intervals are rewritten.
  std::string county;
  {
    pqxx::work tx(conn);
    county =
        tx.exec1("SELECT code FROM units WHERE level = 2 ORDER BY id LIMIT 1")[0].as<std::string>();
  }
  auto units =
      call(port(), "POST", "/api/v1/admin/imports/units", t,
           "code,name,level,parent_code\nNEW" + tag() + ",New school,school," + county + "\n",
           "text/csv");
  EXPECT_EQ(units.status, 200u) << units.body;
  EXPECT_EQ(scalar(url(),
                   "SELECT count(*) FROM units u JOIN units p ON p.id = u.parent_id"
                   " WHERE NOT (p.lo < u.lo AND u.hi <= p.hi)"),
            0);
  EXPECT_EQ(scalar(url(), "SELECT count(*) FROM units WHERE code = 'NEW" + tag() + "'"), 1);
  auto orphan =
      call(port(), "POST", "/api/v1/admin/imports/units", t,
           "code,name,level,parent_code\nX" + tag() + ",Orphan,school,NOPE\n", "text/csv");
  EXPECT_EQ(orphan.status, 422u);
  // The drill reset (in this database only: it would purge other tests' drill rows).
  auto reset = call(port(), "POST", "/api/v1/admin/drill/reset", t);
  EXPECT_EQ(reset.status, 200u) << reset.body;
  EXPECT_NE(reset.body.find("rows_deleted"), std::string::npos);
  EXPECT_EQ(scalar(url(), "SELECT count(*) FROM audit_log WHERE action = 'drill.reset'"), 1);
  // Operators of the province import nothing.
  EXPECT_EQ(
      call(port(), "POST", plans, manager_token(admin_role::operator_), header + "\n", "text/csv")
          .status,
      403u);
}

// A valid resident ID number (GB 11643-1999 check character) from 17 digits.
std::string id_number_of(const std::string& first17) {
  static constexpr int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * weights[i];
  return first17 + "10X98765432"[sum % 11];
}

std::int64_t stats_eligible(std::uint16_t port, const std::string& token,
                            const std::string& unit_code) {
  auto r = call(port, "GET", "/api/v1/admin/units/" + unit_code + "/stats?batch=undergrad", token);
  EXPECT_EQ(r.status, 200u) << r.body;
  simdjson::dom::parser p;
  return std::int64_t(p.parse(r.body)["unit"]["eligible"]);
}

TEST_F(admin_ops_own_db, a_candidates_import_upserts_spares_filed_choices_and_reaches_every_node) {
  const std::string t = manager_token();
  pqxx::connection conn(url());
  // A second node on the same database, started before the import, whose clock stands before
  // every filing window: candidates' facts change only while every window is closed (the
  // fixture's node is inside 本科批's).
  auto args = server_args(
      offset_to("2023-06-20T10:00:00+08:00"),
      {"--filing.schedule_refresh_seconds", "1", "--auth.login_ip_per_minute", "100000"});
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--database.url") args[i + 1] = url();
  }
  server_process other(args);
  // Two existing candidates of one school: one has filed 本科批, one has not.
  std::string school, filed, unfiled, filed_row, unfiled_row;
  {
    pqxx::work tx(conn);
    const auto r = tx.exec(
        "SELECT c.candidate_id, c.exam_no, c.name, c.id_number, s.code, c.category, c.track,"
        " c.electives, s.id, c.eligible FROM candidates c JOIN units s ON s.id = c.school_id"
        " WHERE c.eligible & 2 <> 0 AND c.score IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
        " applications a WHERE a.candidate_id = c.candidate_id) AND c.school_id = (SELECT"
        " school_id FROM candidates WHERE eligible & 2 <> 0 GROUP BY school_id"
        " HAVING count(*) >= 2 ORDER BY school_id LIMIT 1) ORDER BY c.candidate_id LIMIT 2");
    ASSERT_EQ(r.size(), 2u);
    school = r[0][4].as<std::string>();
    static const char* categories[] = {"regular", "arts", "sports"};
    static const char* subjects[] = {"chemistry", "biology", "politics", "geography"};
    auto row_of = [&](const pqxx::row& c, const std::string& name, int score, int rank,
                      const char* track, const std::string& eligible,
                      const std::string& at_school = {}) {
      std::string electives;
      for (int i = 0; i < 4; ++i) {
        if ((c[7].as<int>() & (1 << i)) == 0) continue;
        electives += (electives.empty() ? "" : "+") + std::string(subjects[i]);
      }
      return fmt::format("{},{},{},{},{},{},{},{},{},{}", c[1].c_str(), name, c[3].c_str(),
                         at_school.empty() ? school : at_school, categories[c[5].as<int>()], track,
                         electives, score, rank, eligible);
    };
    const char* track = r[0][6].as<int>() == 0 ? "physics" : "history";
    const char* other_track = r[0][6].as<int>() == 0 ? "history" : "physics";
    filed = r[0][1].as<std::string>();
    unfiled = r[1][1].as<std::string>();
    // The first has filed (the row the write path would have committed).
    tx.exec_params(
        "INSERT INTO applications (candidate_id, batch, drill, version, digest,"
        " accepted_at, committed_at) VALUES ($1, 1, false, 1, '\\x00', now(), now())",
        r[0][0].as<std::int64_t>());
    tx.commit();
    // The filed one keeps its facts (a new name and score only); the other changes track.
    std::string kept;
    static const char* reach[] = {"early_undergrad", "undergrad", "early_vocational", "vocational",
                                  "special_type"};
    for (int i = 0; i < 5; ++i) {
      if ((r[0][9].as<int>() & (1 << i)) == 0) continue;
      kept += (kept.empty() ? "" : "+") + std::string(reach[i]);
    }
    filed_row = row_of(r[0], "Renamed " + tag(), 601, 900, track, kept);
    unfiled_row = row_of(r[1], "Same", 620, 700, r[1][6].as<int>() == 0 ? "history" : "physics",
                         "undergrad+vocational");
    // Refused: the filed candidate's track changes, an unknown school, a dropped filed batch.
    const std::string header =
        "exam_no,name,id_number,school_code,category,track,electives,score,rank,eligible\n";
    const std::string bad_file = header + row_of(r[0], "X", 601, 900, other_track, "undergrad") +
                                 "\n" +
                                 row_of(r[1], "Y", 620, 700, "physics", "undergrad", "NOPE") + "\n";
    auto bad =
        call(other.port(), "POST", "/api/v1/admin/imports/candidates", t, bad_file, "text/csv");
    ASSERT_EQ(bad.status, 422u) << bad.body;
    EXPECT_NE(bad.body.find(R"({"line":2,"column":"track")"), std::string::npos) << bad.body;
    EXPECT_NE(bad.body.find(R"({"line":3,"column":"school_code")"), std::string::npos) << bad.body;
    auto dropped =
        call(other.port(), "POST", "/api/v1/admin/imports/candidates", t,
             header + row_of(r[0], "X", 601, 900, track, "vocational") + "\n", "text/csv");
    ASSERT_EQ(dropped.status, 422u) << dropped.body;
    EXPECT_NE(dropped.body.find(R"({"line":2,"column":"eligible")"), std::string::npos)
        << dropped.body;
  }
  EXPECT_EQ(scalar(url(), "SELECT count(*) FROM candidates WHERE name IN ('X', 'Y')"), 0);
  // A new candidate of the same school, reaching 本科批.
  const std::string fresh = fmt::format(
      "99{:012}", std::chrono::system_clock::now().time_since_epoch().count() % 1'000'000'000'000);
  ASSERT_EQ(fresh.size(), 14u);
  const std::string fresh_row = fresh + ",New " + tag() + "," + id_number_of("43010220050101123") +
                                "," + school + ",regular,physics,chemistry+biology,640,321," +
                                "undergrad+special_type";
  const auto before = stats_eligible(port(), t, school);
  EXPECT_EQ(request(port(), "POST", "/api/v1/auth/login", json_header(),
                    R"({"exam_no":")" + fresh + R"(","password":"anything-at-all1"})")
                .status,
            401u);
  const std::string file =
      "exam_no,name,id_number,school_code,category,track,electives,score,"
      "rank,eligible\r\n" +
      filed_row + "\r\n" + unfiled_row + "\r\n" + fresh_row + "\r\n";
  // Inside a window the facts of existing candidates stay (the unfiled one's track and
  // eligibility change here; the renamed filed one's do not).
  auto during = call(port(), "POST", "/api/v1/admin/imports/candidates", t, file, "text/csv");
  ASSERT_EQ(during.status, 422u) << during.body;
  EXPECT_NE(during.body.find("a filing window is open"), std::string::npos) << during.body;
  EXPECT_NE(during.body.find(R"("line":3)"), std::string::npos) << during.body;
  EXPECT_EQ(during.body.find(R"("line":2)"), std::string::npos) << during.body;
  auto good = call(other.port(), "POST", "/api/v1/admin/imports/candidates", t, file, "text/csv");
  ASSERT_EQ(good.status, 200u) << good.body;
  simdjson::dom::parser p;
  const auto answer = p.parse(good.body);
  EXPECT_EQ(std::int64_t(answer["inserted"]), 1);
  EXPECT_EQ(std::int64_t(answer["updated"]), 2);
  EXPECT_TRUE(bool(answer["snapshots_current"]));
  // The same file again changes nothing.
  auto again = call(other.port(), "POST", "/api/v1/admin/imports/candidates", t, file, "text/csv");
  ASSERT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(std::int64_t(p.parse(again.body)["updated"]), 0);
  EXPECT_EQ(std::int64_t(p.parse(again.body)["inserted"]), 0);
  EXPECT_EQ(scalar(url(), "SELECT score FROM candidates WHERE exam_no = '" + unfiled + "'"), 620);
  EXPECT_EQ(scalar(url(), "SELECT eligible FROM candidates WHERE exam_no = '" + unfiled + "'"),
            2 | 8);
  EXPECT_EQ(scalar(url(), "SELECT count(*) FROM candidates WHERE exam_no = '" + filed +
                              "' AND name = 'Renamed " + tag() + "'"),
            1);
  // The counters follow: one more eligible candidate in the school.
  EXPECT_EQ(stats_eligible(port(), t, school), before + 1);
  EXPECT_EQ(scalar(url(),
                   "SELECT count(*) FROM audit_log WHERE action = 'import.apply'"
                   " AND target = 'candidates'"),
            2);
  // The new candidate has no usable password until the school's office issues one.
  auto reset = call(port(), "POST", "/api/v1/admin/candidates/" + fresh + "/password-reset", t);
  ASSERT_EQ(reset.status, 200u) << reset.body;
  const std::string once(std::string_view(p.parse(reset.body)["one_time_password"]));
  const std::string sign_in_body = R"({"exam_no":")" + fresh + R"(","password":")" + once + "\"}";
  auto here = request(other.port(), "POST", "/api/v1/auth/login", json_header(), sign_in_body);
  EXPECT_EQ(here.status, 200u) << here.body;
  // The fixture's node reloads its directory by itself (it polls each second; bounded wait).
  http_reply there;
  for (int i = 0; i < 100; ++i) {
    there = request(port(), "POST", "/api/v1/auth/login", json_header(), sign_in_body);
    if (there.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(there.status, 200u) << there.body;
}

TEST(admin_ops_openapi, every_part_two_endpoint_is_documented) {
  auto server = start_server(0);
  const auto doc = request(server.port(), "GET", "/openapi.json");
  ASSERT_EQ(doc.status, 200u);
  for (const char* path :
       {"/api/v1/admin/reminders", "/api/v1/admin/notices", "/api/v1/admin/documents",
        "/api/v1/admin/documents/{id}", "/api/v1/admin/incidents", "/api/v1/admin/incidents/{id}",
        "/api/v1/admin/incidents/{id}/events", "/api/v1/admin/schedule",
        "/api/v1/admin/imports/{kind}", "/api/v1/admin/imports/{id}/errors.csv",
        "/api/v1/admin/drill/reset"}) {
    EXPECT_NE(doc.body.find(std::string("\"") + path + "\""), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace zhiyuan::test
