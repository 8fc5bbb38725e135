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
// every one but schedule and ping acts as a signed-in candidate, signing in (and accepting the
// pledge before writes) first when its session is missing: those requests are "setup", timed
// from the arrival's intended instant to their answer (run_report::setup_latency), and the
// action's own request from that answer (or its intended instant, if later), so each
// endpoint's percentiles are its own requests'. A candidate serves one action at a time, and after
// an action rests for that action's think time before it is taken again.
//
// Besides the whole run, every request is also counted in the phase its intended time falls in
// (for the knee of a stepped run), every formal submission the server acknowledged is kept for
// reconciliation (storage/reconcile.hpp), and the scenario's faults run at their seconds on a
// thread of their own. A thread that has max_in_flight requests outstanding drops further
// arrivals (counted, never sent) rather than piling up memory without bound.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/receipt.hpp"
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
  std::uint64_t max_in_flight = 50'000;  ///< per thread; further arrivals are dropped
  unsigned retries = 2;  ///< resends after a 503 or 429, honouring Retry-After (see runner.cpp)
  /// The dispatcher sleeps at least this long between wake-ups: arrivals closer together go out
  /// together, each at most this late (latency is still measured from its intended time).
  unsigned dispatch_tick_us = 100;
};

struct action_stats {
  action_stats() = default;
  /// With a coarser histogram (2 significant digits), for the per-phase statistics.
  explicit action_stats(int significant_digits) : latency(significant_digits) {}

  histogram latency;               ///< microseconds from intended send to the complete response
  std::uint64_t arrivals = 0;      ///< due arrivals of this action
  std::uint64_t sent = 0;          ///< arrivals that sent a request
  std::uint64_t errors = 0;        ///< answered with an unexpected status, or failed in transport
  std::uint64_t late = 0;          ///< sent more than late_after_ms after the intended time
  std::uint64_t no_candidate = 0;  ///< no idle, rested candidate (with a form if needed) found
  std::uint64_t dropped = 0;       ///< not sent: the thread had max_in_flight outstanding
  std::uint64_t unfinished = 0;    ///< still in flight when the run stopped
  std::map<unsigned, std::uint64_t> by_status;            ///< final status; 0 = transport error
  std::map<std::string, std::uint64_t> transport_errors;  ///< status 0, by what failed
  std::vector<std::string> samples;  ///< the first few unexpected answers: status and body

  void merge(const action_stats& o);
};

/// One second of the run, by completion time.
struct second_sample {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::array<std::uint64_t, action_count> by_action{};  ///< answered requests per action
};

/// The requests whose intended time fell in one phase of the scenario.
struct phase_report {
  std::string name;
  double start_s = 0;
  double duration_s = 0;
  double rate_from = 0;
  double rate_to = 0;
  std::array<action_stats, action_count> actions{action_stats(2), action_stats(2), action_stats(2),
                                                 action_stats(2), action_stats(2), action_stats(2),
                                                 action_stats(2), action_stats(2), action_stats(2),
                                                 action_stats(2), action_stats(2)};
  histogram overall{2};
  std::uint64_t setup_requests = 0;
  std::uint64_t setup_errors = 0;

  std::uint64_t arrivals() const noexcept;
  std::uint64_t sent() const noexcept;
  std::uint64_t errors() const noexcept;
  /// Due arrivals per second of the phase, and answered ones.
  double offered_rate() const noexcept;
  double achieved_rate() const noexcept;
};

/// A fault the run carried out: its command, when it started (seconds from the run's start),
/// how long it took and its exit status (128 + signal when killed; -1 when it could not start).
struct fault_report {
  double at_s = 0;
  double started_s = 0;
  double seconds = 0;
  int exit_status = 0;
  std::string command;
};

struct run_report {
  std::array<action_stats, action_count> actions;
  histogram overall;
  std::uint64_t setup_requests = 0;  ///< sign-ins and pledges a submission or session needed
  std::uint64_t setup_errors = 0;
  /// Microseconds from an arrival's intended send time until the sign-in and pledge it needed
  /// first were answered. The action's own latency then runs from that answer (or from its
  /// intended time if later): each endpoint is timed by its own request.
  histogram setup_latency;
  std::uint64_t pages_followed = 0;       ///< plans_page requests that carried a page_token
  std::uint64_t unreadable_receipts = 0;  ///< 2xx submissions without a complete receipt
  std::uint64_t foreign_receipts = 0;     ///< of those: a receipt of another candidate or batch
  std::uint64_t retries = 0;              ///< resends after 503 / 429
  std::uint64_t stale_retries = 0;  ///< resends on a new connection: the server closed the old
  double cpu_s = 0;             ///< the generator's own CPU time during the run (all its threads)
  std::uint64_t abandoned = 0;  ///< requests given up 5 s after the stop (server unresponsive)
  std::chrono::system_clock::time_point started_at;  ///< wall clock at the start of the run
  double phases_s = 0;                               ///< the scheduled duration
  double elapsed_s = 0;                              ///< start to the last answer (or the stop)
  double offered_rate = 0;                           ///< due arrivals / phases_s
  double achieved_rate = 0;  ///< answered requests / max(phases_s, elapsed_s)
  std::vector<second_sample> per_second;
  std::vector<phase_report> phases;
  std::vector<fault_report> faults;
  /// Every formal submission the server acknowledged (201, or 200 for a replay), in no order.
  std::vector<core::held_receipt> acks;

  std::uint64_t arrivals() const noexcept;
  std::uint64_t sent() const noexcept;
  std::uint64_t errors() const noexcept;
  std::uint64_t late() const noexcept;
  std::uint64_t dropped() const noexcept;
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
/// The same thresholds over the requests of one phase (its offered and achieved rates).
std::vector<threshold_result> check_thresholds(const scenario& s, const phase_report& p);

/// The knee of a stepped run: the rate of the last phase, counting from the first, in which the
/// scenario's [knee] threshold held. `first_broken` is the phase where it broke (none: the knee
/// is at least the last step's rate); `last_held` is empty when it broke in the first phase.
struct knee_result {
  std::string threshold;
  std::optional<std::size_t> last_held;
  std::optional<std::size_t> first_broken;
  double knee_rps = 0;        ///< rate_to of last_held, 0 without one
  threshold_result at_break;  ///< the threshold's value in first_broken
};
/// nullopt when the scenario has no [knee].
std::optional<knee_result> find_knee(const scenario& s, const run_report& r);

}  // namespace zhiyuan::loadtest
