#pragma once

// The engine of zhiyuan-loadtest: runs a scenario against a server over HTTP/1.1 keep-alive
// connections (Asio + Beast), one io_context per thread, in an OPEN model: arrival k is due at
// the instant the phases' rates (constant or linear ramps) say, whether or not earlier requests
// were answered, and its latency is measured from that intended instant, so a stalled server
// shows up in the percentiles instead of silently lowering the offered load (coordinated
// omission). Arrivals are dealt round-robin to the threads; each thread records into its own
// histograms, merged when the run ends.
//
// Every action of the scenario's mix is sent (see runner.cpp, worker::handle, for the requests);
// every one but schedule acts as a signed-in candidate, signing in (and accepting the pledge
// before writes) first when its session is missing: those requests are "setup" and their time
// is part of the action's latency. A candidate serves one action at a time, and after an
// action rests for that action's think time before it is taken again.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loadtest/histogram.hpp"
#include "loadtest/scenario.hpp"

namespace zhiyuan::loadtest {

/// A candidate the run may act as: exam number, login password and, when the candidate can file
/// 本科批, a form: its groups (for scores and favourites), the body of a draft save and of a
/// formal submission (choices and save password). Actions that need a form take only candidates
/// that have one.
struct candidate_account {
  std::string exam_no;
  std::string login_password;
  std::vector<std::int64_t> groups;  ///< empty when this candidate cannot file
  std::string draft_body;
  std::string submit_body;
};

struct run_options {
  std::string host;
  std::uint16_t port = 0;
  unsigned threads = 1;
  unsigned connections_per_thread = 512;  ///< keep-alive connections per thread at most
  double request_timeout_s = 30;
  double late_after_ms = 1;  ///< a request whose first byte leaves later than this is late
};

struct action_stats {
  histogram latency;               ///< microseconds from intended send to the complete response
  std::uint64_t arrivals = 0;      ///< due arrivals of this action
  std::uint64_t sent = 0;          ///< arrivals that sent a request
  std::uint64_t errors = 0;        ///< answered with an unexpected status, or failed in transport
  std::uint64_t late = 0;          ///< sent more than late_after_ms after the intended time
  std::uint64_t no_candidate = 0;  ///< no idle, rested candidate (with a form if needed) found
  std::uint64_t unfinished = 0;    ///< still in flight when the run stopped
  std::map<unsigned, std::uint64_t> by_status;  ///< final status; 0 = transport error

  void merge(const action_stats& o);
};

/// One second of the run, by completion time.
struct second_sample {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

struct run_report {
  std::array<action_stats, action_count> actions;
  histogram overall;
  std::uint64_t setup_requests = 0;  ///< sign-ins and pledges a submission or session needed
  std::uint64_t setup_errors = 0;
  std::uint64_t pages_followed = 0;  ///< plans_page requests that carried a page_token
  double phases_s = 0;               ///< the scheduled duration
  double elapsed_s = 0;              ///< start to the last answer (or the stop)
  double offered_rate = 0;           ///< due arrivals / phases_s
  double achieved_rate = 0;          ///< answered requests / max(phases_s, elapsed_s)
  std::vector<second_sample> per_second;

  std::uint64_t arrivals() const noexcept;
  std::uint64_t sent() const noexcept;
  std::uint64_t errors() const noexcept;
  std::uint64_t late() const noexcept;
};

/// Runs `s` against opt.host:opt.port as the given candidates (candidate i of the scenario's pool
/// is accounts[i]). Blocks until the phases and the drain are over; throws std::runtime_error on
/// a bad address.
run_report run(const scenario& s, const std::vector<candidate_account>& accounts,
               const run_options& opt);

/// The time in seconds from the start of the run at which arrival k (0-based) is due, or a
/// negative number when the phases end before it.
double arrival_time(const std::vector<phase>& phases, std::uint64_t k) noexcept;

/// A threshold of the scenario checked against a report.
struct threshold_result {
  std::string key;
  double measured = 0;
  double limit = 0;
  bool at_least = false;  ///< the measured value must be >= limit (else <=)
  bool ok = true;
};
std::vector<threshold_result> check_thresholds(const scenario& s, const run_report& r);

}  // namespace zhiyuan::loadtest
