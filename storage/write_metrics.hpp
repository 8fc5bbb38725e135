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

#include "storage/histogram.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::storage {

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
  /// Lost COMMITs by what the rerun found: [0] committed (replayed), [1] not_committed.
  std::array<std::atomic<std::uint64_t>, 2> in_doubt{};
  histogram batch_size{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048}, 1.0};
  histogram queue_wait_seconds{
      {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5}, 1e6};
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
  /// writer i), the cap each queue is held to and the ops in flight.
  std::string render(std::span<const std::int64_t> queue_depths, std::size_t in_flight,
                     std::size_t queue_capacity) const;
};

}  // namespace zhiyuan::storage
