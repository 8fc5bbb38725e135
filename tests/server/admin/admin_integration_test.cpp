// The admission offices' API through HTTP against the test province: the authorization matrix
// (at every level and for every role: served in the own unit and its children, refused in the
// sibling, the parent and the province), one live session per account, trusted networks,
// forced password changes, the audit log's append-only rule, statistics against direct SQL
// counts, candidates' status, reasons and password resets, and the streamed CSV export.
// Candidates pick_case(400..499); admin accounts and names are unique per run.
#include <sodium.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <pqxx/pqxx>

#include "core/admin.hpp"
#include "server/admin/context.hpp"
#include "storage/admin_store.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

using core::admin_role;

std::string run_tag() {
  static const std::string tag =
      std::to_string(getpid()) + "x" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000'000);
  return tag;
}

struct unit_info {
  std::int32_t id = 0;
  std::string code;
  std::string exam_no;  // a candidate of its subtree
};

struct account {
  std::int32_t id = 0;
  std::string username;
  std::string password;
  unit_info unit;
  admin_role role = admin_role::viewer;
};

// An account with a known password whose first-login change is already done.
account make_admin(pqxx::connection& conn, const unit_info& unit, admin_role role,
                   const std::string& name) {
  account a;
  a.username = name + "." + run_tag();
  a.password = server::one_time_password();
  a.unit = unit;
  a.role = role;
  const auto hash = server::hash_password(a.password);
  a.id =
      storage::bootstrap_admin(conn, a.username, unit.code, static_cast<std::int16_t>(role), hash);
  EXPECT_GT(a.id, 0);
  storage::admin_actor who;
  who.admin_id = a.id;
  who.unit_id = unit.id;
  who.username = a.username;
  storage::set_own_admin_password(conn, who, hash, "");
  return a;
}

template <typename... Args>
unit_info unit_row(pqxx::connection& conn, const char* query, const Args&... args) {
  pqxx::work tx(conn);
  const pqxx::result r = tx.exec_params(query, args...);
  tx.commit();
  if (r.empty()) throw std::runtime_error(std::string("no unit for ") + query);
  return {r[0][0].as<std::int32_t>(), r[0][1].as<std::string>(), r[0][2].as<std::string>("")};
}

// A unit's id and code by id, with a candidate of its subtree eligible for 本科批.
constexpr const char* unit_by_id =
    "SELECT u.id, u.code, (SELECT c.exam_no FROM candidates c JOIN units s ON s.id = c.school_id"
    " WHERE u.lo <= s.lo AND s.hi <= u.hi AND c.eligible & 2 <> 0 ORDER BY c.candidate_id DESC"
    " LIMIT 1) FROM units u WHERE u.id = $1::int";
// A sibling of unit $1 with an eligible candidate in its subtree.
constexpr const char* sibling_of =
    "SELECT u.id, u.code, (SELECT c.exam_no FROM candidates c JOIN units s ON s.id = c.school_id"
    " WHERE u.lo <= s.lo AND s.hi <= u.hi AND c.eligible & 2 <> 0 ORDER BY c.candidate_id DESC"
    " LIMIT 1) AS exam FROM units u JOIN units me ON me.id = $1::int"
    " WHERE u.parent_id = me.parent_id AND u.id <> me.id AND EXISTS (SELECT 1 FROM candidates c"
    " JOIN units s ON s.id = c.school_id WHERE u.lo <= s.lo AND s.hi <= u.hi"
    " AND c.eligible & 2 <> 0) ORDER BY u.id LIMIT 1";

// Unit $1 with an eligible candidate of its subtree outside unit $2's subtree.
constexpr const char* outside_of =
    "SELECT u.id, u.code, (SELECT c.exam_no FROM candidates c JOIN units s ON s.id = c.school_id"
    " JOIN units x ON x.id = $2::int WHERE u.lo <= s.lo AND s.hi <= u.hi"
    " AND NOT (x.lo <= s.lo AND s.hi <= x.hi) AND c.eligible & 2 <> 0 ORDER BY c.candidate_id"
    " LIMIT 1) FROM units u WHERE u.id = $1::int";

std::string login_admin(std::uint16_t port, const account& a, unsigned want = 200) {
  auto r = request(port, "POST", "/api/v1/admin/auth/login", json_header(),
                   R"({"username":")" + a.username + R"(","password":")" + a.password + "\"}");
  EXPECT_EQ(r.status, want) << r.body;
  if (r.status != 200) return "";
  simdjson::dom::parser p;
  return std::string(std::string_view(p.parse(r.body)["token"]));
}

http_reply call(std::uint16_t port, const char* method, const std::string& path,
                const std::string& token, const std::string& body = {}) {
  std::string headers = bearer(token);
  if (!body.empty()) headers += json_header();
  return request(port, method, path, headers, body);
}

std::int64_t scalar(const std::string& query) {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  return tx.exec1(query)[0].as<std::int64_t>();
}

class admin_api_test : public ::testing::Test {
 protected:
  // Many sign-ins from one address: the per-address limit is lifted.
  static void SetUpTestSuite() {
    server_ = new server_process(
        server_args(offset_to(formal_open_instant), {"--admin.login_ip_per_minute", "100000"}));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  std::uint16_t port() const { return server_->port(); }
  static server_process* server_;
};
server_process* admin_api_test::server_ = nullptr;

// ------------------------------------------------------------------ matrix

// What an admin of `role` gets from an endpoint open to `least` and above: 403 below it, else
// `ok` inside its own unit's subtree and 404 outside it (there, units and candidates do not
// exist for it).
unsigned expected_status(admin_role role, admin_role least, bool in_scope, unsigned ok) {
  if (role < least) return 403;
  return in_scope ? ok : 404;
}

// A unit an admin aims a request at, seen from the admin's unit.
struct target {
  const char* relation;  // own, child, sibling, parent or province
  unit_info unit;  // exam_no: a candidate of its subtree (outside the admin's if not in scope)
  const account* holder;  // a viewer of the unit who has signed in (an audit row, an account)
  bool in_scope;
};

TEST_F(admin_api_test, every_admin_is_served_in_its_subtree_and_refused_outside_at_every_level) {
  pqxx::connection conn(database_url());
  const auto subject = pick_case(402);
  // The chain school › county › city › province of one candidate, and a sibling at each level.
  std::vector<unit_info> chain, siblings;
  {
    pqxx::work tx(conn);
    auto r = tx.exec_params(
        "SELECT s.id, s.parent_id, p.parent_id, g.parent_id FROM candidates c JOIN units s ON"
        " s.id = c.school_id JOIN units p ON p.id = s.parent_id JOIN units g ON g.id = p.parent_id"
        " WHERE c.exam_no = $1",
        subject.exam_no);
    tx.commit();
    for (int i = 0; i < 4; ++i) {
      chain.push_back(unit_row(conn, unit_by_id, std::to_string(r[0][i].as<int>())));
    }
    for (int i = 0; i < 3; ++i) {
      siblings.push_back(unit_row(conn, sibling_of, std::to_string(chain[i].id)));
      ASSERT_FALSE(siblings.back().exam_no.empty()) << siblings.back().code;
    }
  }
  const unit_info& province = chain[3];
  std::map<std::int32_t, account> holders;
  for (const auto* units : {&chain, &siblings}) {
    for (const auto& u : *units) {
      holders[u.id] = make_admin(conn, u, admin_role::viewer, "mx.h." + u.code);
      ASSERT_FALSE(login_admin(port(), holders[u.id]).empty());
    }
  }
  std::string actor_ids = "0";
  int resets = 0, creations = 0;  // the changes the matrix expects to succeed
  for (int level = 0; level < 3; ++level) {
    const unit_info& parent = chain[level + 1];
    for (const bool ours : {true, false}) {
      // The chain's admins are served in their unit and its child on the chain (where the
      // subject is) and refused in the sibling, the parent and the province; the sibling's
      // admins are refused in the chain's unit, the parent and the province.
      const unit_info& home = ours ? chain[level] : siblings[level];
      std::vector<target> targets;
      auto served = [&](const char* relation, unit_info u) {
        u.exam_no = subject.exam_no;
        targets.push_back({relation, u, &holders.at(u.id), true});
      };
      auto refused = [&](const char* relation, const unit_info& u) {
        // A candidate of the unit's subtree outside the admin's own.
        auto in_u = unit_row(conn, outside_of, std::to_string(u.id), std::to_string(home.id));
        EXPECT_FALSE(in_u.exam_no.empty()) << relation << " " << u.code;
        targets.push_back({relation, in_u, &holders.at(u.id), false});
      };
      if (ours) {
        served("own", chain[level]);
        if (level > 0) served("child", chain[level - 1]);
      }
      refused("sibling", ours ? siblings[level] : chain[level]);
      refused("parent", parent);
      if (parent.id != province.id) refused("province", province);
      for (auto role : {admin_role::viewer, admin_role::operator_, admin_role::manager}) {
        const std::string name = std::string("mx.") + (ours ? "a." : "b.") +
                                 std::string(core::to_code(role)) + std::to_string(level);
        const account a = make_admin(conn, home, role, name);
        actor_ids += "," + std::to_string(a.id);
        const std::string token = login_admin(port(), a);
        ASSERT_FALSE(token.empty());
        // Positive control for every role: the own unit's statistics.
        EXPECT_EQ(call(port(), "GET", "/api/v1/admin/units/" + home.code + "/stats", token).status,
                  200u)
            << a.username;
        const auto users = call(port(), "GET", "/api/v1/admin/users", token);
        EXPECT_EQ(users.status, expected_status(role, admin_role::manager, true, 200u))
            << a.username;
        for (const auto& t : targets) {
          const std::string unit = "/api/v1/admin/units/" + t.unit.code;
          const std::string cand = "/api/v1/admin/candidates/" + t.unit.exam_no;
          const std::string who =
              a.username + " -> " + t.relation + " " + t.unit.code + " / " + t.unit.exam_no;
          const struct {
            const char* method;
            std::string path;
            std::string body;
            admin_role least;  // the lowest role it serves
            unsigned ok;       // its answer inside the subtree
          } endpoints[] = {
              {"GET", unit + "/stats", "", admin_role::viewer, 200},
              {"GET", unit + "/stats/timeline", "", admin_role::viewer, 200},
              {"GET", unit + "/unfiled", "", admin_role::operator_, 200},
              {"GET", unit + "/unfiled?format=csv", "", admin_role::operator_, 200},
              {"GET", cand, "", admin_role::operator_, 200},
              {"PUT", cand + "/unfiled-reason", R"({"batch":"undergrad","reason":"other"})",
               admin_role::operator_, 200},
              {"POST", cand + "/password-reset", "", admin_role::operator_, 200},
          };
          for (const auto& e : endpoints) {
            const auto want = expected_status(role, e.least, t.in_scope, e.ok);
            const auto r = call(port(), e.method, e.path, token, e.body);
            EXPECT_EQ(r.status, want) << who << ": " << e.method << " " << e.path << "\n"
                                      << r.body.substr(0, 300);
            if (want == 200 && e.path.ends_with("/password-reset")) ++resets;
          }
          // Accounts: a new one in the unit, then disabling it (inside the subtree), or
          // disabling the unit's holder (outside it, where nothing can be created).
          const auto created =
              call(port(), "POST", "/api/v1/admin/users", token,
                   R"({"username":")" + name + "." + t.relation + ".new." + run_tag() +
                       R"(","unit":")" + t.unit.code + R"(","role":"viewer"})");
          const auto want_created = expected_status(role, admin_role::manager, t.in_scope, 201u);
          EXPECT_EQ(created.status, want_created) << who << ": " << created.body;
          std::int32_t changed = t.holder->id;
          if (created.status == 201u) {
            simdjson::dom::parser p;
            changed = static_cast<std::int32_t>(std::int64_t(p.parse(created.body)["user"]["id"]));
          }
          if (want_created == 201u) ++creations;
          EXPECT_EQ(call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(changed), token,
                         R"({"disabled":true})")
                        .status,
                    expected_status(role, admin_role::manager, t.in_scope, 200u))
              << who;
          // The account list and the audit log show the unit's holder inside the subtree only.
          const auto audit = call(port(), "GET",
                                  "/api/v1/admin/audit?action=admin.login&unit=" + t.unit.code +
                                      "&actor=" + std::to_string(t.holder->id),
                                  token);
          EXPECT_EQ(audit.status, expected_status(role, admin_role::manager, true, 200u)) << who;
          if (role == admin_role::manager) {
            const std::string holder = "\"" + t.holder->username + "\"";
            EXPECT_EQ(users.body.find(holder) != std::string::npos, t.in_scope) << who;
            EXPECT_EQ(audit.body.find(holder) != std::string::npos, t.in_scope)
                << who << audit.body;
            if (!t.in_scope) {
              EXPECT_NE(audit.body.find(R"("entries":[])"), std::string::npos) << who;
            }
          }
        }
        // No escalation: nobody changes their own account.
        EXPECT_EQ(call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(a.id), token,
                       R"({"role":"manager"})")
                      .status,
                  403u)
            << a.username;
      }
    }
  }
  const std::string mine = "username LIKE 'mx.%." + run_tag() + "'";
  // Only the accounts created inside a subtree were disabled, and each of them was.
  EXPECT_EQ(scalar("SELECT count(*) FROM admin_users WHERE disabled AND " + mine +
                   " AND username NOT LIKE '%.new." + run_tag() + "'"),
            0);
  EXPECT_GT(creations, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM admin_users WHERE disabled AND " + mine +
                   " AND username LIKE '%.new." + run_tag() + "'"),
            creations);
  // Every candidate read or change, every unfiled list, of these admins stayed in their subtree
  // (each is audited in the transaction that does it), and every expected reset happened.
  EXPECT_EQ(
      scalar("SELECT count(*) FROM audit_log l JOIN admin_users a ON a.admin_id = l.actor_id"
             " JOIN units au ON au.id = a.unit_id WHERE l.actor_kind = 1 AND l.actor_id IN (" +
             actor_ids +
             ") AND l.action IN ('candidate.read', 'candidate.unfiled_reason',"
             " 'candidate.password_reset', 'unfiled.list', 'unfiled.export') AND NOT EXISTS"
             " (SELECT 1 FROM units t LEFT JOIN candidates c ON c.school_id = t.id"
             " WHERE au.lo <= t.lo AND t.hi <= au.hi AND (t.code = l.target OR c.exam_no ="
             " l.target))"),
      0);
  EXPECT_GT(resets, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM audit_log WHERE action = 'candidate.password_reset'"
                   " AND target = '" +
                   subject.exam_no + "' AND actor_id IN (" + actor_ids + ")"),
            resets);
}

TEST_F(admin_api_test, managers_grant_at_most_their_role_inside_their_subtree) {
  pqxx::connection conn(database_url());
  const auto subject = pick_case(403);
  pqxx::work tx(conn);
  auto r = tx.exec_params(
      "SELECT s.parent_id FROM candidates c JOIN units s ON s.id = c.school_id"
      " WHERE c.exam_no = $1",
      subject.exam_no);
  tx.commit();
  const auto county = unit_row(conn, unit_by_id, std::to_string(r[0][0].as<int>()));
  const auto boss = make_admin(conn, county, admin_role::manager, "gr.m");
  const auto op = make_admin(conn, county, admin_role::operator_, "gr.o");
  const std::string token = login_admin(port(), boss);
  const std::string op_token = login_admin(port(), op);
  // Operators manage no accounts.
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/users", op_token).status, 403u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/users", op_token,
                 R"({"username":"gr.x.)" + run_tag() + R"(","unit":")" + county.code +
                     R"(","role":"viewer"})")
                .status,
            403u);
  // The manager creates an operator; the one-time password forces a change.
  auto created = call(port(), "POST", "/api/v1/admin/users", token,
                      R"({"username":"gr.new.)" + run_tag() + R"(","unit":")" + county.code +
                          R"(","role":"operator"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  simdjson::dom::parser p;
  auto doc = p.parse(created.body);
  account fresh;
  fresh.username = std::string(std::string_view(doc["user"]["username"]));
  fresh.password = std::string(std::string_view(doc["initial_password"]));
  fresh.id = static_cast<std::int32_t>(std::int64_t(doc["user"]["id"]));
  const std::string fresh_token = login_admin(port(), fresh);
  auto me = call(port(), "GET", "/api/v1/admin/me", fresh_token);
  EXPECT_EQ(me.status, 200u);
  EXPECT_NE(me.body.find(R"("must_change_password":true)"), std::string::npos);
  const std::string stats = "/api/v1/admin/units/" + county.code + "/stats";
  auto blocked = call(port(), "GET", stats, fresh_token);
  EXPECT_EQ(blocked.status, 403u);
  EXPECT_NE(blocked.body.find("passwords_required"), std::string::npos);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/me/password", fresh_token,
                 R"({"current_password":"wrong-one1","new_password":"Better2023x"})")
                .status,
            400u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/me/password", fresh_token,
                 R"({"current_password":")" + fresh.password + R"(","new_password":"12345678"})")
                .status,
            422u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/me/password", fresh_token,
                 R"({"current_password":")" + fresh.password + R"(","new_password":"Better2023x"})")
                .status,
            200u);
  EXPECT_EQ(call(port(), "GET", stats, fresh_token).status, 200u);
  // A reset forces the change again and ends the session at once.
  auto reset = call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(fresh.id), token,
                    R"({"reset_password":true})");
  ASSERT_EQ(reset.status, 200u) << reset.body;
  EXPECT_EQ(call(port(), "GET", stats, fresh_token).status, 401u);
  fresh.password = std::string(std::string_view(p.parse(reset.body)["one_time_password"]));
  const std::string again = login_admin(port(), fresh);
  EXPECT_EQ(call(port(), "GET", stats, again).status, 403u);
  // Disable, then enable.
  EXPECT_EQ(call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(fresh.id), token,
                 R"({"disabled":true})")
                .status,
            200u);
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/me", again).status, 401u);
  login_admin(port(), fresh, 401);
  EXPECT_EQ(call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(fresh.id), token,
                 R"({"disabled":false})")
                .status,
            200u);
  login_admin(port(), fresh, 200);
  // Not in the parent unit (outside the subtree), not with an unknown role.
  pqxx::work tx2(conn);
  const auto up = tx2.exec_params1(
      "SELECT p.id, p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.id = $1",
      county.id);
  const auto parent = up[0].as<int>();
  const auto parent_code = up[1].as<std::string>();
  tx2.commit();
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/users", token,
                 R"({"username":"gr.up.)" + run_tag() + R"(","unit":")" + parent_code +
                     R"(","role":"viewer"})")
                .status,
            404u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/users", token,
                 R"({"username":"gr.root.)" + run_tag() + R"(","unit":")" + county.code +
                     R"(","role":"root"})")
                .status,
            400u);
  // Nor changes an account outside the subtree: in the parent unit or in a sibling county.
  const auto above = make_admin(conn, unit_row(conn, unit_by_id, std::to_string(parent)),
                                admin_role::viewer, "gr.above");
  const auto beside = make_admin(conn, unit_row(conn, sibling_of, std::to_string(county.id)),
                                 admin_role::viewer, "gr.beside");
  for (const account* other : {&above, &beside}) {
    for (const char* change :
         {R"({"disabled":true})", R"({"reset_password":true})", R"({"role":"operator"})"}) {
      auto r =
          call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(other->id), token, change);
      EXPECT_EQ(r.status, 404u) << other->username << " " << change << "\n" << r.body;
    }
    EXPECT_EQ(
        scalar("SELECT count(*) FROM admin_users WHERE admin_id = " + std::to_string(other->id) +
               " AND NOT disabled AND NOT must_change_password AND role = " +
               std::to_string(static_cast<int>(admin_role::viewer))),
        1)
        << other->username;
    login_admin(port(), *other, 200);  // the password is still the one it had
  }
  // A peer manager of the same unit is managed one level up, never by a peer (no takeover);
  // a manager of the city above may.
  const auto peer = make_admin(conn, county, admin_role::manager, "gr.peer");
  for (const char* change : {R"({"disabled":true})", R"({"reset_password":true})"}) {
    EXPECT_EQ(call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(peer.id), token, change)
                  .status,
              404u)
        << change;
  }
  login_admin(port(), peer, 200);
  const auto city_boss = make_admin(conn, unit_row(conn, unit_by_id, std::to_string(parent)),
                                    admin_role::manager, "gr.city");
  EXPECT_EQ(call(port(), "PATCH", "/api/v1/admin/users/" + std::to_string(peer.id),
                 login_admin(port(), city_boss), R"({"disabled":true})")
                .status,
            200u);
  login_admin(port(), peer, 401);
}

// ------------------------------------------------------------------ sessions

TEST_F(admin_api_test, a_new_sign_in_ends_the_previous_session_at_once) {
  pqxx::connection conn(database_url());
  const auto province = unit_row(conn, unit_by_id, "1");
  const auto a = make_admin(conn, province, admin_role::viewer, "one.session");
  const std::string first = login_admin(port(), a);
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/me", first).status, 200u);
  const std::string second = login_admin(port(), a);
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/me", first).status, 401u);
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/me", second).status, 200u);
  EXPECT_EQ(call(port(), "POST", "/api/v1/admin/auth/logout", second).status, 204u);
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/me", second).status, 401u);
  // Wrong passwords are refused and audited.
  account wrong = a;
  wrong.password = "Not-the-one1";
  login_admin(port(), wrong, 401);
  EXPECT_GE(scalar("SELECT count(*) FROM audit_log WHERE action = 'admin.login_refused'"
                   " AND target = '" +
                   a.username + "' AND detail->>'reason' = 'bad_password'"),
            1);
}

TEST(admin_api_sessions, idle_sessions_end_and_untrusted_networks_are_refused_and_audited) {
  pqxx::connection conn(database_url());
  const auto province = unit_row(conn, unit_by_id, "1");
  const auto a = make_admin(conn, province, admin_role::viewer, "net");
  {
    auto server = start_server(
        offset_to(formal_open_instant),
        {"--admin.trusted_networks", "10.0.0.0/8", "--admin.session_idle_seconds", "60"});
    login_admin(server.port(), a, 403);
    EXPECT_EQ(scalar("SELECT count(*) FROM audit_log WHERE action = 'admin.login_refused'"
                     " AND target = '" +
                     a.username + "' AND detail->>'reason' = 'untrusted_network'"),
              1);
    // The unit's own networks let its accounts in.
    storage::add_unit_network(conn, province.id, "127.0.0.1/32");
    const std::string token = login_admin(server.port(), a);
    EXPECT_EQ(call(server.port(), "GET", "/api/v1/admin/me", token).status, 200u);
    // Idle time is counted in the database: age the session's last use instead of waiting.
    auto age_session = [&](int seconds) {
      pqxx::work tx(conn);
      const auto r = tx.exec_params(
          "UPDATE admin_sessions SET last_seen_at = last_seen_at - make_interval(secs => $2)"
          " WHERE admin_id = $1",
          a.id, seconds);
      tx.commit();
      EXPECT_EQ(r.affected_rows(), 1u);
    };
    // Twice 40 s unused, each under the limit: every use starts the idle time afresh.
    age_session(40);
    EXPECT_EQ(call(server.port(), "GET", "/api/v1/admin/me", token).status, 200u);
    age_session(40);
    EXPECT_EQ(call(server.port(), "GET", "/api/v1/admin/me", token).status, 200u);
    // Past the limit: the session has ended, and stays ended.
    age_session(61);
    EXPECT_EQ(call(server.port(), "GET", "/api/v1/admin/me", token).status, 401u);
    EXPECT_EQ(call(server.port(), "GET", "/api/v1/admin/me", token).status, 401u);
  }
  pqxx::work tx(conn);
  tx.exec_params("DELETE FROM admin_unit_networks WHERE unit_id = $1 AND network = '127.0.0.1/32'",
                 province.id);
  tx.commit();
}

TEST(admin_api_audit, audit_rows_can_be_neither_changed_nor_deleted) {
  pqxx::connection conn(database_url());
  storage::append_audit(conn, {0, 0, 0, "test.append_only", run_tag(), "", ""});
  const std::string where = " WHERE action = 'test.append_only' AND target = '" + run_tag() + "'";
  for (const std::string& statement :
       {"UPDATE audit_log SET target = 'changed'" + where, "DELETE FROM audit_log" + where,
        std::string("TRUNCATE audit_log")}) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(statement), pqxx::sql_error) << statement;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM audit_log" + where), 1);
  // No role but the owner holds UPDATE or DELETE on it.
  EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.role_table_grants WHERE table_name ="
                   " 'audit_log' AND privilege_type IN ('UPDATE', 'DELETE') AND grantee ="
                   " 'PUBLIC'"),
            0);
}

// ------------------------------------------------------------------ statistics

// The counts of batch 本科批 in unit `id`'s subtree, straight from the tables.
std::string direct_counts(std::int32_t id) {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  auto r = tx.exec_params1(
      "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM window_logins w"
      " WHERE w.candidate_id = c.candidate_id AND w.batch = 1)),"
      " count(*) FILTER (WHERE d AND NOT a), count(*) FILTER (WHERE a) FROM ("
      " SELECT c.candidate_id, EXISTS (SELECT 1 FROM drafts x WHERE x.candidate_id ="
      " c.candidate_id AND x.batch = 1 AND NOT x.drill) AS d, EXISTS (SELECT 1 FROM applications x"
      " WHERE x.candidate_id = c.candidate_id AND x.batch = 1 AND NOT x.drill) AS a"
      " FROM candidates c JOIN units s ON s.id = c.school_id JOIN units u ON u.id = $1"
      " WHERE u.lo <= s.lo AND s.hi <= u.hi AND c.eligible & 2 <> 0) c",
      id);
  return fmt::format(R"("eligible":{},"logged_in":{},"draft_only":{},"submitted":{},)"
                     R"("not_submitted":{})",
                     r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>(),
                     r[3].as<std::int64_t>(), r[0].as<std::int64_t>() - r[3].as<std::int64_t>());
}

TEST_F(admin_api_test, statistics_match_direct_counts_after_sign_in_and_submission) {
  pqxx::connection conn(database_url());
  const auto subject = pick_case(400);
  const std::string token = ready_session(port(), subject.exam_no);
  auto submitted = request(
      port(), "POST", "/api/v1/applications/undergrad",
      bearer(token) + json_header() + "Idempotency-Key: " + unique_key("admin-stats") + "\r\n",
      subject.body);
  ASSERT_EQ(submitted.status, 201u) << submitted.body;
  const auto province = unit_row(conn, unit_by_id, "1");
  const auto viewer = make_admin(conn, province, admin_role::viewer, "stats");
  const std::string admin = login_admin(port(), viewer);
  pqxx::work tx(conn);
  const auto school_row = tx.exec_params1(
      "SELECT c.school_id, s.code FROM candidates c JOIN units s ON s.id = c.school_id"
      " WHERE c.exam_no = $1",
      subject.exam_no);
  const auto school = school_row[0].as<std::int32_t>();
  const auto school_code = school_row[1].as<std::string>();
  tx.commit();
  EXPECT_GE(scalar("SELECT count(*) FROM window_logins w JOIN candidates c USING (candidate_id)"
                   " WHERE c.exam_no = '" +
                   subject.exam_no + "' AND w.batch = 1"),
            1);
  for (const auto& [unit, code] : {std::pair{province.id, province.code}, {school, school_code}}) {
    // Other tests write at the same time: compare when the tables did not move meanwhile.
    bool compared = false;
    for (int attempt = 0; attempt < 10 && !compared; ++attempt) {
      const std::string before = direct_counts(unit);
      auto r = call(port(), "GET", "/api/v1/admin/units/" + code + "/stats?batch=undergrad", admin);
      ASSERT_EQ(r.status, 200u) << r.body;
      if (direct_counts(unit) != before) continue;
      compared = true;
      // The unit's own figures come first in the body.
      EXPECT_NE(r.body.find(before), std::string::npos) << before << "\n" << r.body;
    }
    EXPECT_TRUE(compared);
  }
  auto timeline =
      call(port(), "GET", "/api/v1/admin/units/" + school_code + "/stats/timeline", admin);
  EXPECT_EQ(timeline.status, 200u);
  EXPECT_NE(timeline.body.find("\"submissions\":"), std::string::npos) << timeline.body;
  // Viewers see statistics only.
  EXPECT_EQ(call(port(), "GET", "/api/v1/admin/candidates/" + subject.exam_no, admin).status, 403u);
}

// ------------------------------------------------------------------ candidates

TEST_F(admin_api_test, offices_see_status_record_reasons_and_reset_passwords_never_choices) {
  pqxx::connection conn(database_url());
  const auto subject = pick_case(401);
  pqxx::work tx(conn);
  const auto school =
      tx.exec_params1("SELECT school_id FROM candidates WHERE exam_no = $1", subject.exam_no)[0]
          .as<std::int32_t>();
  tx.commit();
  const auto unit = unit_row(conn, unit_by_id, std::to_string(school));
  const auto op = make_admin(conn, unit, admin_role::operator_, "cand");
  const std::string token = login_admin(port(), op);
  const std::string path = "/api/v1/admin/candidates/" + subject.exam_no;
  auto got = call(port(), "GET", path, token);
  ASSERT_EQ(got.status, 200u) << got.body;
  EXPECT_NE(got.body.find("**********"), std::string::npos) << got.body;  // masked ID
  EXPECT_EQ(got.body.find("choices"), std::string::npos);
  EXPECT_EQ(got.body.find("save"), std::string::npos);
  auto put = call(port(), "PUT", path + "/unfiled-reason", token,
                  R"({"batch":"undergrad","reason":"出国","note":"study in Japan"})");
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_NE(put.body.find(R"("reason":"abroad")"), std::string::npos);
  EXPECT_EQ(call(port(), "PUT", path + "/unfiled-reason", token,
                 R"({"batch":"undergrad","reason":"sick"})")
                .status,
            400u);
  EXPECT_NE(call(port(), "GET", path, token).body.find(R"("unfiled_reason":"abroad")"),
            std::string::npos);
  auto list = call(port(), "GET", "/api/v1/admin/units/" + unit.code + "/unfiled", token);
  ASSERT_EQ(list.status, 200u);
  if (list.body.find(subject.exam_no) != std::string::npos) {
    EXPECT_NE(list.body.find("study in Japan"), std::string::npos);
  }
  // A one-time password: the old one stops working, the new one forces new passwords.
  auto reset = call(port(), "POST", path + "/password-reset", token);
  ASSERT_EQ(reset.status, 200u) << reset.body;
  simdjson::dom::parser p;
  const std::string once(std::string_view(p.parse(reset.body)["one_time_password"]));
  auto old_login = request(port(), "POST", "/api/v1/auth/login", json_header(),
                           R"({"exam_no":")" + subject.exam_no + R"(","password":")" +
                               loadtest::synthetic_login_password(subject.exam_no) + "\"}");
  EXPECT_EQ(old_login.status, 401u);
  auto new_login =
      request(port(), "POST", "/api/v1/auth/login", json_header(),
              R"({"exam_no":")" + subject.exam_no + R"(","password":")" + once + "\"}");
  EXPECT_EQ(new_login.status, 200u) << new_login.body;
  EXPECT_NE(new_login.body.find(R"("must_set_passwords":true)"), std::string::npos);
  // Whoever holds the one-time password (the office that handed it out, too) cannot set a new
  // save password, and so cannot file for the candidate, without the current save password.
  const std::string cand_token(std::string_view(p.parse(new_login.body)["token"]));
  const std::string set = R"({"current_password":")" + once +
                          R"(","login_password":"Reset-Login-71","save_password":"Reset-Save-82")";
  auto taken = request(port(), "POST", "/api/v1/me/passwords", bearer(cand_token) + json_header(),
                       set + "}");
  EXPECT_EQ(taken.status, 403u) << taken.body;
  EXPECT_NE(taken.body.find("wrong_save_password"), std::string::npos) << taken.body;
  auto guessed = request(port(), "POST", "/api/v1/me/passwords", bearer(cand_token) + json_header(),
                         set + R"(,"current_save_password":"Not-The-Save-9"})");
  EXPECT_EQ(guessed.status, 403u) << guessed.body;
  EXPECT_EQ(call(port(), "POST", "/api/v1/me/pledge", cand_token).status, 403u);
  auto own = request(port(), "POST", "/api/v1/me/passwords", bearer(cand_token) + json_header(),
                     set + R"(,"current_save_password":")" +
                         loadtest::synthetic_save_password(subject.exam_no) + R"("})");
  EXPECT_EQ(own.status, 200u) << own.body;
  for (const char* action :
       {"candidate.read", "candidate.unfiled_reason", "candidate.password_reset"}) {
    EXPECT_GE(scalar("SELECT count(*) FROM audit_log WHERE actor_id = " + std::to_string(op.id) +
                     " AND action = '" + action + "' AND target = '" + subject.exam_no + "'"),
              1)
        << action;
  }
  auto audit_view = call(port(), "GET", "/api/v1/admin/audit?action=candidate.read", token);
  EXPECT_EQ(audit_view.status, 403u);  // operators do not read the audit log
}

// ------------------------------------------------------------------ export

// Reads one chunked response from a raw socket: the head, then each chunk's size.
struct chunked_reply {
  std::string head;
  std::vector<std::size_t> chunks;
  std::string body;
};

chunked_reply read_chunked(std::uint16_t port, const std::string& path, const std::string& token) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  timeval tv{30, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + bearer(token) + "Connection: close\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(req));
  std::string all;
  for (;;) {
    char buf[65536];
    const auto n = ::recv(socket.native_handle(), buf, sizeof buf, 0);
    // A receive with SO_RCVTIMEO is not restarted after an interruption (see http_client.hpp).
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    all.append(buf, static_cast<std::size_t>(n));
  }
  chunked_reply out;
  const auto end = all.find("\r\n\r\n");
  out.head = all.substr(0, end);
  std::size_t at = end + 4;
  while (at < all.size()) {
    const auto eol = all.find("\r\n", at);
    const std::size_t size = std::stoul(all.substr(at, eol - at), nullptr, 16);
    if (size == 0) break;
    out.chunks.push_back(size);
    out.body += all.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

TEST(admin_api_export, the_province_list_streams_in_bounded_chunks) {
  pqxx::connection conn(database_url());
  const auto province = unit_row(conn, unit_by_id, "1");
  const auto a = make_admin(conn, province, admin_role::operator_, "export");
  auto server = start_server(offset_to(formal_open_instant), {"--admin.export_page_rows", "7"});
  const std::string token = login_admin(server.port(), a);
  const std::string unfiled =
      "FROM candidates c WHERE c.eligible & 2 <> 0 AND NOT EXISTS (SELECT 1"
      " FROM applications p WHERE p.candidate_id = c.candidate_id AND p.batch = 1"
      " AND NOT p.drill)";
  const std::string count_sql = "SELECT count(*) " + unfiled;
  // The size of the list and the ID numbers of its first and last three, in one snapshot.
  const std::string sample_sql =
      "SELECT n, id_number FROM (SELECT c.id_number, count(*) OVER () AS n, row_number() OVER"
      " (ORDER BY c.candidate_id) AS k " +
      unfiled + ") x WHERE k <= 3 OR k > n - 3";
  bool compared = false;
  for (int attempt = 0; attempt < 10 && !compared; ++attempt) {
    const auto before = scalar(count_sql);
    const auto r = read_chunked(
        server.port(),
        "/api/v1/admin/units/" + province.code + "/unfiled?format=csv&batch=undergrad", token);
    ASSERT_NE(r.head.find("200 OK"), std::string::npos) << r.head;
    ASSERT_NE(r.head.find("Transfer-Encoding: chunked"), std::string::npos);
    EXPECT_EQ(r.head.find("Content-Length"), std::string::npos);
    std::int64_t after = 0;
    std::vector<std::string> id_numbers;
    {
      pqxx::work tx(conn);
      for (const auto& row : tx.exec(sample_sql)) {
        after = row[0].as<std::int64_t>();
        id_numbers.push_back(row[1].as<std::string>());
      }
    }
    if (after != before) continue;
    compared = true;
    ASSERT_EQ(r.body.rfind("\xEF\xBB\xBF", 0), 0u);  // BOM
    // The draft column says true or false, as the JSON list does.
    EXPECT_EQ(r.body.find(",none,"), std::string::npos);
    EXPECT_EQ(r.body.find(",draft,"), r.body.find(",last_login,draft,") + 11);
    EXPECT_TRUE(r.body.find(",true,") != std::string::npos ||
                r.body.find(",false,") != std::string::npos);
    std::size_t lines = 0;
    for (char ch : r.body) lines += ch == '\n';
    EXPECT_EQ(static_cast<std::int64_t>(lines), before + 1);  // + the header line
    // Memory stays at one page: no chunk holds more than the head or 7 rows.
    EXPECT_GE(r.chunks.size(), static_cast<std::size_t>(before / 7));
    for (std::size_t i = 1; i < r.chunks.size(); ++i) EXPECT_LT(r.chunks[i], 7u * 300u);
    // ID numbers leave masked only: the first four and the last four characters are kept.
    ASSERT_FALSE(id_numbers.empty());
    for (const auto& id : id_numbers) {
      ASSERT_GT(id.size(), 8u) << id;
      EXPECT_EQ(r.body.find(id), std::string::npos) << "unmasked " << id;
      const std::string masked =
          id.substr(0, 4) + std::string(id.size() - 8, '*') + id.substr(id.size() - 4);
      EXPECT_NE(r.body.find("," + masked + ","), std::string::npos) << masked;
    }
  }
  EXPECT_TRUE(compared);
  EXPECT_GE(scalar("SELECT count(*) FROM audit_log WHERE actor_id = " + std::to_string(a.id) +
                   " AND action = 'unfiled.export'"),
            1);
}

TEST(admin_api_openapi, every_admin_endpoint_is_documented) {
  auto server = start_server(0);
  const auto doc = request(server.port(), "GET", "/openapi.json");
  ASSERT_EQ(doc.status, 200u);
  for (const char* path :
       {"/api/v1/admin/auth/login", "/api/v1/admin/auth/logout", "/api/v1/admin/me/password",
        "/api/v1/admin/users", "/api/v1/admin/users/{id}", "/api/v1/admin/units/{unit}/stats",
        "/api/v1/admin/units/{unit}/stats/timeline", "/api/v1/admin/units/{unit}/unfiled",
        "/api/v1/admin/candidates/{exam_no}", "/api/v1/admin/candidates/{exam_no}/unfiled-reason",
        "/api/v1/admin/candidates/{exam_no}/password-reset", "/api/v1/admin/audit"}) {
    EXPECT_NE(doc.body.find(std::string("\"") + path + "\""), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace zhiyuan::test
