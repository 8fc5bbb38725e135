#pragma once

// The load generator's statistics: what each thread of a run records (tally), the run's report
// they merge into (run_report, with its phases and per-second series), and the scenario's
// thresholds and knee checked against it.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/receipt.hpp"
#include "loadtest/faults.hpp"
#include "loadtest/histogram.hpp"
#include "loadtest/scenario.hpp"

namespace zhiyuan::loadtest {

struct action_stats {
  action_stats() = default;
  /// With a coarser histogram (2 significant digits), for the per-phase statistics.
  explicit action_stats(int significant_digits)
      : latency(significant_digits), admitted(significant_digits) {}

  histogram latency;  ///< microseconds from intended send to the complete response
  /// The same for the requests answered as expected (2xx): under overload, what the admitted
  /// requests got while the excess was shed with 503/429.
  histogram admitted;
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

using action_table = std::array<action_stats, action_count>;

/// The sum of one counter over every action, e.g. sum(actions, &action_stats::sent).
std::uint64_t sum(const action_table& actions, std::uint64_t action_stats::*counter) noexcept;

/// One second of the run, by completion time.
struct second_sample {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::array<std::uint64_t, action_count> by_action{};  ///< answered requests per action
  std::string latency;  ///< the second's histogram (2 digits), encoded: shards merge it exactly
};

/// The requests whose intended time fell in one phase of the scenario.
struct phase_report {
  std::string name;
  double start_s = 0;
  double duration_s = 0;
  double rate_from = 0;
  double rate_to = 0;
  action_table actions{action_stats(2), action_stats(2), action_stats(2), action_stats(2),
                       action_stats(2), action_stats(2), action_stats(2), action_stats(2),
                       action_stats(2), action_stats(2), action_stats(2)};
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

struct run_report {
  action_table actions;
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
  /// With run_options::keep_latencies: each answered request's latency (microseconds, as the
  /// overall histogram recorded it), in no order, and those not kept past the limit.
  std::vector<std::uint64_t> latencies_us;
  std::uint64_t latencies_dropped = 0;

  std::uint64_t arrivals() const noexcept;
  std::uint64_t sent() const noexcept;
  std::uint64_t errors() const noexcept;
  std::uint64_t late() const noexcept;
  std::uint64_t dropped() const noexcept;
};

/// One answered arrival, as a tally records it.
struct answered {
  action what = action::ping;
  std::size_t phase = 0;
  unsigned status = 0;               ///< 0 after a transport error
  std::string_view body;             ///< kept in the samples when unexpected
  std::string_view transport_error;  ///< with status 0: what failed
  bool ok = false;                   ///< an expected answer
  bool late = false;                 ///< sent more than late_after_ms after its intended time
  std::uint64_t latency_us = 0;
  std::chrono::steady_clock::time_point done;
};

/// What one thread of a run records: per action, per phase and per second of the run; read by
/// its thread only, merged when the run ends (merge_tallies).
class tally {
 public:
  /// Phases as the scenario's.
  explicit tally(const scenario& s);
  /// The instant the run's seconds count from (set before the first answer).
  void start_at(std::chrono::steady_clock::time_point start) { start_ = start; }

  void arrival(action a, std::size_t phase);
  void dropped(action a, std::size_t phase);
  void no_candidate(action a, std::size_t phase);
  void unfinished(action a, std::size_t phase);
  /// The sign-ins, pledges and draft reads an arrival needed first, and the failed ones.
  void setup(std::size_t phase, std::uint64_t requests, std::uint64_t errors);
  void setup_latency(std::uint64_t us) { setup_latency_.record(us); }
  /// Keeps each answered request's latency too, at most `limit` of them (run_report::latencies_us).
  void keep_latencies(std::size_t limit) { latency_limit_ = limit; }
  void answer(const answered& a);

  std::uint64_t pages_followed = 0;
  std::uint64_t unreadable_receipts = 0;
  std::uint64_t foreign_receipts = 0;
  std::vector<core::held_receipt> acks;

  const std::vector<phase_report>& phases() const noexcept { return phases_; }
  std::chrono::steady_clock::time_point last_answer() const noexcept { return last_answer_; }

 private:
  friend void merge_tallies(std::span<const tally* const> threads, run_report& r);

  struct second_bucket {
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    std::array<std::uint64_t, action_count> by_action{};
    std::unique_ptr<histogram> latency;
  };

  std::chrono::steady_clock::time_point start_{};
  action_table stats_;
  std::vector<phase_report> phases_;
  std::vector<second_bucket> seconds_;
  std::uint64_t setup_requests_ = 0;
  std::uint64_t setup_errors_ = 0;
  histogram setup_latency_;
  std::chrono::steady_clock::time_point last_answer_{};
  std::size_t latency_limit_ = 0;
  std::vector<std::uint64_t> latencies_;
  std::uint64_t latencies_dropped_ = 0;
};

/// Merges the threads' tallies into `r`: actions, phases, setup, receipts and the per-second
/// series; the overall histogram too.
void merge_tallies(std::span<const tally* const> threads, run_report& r);

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
