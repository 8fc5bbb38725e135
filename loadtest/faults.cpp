#include "loadtest/faults.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace zhiyuan::loadtest {

using steady = std::chrono::steady_clock;

fault_runner::fault_runner(std::vector<fault> faults, steady::time_point start)
    : faults_(std::move(faults)), start_(start) {
  std::stable_sort(faults_.begin(), faults_.end(),
                   [](const fault& a, const fault& b) { return a.at_s < b.at_s; });
  if (!faults_.empty()) thread_ = std::thread([this] { run(); });
}

std::vector<fault_report> fault_runner::finish() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  return std::move(reports_);
}

void fault_runner::run() {
  for (const auto& f : faults_) {
    {
      std::unique_lock lock(mutex_);
      const auto due = start_ + std::chrono::duration_cast<steady::duration>(
                                    std::chrono::duration<double>(f.at_s));
      if (wake_.wait_until(lock, due, [this] { return done_; })) return;
    }
    fault_report r;
    r.at_s = f.at_s;
    r.command = f.command;
    const auto began = steady::now();
    r.started_s = std::chrono::duration<double>(began - start_).count();
    std::fprintf(stderr, "zhiyuan-loadtest: fault at %.1fs: %s\n", r.started_s, f.command.c_str());
    const int status = std::system(f.command.c_str());
    if (status == -1) {
      r.exit_status = -1;
    } else if (WIFEXITED(status)) {
      r.exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      r.exit_status = 128 + WTERMSIG(status);
    }
    r.seconds = std::chrono::duration<double>(steady::now() - began).count();
    reports_.push_back(std::move(r));
  }
}

}  // namespace zhiyuan::loadtest
