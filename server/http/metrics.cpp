#include "server/http/metrics.hpp"

#include <fmt/format.h>

#include "server/http/process_metrics.hpp"
#include "server/http/version.hpp"

namespace zhiyuan::server {
namespace {

// Prometheus label values escape backslash, quote and newline.
std::string label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

metrics::metrics(std::vector<std::string> route_names)
    : names_(std::move(route_names)), series_(new series[names_.size() + 1]) {
  names_.push_back("unmatched");
}

void metrics::observe(std::size_t route, unsigned status, double seconds) noexcept {
  series& s = series_[route == unmatched ? names_.size() - 1 : route];
  std::size_t si = statuses_.size();
  for (std::size_t i = 0; i < statuses_.size(); ++i) {
    if (statuses_[i] == status) {
      si = i;
      break;
    }
  }
  s.by_status[si].fetch_add(1, std::memory_order_relaxed);
  std::size_t b = 0;
  while (b < bounds_.size() && seconds > bounds_[b]) ++b;
  s.buckets[b].fetch_add(1, std::memory_order_relaxed);
  s.sum_ns.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
}

std::string metrics::render() const {
  std::string out;
  out.reserve(16 * 1024);
  auto append = [&out](fmt::string_view f, auto&&... args) {
    fmt::vformat_to(std::back_inserter(out), f, fmt::make_format_args(args...));
  };

  append(
      "# HELP zhiyuan_build_info Build information; the value is always 1.\n"
      "# TYPE zhiyuan_build_info gauge\n"
      "zhiyuan_build_info{{version=\"{}\",io=\"{}\",build_type=\"{}\"}} 1\n",
      label(version), label(transport), label(build_type));

  append(
      "# HELP zhiyuan_http_requests_total HTTP requests answered, by route and status.\n"
      "# TYPE zhiyuan_http_requests_total counter\n");
  for (std::size_t r = 0; r < names_.size(); ++r) {
    const series& s = series_[r];
    for (std::size_t i = 0; i <= statuses_.size(); ++i) {
      auto n = s.by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      append("zhiyuan_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", label(names_[r]),
             i < statuses_.size() ? std::to_string(statuses_[i]) : std::string("other"), n);
    }
  }

  append(
      "# HELP zhiyuan_http_request_duration_seconds Time from a request parsed to its "
      "response ready to send, by route.\n"
      "# TYPE zhiyuan_http_request_duration_seconds histogram\n");
  for (std::size_t r = 0; r < names_.size(); ++r) {
    const series& s = series_[r];
    const auto count = s.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string name = label(names_[r]);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < bounds_.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      append("zhiyuan_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", name,
             bounds_[b], cumulative);
    }
    cumulative += s.buckets[bounds_.size()].load(std::memory_order_relaxed);
    append("zhiyuan_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", name,
           cumulative);
    append("zhiyuan_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", name,
           static_cast<double>(s.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    append("zhiyuan_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", name, cumulative);
  }

  append(
      "# HELP zhiyuan_http_requests_in_flight Requests being handled now.\n"
      "# TYPE zhiyuan_http_requests_in_flight gauge\n"
      "zhiyuan_http_requests_in_flight {}\n"
      "# HELP zhiyuan_http_open_connections Open client connections.\n"
      "# TYPE zhiyuan_http_open_connections gauge\n"
      "zhiyuan_http_open_connections {}\n"
      "# HELP zhiyuan_http_rejected_connections_total Connections refused at the cap.\n"
      "# TYPE zhiyuan_http_rejected_connections_total counter\n"
      "zhiyuan_http_rejected_connections_total {}\n"
      "# HELP zhiyuan_http_shed_browsing_total Browsing requests shed to keep capacity for "
      "submissions.\n"
      "# TYPE zhiyuan_http_shed_browsing_total counter\n"
      "zhiyuan_http_shed_browsing_total {}\n",
      in_flight.load(std::memory_order_relaxed), open_connections.load(std::memory_order_relaxed),
      rejected_connections.load(std::memory_order_relaxed),
      shed_browsing.load(std::memory_order_relaxed));

  for (const auto& [fn, state] : exporters_) out += fn(state);
  render_process_metrics(out);
  return out;
}

}  // namespace zhiyuan::server
