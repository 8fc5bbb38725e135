// The sign-in abuse model through the server (issue 21; docs/sign-in-abuse.md): a stranger who
// knows an exam number cannot lock its candidate out from one address; failures from many
// addresses can lock the account; one address trying many accounts is throttled; a signed-in
// session is never affected. The test plays the load balancer (X-Forwarded-For from a trusted
// 127.0.0.1), with addresses no other test uses, for every sign-in: one from 127.0.0.1 itself
// would store its budget at this suite's late clock and its small burst, which the servers of
// every other suite (earlier clocks) then never refill. Candidates pick_case(700..719).
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

// This suite's clock, later than every other test server's: each server purges the counters it
// thinks forgotten by its own clock, and a server at a later filing instant would otherwise
// delete the pair rows stored here before the attempt that reads them.
constexpr const char* abuse_instant = "2099-06-30T10:00:00+08:00";

std::int64_t candidate_id(pqxx::work& tx, const std::string& exam_no) {
  return tx.exec_params1("SELECT candidate_id FROM candidates WHERE exam_no = $1", exam_no)[0]
      .as<std::int64_t>();
}

// Forgets the fleet's counters of `exam_no` and of `addresses` (a rerun starts afresh).
void clear_counters(const std::string& exam_no, const std::vector<std::string>& addresses) {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  const auto id = candidate_id(tx, exam_no);
  tx.exec_params("DELETE FROM sign_in_throttles WHERE candidate_id = $1", id);
  tx.exec_params("DELETE FROM sign_in_pairs WHERE candidate_id = $1", id);
  for (const auto& a : addresses)
    tx.exec_params("DELETE FROM sign_in_addresses WHERE address = $1", a);
  tx.commit();
}

// Stores `failures` of the login password from `address`, `ago` seconds before the servers'
// now (what earlier attempts, past their waits, would have left).
void store_pair(const std::string& exam_no, const std::string& address, int failures, int ago) {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  tx.exec_params(
      "INSERT INTO sign_in_pairs (candidate_id, kind, address, failures, last_failure) VALUES"
      " ($1, 0, $2, $3, extract(epoch FROM now())::bigint + $4)",
      candidate_id(tx, exam_no), address, failures, offset_to(abuse_instant) - ago);
  tx.commit();
}

std::string forwarded(const std::string& address) {
  return json_header() + "X-Forwarded-For: " + address + "\r\n";
}

http_reply sign_in(std::uint16_t port, const std::string& exam_no, const std::string& address,
                   const std::string& password) {
  return request(port, "POST", "/api/v1/auth/login", forwarded(address),
                 R"({"exam_no":")" + exam_no + R"(","password":")" + password + "\"}");
}

http_reply right(std::uint16_t port, const std::string& exam_no, const std::string& address) {
  return sign_in(port, exam_no, address, loadtest::synthetic_login_password(exam_no));
}

http_reply wrong(std::uint16_t port, const std::string& exam_no, const std::string& address) {
  return sign_in(port, exam_no, address, "Not-The-Password-1");
}

class sign_in_abuse_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(server_args(
        offset_to(abuse_instant),
        {"--server.trusted_proxies", "127.0.0.1/32", "--auth.login_failures_per_address", "6"}));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::uint16_t port() { return server_->port(); }
  static server_process* server_;
};
server_process* sign_in_abuse_test::server_ = nullptr;

TEST_F(sign_in_abuse_test, a_stranger_from_one_address_cannot_lock_out_the_candidate) {
  const auto c = pick_case(700);
  const std::string stranger = "198.51.100.70", home = "203.0.113.70";
  clear_counters(c.exam_no, {stranger, home});
  // The candidate is signed in before the stranger starts.
  const std::string token = token_of(right(port(), c.exam_no, home));
  ASSERT_FALSE(token.empty());
  // Nine wrong guesses already made (past their waits), the tenth locks the stranger out.
  store_pair(c.exam_no, stranger, 9, 20);
  EXPECT_EQ(wrong(port(), c.exam_no, stranger).status, 401u);
  const auto locked = right(port(), c.exam_no, stranger);
  EXPECT_EQ(locked.status, 429u) << locked.body;
  EXPECT_NE(locked.body.find("\"account_locked\""), std::string::npos) << locked.body;
  EXPECT_NE(locked.body.find("this address"), std::string::npos) << locked.body;
  EXPECT_FALSE(locked.header("retry-after").empty());
  // The candidate signs in from home, and the session they had keeps working.
  const auto from_home = right(port(), c.exam_no, home);
  EXPECT_EQ(from_home.status, 200u) << from_home.body;
  EXPECT_EQ(request(port(), "GET", "/api/v1/me", bearer(token), "").status, 200u);
  clear_counters(c.exam_no, {stranger, home});
}

TEST_F(sign_in_abuse_test, failures_from_many_addresses_lock_the_account) {
  const auto c = pick_case(701);
  const std::string home = "203.0.113.71";
  std::vector<std::string> addresses = {home};
  for (int i = 0; i < 10; ++i) addresses.push_back("198.51.100." + std::to_string(100 + i));
  clear_counters(c.exam_no, addresses);
  const std::string token = token_of(right(port(), c.exam_no, home));
  // Nine addresses have failed recently; a tenth failing takes the account-wide lock.
  for (int i = 1; i <= 9; ++i) store_pair(c.exam_no, addresses[i], 1, 5);
  EXPECT_EQ(wrong(port(), c.exam_no, addresses[10]).status, 401u);
  const auto locked = right(port(), c.exam_no, home);
  EXPECT_EQ(locked.status, 429u) << locked.body;
  EXPECT_NE(locked.body.find("\"account_locked\""), std::string::npos) << locked.body;
  EXPECT_NE(locked.body.find("many addresses"), std::string::npos) << locked.body;
  EXPECT_FALSE(locked.header("retry-after").empty());
  // A signed-in session is not affected.
  EXPECT_EQ(request(port(), "GET", "/api/v1/me", bearer(token), "").status, 200u);
  clear_counters(c.exam_no, addresses);
}

TEST_F(sign_in_abuse_test, one_address_across_many_accounts_gets_429_with_retry_after) {
  const std::string stuffer = "198.51.100.72", other = "203.0.113.72";
  std::vector<std::string> exams;
  for (int i = 0; i < 7; ++i) {
    exams.push_back(pick_case(702 + i).exam_no);
    clear_counters(exams.back(), {stuffer, other});
  }
  // The budget is six wrong passwords (auth.login_failures_per_address), whatever the accounts.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(wrong(port(), exams[i], stuffer).status, 401u) << "account " << i;
  }
  const auto throttled = wrong(port(), exams[6], stuffer);
  EXPECT_EQ(throttled.status, 429u) << throttled.body;
  EXPECT_NE(throttled.body.find("\"too_many_requests\""), std::string::npos) << throttled.body;
  EXPECT_NE(throttled.body.find("this address"), std::string::npos) << throttled.body;
  const auto retry = throttled.header("retry-after");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  // Another address is not affected.
  EXPECT_EQ(right(port(), exams[6], other).status, 200u);
  for (const auto& e : exams) clear_counters(e, {stuffer, other});
}

}  // namespace
}  // namespace zhiyuan::test
