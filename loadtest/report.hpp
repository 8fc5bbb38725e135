#pragma once

// What zhiyuan-loadtest tells about a run: the summary on stdout, the full JSON, and one
// self-contained HTML file (inline SVG charts, no scripts or external resources, so it opens
// offline): requests per second by action and p50/p99 over time with the faults marked, the
// latency spectrum per action, the phases (with the knee), thresholds and reconciliation.

#include <optional>
#include <string>
#include <vector>

#include "loadtest/runner.hpp"
#include "loadtest/scenario.hpp"
#include "storage/reconcile.hpp"

namespace zhiyuan::loadtest {

struct run_summary {
  const scenario& s;
  const run_report& r;
  std::vector<threshold_result> checks;
  std::optional<knee_result> knee;
  std::optional<storage::reconciliation> reconciled;  ///< nullopt when not reconciled
  /// Adds "shard_data" to the JSON (loadtest/merge.hpp): for runs with --shard and merges only,
  /// as it holds every acknowledgement.
  bool with_shard_data = false;
};

/// The tables printed at the end of a run.
std::string summary_text(const run_summary& in);
/// The whole report as one JSON object.
std::string report_json(const run_summary& in);
/// The whole report as one HTML page.
std::string report_html(const run_summary& in);

/// Writes `content` to `path` (replacing it); throws std::runtime_error when it cannot.
void write_file(const std::string& path, const std::string& content);

}  // namespace zhiyuan::loadtest
