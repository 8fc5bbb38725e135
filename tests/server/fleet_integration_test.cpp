// Two zhiyuan-server nodes on one database (issue 17): any node serves any session, and what
// one node revokes the other refuses within a second. Candidates pick_case(500..599).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

using clock_type = std::chrono::steady_clock;

http_reply get_me(std::uint16_t port, const std::string& token) {
  return request(port, "GET", "/api/v1/me", bearer(token), "");
}

// Polls `port` with `token` until it is refused (401), at most `limit`; the time it took, or
// nullopt when it was still accepted at the deadline.
std::optional<std::chrono::milliseconds> refused_within(std::uint16_t port,
                                                        const std::string& token,
                                                        std::chrono::milliseconds limit) {
  const auto start = clock_type::now();
  while (clock_type::now() - start < limit) {
    const auto r = get_me(port, token);
    if (r.status == 401) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
    }
    EXPECT_EQ(r.status, 200u) << r.body;
  }
  return std::nullopt;
}

class fleet_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto offset = offset_to(formal_open_instant);
    // A trusts 127.0.0.1 as its proxy (the test plays HAProxy); B trusts nobody.
    a_ = new server_process(server_args(offset, {"--server.trusted_proxies", "127.0.0.1/32"}));
    b_ = new server_process(server_args(offset));
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    a_ = b_ = nullptr;
  }
  void TearDown() override {
    if (HasFailure()) {
      std::fprintf(stderr, "--- node A ---\n%s\n--- node B ---\n%s\n", a_->output().c_str(),
                   b_->output().c_str());
    }
  }
  static std::uint16_t a() { return a_->port(); }
  static std::uint16_t b() { return b_->port(); }
  static server_process* a_;
  static server_process* b_;
};
server_process* fleet_test::a_ = nullptr;
server_process* fleet_test::b_ = nullptr;

TEST_F(fleet_test, a_session_signed_in_on_one_node_works_on_the_other) {
  const auto c = pick_case(500);
  const std::string token = login(a(), c.exam_no);
  ASSERT_FALSE(token.empty());
  const auto r = get_me(b(), token);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find(c.exam_no), std::string::npos);
  // A made-up token is refused on both, and again from memory.
  const std::string bogus(43, 'A');
  EXPECT_EQ(get_me(a(), bogus).status, 401u);
  EXPECT_EQ(get_me(b(), bogus).status, 401u);
  EXPECT_EQ(get_me(b(), bogus).status, 401u);
}

TEST_F(fleet_test, logout_on_one_node_is_refused_on_the_other_within_a_second) {
  const auto c = pick_case(501);
  const std::string token = login(a(), c.exam_no);
  ASSERT_EQ(get_me(a(), token).status, 200u);
  ASSERT_EQ(get_me(b(), token).status, 200u);  // both nodes cache it now
  const auto out = request(b(), "POST", "/api/v1/auth/logout", bearer(token), "");
  ASSERT_EQ(out.status, 204u) << out.body;
  EXPECT_EQ(get_me(b(), token).status, 401u);
  const auto took = refused_within(a(), token, std::chrono::milliseconds(1000));
  ASSERT_TRUE(took) << "node A still accepted the token 1 s after the logout on B";
  std::printf("cross-node revocation took %lld ms\n", static_cast<long long>(took->count()));
}

TEST_F(fleet_test, a_password_change_on_one_node_ends_the_other_sessions_on_the_other) {
  const auto c = pick_case(502);
  reset_to_first_login(c.exam_no);
  const std::string first_pw = loadtest::synthetic_login_password(c.exam_no);
  const std::string changing = login(a(), c.exam_no);
  const std::string other = login(b(), c.exam_no);
  ASSERT_EQ(get_me(b(), other).status, 200u);
  ASSERT_EQ(get_me(b(), changing).status, 200u);
  const auto r =
      request(a(), "POST", "/api/v1/me/passwords", bearer(changing) + json_header(),
              R"({"current_password":")" + first_pw +
                  R"(","login_password":"Fleet-Login-7","save_password":"Fleet-Save-8"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_TRUE(refused_within(b(), other, std::chrono::milliseconds(1000)))
      << "node B still accepted the other session 1 s after the password change on A";
  // The session that changed the password goes on, on either node.
  EXPECT_EQ(get_me(b(), changing).status, 200u);
  EXPECT_EQ(get_me(a(), changing).status, 200u);
  reset_to_first_login(c.exam_no);
}

std::string login_body(const std::string& exam_no) {
  return R"({"exam_no":")" + exam_no + R"(","password":")" +
         loadtest::synthetic_login_password(exam_no) + "\"}";
}

http_reply wrong_login(std::uint16_t port, const std::string& exam_no) {
  return request(port, "POST", "/api/v1/auth/login", json_header(),
                 R"({"exam_no":")" + exam_no + R"(","password":"Not-The-Password-1"})");
}

// The fleet's stored throttle of the candidate's login password from 127.0.0.1 (both nodes'
// client here): `failures`, the last `ago` seconds before the servers' now, or removed
// (failures < 0). The account-wide lock is cleared either way.
void set_stored_failures(const std::string& exam_no, int failures, int ago = 0) {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  const auto id =
      tx.exec_params1("SELECT candidate_id FROM candidates WHERE exam_no = $1", exam_no)[0]
          .as<std::int64_t>();
  tx.exec_params("DELETE FROM sign_in_throttles WHERE candidate_id = $1 AND kind = 0", id);
  tx.exec_params("DELETE FROM sign_in_pairs WHERE candidate_id = $1 AND kind = 0", id);
  if (failures >= 0) {
    tx.exec_params(
        "INSERT INTO sign_in_pairs (candidate_id, kind, address, failures, last_failure) VALUES"
        " ($1, 0, '127.0.0.1', $2, extract(epoch FROM now())::bigint + $3)",
        id, failures, offset_to(formal_open_instant) - ago);
  }
  tx.commit();
}

// Moves the stored last failure of the candidate's login password from 127.0.0.1 `ahead`
// seconds later; returns the stored count of failures (-1: no row).
int push_last_failure_ahead(const std::string& exam_no, int ahead) {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  const auto r = tx.exec_params(
      "UPDATE sign_in_pairs SET last_failure = last_failure + $2 WHERE kind = 0 AND address ="
      " '127.0.0.1' AND candidate_id = (SELECT candidate_id FROM candidates WHERE exam_no = $1)"
      " RETURNING failures",
      exam_no, ahead);
  tx.commit();
  return r.empty() ? -1 : r[0][0].as<int>();
}

// core::throttle_policy: a wait after 5 consecutive failures. Spread over two nodes, the five
// are one stored count, and the sixth attempt waits as it would on one node (each node alone
// has seen at most three).
TEST_F(fleet_test, failures_spread_over_both_nodes_throttle_at_the_count_of_one_node) {
  const auto c = pick_case(503);
  set_stored_failures(c.exam_no, -1);
  for (int i = 0; i < 5; ++i) {
    const auto r = wrong_login(i % 2 == 0 ? a() : b(), c.exam_no);
    ASSERT_EQ(r.status, 401u) << "attempt " << i + 1 << ": " << r.body;
  }
  // The wait after five lasts until the next whole second of the servers' clock, which a slow
  // machine (a sanitizer build) can pass before the sixth arrives: the stored last failure
  // moves a minute ahead so that the wait still runs whatever the sixth's delay.
  ASSERT_EQ(push_last_failure_ahead(c.exam_no, 60), 5);
  const auto sixth = wrong_login(b(), c.exam_no);
  EXPECT_EQ(sixth.status, 429u) << sixth.body;
  EXPECT_NE(sixth.body.find("\"too_many_requests\""), std::string::npos) << sixth.body;
  EXPECT_FALSE(sixth.header("retry-after").empty());
  set_stored_failures(c.exam_no, -1);
}

// A lock taken through one node holds on the other: nine failures stored (20 s ago: past
// their wait of 16 s), the tenth on B locks this address out of the account, and A refuses it
// at once (it has seen none of the ten itself).
TEST_F(fleet_test, an_account_locked_through_one_node_is_locked_on_the_other) {
  const auto c = pick_case(504);
  set_stored_failures(c.exam_no, 9, 20);
  EXPECT_EQ(wrong_login(b(), c.exam_no).status, 401u);
  const auto r = wrong_login(a(), c.exam_no);
  EXPECT_EQ(r.status, 429u) << r.body;
  EXPECT_NE(r.body.find("\"account_locked\""), std::string::npos) << r.body;
  // Even with the right password.
  const auto right =
      request(a(), "POST", "/api/v1/auth/login", json_header(), login_body(c.exam_no));
  EXPECT_EQ(right.status, 429u) << right.body;
  EXPECT_NE(right.body.find("\"account_locked\""), std::string::npos) << right.body;
  set_stored_failures(c.exam_no, -1);
}

// A PROXY protocol v2 header (TCP over IPv4) naming 203.0.113.7:40000 as the client.
std::string proxy_v2_header() {
  const unsigned char h[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                             0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 203,  0,    113,  7,
                             127,  0,    0,    1,    0x9C, 0x40, 0x1F, 0x90};
  return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

// Everything keyed by address (here: the login history) sees the client a trusted proxy
// names, by X-Forwarded-For or by a PROXY v2 header; from an untrusted peer the header is
// ignored.
TEST_F(fleet_test, the_client_address_is_believed_from_trusted_proxies_only) {
  const auto c = pick_case(505);
  const std::string body = login_body(c.exam_no);
  auto forwarded = request(a(), "POST", "/api/v1/auth/login",
                           json_header() + "X-Forwarded-For: 192.0.2.1, 198.51.100.23\r\n", body);
  ASSERT_EQ(forwarded.status, 200u) << forwarded.body;
  auto ignored = request(b(), "POST", "/api/v1/auth/login",
                         json_header() + "X-Forwarded-For: 198.51.100.24\r\n", body);
  ASSERT_EQ(ignored.status, 200u) << ignored.body;
  raw_connection proxied(a());
  proxied.send(proxy_v2_header() + "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n" +
               json_header() + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
               body);
  const auto via_proxy = proxied.read_reply();
  ASSERT_TRUE(via_proxy);
  ASSERT_EQ(via_proxy->status, 200u) << via_proxy->body;

  const std::string token = login(b(), c.exam_no);
  const auto logins = request(b(), "GET", "/api/v1/me/logins", bearer(token), "");
  ASSERT_EQ(logins.status, 200u) << logins.body;
  EXPECT_NE(logins.body.find("\"198.51.100.23\""), std::string::npos) << logins.body;
  EXPECT_NE(logins.body.find("\"203.0.113.7\""), std::string::npos) << logins.body;
  EXPECT_EQ(logins.body.find("192.0.2.1"), std::string::npos) << logins.body;
  EXPECT_EQ(logins.body.find("198.51.100.24"), std::string::npos) << logins.body;
}

}  // namespace
}  // namespace zhiyuan::test
