// The write path through HTTP: sign-in, formal submissions and drafts against a seeded
// province in the test PostgreSQL, with the schedule's real windows (moved with
// filing.clock_offset_seconds).
#include <sodium.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <pqxx/pqxx>
#include <thread>

#include "core/time.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

http_reply submit(std::uint16_t port, const std::string& token, const std::string& key,
                  const std::string& body, const std::string& extra = "") {
  std::string headers =
      "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n" + extra;
  if (!key.empty()) headers += "Idempotency-Key: " + key + "\r\n";
  return request(port, "POST", "/api/v1/applications/undergrad", headers, body);
}

class filing_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(start_server(offset_to(formal_open_instant)));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // The server's log is the first thing to read when a test here fails.
  void TearDown() override {
    if (HasFailure())
      std::fprintf(stderr, "--- server output ---\n%s\n", server_->output().c_str());
  }
  static std::uint16_t port() { return server_->port(); }
  static server_process* server_;
};
server_process* filing_test::server_ = nullptr;

TEST_F(filing_test, wrong_password_is_401_and_unauthenticated_writes_are_401) {
  const auto c = pick_case(0);
  auto bad = request(port(), "POST", "/api/v1/auth/login", "Content-Type: application/json\r\n",
                     R"({"exam_no":")" + c.exam_no + R"(","password":"nope-nope-1"})");
  EXPECT_EQ(bad.status, 401u);
  EXPECT_EQ(submit(port(), "not-a-token", "k", c.body).status, 401u);
  auto missing = request(port(), "POST", "/api/v1/auth/login", "Content-Type: application/json\r\n",
                         R"({"password":"x"})");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_NE(missing.body.find("exam_no"), std::string::npos);
}

TEST_F(filing_test, receipt_after_commit_matches_the_database_and_replays) {
  const auto c = pick_case(1);
  const std::string token = ready_session(port(), c.exam_no);
  const std::string key = unique_key("receipt");
  auto first = submit(port(), token, key, c.body);
  ASSERT_EQ(first.status, 201u) << first.body << "\nrequest body: " << c.body;
  simdjson::dom::parser p;
  auto doc = p.parse(first.body);
  EXPECT_EQ(std::string_view(doc["exam_no"]), c.exam_no);
  EXPECT_EQ(std::string_view(doc["batch"]), "undergrad");
  EXPECT_EQ(std::string_view(doc["choices_sha256"]), sha256_hex(c.canonical));
  const std::int64_t version = doc["version"];
  // One clock: the server runs a rehearsal's moved clock, and the commit time is on it too.
  const auto accepted = core::parse_rfc3339(std::string_view(doc["accepted_at"]));
  const auto committed = core::parse_rfc3339(std::string_view(doc["committed_at"]));
  ASSERT_TRUE(accepted && committed);
  EXPECT_LE(std::llabs(*committed - *accepted), 60) << first.body;

  // The receipt's version is committed with exactly these choices.
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  auto row = tx.exec_params(
      "SELECT h.choices, encode(h.digest, 'hex') FROM application_history h"
      " JOIN candidates c USING (candidate_id) WHERE c.exam_no = $1 AND h.batch = 1"
      " AND h.version = $2 AND NOT h.drill",
      c.exam_no, version);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].as<std::string>(), c.canonical);
  // The stored digest is the receipt hash: SHA-256 of the signed canonical receipt.
  EXPECT_EQ(row[0][1].as<std::string>(), std::string(std::string_view(doc["receipt_hash"])));
  EXPECT_EQ(row[0][1].as<std::string>(),
            sha256_hex(std::string(std::string_view(doc["canonical"]))));

  auto again = submit(port(), token, key, c.body);
  EXPECT_EQ(again.status, 201u);
  EXPECT_EQ(again.body, first.body);  // the stored response, byte for byte

  // Same key, another valid body: refused, nothing written.
  const auto other = pick_case(2);
  auto reused = submit(port(), token, key, other.body.empty() ? c.body : c.body + " ");
  EXPECT_EQ(reused.status, 422u);
  EXPECT_NE(reused.body.find("idempotency_key_reused"), std::string::npos) << reused.body;

  // A stale If-Match is a conflict; the current one succeeds with the next version.
  auto stale = submit(port(), token, unique_key("stale"), c.body,
                      "If-Match: " + quoted(version + 5) + "\r\n");
  EXPECT_EQ(stale.status, 409u);
  auto next =
      submit(port(), token, unique_key("next"), c.body, "If-Match: " + quoted(version) + "\r\n");
  ASSERT_EQ(next.status, 201u) << next.body;
  EXPECT_EQ(std::int64_t(p.parse(next.body)["version"]), version + 1);
}

TEST_F(filing_test, submissions_need_a_key_and_a_valid_form) {
  const auto c = pick_case(3);
  const std::string token = ready_session(port(), c.exam_no);
  auto no_key = submit(port(), token, "", c.body);
  EXPECT_EQ(no_key.status, 400u);
  EXPECT_NE(no_key.body.find("idempotency_key_required"), std::string::npos);

  // The save password is a required field; the rules are checked before it is (no hash for a
  // form that cannot be accepted anyway).
  auto no_password = submit(port(), token, unique_key("nopw"), R"({"choices":)" + c.choices + "}");
  EXPECT_EQ(no_password.status, 400u);
  EXPECT_NE(no_password.body.find("save_password"), std::string::npos) << no_password.body;
  auto invalid = submit(
      port(), token, unique_key("invalid"),
      R"({"choices":[{"group":-5,"majors":["01"]},{"group":-5,"majors":[]}],"save_password":"x"})");
  EXPECT_EQ(invalid.status, 422u);
  simdjson::dom::parser p;
  auto doc = p.parse(invalid.body);
  ASSERT_FALSE(doc["violations"].error()) << invalid.body;
  EXPECT_GE(simdjson::dom::array(doc["violations"]).size(), 2u);
  for (auto v : simdjson::dom::array(doc["violations"])) {
    EXPECT_FALSE(v["message_zh"].error());
    EXPECT_FALSE(v["choice"].error());
  }

  // As every other body, a member the server does not know is refused, naming it.
  auto unknown = submit(port(), token, unique_key("unknown"),
                        R"({"choices":)" + c.choices + R"(,"save_pasword":"x"})");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_NE(unknown.body.find("save_pasword"), std::string::npos) << unknown.body;

  auto not_json = submit(port(), token, unique_key("nj"), "{choices:", "");
  EXPECT_EQ(not_json.status, 400u);
  // A wrongly typed field is named with its position.
  auto bad_type = submit(port(), token, unique_key("bt"),
                         R"({"choices":[{"group":1,"majors":["01"]},{"group":2,"majors":[7]}]})");
  EXPECT_EQ(bad_type.status, 400u);
  EXPECT_NE(bad_type.body.find("choices[1].majors[0]"), std::string::npos) << bad_type.body;
  auto bad_batch = request(port(), "POST", "/api/v1/applications/nope",
                           "Authorization: Bearer " + token +
                               "\r\nContent-Type: application/json\r\nIdempotency-Key: x\r\n",
                           c.body);
  EXPECT_EQ(bad_batch.status, 404u);
}

TEST_F(filing_test, drafts_need_if_match_and_keep_incomplete_forms) {
  const auto c = pick_case(4);
  const std::string token = ready_session(port(), c.exam_no);
  const std::string auth =
      "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n";
  auto no_match = request(port(), "PUT", "/api/v1/drafts/undergrad", auth, c.body);
  EXPECT_EQ(no_match.status, 428u);
  // The current version, whatever earlier runs left: "0" creates, a stale one is 412.
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  auto v = tx.exec_params(
                 "SELECT coalesce(max(d.version), 0) FROM drafts d JOIN candidates c USING "
                 "(candidate_id)"
                 " WHERE c.exam_no = $1 AND d.batch = 1 AND NOT d.drill",
                 c.exam_no)[0][0]
               .as<std::int64_t>();
  tx.commit();
  auto saved = request(port(), "PUT", "/api/v1/drafts/undergrad",
                       auth + "If-Match: " + quoted(v) + "\r\n", R"({"choices":[]})");
  ASSERT_EQ(saved.status, 200u) << saved.body;
  EXPECT_EQ(saved.header("etag"), quoted(v + 1));
  EXPECT_NE(saved.body.find("\"violations\":"), std::string::npos);
  auto stale = request(port(), "PUT", "/api/v1/drafts/undergrad",
                       auth + "If-Match: " + quoted(v) + "\r\n", R"({"choices":[]})");
  EXPECT_EQ(stale.status, 412u) << stale.body;
}

// The filing clock of a server started with --filing.clock_offset_seconds `offset` is the system
// clock moved by whole seconds: it turns to its next second exactly when the system clock does,
// so this process can tell which second of the server's clock an instant of its own falls in.
std::int64_t filing_second(std::chrono::system_clock::time_point t, std::int64_t offset) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count() + offset;
}

// The instant of this process's clock at which that filing clock reads `second`.0.
std::chrono::system_clock::time_point when_filing_clock_reads(std::int64_t second,
                                                              std::int64_t offset) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(second - offset));
}

// The close of 本科批 is 2023-07-02T17:00:00+08:00 and its window is [open, close): a
// submission stamped in the last second inside (16:59:59) is accepted, one stamped in the first
// second outside (17:00:00) is refused. One server, its clock set a few seconds before the
// close; the test waits for the filing clock to reach each of the two seconds and submits as it
// turns. The server's receipt shows the second it stamped; for the refusal, the submission was
// sent and answered within 17:00:00 by this process's clock, which is the server's minus the
// offset.
TEST(filing_deadline, exact_to_the_second_at_the_close) {
  const auto c = pick_case(5);
  const std::int64_t close = *core::parse_rfc3339("2023-07-02T17:00:00+08:00");
  // Starting a server and signing in take seconds on a loaded machine: the filing clock
  // starts `lead` seconds before the last second inside, and a start slower than that is
  // tried again with more.
  for (const std::int64_t lead : {6, 20, 60}) {
    const std::int64_t offset = offset_to("2023-07-02T16:59:59+08:00") - lead;
    server_process s(start_server(offset));
    const std::string token = ready_session(s.port(), c.exam_no);
    if (std::chrono::system_clock::now() >= when_filing_clock_reads(close - 1, offset)) {
      std::fprintf(stderr, "ready after 16:59:59 with %lld s of lead; again with more\n",
                   static_cast<long long>(lead));
      continue;
    }
    std::this_thread::sleep_until(when_filing_clock_reads(close - 1, offset));
    const std::string key = unique_key("edge");
    auto inside = submit(s.port(), token, key, c.body);
    ASSERT_EQ(inside.status, 201u) << inside.body;
    const std::string receipt = inside.body;
    simdjson::dom::parser p;
    const std::string accepted(std::string_view(p.parse(receipt)["accepted_at"]));
    // 16:59:59+08:00 is 08:59:59Z.
    EXPECT_EQ(accepted.substr(0, 20), "2023-07-02T08:59:59.") << receipt;

    std::this_thread::sleep_until(when_filing_clock_reads(close, offset));
    const auto sent = std::chrono::system_clock::now();
    auto outside = submit(s.port(), token, unique_key("edge"), c.body);
    const auto answered = std::chrono::system_clock::now();
    EXPECT_EQ(filing_second(sent, offset), close);
    EXPECT_EQ(filing_second(answered, offset), close)
        << "answered after 17:00:00: the refusal's stamp is not known to be the first second out";
    EXPECT_EQ(outside.status, 403u) << outside.body;
    EXPECT_NE(outside.body.find("window_closed"), std::string::npos);
    // A retry of the submission committed before the close (its answer lost on the way) still
    // gets its receipt after the close, byte for byte; the key with another body does not.
    auto retry = submit(s.port(), token, key, c.body);
    EXPECT_EQ(retry.status, 201u) << retry.body;
    EXPECT_EQ(retry.body, receipt);
    auto other = submit(s.port(), token, key, c.body + " ");
    EXPECT_EQ(other.status, 422u) << other.body;
    EXPECT_NE(other.body.find("idempotency_key_reused"), std::string::npos);
    return;
  }
  FAIL() << "the server was never ready before 16:59:59 on its clock";
}

}  // namespace
}  // namespace zhiyuan::test
