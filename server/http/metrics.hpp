#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace zhiyuan::server {

/// Prometheus-style request metrics, updated lock-free from every I/O thread and rendered
/// in text format 0.0.4. Routes are fixed at start-up, so every series is preallocated.
class metrics {
 public:
  /// `route_names` index-aligned with the router; one extra series counts unmatched paths.
  explicit metrics(std::vector<std::string> route_names);

  static constexpr std::size_t unmatched = static_cast<std::size_t>(-1);

  void observe(std::size_t route, unsigned status, double seconds) noexcept;

  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> rejected_connections{0};
  std::atomic<std::uint64_t> shed_browsing{0};
  /// The transport serving ("uring" or "epoll"), shown in zhiyuan_build_info; set by the
  /// server before its threads start.
  const char* transport = "none";

  /// Extra text appended by other modules (the write path's own metrics), called per scrape.
  using exporter = std::string (*)(const void* state);
  void add_exporter(exporter fn, const void* state) { exporters_.push_back({fn, state}); }

  std::string render() const;

 private:
  static constexpr std::array<double, 14> bounds_ = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
  static constexpr std::array<unsigned, 24> statuses_ = {200, 201, 202, 204, 301, 304, 400, 401,
                                                         403, 404, 405, 408, 409, 412, 413, 415,
                                                         422, 428, 429, 431, 500, 502, 503, 504};

  struct series {
    std::array<std::atomic<std::uint64_t>, statuses_.size() + 1> by_status{};  // last: other
    std::array<std::atomic<std::uint64_t>, bounds_.size() + 1> buckets{};      // last: +Inf
    std::atomic<std::uint64_t> sum_ns{0};
    std::atomic<std::uint64_t> count{0};
  };

  std::vector<std::string> names_;
  std::unique_ptr<series[]> series_;
  std::vector<std::pair<exporter, const void*>> exporters_;
};

}  // namespace zhiyuan::server
