#include "loadtest/runner.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace zhiyuan::loadtest {
namespace {

phase constant(double duration_s, double rate) { return {"", duration_s, rate, rate}; }
phase ramp(double duration_s, double from, double to) { return {"", duration_s, from, to}; }

TEST(arrival_time, constant_rate_spaces_arrivals_evenly) {
  const std::vector<phase> phases = {constant(10, 100)};
  EXPECT_DOUBLE_EQ(arrival_time(phases, 0), 0);
  EXPECT_NEAR(arrival_time(phases, 1), 0.01, 1e-12);
  EXPECT_NEAR(arrival_time(phases, 999), 9.99, 1e-9);
  EXPECT_LT(arrival_time(phases, 1000), 0);
}

TEST(arrival_time, ramp_follows_the_integral_of_the_rate) {
  // From 0 to 100/s over 10 s: N(t) = 5 t^2, 500 arrivals in all.
  const std::vector<phase> phases = {ramp(10, 0, 100)};
  EXPECT_NEAR(arrival_time(phases, 5), 1, 1e-9);
  EXPECT_NEAR(arrival_time(phases, 125), 5, 1e-9);
  EXPECT_NEAR(arrival_time(phases, 499), std::sqrt(499.0 / 5), 1e-9);
  EXPECT_LT(arrival_time(phases, 500), 0);
}

TEST(arrival_time, ramp_down_and_phases_in_sequence) {
  // 20 arrivals in 2 s at 10/s, then 100 -> 0 over 2 s (100 arrivals): N(t) = 100 t - 25 t^2.
  const std::vector<phase> phases = {constant(2, 10), ramp(2, 100, 0)};
  EXPECT_NEAR(arrival_time(phases, 19), 1.9, 1e-9);
  EXPECT_NEAR(arrival_time(phases, 20), 2, 1e-9);
  EXPECT_NEAR(arrival_time(phases, 20 + 75), 3, 1e-9);
  // Arrival times never decrease.
  double last = 0;
  for (std::uint64_t k = 0; k < 120; ++k) {
    const double t = arrival_time(phases, k);
    ASSERT_GE(t, last) << k;
    last = t;
  }
  EXPECT_LT(arrival_time(phases, 120), 0);
}

TEST(check_thresholds, names_each_broken_limit) {
  scenario s;
  s.limits.latency.push_back({"submit.p99_ms", action::submit, 99, 30});
  s.limits.latency.push_back({"p50_ms", std::nullopt, 50, 5});
  s.limits.max_error_rate = 0.01;
  s.limits.min_achieved_ratio = 0.9;
  run_report r;
  auto& submit = r.actions[static_cast<std::size_t>(action::submit)];
  for (int i = 0; i < 100; ++i) submit.latency.record(i < 98 ? 1'000 : 50'000);
  submit.sent = 100;
  submit.errors = 2;
  r.overall.merge(submit.latency);
  r.offered_rate = 100;
  r.achieved_rate = 95;

  const auto checks = check_thresholds(s, r);
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[0].key, "submit.p99_ms");
  EXPECT_FALSE(checks[0].ok);
  EXPECT_NEAR(checks[0].measured, 50, 0.1);
  EXPECT_EQ(checks[1].key, "p50_ms");
  EXPECT_TRUE(checks[1].ok);
  EXPECT_EQ(checks[2].key, "error_rate");
  EXPECT_FALSE(checks[2].ok);
  EXPECT_DOUBLE_EQ(checks[2].measured, 0.02);
  EXPECT_EQ(checks[3].key, "min_achieved_ratio");
  EXPECT_TRUE(checks[3].ok);
  EXPECT_TRUE(checks[3].at_least);
}

}  // namespace
}  // namespace zhiyuan::loadtest
