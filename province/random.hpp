#pragma once

// The synthetic province's randomness and its one splitting helper, shared by the generator's
// parts (province.cpp: units and candidates; catalog_generator.cpp: colleges, groups, majors).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <utility>
#include <vector>

namespace zhiyuan::loadtest::detail {

// ---------------------------------------------------------------------------------------------
// Randomness. Hand-written rather than std::mt19937_64 + <random> distributions because the
// standard leaves the distributions' algorithms to the implementation: the same seed must give
// the same province with any standard library. splitmix64 is small, fast and statistically fine
// for synthetic data; each independent part of the province draws from its own stream.

inline constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Stream identifiers: one per independent part, so that changing one part leaves the others.
inline constexpr std::uint64_t stream_units = 1;
inline constexpr std::uint64_t stream_colleges = 2;
inline constexpr std::uint64_t stream_group_history = 3;
inline constexpr std::uint64_t stream_school_sizes = 4;
// The groups that give every category a batch admits groups of its own (added after the
// colleges' own), and their histories: streams of their own, so the rest is as it was.
inline constexpr std::uint64_t stream_category_groups = 5;
inline constexpr std::uint64_t stream_category_history = 6;
inline constexpr std::uint64_t stream_history_population = 1000;  // + year * 2 + track
inline constexpr std::uint64_t stream_school = 1ULL << 32;        // + school id

class rng {
 public:
  rng(std::uint64_t seed, std::uint64_t stream) : state_(mix64(seed) ^ mix64(~stream)) {}

  std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n), n > 0.
  int below(int n) noexcept {
    return static_cast<int>(((next() >> 32) * static_cast<std::uint64_t>(n)) >> 32);
  }
  /// Uniform integer in [lo, hi].
  int between(int lo, int hi) noexcept { return lo + below(hi - lo + 1); }
  bool chance(double p) noexcept { return uniform() < p; }
  /// Standard normal (Box-Muller, one of the pair).
  double normal() noexcept {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }
  /// Index drawn with probability proportional to weights[i].
  template <typename Weights>
  std::size_t weighted(const Weights& weights) noexcept {
    double total = 0;
    for (double w : weights) total += w;
    double x = uniform() * total;
    for (std::size_t i = 0; i < std::size(weights); ++i) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return std::size(weights) - 1;
  }
  template <typename T, std::size_t n>
  const T& pick(const std::array<T, n>& items) noexcept {
    return items[static_cast<std::size_t>(below(static_cast<int>(n)))];
  }

 private:
  std::uint64_t state_;
};

// Splits `total` in proportion to `weights` (largest remainder, ties to the lower index).
inline std::vector<std::int64_t> apportion(std::int64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::int64_t> out(weights.size(), 0);
  if (weights.empty() || total <= 0 || sum <= 0) return out;
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    out[i] = static_cast<std::int64_t>(std::floor(exact));
    given += out[i];
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < total; ++k, ++given) ++out[remainders[k % weights.size()].second];
  return out;
}

}  // namespace zhiyuan::loadtest::detail
