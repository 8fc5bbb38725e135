#include "loadtest/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

// Counts every allocation of the test binary, so that a test can show record() allocates nothing.
namespace {
std::atomic<std::uint64_t> allocations{0};
}  // namespace

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZHIYUAN_COUNT_BY_SANITIZER_HOOK 1
#endif
#endif

#ifdef ZHIYUAN_COUNT_BY_SANITIZER_HOOK
// ThreadSanitizer's runtime defines operator new itself (a replacement does not link); its
// allocator calls this hook for every allocation, operator new's included.
extern "C" void __sanitizer_malloc_hook(const volatile void*, std::size_t) {
  allocations.fetch_add(1, std::memory_order_relaxed);
}
#else
// GCC pairs the inlined replacement operators with the library's and warns about free(); the
// pair below is consistent (malloc with free), so the warning is off for this file.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace zhiyuan::loadtest {
namespace {

constexpr std::uint64_t one_hour = histogram::one_hour_us;
const std::vector<double> percentiles = {0,  0.1, 1,    10,    25,     50,      75, 90,
                                         95, 99,  99.9, 99.99, 99.999, 99.9999, 100};

// The exact percentile by the histogram's definition: the value of rank ceil(p/100 * n) in
// sorted order (1-based, clamped to [1, n]).
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  const double wanted = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  std::size_t rank = static_cast<std::size_t>(std::max(wanted, 1.0));
  rank = std::min(rank, sorted.size());
  return sorted[rank - 1];
}

// q <= reported and reported - q <= q * bound: the bound documented in histogram.hpp.
void expect_within_bound(const histogram& h, std::uint64_t exact, std::uint64_t reported,
                         const std::string& what) {
  EXPECT_GE(reported, exact) << what;
  EXPECT_LE(static_cast<double>(reported - exact),
            static_cast<double>(exact) * h.relative_error_bound())
      << what << ": exact " << exact << ", reported " << reported;
}

struct distribution {
  std::string name;
  // Draws one value in microseconds (clamped by the caller to one hour).
  std::uint64_t (*draw)(std::mt19937_64&);
};

std::uint64_t clamp_to_hour(double v) {
  if (!(v >= 0)) return 0;
  return v >= static_cast<double>(one_hour) ? one_hour : static_cast<std::uint64_t>(v);
}

const std::vector<distribution>& distributions() {
  static const std::vector<distribution> all = {
      {"uniform_1us_1s",
       [](std::mt19937_64& g) {
         return std::uniform_int_distribution<std::uint64_t>(1, 1'000'000)(g);
       }},
      {"exponential_mean_5ms",
       [](std::mt19937_64& g) {
         return clamp_to_hour(std::exponential_distribution<double>(1.0 / 5000)(g));
       }},
      {"lognormal",
       [](std::mt19937_64& g) {
         return clamp_to_hour(std::lognormal_distribution<double>(8.0, 1.5)(g));
       }},
      // Heavy-tailed: Pareto with alpha 1.1 (infinite variance) from 100 us, up to the hour.
      {"pareto_alpha_1_1",
       [](std::mt19937_64& g) {
         const double u = std::uniform_real_distribution<double>(0.0, 1.0)(g);
         return clamp_to_hour(100.0 / std::pow(1.0 - u, 1.0 / 1.1));
       }},
      // Mostly fast with a slow second mode (a stall), as a server with a GC-like pause would be.
      {"bimodal",
       [](std::mt19937_64& g) {
         if (std::bernoulli_distribution(0.02)(g)) {
           return clamp_to_hour(std::normal_distribution<double>(2'000'000, 300'000)(g));
         }
         return clamp_to_hour(std::normal_distribution<double>(800, 150)(g));
       }},
      {"small_exact_values",
       [](std::mt19937_64& g) { return std::uniform_int_distribution<std::uint64_t>(0, 300)(g); }},
  };
  return all;
}

class histogram_accuracy : public ::testing::TestWithParam<int> {};

TEST_P(histogram_accuracy, percentiles_match_sorted_samples_within_bound) {
  const int digits = GetParam();
  std::mt19937_64 gen(0x5eed0000u + static_cast<unsigned>(digits));
  for (const auto& d : distributions()) {
    histogram h(digits);
    std::vector<std::uint64_t> values(200'000);
    for (auto& v : values) {
      v = d.draw(gen);
      h.record(v);
    }
    std::sort(values.begin(), values.end());
    ASSERT_EQ(h.count(), values.size()) << d.name;
    EXPECT_EQ(h.min(), values.front()) << d.name;
    EXPECT_EQ(h.max(), values.back()) << d.name;
    const double exact_mean =
        static_cast<double>(std::accumulate(values.begin(), values.end(), std::uint64_t{0})) /
        static_cast<double>(values.size());
    EXPECT_DOUBLE_EQ(h.mean(), exact_mean) << d.name;
    for (double p : percentiles) {
      const std::uint64_t exact = exact_percentile(values, p);
      expect_within_bound(h, exact, h.value_at_percentile(p), d.name + " p" + std::to_string(p));
    }
    EXPECT_EQ(h.value_at_percentile(0), values.front()) << d.name;
    EXPECT_EQ(h.value_at_percentile(100), values.back()) << d.name;
    EXPECT_EQ(h.saturated(), 0u) << d.name;
  }
}

TEST_P(histogram_accuracy, documented_bound_holds_for_every_bucket) {
  const int digits = GetParam();
  histogram h(digits);
  // The header promises a relative error below 10^-digits.
  EXPECT_LT(h.relative_error_bound(), std::pow(10.0, -digits));
  EXPECT_GT(h.relative_error_bound(), 0.0);

  // Walk the buckets edge to edge: each starts right after the previous one ends.
  std::uint64_t v = 0;
  std::size_t bucket_count = 0;
  while (v <= h.highest_us()) {
    const std::uint64_t low = h.lowest_equivalent(v);
    const std::uint64_t high = h.highest_equivalent(v);
    ASSERT_EQ(low, v) << "bucket " << bucket_count << " does not start where the last ended";
    ASSERT_GE(high, low);
    ASSERT_EQ(h.lowest_equivalent(high), low);
    // Every value q of [low, high] is reported as high, so the worst error is (high - low) / low.
    if (low > 0) {
      ASSERT_LE(static_cast<double>(high - low),
                static_cast<double>(low) * h.relative_error_bound())
          << "bucket [" << low << ", " << high << "]";
    } else {
      ASSERT_EQ(high, 0u);
    }
    h.record(low);
    h.record(std::min(high, h.highest_us()));
    ++bucket_count;
    if (high == UINT64_MAX) break;
    v = high + 1;
  }
  // Every bucket now holds two values, so iteration must visit each of them, in order.
  std::size_t visited = 0;
  std::uint64_t previous_high = 0;
  std::uint64_t counted = 0;
  h.for_each_bucket([&](const histogram::bucket& b) {
    if (visited > 0) {
      EXPECT_EQ(b.low, previous_high + 1);
    }
    EXPECT_EQ(b.count, 2u);
    previous_high = b.high;
    counted += b.count;
    ++visited;
  });
  EXPECT_EQ(visited, bucket_count);
  EXPECT_EQ(counted, h.count());
  EXPECT_GE(previous_high, one_hour);
  EXPECT_EQ(h.saturated(), 0u);
}

INSTANTIATE_TEST_SUITE_P(digits, histogram_accuracy, ::testing::Values(2, 3));

TEST(histogram, merge_equals_recording_everything_in_one) {
  std::mt19937_64 gen(42);
  histogram all(3);
  std::vector<histogram> parts(4, histogram(3));
  for (int i = 0; i < 100'000; ++i) {
    const auto& d = distributions()[static_cast<std::size_t>(i) % distributions().size()];
    const std::uint64_t v = d.draw(gen);
    all.record(v);
    parts[static_cast<std::size_t>(gen() % parts.size())].record(v);
  }
  histogram merged(3);
  for (const auto& p : parts) merged.merge(p);
  merged.merge(histogram(3));  // an empty one changes nothing, min included

  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (double p : percentiles) EXPECT_EQ(merged.value_at_percentile(p), all.value_at_percentile(p));
  const auto a = all.buckets();
  const auto m = merged.buckets();
  ASSERT_EQ(a.size(), m.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].low, m[i].low);
    EXPECT_EQ(a[i].high, m[i].high);
    EXPECT_EQ(a[i].count, m[i].count);
  }
}

TEST(histogram, merge_rejects_a_different_layout) {
  histogram h(3);
  EXPECT_THROW(h.merge(histogram(2)), std::invalid_argument);
  EXPECT_THROW(h.merge(histogram(3, 2 * one_hour)), std::invalid_argument);
}

TEST(histogram, constructor_rejects_bad_configuration) {
  EXPECT_THROW(histogram(1), std::invalid_argument);
  EXPECT_THROW(histogram(4), std::invalid_argument);
  EXPECT_THROW(histogram(3, one_hour - 1), std::invalid_argument);
  EXPECT_THROW(histogram(3, histogram::max_highest_us + 1), std::invalid_argument);
  EXPECT_NO_THROW(histogram(2, histogram::max_highest_us));
}

TEST(histogram, empty_histogram_reports_zeros) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_EQ(h.value_at_percentile(100), 0u);
  EXPECT_TRUE(h.buckets().empty());
}

TEST(histogram, edge_values) {
  for (int digits : {2, 3}) {
    histogram h(digits);
    const std::uint64_t exact_limit = digits == 2 ? 256 : 2048;
    // Below S every value is its own bucket.
    for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, exact_limit - 1}) {
      EXPECT_EQ(h.lowest_equivalent(v), v);
      EXPECT_EQ(h.highest_equivalent(v), v);
    }
    // From S on, buckets are two wide, then four, ...
    EXPECT_EQ(h.highest_equivalent(exact_limit), exact_limit + 1);
    EXPECT_EQ(h.lowest_equivalent(2 * exact_limit + 3), 2 * exact_limit);

    // One hour is trackable without saturation; beyond it values clamp and are counted.
    h.record(0);
    h.record(one_hour);
    EXPECT_EQ(h.saturated(), 0u);
    h.record(one_hour + 1);
    h.record(UINT64_MAX, 3);
    EXPECT_EQ(h.saturated(), 4u);
    EXPECT_EQ(h.count(), 6u);
    EXPECT_EQ(h.min(), 0u);
    EXPECT_EQ(h.max(), one_hour);
    EXPECT_EQ(h.value_at_percentile(0), 0u);
    EXPECT_EQ(h.value_at_percentile(10), 0u);
    EXPECT_EQ(h.value_at_percentile(50), one_hour);
    EXPECT_EQ(h.value_at_percentile(100), one_hour);
    EXPECT_EQ(h.value_at_percentile(1000), one_hour);
    EXPECT_EQ(h.value_at_percentile(-5), 0u);
  }
}

TEST(histogram, single_value_is_reported_exactly_everywhere) {
  // The reported bucket edge is capped at the exact maximum, so one value is never overstated.
  histogram h(2);
  h.record(123'457);
  for (double p : percentiles) EXPECT_EQ(h.value_at_percentile(p), 123'457u) << p;
  EXPECT_EQ(h.mean(), 123'457.0);
}

TEST(histogram, record_with_count_equals_repeated_record) {
  histogram once(3);
  histogram repeated(3);
  once.record(5'000, 7);
  once.record(90, 3);
  for (int i = 0; i < 7; ++i) repeated.record(5'000);
  for (int i = 0; i < 3; ++i) repeated.record(90);
  EXPECT_EQ(once.count(), repeated.count());
  EXPECT_DOUBLE_EQ(once.mean(), repeated.mean());
  for (double p : percentiles)
    EXPECT_EQ(once.value_at_percentile(p), repeated.value_at_percentile(p));
}

TEST(histogram, reset_forgets_everything_and_keeps_working) {
  histogram h(3);
  h.record(10);
  h.record(1'000'000);
  h.record(UINT64_MAX);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.saturated(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_TRUE(h.buckets().empty());
  h.record(500);
  EXPECT_EQ(h.min(), 500u);
  EXPECT_EQ(h.max(), 500u);
  EXPECT_EQ(h.value_at_percentile(99), 500u);
}

TEST(histogram, record_and_merge_do_not_allocate) {
  histogram a(3);
  histogram b(3);
  std::mt19937_64 gen(9);
  std::vector<std::uint64_t> values(10'000);
  for (auto& v : values) v = distributions()[3].draw(gen);
  // The counter sees allocations at all (else the equality below would prove nothing).
  const std::uint64_t at_start = allocations.load();
  // A volatile pointer makes the allocation observable, so the compiler cannot elide it.
  auto probe = std::make_unique<std::uint64_t>(1);
  std::uint64_t* volatile escaped = probe.get();
  ASSERT_GT(allocations.load(), at_start) << escaped;
  const std::uint64_t before = allocations.load();
  for (std::uint64_t v : values) a.record(v);
  b.merge(a);
  a.reset();
  const std::uint64_t percentile = b.value_at_percentile(99.9);
  EXPECT_EQ(allocations.load(), before);
  EXPECT_GT(percentile, 0u);
}

// zhiyuan-loadtest merge: shards' histograms travel as text and are merged, so the merged
// percentiles are those of one run over all the requests.
TEST(histogram, shards_decoded_and_merged_equal_one_histogram_of_everything) {
  std::mt19937_64 rng(22);
  std::lognormal_distribution<double> latency_us(8.0, 1.5);
  histogram all;
  histogram shard_a;
  histogram shard_b;
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<std::uint64_t>(latency_us(rng));
    all.record(v);
    (i % 3 == 0 ? shard_a : shard_b).record(v);
  }
  histogram merged = histogram::decode(shard_a.encode());
  merged.merge(histogram::decode(shard_b.encode()));
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_EQ(merged.mean(), all.mean());
  for (const double p : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    EXPECT_EQ(merged.value_at_percentile(p), all.value_at_percentile(p)) << "p" << p;
  }
  EXPECT_EQ(merged.encode(), all.encode());
}

TEST(histogram, encode_round_trips_empty_saturated_and_coarse_histograms) {
  for (const int digits : {2, 3}) {
    histogram h(digits);
    EXPECT_EQ(histogram::decode(h.encode()).encode(), h.encode());
    h.record(0);
    h.record(histogram::one_hour_us + 5, 3);
    h.record(12'345, 7);
    const histogram back = histogram::decode(h.encode());
    EXPECT_EQ(back.encode(), h.encode());
    EXPECT_EQ(back.saturated(), 3u);
    EXPECT_EQ(back.significant_digits(), digits);
    EXPECT_EQ(back.value_at_percentile(50), h.value_at_percentile(50));
  }
}

TEST(histogram, decode_rejects_text_that_is_no_histogram) {
  histogram h;
  h.record(5000, 2);
  const std::string good = h.encode();
  EXPECT_NO_THROW(histogram::decode(good));
  for (const std::string& bad :
       {std::string(), std::string("4 3600000000 0 0 0 0 0"),
        std::string("3 3600000000 1 5 5 5 0"),                  // count without buckets
        std::string("3 3600000000 1 5001 5001 5001 0 5001:1"),  // not a low
        std::string("3 3600000000 1 5 5 5 0 5:x"), good + " 7",
        std::string("3 3600000000 1 5 5 5 0 5:1 extra")}) {
    EXPECT_THROW(histogram::decode(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace zhiyuan::loadtest
