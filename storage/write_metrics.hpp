#pragma once

// The write path's metrics (zhiyuan_writer_*): counters and histograms updated by the writers
// and admission without locks, rendered as Prometheus text (storage/write_metrics.cpp).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/write_path.hpp"

namespace zhiyuan::storage {

/// A Prometheus histogram with fixed bounds and relaxed atomic buckets.
class histogram {
 public:
  /// `scale`: observations are integers in 1/scale of the unit rendered (e.g. µs for seconds).
  histogram(std::vector<double> bounds, double scale);
  void observe(std::uint64_t v) noexcept;
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> sum_{0};
  double scale_;
};

/// Why admission refused an op (the `reason` label of zhiyuan_writer_shed_total).
enum class shed_reason : std::uint8_t { overloaded, key_in_flight, stopping };

struct write_metrics {
  static constexpr std::size_t kind_count = std::variant_size_v<write_args>;
  static constexpr std::size_t status_count = static_cast<std::size_t>(op_status::failed) + 1;

  std::array<std::atomic<std::uint64_t>, kind_count * status_count> ops{};
  std::array<std::atomic<std::uint64_t>, 3> shed{};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> isolated{0};
  histogram batch_size{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048}, 1.0};
  histogram commit_seconds{{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5},
                           1e6};

  void completed(op_kind kind, op_status status) noexcept {
    ops[static_cast<std::size_t>(kind) * status_count + static_cast<std::size_t>(status)].fetch_add(
        1, std::memory_order_relaxed);
  }
  void refused(shed_reason r) noexcept {
    shed[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }

  /// Prometheus text: these metrics plus the queue depth per writer (`queue_depths[i]` of
  /// writer i) and the ops in flight.
  std::string render(std::span<const std::int64_t> queue_depths, std::size_t in_flight) const;
};

}  // namespace zhiyuan::storage
