#pragma once

// The scenario's faults ([[faults]] at_s / command, or --fault): each command run by /bin/sh -c
// at its second of the run, on a thread of its own, one after the other.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loadtest/scenario.hpp"

namespace zhiyuan::loadtest {

/// A fault the run carried out: its command, when it started (seconds from the run's start),
/// how long it took and its exit status (128 + signal when killed; -1 when it could not start).
struct fault_report {
  double at_s = 0;
  double started_s = 0;
  double seconds = 0;
  int exit_status = 0;
  std::string command;
};

/// Runs the faults at their seconds from `start` until finish(); those whose second has not
/// come by then are not run.
class fault_runner {
 public:
  fault_runner(std::vector<fault> faults, std::chrono::steady_clock::time_point start);
  fault_runner(const fault_runner&) = delete;
  fault_runner& operator=(const fault_runner&) = delete;
  ~fault_runner() { finish(); }

  /// Stops waiting for the next fault (one already running finishes) and returns what ran.
  std::vector<fault_report> finish();

 private:
  void run();

  std::vector<fault> faults_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::vector<fault_report> reports_;
  std::thread thread_;
};

}  // namespace zhiyuan::loadtest
