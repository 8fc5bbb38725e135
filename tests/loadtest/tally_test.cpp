#include "loadtest/tally.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace zhiyuan::loadtest {
namespace {

scenario one_phase() {
  scenario s;
  s.phases.push_back({"steady", 10, 100, 100});
  return s;
}

// The exact p-th percentile by the histogram's definition: the smallest recorded value with at
// least p% of the values at or below it.
std::uint64_t exact_percentile(std::vector<std::uint64_t> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

TEST(tally, kept_latencies_of_two_threads_are_every_answer_and_bound_the_merged_percentile) {
  const scenario s = one_phase();
  tally a(s), b(s);
  a.keep_latencies(1000);
  b.keep_latencies(1000);
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> latency_us(8.0, 1.5);
  for (int i = 0; i < 1500; ++i) {
    answered x;
    x.what = i % 2 == 0 ? action::submit : action::plans_browse;
    x.status = 200;
    x.ok = true;
    x.latency_us = static_cast<std::uint64_t>(latency_us(rng));
    (i % 3 == 0 ? a : b).answer(x);
  }
  run_report r;
  const std::array<const tally*, 2> threads{&a, &b};
  merge_tallies(threads, r);
  ASSERT_EQ(r.latencies_us.size(), 1500U);
  EXPECT_EQ(r.latencies_dropped, 0U);
  ASSERT_EQ(r.overall.count(), 1500U);
  for (const double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto exact = exact_percentile(r.latencies_us, p);
    const auto merged = r.overall.value_at_percentile(p);
    // The histogram's documented bound: never below the exact value, less than 0.1% above.
    EXPECT_GE(merged, exact) << p;
    EXPECT_LT(static_cast<double>(merged), static_cast<double>(exact) * 1.001 + 1) << p;
  }
}

TEST(tally, latencies_past_the_limit_are_counted_not_kept) {
  const scenario s = one_phase();
  tally t(s);
  t.keep_latencies(3);
  for (std::uint64_t us = 1; us <= 5; ++us) {
    answered x;
    x.status = 200;
    x.ok = true;
    x.latency_us = us;
    t.answer(x);
  }
  run_report r;
  const std::array<const tally*, 1> threads{&t};
  merge_tallies(threads, r);
  EXPECT_EQ(r.latencies_us, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(r.latencies_dropped, 2U);
}

TEST(tally, keeps_no_latencies_unless_asked) {
  const scenario s = one_phase();
  tally t(s);
  answered x;
  x.status = 200;
  x.ok = true;
  x.latency_us = 42;
  t.answer(x);
  run_report r;
  const std::array<const tally*, 1> threads{&t};
  merge_tallies(threads, r);
  EXPECT_TRUE(r.latencies_us.empty());
  EXPECT_EQ(r.latencies_dropped, 0U);
}

}  // namespace
}  // namespace zhiyuan::loadtest
