#include "storage/histogram.hpp"

#include <fmt/format.h>

namespace zhiyuan::storage {

histogram::histogram(std::vector<double> bounds, double scale)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)),
      scale_(scale) {}

void histogram::observe(std::uint64_t v) noexcept {
  const double x = static_cast<double>(v) / scale_;
  std::size_t i = 0;
  while (i < bounds_.size() && x > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

void histogram::render(std::string& out, std::string_view name, std::string_view help,
                       std::string_view labels) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  render_series(out, name, labels);
}

void histogram::render_series(std::string& out, std::string_view name,
                              std::string_view labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out +=
        fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds_[i], cumulative);
  }
  cumulative += counts_[bounds_.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  out += fmt::format("{}_sum{} {}\n", name, braces,
                     static_cast<double>(sum_.load(std::memory_order_relaxed)) / scale_);
  out += fmt::format("{}_count{} {}\n", name, braces, cumulative);
}

}  // namespace zhiyuan::storage
