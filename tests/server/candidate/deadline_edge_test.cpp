// The last milliseconds of a filing window through the filing clock: submissions sent from 40 ms
// before the close of 本科批 to 36 ms after it (one exactly 1 ms before), with every commit held
// back by a row lock until the close has passed. Each answer is either a receipt stamped before
// the close whose commit landed after it, or 403 window_closed; one sent at or after the close is
// refused; no receipt and no stored version carries accepted_at at or after the close.
// Candidates pick_case(620..639).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// 2023-07-02T17:00:00+08:00, the close of 本科批's formal window in config/schedule.toml.
constexpr const char* close_instant = "2023-07-02T17:00:00+08:00";
constexpr const char* close_utc = "2023-07-02T09:00:00";  // its RFC 3339 prefix in UTC

constexpr int senders = 20;

// The instant of this process's clock at which the server's filing clock (moved by whole
// seconds) reads `second` plus `ms`.
system_clock::time_point when_filing_clock_reads(std::int64_t second, std::int64_t offset,
                                                 milliseconds ms = milliseconds(0)) {
  return system_clock::time_point(std::chrono::seconds(second - offset)) + ms;
}

struct sender {
  subject_case c;
  std::string token;
  milliseconds before_close{0};  // negative: after it
  std::unique_ptr<raw_connection> conn;
  std::optional<http_reply> reply;
  system_clock::time_point answered;
};

TEST(deadline_edge, accepted_before_the_close_commits_after_it_refused_at_or_after_it) {
  const std::int64_t close = *core::parse_rfc3339(close_instant);
  std::vector<sender> s(senders);
  for (int i = 0; i < senders; ++i) {
    s[i].c = pick_case(620 + i);
    // 40, 36, ... 4 ms before, 1 ms before, then 4 ... 36 ms after.
    s[i].before_close = milliseconds(i < 10 ? 40 - 4 * i : i == 10 ? 1 : -4 * (i - 10));
  }
  pqxx::connection lock_conn(database_url());
  // Signing in twenty candidates takes seconds on a loaded machine: the filing clock starts
  // `lead` seconds before the close, and a start slower than that is tried again with more.
  for (const std::int64_t lead : {8, 20, 60}) {
    const std::int64_t offset = offset_to(close_instant) - lead;
    // Admission by waiting time off: the commits held back by the row lock stall the writer on
    // purpose, and the senders queued behind them must reach the window's rule, not a 503.
    server_process server(start_server(offset, {"--writer.max_wait_ms", "0"}));
    for (auto& x : s) x.token = ready_session(server.port(), x.c.exam_no);
    for (auto& x : s) x.conn = std::make_unique<raw_connection>(server.port());
    if (system_clock::now() >= when_filing_clock_reads(close, offset, -milliseconds(1500))) {
      std::fprintf(stderr, "ready too late with %lld s of lead; again with more\n",
                   static_cast<long long>(lead));
      continue;
    }
    // Hold every commit of these candidates until the close has passed: a first submission's
    // insert waits for the candidate rows' lock, a later one for its application row's.
    pqxx::work hold(lock_conn);
    std::string exams = "{";
    for (const auto& x : s) exams += (exams.size() > 1 ? "," : "") + x.c.exam_no;
    exams += "}";
    hold.exec_params(
        "SELECT 1 FROM candidates WHERE exam_no = ANY($1::text[]) ORDER BY candidate_id"
        " FOR UPDATE",
        exams);
    hold.exec_params(
        "SELECT 1 FROM applications a JOIN candidates c USING (candidate_id)"
        " WHERE c.exam_no = ANY($1::text[]) ORDER BY a.candidate_id, a.batch, a.drill"
        " FOR UPDATE OF a",
        exams);
    std::vector<std::thread> threads;
    for (auto& x : s) {
      threads.emplace_back([&x, close, offset] {
        const std::string body = x.c.body;
        std::string req = "POST /api/v1/applications/undergrad HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          bearer(x.token) + json_header() +
                          "Idempotency-Key: " + unique_key("edge-ms") +
                          "\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n\r\n" + body;
        std::this_thread::sleep_until(when_filing_clock_reads(close, offset, -x.before_close));
        x.conn->send(req);
        x.reply = x.conn->read_reply();
        x.answered = system_clock::now();
      });
    }
    // The commits wait until the filing clock is well past the close.
    const auto release = when_filing_clock_reads(close, offset, milliseconds(300));
    std::this_thread::sleep_until(release);
    hold.commit();
    for (auto& t : threads) t.join();

    int accepted = 0, refused = 0;
    for (const auto& x : s) {
      ASSERT_TRUE(x.reply) << x.c.exam_no << " got no answer";
      const auto& r = *x.reply;
      if (r.status == 201) {
        ++accepted;
        // Sent at or after the close, a request is stamped later still: never a receipt.
        EXPECT_GT(x.before_close.count(), 0) << "accepted although sent after the close";
        simdjson::dom::parser p;
        auto doc = p.parse(r.body);
        const std::string accepted_at{std::string_view(doc["accepted_at"])};
        const std::string committed_at{std::string_view(doc["committed_at"])};
        EXPECT_LT(accepted_at, close_utc) << r.body;
        // The commit waited for the lock released after the close; the receipt came after it.
        // (committed_at is the writing statement's start, before it waited: not asserted.)
        EXPECT_GE(x.answered, release) << r.body;
        EXPECT_GE(committed_at, accepted_at) << r.body;
        // Stamped by the filing clock in the last second inside the window.
        EXPECT_EQ(accepted_at.substr(0, 20), "2023-07-02T08:59:59.") << r.body;
      } else {
        ++refused;
        EXPECT_EQ(r.status, 403u) << x.before_close.count() << " ms before: " << r.body;
        EXPECT_NE(r.body.find("\"window_closed\""), std::string::npos) << r.body;
      }
    }
    std::printf("deadline edge: %d accepted, %d refused around the close\n", accepted, refused);
    // Both sides of the close were exercised. (Which of those sent in the last milliseconds
    // before it are stamped inside depends on how fast the server reads them.)
    EXPECT_GE(accepted, 1);
    EXPECT_GE(refused, 9);
    // No stored version of these candidates is stamped at or after the close.
    pqxx::work tx(lock_conn);
    const auto late = tx.exec_params1(
                            "SELECT count(*) FROM application_history h JOIN candidates c USING"
                            " (candidate_id) WHERE c.exam_no = ANY($1::text[]) AND NOT h.drill"
                            " AND h.accepted_at >= to_timestamp($2)",
                            exams, close)[0]
                          .as<int>();
    EXPECT_EQ(late, 0);
    return;
  }
  FAIL() << "the server was never ready 1.5 s before the close on its clock";
}

}  // namespace
}  // namespace zhiyuan::test
