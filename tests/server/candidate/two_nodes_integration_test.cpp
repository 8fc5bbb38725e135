// Two zhiyuan-server processes on one database (issue 17's fleet, the write path's part): the
// database, not a node's memory, decides which of two concurrent requests writes. Candidates
// pick_case(650..651): the admin suites' 400..499 sign in concurrently under ctest -j2.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <cstdio>
#include <pqxx/pqxx>
#include <thread>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

http_reply submit(std::uint16_t port, const std::string& token, const std::string& key,
                  const std::string& body) {
  return request(port, "POST", "/api/v1/applications/undergrad",
                 bearer(token) + json_header() + "Idempotency-Key: " + key + "\r\n", body);
}

// Sends one request to each port at (nearly) the same moment; both threads start on one flag.
std::pair<http_reply, http_reply> race(std::uint16_t a, std::uint16_t b, const std::string& token,
                                       const std::string& key_a, const std::string& key_b,
                                       const std::string& body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  http_reply ra, rb;
  auto run = [&](std::uint16_t port, const std::string& key, http_reply& out) {
    ready.fetch_add(1);
    while (!go.load()) std::this_thread::yield();
    out = submit(port, token, key, body);
  };
  std::thread ta(run, a, std::cref(key_a), std::ref(ra));
  std::thread tb(run, b, std::cref(key_b), std::ref(rb));
  while (ready.load() < 2) std::this_thread::yield();
  go.store(true);
  ta.join();
  tb.join();
  return {std::move(ra), std::move(rb)};
}

class two_nodes_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::int64_t offset = offset_to(formal_open_instant);
    a_ = new server_process(start_server(offset));
    // Sessions made on node A before node B starts: B restores them from the database.
    for (int i = 0; i < 2; ++i) {
      cases_[i] = pick_case(650 + i);
      tokens_[i] = ready_session(a_->port(), cases_[i].exam_no);
    }
    b_ = new server_process(start_server(offset));
  }
  static void TearDownTestSuite() {
    delete b_;
    delete a_;
    a_ = b_ = nullptr;
  }
  void TearDown() override {
    if (HasFailure()) {
      std::fprintf(stderr, "--- node A ---\n%s\n--- node B ---\n%s\n", a_->output().c_str(),
                   b_->output().c_str());
    }
  }
  static pqxx::result query(const std::string& sql, const std::string& exam_no) {
    pqxx::connection conn(database_url());
    pqxx::read_transaction tx(conn);
    return tx.exec_params(sql, exam_no);
  }
  static std::int64_t history_rows(const std::string& exam_no) {
    return query(
               "SELECT count(*) FROM application_history h JOIN candidates c USING"
               " (candidate_id) WHERE c.exam_no = $1 AND h.batch = 1 AND NOT h.drill",
               exam_no)[0][0]
        .as<std::int64_t>();
  }

  static server_process* a_;
  static server_process* b_;
  static subject_case cases_[2];
  static std::string tokens_[2];
};
server_process* two_nodes_test::a_ = nullptr;
server_process* two_nodes_test::b_ = nullptr;
subject_case two_nodes_test::cases_[2];
std::string two_nodes_test::tokens_[2];

bool in_flight_409(const http_reply& r) {
  return r.status == 409 && r.body.find("idempotency_key_in_flight") != std::string::npos;
}

TEST_F(two_nodes_test, the_same_key_on_both_nodes_writes_once_and_answers_one_receipt) {
  const subject_case& c = cases_[0];
  const std::string& token = tokens_[0];
  const std::int64_t before = history_rows(c.exam_no);
  constexpr int trials = 20;
  for (int t = 0; t < trials; ++t) {
    const std::string key = unique_key("two-nodes") + "-" + std::to_string(t);
    auto [ra, rb] = race(a_->port(), b_->port(), token, key, key, c.body);
    ASSERT_TRUE(ra.status == 201 || in_flight_409(ra)) << ra.status << " " << ra.body;
    ASSERT_TRUE(rb.status == 201 || in_flight_409(rb)) << rb.status << " " << rb.body;
    ASSERT_TRUE(ra.status == 201 || rb.status == 201) << "trial " << t;
    if (ra.status == 201 && rb.status == 201) {
      EXPECT_EQ(ra.body, rb.body) << "trial " << t;
    }
    // A retry on either node replays the same receipt, byte for byte.
    const std::string& receipt = ra.status == 201 ? ra.body : rb.body;
    const auto again = submit(t % 2 ? a_->port() : b_->port(), token, key, c.body);
    EXPECT_EQ(again.status, 201u) << again.body;
    EXPECT_EQ(again.body, receipt) << "trial " << t;
  }
  EXPECT_EQ(history_rows(c.exam_no) - before, trials);
}

TEST_F(two_nodes_test, different_keys_on_both_nodes_keep_one_linear_hash_chain) {
  const subject_case& c = cases_[1];
  const std::string& token = tokens_[1];
  const std::int64_t before = history_rows(c.exam_no);
  constexpr int rounds = 15;
  for (int t = 0; t < rounds; ++t) {
    const std::string key = unique_key("chain") + "-" + std::to_string(t);
    auto [ra, rb] = race(a_->port(), b_->port(), token, key + "-a", key + "-b", c.body);
    ASSERT_EQ(ra.status, 201u) << ra.body;
    ASSERT_EQ(rb.status, 201u) << rb.body;
  }
  EXPECT_EQ(history_rows(c.exam_no) - before, 2 * rounds);
  // Versions 1..N, each linked to the receipt hash of the one before.
  const auto rows = query(
      "SELECT h.version, encode(h.prev_hash, 'hex'), encode(h.digest, 'hex')"
      " FROM application_history h JOIN candidates c USING (candidate_id)"
      " WHERE c.exam_no = $1 AND h.batch = 1 AND NOT h.drill ORDER BY h.version",
      c.exam_no);
  std::string prev;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0].as<std::int64_t>(), static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(rows[i][1].is_null() ? "" : rows[i][1].as<std::string>(), prev)
        << "version " << i + 1;
    prev = rows[i][2].as<std::string>();
  }
}

}  // namespace
}  // namespace zhiyuan::test
