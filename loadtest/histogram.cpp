#include "loadtest/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace zhiyuan::loadtest {

histogram::histogram(int significant_digits, std::uint64_t highest_us)
    : digits_(significant_digits), highest_us_(highest_us) {
  if (significant_digits != 2 && significant_digits != 3) {
    throw std::invalid_argument("histogram: significant digits must be 2 or 3");
  }
  if (highest_us < one_hour_us || highest_us > max_highest_us) {
    throw std::invalid_argument("histogram: highest value must be between one hour and 2^62 us");
  }
  // S = the smallest power of two >= 2 * 10^d, so that H = S / 2 >= 10^d.
  const std::uint64_t two_pow_digits = significant_digits == 2 ? 200 : 2000;
  const std::uint64_t sub_count = std::bit_ceil(two_pow_digits);
  sub_bits_ = static_cast<unsigned>(std::countr_zero(sub_count));
  half_ = sub_count / 2;
  counts_.assign(index_of(highest_us_) + 1, 0);
}

std::uint64_t histogram::low_of(std::size_t index) const noexcept {
  const std::uint64_t i = index;
  if (i < 2 * half_) return i;
  const std::uint64_t shift = i / half_ - 1;
  return (i - shift * half_) << shift;
}

std::uint64_t histogram::high_of(std::size_t index) const noexcept {
  const std::uint64_t i = index;
  if (i < 2 * half_) return i;
  const std::uint64_t shift = i / half_ - 1;
  return ((i - shift * half_ + 1) << shift) - 1;
}

std::uint64_t histogram::lowest_equivalent(std::uint64_t value_us) const noexcept {
  return low_of(index_of(value_us));
}

std::uint64_t histogram::highest_equivalent(std::uint64_t value_us) const noexcept {
  return high_of(index_of(value_us));
}

double histogram::relative_error_bound() const noexcept { return 1.0 / static_cast<double>(half_); }

void histogram::merge(const histogram& other) {
  if (other.digits_ != digits_ || other.highest_us_ != highest_us_) {
    throw std::invalid_argument("histogram::merge: histograms differ in digits or highest value");
  }
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  saturated_ += other.saturated_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  sum_ = 0;
  saturated_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

std::uint64_t histogram::value_at_percentile(double p) const noexcept {
  if (total_ == 0) return 0;
  if (!(p > 0)) return min_;  // also NaN
  if (p >= 100) return max_;
  // The rank of the value sought, 1-based: at least p% of the values are at or below it.
  const double wanted = std::ceil(p / 100.0 * static_cast<double>(total_));
  const std::uint64_t rank =
      std::clamp<std::uint64_t>(static_cast<std::uint64_t>(wanted), 1, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(high_of(i), max_);
  }
  return max_;
}

double histogram::mean() const noexcept {
  return total_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(total_);
}

std::vector<histogram::bucket> histogram::buckets() const {
  std::vector<bucket> out;
  for_each_bucket([&out](const bucket& b) { out.push_back(b); });
  return out;
}

}  // namespace zhiyuan::loadtest
