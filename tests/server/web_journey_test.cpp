// The reference web app in a real browser (web/tests/journey.mjs: playwright-core driving
// Debian's headless Chromium) against zhiyuan-server on the test database, serving the app it
// just built: the candidate's journey ends in a receipt the page verified, and the database
// holds exactly one new version for it although the first answer was dropped.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <pqxx/pqxx>

#include "tests/server/web_browser.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

namespace fs = std::filesystem;

std::int64_t versions_of(const std::string& exam_no) {
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  return tx
      .exec_params1(
          "SELECT count(*) FROM application_history h JOIN candidates c USING (candidate_id)"
          " WHERE c.exam_no = $1 AND h.batch = 1 AND NOT h.drill",
          exam_no)[0]
      .as<std::int64_t>();
}

TEST(web_journey, a_candidate_files_and_the_page_verifies_the_receipt_after_a_dropped_answer) {
  if (const auto why = browser_missing(); !why.empty()) GTEST_SKIP() << why;
  const fs::path& web = web_dir;
  const auto [built, build_status] = build_web_app();
  ASSERT_EQ(build_status, 0) << built;
  server_process server = serve_web_app();

  const auto c = pick_case(600);
  simdjson::dom::parser p;
  const std::string save(std::string_view(p.parse(c.body)["save_password"]));
  const fs::path shots = fs::path(ZHIYUAN_TEST_VAR_DIR) / "web-shots";
  const std::int64_t before = versions_of(c.exam_no);

  setenv("BASE_URL", ("http://127.0.0.1:" + std::to_string(server.port())).c_str(), 1);
  setenv("EXAM_NO", c.exam_no.c_str(), 1);
  setenv("PASSWORD", loadtest::synthetic_login_password(c.exam_no).c_str(), 1);
  setenv("SAVE_PASSWORD", save.c_str(), 1);
  setenv("CHOICES", c.choices.c_str(), 1);
  const auto [out, status] = run("node " + (web / "tests/journey.mjs").string() + " 2>&1");
  ASSERT_EQ(status, 0) << out;

  const simdjson::dom::element doc = p.parse(journey_line(out));
  EXPECT_EQ(std::string_view(doc["verified"]), "true") << out;
  EXPECT_EQ(std::string_view(doc["chain"]), "ok") << out;
  EXPECT_TRUE(bool(doc["dropped"])) << out;
  // /docs rendered the served contract: every operation shown, none fetched from elsewhere.
  EXPECT_GE(std::int64_t(doc["docs"]["operations"]), 40) << out;
  EXPECT_EQ(std::int64_t(doc["docs"]["shown"]), std::int64_t(doc["docs"]["operations"])) << out;
  EXPECT_NE(std::string_view(doc["docs"]["title"]).find("zhiyuan"), std::string_view::npos) << out;
  // axe-core ran on every screen, the six browsing screens among them.
  EXPECT_GE(expect_clean_pages(doc, out), 10u) << out;
  EXPECT_EQ(simdjson::dom::array(doc["screens"]).size(), 6u) << out;
  // The page put the choices in the candidate's order (one was moved by keyboard).
  EXPECT_EQ(std::string_view(doc["receipt"]["choices_sha256"]), sha256_hex(c.canonical)) << out;
  // Two presses of 提交, one answer lost: one version, the one the page verified.
  EXPECT_EQ(versions_of(c.exam_no), before + 1);
  pqxx::connection conn(database_url());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM application_history h JOIN candidates c"
                            " USING (candidate_id) WHERE c.exam_no = $1 AND h.version = $2"
                            " AND encode(h.digest, 'hex') = $3 AND NOT h.drill",
                            c.exam_no, std::int64_t(doc["receipt"]["version"]),
                            std::string(std::string_view(doc["receipt"]["receipt_hash"])))[0]
                .as<int>(),
            1);
  for (const char* png :
       {"docs-1366x768.png", "draft-390x844.png", "receipt-390x844.png", "receipt-1366x768.png"}) {
    EXPECT_TRUE(fs::exists(shots / png)) << png;
  }
}

// web/types/api.d.ts is what openapi-typescript makes of the /openapi.json this server serves:
// a change of the contract that is not regenerated fails here (ZHIYUAN_TEST_UPDATE_TYPES=1 rewrites
// it), and the types compile.
TEST(web_types, the_committed_typescript_types_match_the_served_contract) {
  const fs::path web = fs::path(ZHIYUAN_SOURCE_DIR) / "web";
  if (!fs::exists(web / "node_modules/openapi-typescript")) {
    GTEST_SKIP() << "needs web/node_modules (scripts/setup.sh runs npm ci)";
  }
  server_process server(start_server(0));
  const auto doc = request(server.port(), "GET", "/openapi.json");
  ASSERT_EQ(doc.status, 200u);
  const fs::path spec = fs::path(ZHIYUAN_TEST_VAR_DIR) / "openapi.json";
  const fs::path made = fs::path(ZHIYUAN_TEST_VAR_DIR) / "api.d.ts";
  std::ofstream(spec, std::ios::binary) << doc.body;
  const auto [log, status] =
      run("node " + (web / "node_modules/openapi-typescript/bin/cli.js").string() + " " +
          spec.string() + " -o " + made.string() + " 2>&1");
  ASSERT_EQ(status, 0) << log;
  // The contract's snapshot that scripts/mock.sh serves, kept the same way.
  const fs::path snapshot = fs::path(ZHIYUAN_TEST_VAR_DIR) / "openapi.snapshot.json";
  const auto [snap, snap_status] = run("node " + (web / "tests/snapshot.mjs").string() + " " +
                                       spec.string() + " " + snapshot.string() + " 2>&1");
  ASSERT_EQ(snap_status, 0) << snap;
  const auto text = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (const auto& [fresh, kept] :
       {std::pair{made, web / "types/api.d.ts"}, std::pair{snapshot, web / "openapi.json"}}) {
    if (std::getenv("ZHIYUAN_TEST_UPDATE_TYPES") != nullptr)
      fs::copy_file(fresh, kept, fs::copy_options::overwrite_existing);
    EXPECT_TRUE(text(fresh) == text(kept))
        << kept << " is stale: rerun this test with ZHIYUAN_TEST_UPDATE_TYPES=1";
  }
  const fs::path committed = web / "types/api.d.ts";
  // The contract's lint (web/.spectral.yaml): no error.
  const auto [lint, lint_status] = run(
      "node " + (web / "node_modules/@stoplight/spectral-cli/dist/index.js").string() + " lint " +
      spec.string() + " -r " + (web / ".spectral.yaml").string() + " --fail-severity=error 2>&1");
  EXPECT_EQ(lint_status, 0) << lint;
  // Every operation's request and success examples are valid against their schemas.
  const auto [examples, examples_status] =
      run("node " + (web / "tests/examples.mjs").string() + " " + spec.string() + " 2>&1");
  EXPECT_EQ(examples_status, 0) << examples;
  EXPECT_NE(examples.find("\"findings\":[]"), std::string::npos) << examples;
  const auto [tsc, tsc_status] = run("node " + (web / "node_modules/typescript/bin/tsc").string() +
                                     " --noEmit --strict " + committed.string() + " 2>&1");
  EXPECT_EQ(tsc_status, 0) << tsc;
  // The pages' calls through the typed client match the contract (web/tsconfig.json).
  const auto [pages, pages_status] =
      run("node " + (web / "node_modules/typescript/bin/tsc").string() + " -p " + web.string() +
          " 2>&1");
  EXPECT_EQ(pages_status, 0) << pages;
}

// The read-only screens against the mock (scripts/mock.sh serving web/openapi.json's examples),
// with no server or database: every screen shows the examples and passes axe-core.
TEST(web_mock, the_read_only_screens_run_against_the_contract_examples) {
  const fs::path web = web_dir;
  if (const auto why = browser_missing("@stoplight/prism-cli"); !why.empty()) GTEST_SKIP() << why;
  const auto [built, build_status] = build_web_app();
  ASSERT_EQ(build_status, 0) << built;
  const auto [out, status] = run("node " + (web / "tests/mock_journey.mjs").string() + " 2>&1");
  ASSERT_EQ(status, 0) << out;
  simdjson::dom::parser p;
  const simdjson::dom::element doc = p.parse(journey_line(out));
  EXPECT_EQ(expect_clean_pages(doc, out), 7u) << out;
  EXPECT_EQ(simdjson::dom::array(doc["screens"]).size(), 6u) << out;
  // The draft and the history are the contract's examples: two choices, an unbroken chain.
  EXPECT_EQ(std::int64_t(doc["draft_choices"]), 2) << out;
  EXPECT_EQ(std::string_view(doc["chain"]), "ok") << out;
}

}  // namespace
}  // namespace zhiyuan::test
