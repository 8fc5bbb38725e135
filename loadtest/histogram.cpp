#include "loadtest/histogram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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

std::string histogram::encode() const {
  std::string out = fmt::format("{} {} {} {} {} {} {}", digits_, highest_us_, total_, sum_, min(),
                                max_, saturated_);
  for_each_bucket([&out](const bucket& b) { out += fmt::format(" {}:{}", b.low, b.count); });
  return out;
}

namespace {

// Reads the next unsigned integer of `text` after optional spaces, ending at `stop` (which is
// consumed) or at a space or the end; throws std::invalid_argument naming `what` otherwise.
std::uint64_t next_number(std::string_view& text, char stop, const char* what) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  std::uint64_t v = 0;
  const char* const last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(text.data(), last, v);
  const bool ended = stop == ' ' ? end == last || *end == ' ' : end != last && *end == stop;
  if (ec != std::errc() || !ended) {
    throw std::invalid_argument(fmt::format("histogram::decode: bad {}", what));
  }
  text.remove_prefix(static_cast<std::size_t>(end - text.data()) + (stop == ' ' ? 0 : 1));
  return v;
}

}  // namespace

histogram histogram::decode(std::string_view text) {
  const auto digits = next_number(text, ' ', "significant digits");
  const auto highest = next_number(text, ' ', "highest value");
  histogram h(digits == 2 || digits == 3 ? static_cast<int>(digits) : 0, highest);
  const auto total = next_number(text, ' ', "count");
  h.sum_ = next_number(text, ' ', "sum");
  const auto min = next_number(text, ' ', "min");
  h.max_ = next_number(text, ' ', "max");
  h.saturated_ = next_number(text, ' ', "saturated count");
  while (text.find_first_not_of(' ') != std::string_view::npos) {
    const auto low = next_number(text, ':', "bucket");
    const auto count = next_number(text, ' ', "bucket count");
    if (low > highest || h.lowest_equivalent(low) != low || count == 0) {
      throw std::invalid_argument(fmt::format("histogram::decode: {} is no bucket's low end", low));
    }
    h.counts_[h.index_of(low)] += count;
    h.total_ += count;
  }
  if (h.total_ != total || (total > 0 && (min > h.max_ || h.max_ > highest))) {
    throw std::invalid_argument("histogram::decode: the buckets do not add up to the count");
  }
  h.min_ = total == 0 ? UINT64_MAX : min;
  return h;
}

}  // namespace zhiyuan::loadtest
