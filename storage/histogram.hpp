#pragma once

// A Prometheus histogram with fixed bounds and relaxed atomic buckets, shared by the write
// path's metrics and the worker pools'.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zhiyuan::storage {

class histogram {
 public:
  /// `scale`: observations are integers in 1/scale of the unit rendered (e.g. µs for seconds).
  histogram(std::vector<double> bounds, double scale);
  void observe(std::uint64_t v) noexcept;
  /// Appends the series; `labels` (e.g. `pool="auth"`, already escaped) go on every line.
  void render(std::string& out, std::string_view name, std::string_view help,
              std::string_view labels = {}) const;
  /// Only the series lines, without HELP and TYPE (for a second label set of one metric).
  void render_series(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> sum_{0};
  double scale_;
};

}  // namespace zhiyuan::storage
