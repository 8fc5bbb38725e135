// The office's workbench in a real browser (web/tests/office.mjs: playwright-core driving
// Debian's headless Chromium) against zhiyuan-server on the test database: an operator of a
// school signs in at /office/, records a reason for an unfiled candidate, exports the unfiled
// list as CSV and sends a chase reminder; the database holds each of these.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>

#include "tests/server/web_browser.hpp"
#include "tests/support/admin_fixture.hpp"

namespace zhiyuan::test {
namespace {

namespace fs = std::filesystem;

TEST(web_office, an_operator_chases_the_unfiled_candidates_of_a_school_from_the_browser) {
  if (const auto why = browser_missing(); !why.empty()) GTEST_SKIP() << why;
  const fs::path& web = web_dir;
  const auto [built, build_status] = build_web_app();
  ASSERT_EQ(build_status, 0) << built;
  server_process server = serve_web_app();

  pqxx::connection conn(database_url());
  const auto c = pick_case(620);
  std::string school;
  std::int32_t school_id = 0;
  {
    pqxx::work tx(conn);
    const auto row = tx.exec_params1(
        "SELECT u.code, u.id FROM candidates c JOIN units u ON u.id = c.school_id"
        " WHERE c.exam_no = $1",
        c.exam_no);
    school = row[0].as<std::string>();
    school_id = row[1].as<std::int32_t>();
    // Another run may have reminded this school seconds ago: out of the rate limit's way.
    tx.exec_params(
        "UPDATE notices SET created_at = created_at - interval '1 hour' WHERE kind = 1"
        " AND unit_id = $1 AND batch = 1",
        school_id);
    tx.commit();
  }
  auto op = make_admin_account(conn, school, core::admin_role::operator_,
                               "web.office." + run_unique_tag());

  setenv("BASE_URL", ("http://127.0.0.1:" + std::to_string(server.port())).c_str(), 1);
  setenv("USERNAME", op.username.c_str(), 1);
  setenv("PASSWORD", op.password.c_str(), 1);
  const auto [out, status] = run("node " + (web / "tests/office.mjs").string() + " 2>&1");
  ASSERT_EQ(status, 0) << out;

  simdjson::dom::parser p;
  const simdjson::dom::element doc = p.parse(journey_line(out));
  const std::size_t audited = expect_clean_pages(doc, out);
  EXPECT_EQ(audited, 3u) << out;
  EXPECT_GE(std::int64_t(doc["rows"]), 1) << out;
  // The whole list came down as CSV, with the candidate the page listed as unfiled in it (other
  // suites may have filed for pick_case(620) meanwhile: it only names the school).
  EXPECT_TRUE(bool(doc["csv"]["has_exam"])) << out;
  EXPECT_GE(std::int64_t(doc["csv"]["lines"]), 2) << out;
  // The reason chosen in the page is the one stored, by this operator.
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM unfiled_reasons r JOIN candidates c"
                            " USING (candidate_id) WHERE c.exam_no = $1 AND r.batch = 1"
                            " AND r.reason = 1 AND r.recorded_by = $2",
                            std::string(std::string_view(doc["reason_exam_no"])), op.id)[0]
                .as<int>(),
            1)
      << out;
  // One reminder from this operator, reaching as many candidates as the page said.
  const auto recipients = std::int64_t(doc["recipients"]);
  EXPECT_GE(recipients, 1) << out;
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM notices n JOIN notice_recipients r USING"
                            " (notice_id) WHERE n.kind = 1 AND n.unit_id = $1"
                            " AND n.created_by = $2",
                            school_id, op.id)[0]
                .as<std::int64_t>(),
            recipients)
      << out;
}

}  // namespace
}  // namespace zhiyuan::test
