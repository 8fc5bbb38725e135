// database.replica_url (issue 17): the offices' statistics are read from the standby while the
// session check (which moves the session's idle timer, a write) stays on the primary. The test's
// "standby" is the suite's database through read-only sessions (default_transaction_read_only),
// named so that what they ran shows in pg_stat_activity; the fleet drill has a real standby.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/admin_fixture.hpp"

namespace zhiyuan::test {
namespace {

constexpr const char* replica_name = "zhiyuan_replica_test";

class replica_read_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string replica = database_url() + " application_name=" + replica_name +
                                " options='-c default_transaction_read_only=on'";
    server_ = new server_process(
        server_args(offset_to(formal_open_instant), {"--database.replica_url", replica}));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::uint16_t port() { return server_->port(); }
  static inline server_process* server_ = nullptr;
};

// The database's clock now, and how many of the replica's sessions did anything since `since`.
std::string database_now() {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  return tx.exec1("SELECT clock_timestamp()::text")[0].as<std::string>();
}
std::int64_t replica_sessions_active_since(const std::string& since) {
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  return tx
      .exec_params1(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
          " AND state_change >= $2::timestamptz",
          replica_name, since)[0]
      .as<std::int64_t>();
}

TEST_F(replica_read_test, statistics_come_from_the_replica_and_the_session_check_from_the_primary) {
  pqxx::connection conn(database_url());
  std::string province;
  {
    pqxx::work tx(conn);
    province = tx.exec1("SELECT code FROM units WHERE id = 1")[0].as<std::string>();
    tx.commit();
  }
  auto viewer =
      make_admin_account(conn, province, core::admin_role::viewer, "replica." + run_unique_tag());
  const std::string token = admin_login(port(), viewer);
  ASSERT_FALSE(token.empty());
  const std::string unit = "/api/v1/admin/units/" + province;
  // The session check writes: on the read-only replica it would fail, so 200 says it ran on
  // the primary; the replica's sessions, idle until then, show that they served the read.
  const std::string before = database_now();
  EXPECT_EQ(replica_sessions_active_since(before), 0);
  const auto stats = request(port(), "GET", unit + "/stats?batch=undergrad", bearer(token), "");
  ASSERT_EQ(stats.status, 200u) << stats.body;
  EXPECT_NE(stats.body.find("\"eligible\":"), std::string::npos) << stats.body;
  EXPECT_GE(replica_sessions_active_since(before), 1);
  const auto timeline =
      request(port(), "GET", unit + "/stats/timeline?batch=undergrad", bearer(token), "");
  ASSERT_EQ(timeline.status, 200u) << timeline.body;
  EXPECT_NE(timeline.body.find("\"hours\":"), std::string::npos) << timeline.body;
  // A signed-out token is refused by the primary's check before anything reaches the replica.
  EXPECT_EQ(request(port(), "GET", unit + "/stats", bearer(std::string(43, 'A')), "").status, 401u);
}

}  // namespace
}  // namespace zhiyuan::test
