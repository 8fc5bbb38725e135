// Admission by waiting time through the server (issue 21, core/admission.hpp): a burst of
// sign-ins at a one-thread hashing pool whose budget is 1 ms is refused at once with 503 +
// Retry-After beyond what the pool can start within the budget; under the queue cap alone
// (auth.hash_queue, 1,000 here) every one of them would have queued. Candidates: the province's
// last 48 by id (a sign-in needs no form; pick_case takes them from the first).
#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

constexpr int burst = 48;

struct timed_reply {
  http_reply reply;
  std::chrono::steady_clock::duration took{};
};

TEST(overload_admission, a_saturated_hashing_queue_answers_503_with_retry_after_at_once) {
  auto server =
      start_server(offset_to(formal_open_instant),
                   {"--auth.hash_threads", "1", "--auth.hash_queue", "1000",
                    "--auth.hash_max_wait_ms", "1", "--auth.login_ip_per_minute", "100000",
                    // The writer's budget off: what refuses here is the hashing queue's alone.
                    "--writer.max_wait_ms", "0"});
  std::vector<std::string> exam_nos;
  {
    pqxx::connection conn(database_url());
    pqxx::read_transaction tx(conn);
    for (const auto& row : tx.exec_params(
             "SELECT exam_no FROM candidates ORDER BY candidate_id DESC LIMIT $1", burst)) {
      exam_nos.push_back(row[0].as<std::string>());
    }
  }
  ASSERT_EQ(exam_nos.size(), static_cast<std::size_t>(burst));
  const auto body_of = [&](const std::string& exam_no) {
    return R"({"exam_no":")" + exam_no + R"(","password":")" +
           loadtest::synthetic_login_password(exam_no) + "\"}";
  };
  // Admitted means hashed: 200, or 401 when a test running beside this one changed that
  // candidate's password (the suite shares one province); both ran the pool's Argon2 job.
  const auto hashed = [](unsigned status) { return status == 200 || status == 401; };
  // One sign-in first: the pool measures its time per hash (an unmeasured pool admits all).
  ASSERT_TRUE(hashed(
      request(server.port(), "POST", "/api/v1/auth/login", json_header(), body_of(exam_nos[0]))
          .status));

  std::vector<timed_reply> replies(burst);
  std::latch go(burst);
  std::vector<std::thread> clients;
  for (int i = 0; i < burst; ++i) {
    clients.emplace_back([&, i] {
      const std::string body = body_of(exam_nos[i]);
      go.arrive_and_wait();
      const auto start = std::chrono::steady_clock::now();
      replies[i].reply = request(server.port(), "POST", "/api/v1/auth/login", json_header(), body);
      replies[i].took = std::chrono::steady_clock::now() - start;
    });
  }
  for (auto& t : clients) t.join();

  int admitted = 0, refused = 0;
  for (const auto& r : replies) {
    if (hashed(r.reply.status)) {
      ++admitted;
      continue;
    }
    ASSERT_EQ(r.reply.status, 503u) << r.reply.body;
    ++refused;
    EXPECT_NE(r.reply.body.find(R"("code":"unavailable")"), std::string::npos) << r.reply.body;
    EXPECT_GE(std::atoi(r.reply.header("retry-after").c_str()), 1) << r.reply.body;
    // Refused at admission, not after a wait in the queue (a loose bound: the whole burst's
    // hashes on one thread would take longer than this on any machine that runs the suite).
    EXPECT_LT(r.took, std::chrono::seconds(5));
  }
  EXPECT_GE(admitted, 1);
  EXPECT_GE(refused, 1) << "all " << burst << " sign-ins queued: the wait budget did not refuse";
}

}  // namespace
}  // namespace zhiyuan::test
