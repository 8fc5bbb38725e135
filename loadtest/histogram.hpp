#pragma once

// A log-linear high-dynamic-range latency histogram: the idea of Gil Tene's HdrHistogram, written
// here from its description because Debian 12 packages no C or C++ implementation of it.
//
// Values are integers in microseconds, from 0 up to `highest_us` (at least one hour). With
// significant digits d (2 or 3), let S be the smallest power of two >= 2 * 10^d (256 or 2048)
// and H = S / 2 (128 or 1024):
// - values below S each have a bucket of their own (exact);
// - above, every power-of-two range [2^k, 2^(k+1)) is split into H equal buckets of width
//   2^(k + 1 - log2 S), so a bucket [low, high] has high - low + 1 <= low / H.
//
// Error bound: a value v reported for a recorded value q (a percentile, or a bucket edge) lies in
// q's bucket, so |v - q| < q / H <= q * 10^-d, i.e. a relative error below 1% (d = 2) or
// 0.1% (d = 3). Percentiles report the highest value of the bucket (capped at the exact maximum),
// so they never understate a latency: q <= v < q * (1 + 1/H). min, max, count and mean are exact.
//
// Values above `highest_us` are recorded as `highest_us` and counted in `saturated()`. Recording
// is O(1) and never allocates; the bucket array is allocated once, in the constructor. A
// histogram is not thread-safe: each thread records into its own and they are merged at the end.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zhiyuan::loadtest {

class histogram {
 public:
  /// One hour in microseconds: the default and smallest allowed `highest_us`.
  static constexpr std::uint64_t one_hour_us = 3'600'000'000ULL;
  /// The largest allowed `highest_us` (about 146 years), so that sums cannot overflow in practice.
  static constexpr std::uint64_t max_highest_us = std::uint64_t{1} << 62;

  /// A non-empty bucket: `count` values recorded in [low, high] (microseconds, inclusive).
  struct bucket {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    std::uint64_t count = 0;
  };

  /// Throws std::invalid_argument unless significant_digits is 2 or 3 and
  /// one_hour_us <= highest_us <= max_highest_us.
  explicit histogram(int significant_digits = 3, std::uint64_t highest_us = one_hour_us);

  /// Records `count` occurrences of `value_us`. O(1), no allocation.
  void record(std::uint64_t value_us, std::uint64_t count = 1) noexcept {
    if (value_us > highest_us_) {
      value_us = highest_us_;
      saturated_ += count;
    }
    counts_[index_of(value_us)] += count;
    total_ += count;
    sum_ += value_us * count;
    if (value_us < min_) min_ = value_us;
    if (value_us > max_) max_ = value_us;
  }

  /// Adds every value of `other`, which must have the same significant digits and highest value
  /// (std::invalid_argument otherwise). Afterwards *this equals a histogram that recorded both.
  void merge(const histogram& other);

  /// Forgets every value; keeps the configuration and the allocation.
  void reset() noexcept;

  /// The smallest recorded value q such that at least p% of the values are <= q, reported as
  /// the highest value of q's bucket capped at max() (see the error bound above). p is clamped to
  /// [0, 100]; p = 0 gives min(), p = 100 gives max(); 0 when empty.
  std::uint64_t value_at_percentile(double p) const noexcept;

  std::uint64_t count() const noexcept { return total_; }
  /// Exact; 0 when empty.
  std::uint64_t min() const noexcept { return total_ == 0 ? 0 : min_; }
  /// Exact; 0 when empty.
  std::uint64_t max() const noexcept { return max_; }
  /// Arithmetic mean of the recorded (clamped) values, exact while their sum stays below 2^64
  /// (five billion values of an hour each); 0 when empty.
  double mean() const noexcept;
  /// How many recorded values exceeded highest_us() and were clamped to it.
  std::uint64_t saturated() const noexcept { return saturated_; }

  int significant_digits() const noexcept { return digits_; }
  std::uint64_t highest_us() const noexcept { return highest_us_; }
  /// The documented bound 1/H on |reported - recorded| / recorded (see the top of this file).
  double relative_error_bound() const noexcept;

  /// The bounds of the bucket holding `value_us` (which must be <= highest_us()).
  std::uint64_t lowest_equivalent(std::uint64_t value_us) const noexcept;
  std::uint64_t highest_equivalent(std::uint64_t value_us) const noexcept;

  /// Calls f(bucket) for each non-empty bucket, in increasing order of value; no allocation.
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0) f(bucket{low_of(i), high_of(i), counts_[i]});
    }
  }

  /// The non-empty buckets, for a latency-spectrum chart.
  std::vector<bucket> buckets() const;

  /// Everything the histogram holds as one line of text ("DIGITS HIGHEST COUNT SUM MIN MAX
  /// SATURATED" then "LOW:COUNT" per non-empty bucket), so that another process can rebuild it
  /// exactly (zhiyuan-loadtest merge: shards' histograms are merged, never their percentiles).
  std::string encode() const;
  /// The histogram `encode` wrote; std::invalid_argument when the text is not one (a bucket
  /// that is not one of this layout's, counts that do not add up, a bad configuration).
  static histogram decode(std::string_view text);

 private:
  // Index = s * H + (v >> s), where s is how far v must shift right to fit below S: s = 0 gives
  // the exact buckets 0 .. S-1, and each s >= 1 adds H buckets for [2^(log2 S - 1 + s), twice
  // that).
  std::size_t index_of(std::uint64_t v) const noexcept {
    const unsigned width = static_cast<unsigned>(std::bit_width(v));
    const unsigned shift = width > sub_bits_ ? width - sub_bits_ : 0;
    return static_cast<std::size_t>(shift * half_ + (v >> shift));
  }
  std::uint64_t low_of(std::size_t index) const noexcept;
  std::uint64_t high_of(std::size_t index) const noexcept;

  int digits_;
  std::uint64_t highest_us_;
  unsigned sub_bits_;   // log2 S
  std::uint64_t half_;  // H = S / 2
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t saturated_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace zhiyuan::loadtest
