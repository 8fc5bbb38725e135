// /metrics of a running zhiyuan-server: the counters move with what happens (sign-ins by
// outcome, the hashing pool), the process metrics are plausible, and every metric that
// docs/metrics.md marks `exists` is in the scrape (so no alert reads a name the server never
// emits). Candidates pick_case(700..709).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

std::string scrape(std::uint16_t port) {
  auto r = request(port, "GET", "/metrics");
  EXPECT_EQ(r.status, 200u);
  return r.body;
}

// The value of the sample `series` (name with its labels, exactly as rendered), if present.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

double value(const std::string& text, const std::string& series) {
  const auto v = sample(text, series);
  EXPECT_TRUE(v.has_value()) << series << " missing from\n" << text;
  return v.value_or(-1);
}

std::string sign_ins(const char* outcome) {
  return std::string(R"(zhiyuan_sign_ins_total{audience="candidate",outcome=")") + outcome + "\"}";
}

class metrics_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(server_args(offset_to(formal_open_instant)));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::uint16_t port() { return server_->port(); }
  static server_process* server_;
};
server_process* metrics_test::server_ = nullptr;

TEST_F(metrics_test, sign_ins_and_the_hashing_pool_are_counted) {
  const std::string before = scrape(port());
  EXPECT_FALSE(login(port(), pick_case(700).exam_no).empty());
  EXPECT_FALSE(login(port(), pick_case(701).exam_no).empty());
  const auto wrong =
      request(port(), "POST", "/api/v1/auth/login", json_header(),
              R"({"exam_no":")" + pick_case(702).exam_no + R"(","password":"Wrong-Pass-9"})");
  EXPECT_EQ(wrong.status, 401u) << wrong.body;
  const std::string after = scrape(port());

  EXPECT_EQ(value(after, sign_ins("ok")) - value(before, sign_ins("ok")), 2);
  EXPECT_EQ(value(after, sign_ins("bad_password")) - value(before, sign_ins("bad_password")), 1);
  EXPECT_EQ(value(after, sign_ins("throttled")), value(before, sign_ins("throttled")));
  const std::string waits = R"(zhiyuan_pool_wait_seconds_count{pool="auth"})";
  EXPECT_GE(value(after, waits) - value(before, waits), 3);
  EXPECT_EQ(value(after, R"(zhiyuan_pool_queue_depth{pool="auth"})"), 0);
  EXPECT_GT(value(after, R"(zhiyuan_pool_queue_capacity{pool="auth"})"), 0);
  EXPECT_GT(value(after, R"(zhiyuan_pool_threads{pool="auth"})"), 0);
  // Sign-ins are writes too: committed by the candidate's writer.
  const std::string committed =
      R"(zhiyuan_writer_operations_total{kind="sign_in",status="committed"})";
  EXPECT_EQ(value(after, committed) - value(before, committed), 2);
}

TEST_F(metrics_test, node_and_process_figures_are_plausible) {
  const std::string text = scrape(port());
  EXPECT_EQ(value(text, "zhiyuan_ready"), 1);
  EXPECT_EQ(value(text, "zhiyuan_database_up"), 1);
  EXPECT_TRUE(std::regex_search(
      text, std::regex(R"(\nzhiyuan_receipt_key_info\{key_id="[0-9a-f]{16}"\} 1\n)")))
      << text;
  EXPECT_GE(value(text, "zhiyuan_schedule_revision"), 0);
  // The test province is seeded, not imported: no import applied yet.
  EXPECT_GE(value(text, R"(zhiyuan_snapshot_import_id{kind="candidates"})"), 0);
  EXPECT_GT(value(text, "zhiyuan_writer_queue_capacity"), 0);
  EXPECT_EQ(value(text, R"(zhiyuan_snapshot_reloads_total{snapshot="catalog",outcome="failed"})"),
            0);

  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double started = value(text, "process_start_time_seconds");
  EXPECT_LE(started, now + 1);
  EXPECT_GT(started, now - 3600);
  EXPECT_GT(value(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(value(text, "process_resident_memory_bytes"), 1 << 20);
  const double fds = value(text, "process_open_fds");
  EXPECT_GT(fds, 3);
  EXPECT_GE(value(text, "process_max_fds"), fds);
}

// docs/metrics.md is what the alerts and the dashboard are checked against (ctest
// `monitoring`); here every metric it lists as `exists` must be in a live scrape.
TEST_F(metrics_test, every_documented_metric_is_emitted) {
  std::ifstream doc(ZHIYUAN_SOURCE_DIR "/docs/metrics.md");
  ASSERT_TRUE(doc);
  const std::regex row(R"(^\| `(\w+)` \| (\w+).*\| (exists|planned) \|\s*$)");
  std::vector<std::string> names;
  for (std::string line; std::getline(doc, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, row) || m[3] != "exists" || m[1] == "up") continue;
    names.push_back(m[1].str() + (m[2] == "histogram" ? "_bucket" : ""));
  }
  ASSERT_GT(names.size(), 30u);
  // The session count is read once a minute, first right after the start: wait for it.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    EXPECT_EQ(request(port(), "GET", "/api/v1/ping").status, 200u);
    text = scrape(port());
  } while (text.find("\nzhiyuan_sessions_active{") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline);
  for (const auto& name : names) {
    EXPECT_TRUE(std::regex_search(text, std::regex("\n" + name + "[{ ]"))) << name;
  }
}

}  // namespace
}  // namespace zhiyuan::test
