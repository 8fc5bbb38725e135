#include "loadtest/merge.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "loadtest/report.hpp"

namespace zhiyuan::loadtest {
namespace {

constexpr auto submit = static_cast<std::size_t>(action::submit);

// One shard's report: `n` submissions with lognormal latencies (also recorded into `all`), one
// per-second sample per second, one acknowledgement.
run_report shard_report(std::mt19937_64& rng, int n, std::chrono::system_clock::time_point start,
                        const std::string& exam_no, histogram& all) {
  std::lognormal_distribution<double> latency_us(8.0, 1.2);
  run_report r;
  r.started_at = start;
  r.phases_s = 5;
  r.elapsed_s = 5.5;
  r.offered_rate = n / 5.0;
  r.achieved_rate = n / 5.5;
  auto& st = r.actions[submit];
  for (int i = 0; i < n; ++i) {
    const auto v = static_cast<std::uint64_t>(latency_us(rng));
    st.latency.record(v);
    all.record(v);
  }
  st.arrivals = st.sent = static_cast<std::uint64_t>(n);
  st.errors = 1;
  st.by_status = {{201, static_cast<std::uint64_t>(n) - 1}, {503, 1}};
  r.overall.merge(st.latency);
  for (int s = 0; s < 5; ++s) {
    histogram h(2);
    h.record(1000 * static_cast<std::uint64_t>(s + 1));
    second_sample sample;
    sample.count = 1;
    sample.by_action[submit] = 1;
    sample.latency = h.encode();
    r.per_second.push_back(sample);
  }
  r.acks.push_back({exam_no, core::batch::undergrad, 1, "ab12", "key-" + exam_no});
  return r;
}

std::string json_of(const run_report& r) {
  const scenario s;
  return report_json(run_summary{s, r, {}, std::nullopt, std::nullopt, true});
}

TEST(merge, shards_reports_merge_into_the_run_over_all_their_requests) {
  std::mt19937_64 rng(7);
  histogram all;
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  const run_report a = shard_report(rng, 30'000, t0, "43010101000001", all);
  const run_report b =
      shard_report(rng, 20'000, t0 + std::chrono::seconds(2), "43010101000002", all);
  const run_report m = merge_reports({{"a.json", json_of(a)}, {"b.json", json_of(b)}});

  // Exact: the merged histogram is the one of every latency, so are its percentiles.
  EXPECT_EQ(m.actions[submit].latency.encode(), all.encode());
  EXPECT_EQ(m.overall.value_at_percentile(99), all.value_at_percentile(99));
  EXPECT_EQ(m.overall.value_at_percentile(99.9), all.value_at_percentile(99.9));
  EXPECT_EQ(m.actions[submit].sent, 50'000U);
  EXPECT_EQ(m.actions[submit].errors, 2U);
  EXPECT_EQ(m.actions[submit].by_status.at(503), 2U);
  EXPECT_DOUBLE_EQ(m.offered_rate, 10'000.0);
  EXPECT_EQ(m.started_at, t0);
  // b started 2 s later: its seconds 0..4 are the merged run's 2..6.
  ASSERT_EQ(m.per_second.size(), 7U);
  EXPECT_EQ(m.per_second[1].count, 1U);
  EXPECT_EQ(m.per_second[2].count, 2U);
  EXPECT_EQ(m.per_second[6].count, 1U);
  EXPECT_DOUBLE_EQ(m.per_second[2].p99_ms, 3.0);  // a's 3 ms and b's 1 ms
  ASSERT_EQ(m.acks.size(), 2U);
  EXPECT_EQ(m.acks[1].key, "key-43010101000002");
  // A merged report can be merged again.
  const run_report again = merge_reports({{"m.json", json_of(m)}});
  EXPECT_EQ(again.actions[submit].latency.encode(), all.encode());
}

TEST(merge, reports_without_shard_data_are_refused_by_name) {
  EXPECT_THROW(merge_reports({}), std::runtime_error);
  try {
    (void)merge_reports({{"old.json", R"({"scenario":"smoke"})"}});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("old.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace zhiyuan::loadtest
