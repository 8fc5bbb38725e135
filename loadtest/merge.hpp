#pragma once

// zhiyuan-loadtest merge: one run's report from the --json reports of its shards (--shard K/N,
// on one machine or several). Each shard's report (and a merged one) carries a "shard_data" member
// with what a merge needs exactly: every histogram encoded (histogram::encode), the counters, the
// per-second series with their histograms, the acknowledged submissions. The merge adds the
// histograms and counters (so its percentiles are those of one run over all the requests, never
// an average of percentiles), aligns the per-second series on the shards' start times (to the
// second), and concatenates the acknowledgements; the caller reconciles once and checks the
// thresholds. Phases are not merged: the merged report has none (and so no knee).

#include <string>
#include <utility>
#include <vector>

#include "loadtest/tally.hpp"

namespace zhiyuan::loadtest {

/// The "shard_data" member of a --json report (a JSON object).
std::string shard_json(const run_report& r);

/// One report from the shards' --json reports, given as (file name, JSON text). Throws
/// std::runtime_error naming the file when one is no report, lacks shard data, or is corrupt.
run_report merge_reports(const std::vector<std::pair<std::string, std::string>>& reports);

}  // namespace zhiyuan::loadtest
