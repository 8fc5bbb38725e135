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

// A phase of `rate`/s for 10 s whose submissions took `submit_ms` each.
phase_report step(double rate, double submit_ms, std::uint64_t dropped = 0) {
  phase_report p;
  p.duration_s = 10;
  p.rate_from = p.rate_to = rate;
  auto& submit = p.actions[static_cast<std::size_t>(action::submit)];
  const auto n = static_cast<std::uint64_t>(rate * 10) - dropped;
  submit.arrivals = n + dropped;
  submit.sent = n;
  submit.dropped = dropped;
  submit.latency.record(static_cast<std::uint64_t>(submit_ms * 1000), n);
  p.overall.merge(submit.latency);
  return p;
}

scenario knee_scenario() {
  scenario s;
  s.limits.latency.push_back({"submit.p99_ms", action::submit, 99, 30});
  s.limits.max_error_rate = 0.001;
  s.limits.min_achieved_ratio = 0.95;
  s.knee = knee_spec{"submit.p99_ms"};
  return s;
}

TEST(find_knee, is_the_last_step_before_the_threshold_breaks) {
  const scenario s = knee_scenario();
  run_report r;
  r.phases = {step(1000, 5), step(2000, 12), step(4000, 45), step(8000, 10)};
  const auto k = find_knee(s, r);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->last_held, 1u);
  EXPECT_EQ(k->first_broken, 2u);
  EXPECT_DOUBLE_EQ(k->knee_rps, 2000);
  EXPECT_NEAR(k->at_break.measured, 45, 0.1);
  // A later step that happens to hold again does not move the knee.
}

TEST(find_knee, reports_no_break_and_a_break_in_the_first_step) {
  const scenario s = knee_scenario();
  run_report held;
  held.phases = {step(1000, 5), step(2000, 6)};
  auto k = find_knee(s, held);
  ASSERT_TRUE(k);
  EXPECT_FALSE(k->first_broken);
  EXPECT_DOUBLE_EQ(k->knee_rps, 2000);

  run_report broke;
  broke.phases = {step(1000, 50), step(2000, 6)};
  k = find_knee(s, broke);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->first_broken, 0u);
  EXPECT_FALSE(k->last_held);
  EXPECT_DOUBLE_EQ(k->knee_rps, 0);

  scenario no_knee = s;
  no_knee.knee.reset();
  EXPECT_FALSE(find_knee(no_knee, held));
}

TEST(check_thresholds, dropped_arrivals_count_as_failures_and_lower_the_achieved_rate) {
  const scenario s = knee_scenario();
  // 20,000 due, 100 dropped by the generator's in-flight cap: 0.5% failed.
  const auto checks = check_thresholds(s, step(2000, 5, 100));
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_TRUE(checks[0].ok);
  EXPECT_EQ(checks[1].key, "error_rate");
  EXPECT_NEAR(checks[1].measured, 0.005, 1e-9);
  EXPECT_FALSE(checks[1].ok);
  EXPECT_EQ(checks[2].key, "min_achieved_ratio");
  EXPECT_NEAR(checks[2].measured, 0.995, 1e-9);
  EXPECT_TRUE(checks[2].ok);
}

}  // namespace
}  // namespace zhiyuan::loadtest
