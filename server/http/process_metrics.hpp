#pragma once

// The Prometheus client libraries' standard process metrics, read from /proc/self at scrape
// time: process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds.

#include <string>

namespace zhiyuan::server {

/// Appends the process_* metrics to `out`; a figure that cannot be read is left out.
void render_process_metrics(std::string& out);

}  // namespace zhiyuan::server
