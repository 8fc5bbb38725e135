#include "server/http/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace zhiyuan::server {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// /proc/self/stat's fields after the command name (which may hold spaces and parentheses,
// hence the last ')'), numbered as proc(5) numbers them: fields[0] is field 3 (state).
std::vector<std::string> stat_fields() {
  const std::string stat = read_file("/proc/self/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(stat.substr(close + 1));
  return {std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
}

// The boot time (btime of /proc/stat), seconds since the epoch; 0 when unreadable.
long long boot_time() {
  std::istringstream in(read_file("/proc/stat"));
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("btime ")) return std::stoll(line.substr(6));
  }
  return 0;
}

void gauge(std::string& out, std::string_view name, std::string_view type, std::string_view help,
           double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

}  // namespace

void render_process_metrics(std::string& out) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto fields = stat_fields();
  // utime (14), stime (15) and starttime (22) in clock ticks; proc(5) numbering minus 3.
  if (fields.size() > 19 && ticks > 0) {
    gauge(out, "process_cpu_seconds_total", "counter", "User and system CPU time, in seconds.",
          static_cast<double>(std::stoull(fields[11]) + std::stoull(fields[12])) / ticks);
    if (const auto boot = boot_time(); boot > 0) {
      gauge(out, "process_start_time_seconds", "gauge",
            "Start time of the process since the epoch, in seconds.",
            static_cast<double>(boot) + static_cast<double>(std::stoull(fields[19])) / ticks);
    }
  }
  std::istringstream statm(read_file("/proc/self/statm"));
  if (unsigned long long size = 0, resident = 0; statm >> size >> resident) {
    gauge(out, "process_resident_memory_bytes", "gauge", "Resident set size, in bytes.",
          static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  // The directory's own descriptor, open while it is listed, is not one of the process's.
  if (!ec && fds > 0) {
    gauge(out, "process_open_fds", "gauge", "Open file descriptors.", static_cast<double>(fds - 1));
  }
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    gauge(out, "process_max_fds", "gauge", "The soft limit on open file descriptors.",
          static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace zhiyuan::server
