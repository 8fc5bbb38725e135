#pragma once

// The engine of zhiyuan-loadtest: runs a scenario against a server over HTTP/1.1 keep-alive
// connections (Asio + Beast), one io_context per thread, in an OPEN model: arrival k is due at
// the instant the phases' rates (constant or linear ramps) say, whether or not earlier requests
// were answered, and its latency is measured from that intended instant, so a stalled server
// shows up in the percentiles instead of silently lowering the offered load (coordinated
// omission). Arrivals are dealt round-robin to the threads; each thread records into its own
// tally (loadtest/tally.hpp), merged when the run ends.
//
// Every action of the scenario's mix is sent (loadtest/actions.hpp has the table of requests);
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

#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/actions.hpp"
#include "loadtest/scenario.hpp"
#include "loadtest/tally.hpp"

namespace zhiyuan::loadtest {

struct run_options {
  std::string host;
  std::uint16_t port = 0;
  unsigned threads = 1;
  unsigned connections_per_thread = 512;  ///< keep-alive connections per thread at most
  double request_timeout_s = 30;
  double late_after_ms = 1;  ///< a request whose first byte leaves later than this is late
  std::uint64_t max_in_flight = 50'000;  ///< per thread; further arrivals are dropped
  unsigned retries =
      2;  ///< resends after a 503 or 429, honouring Retry-After (loadtest/client.hpp)
  /// The dispatcher sleeps at least this long between wake-ups: arrivals closer together go out
  /// together, each at most this late (latency is still measured from its intended time).
  unsigned dispatch_tick_us = 100;
  /// Per thread: keep this many answered requests' latencies (run_report::latencies_us); 0: none.
  std::size_t keep_latencies = 0;
};

/// Runs `s` against opt.host:opt.port as the given candidates (candidate i of the scenario's pool
/// is accounts[i]). Blocks until the phases and the drain are over; throws std::runtime_error on
/// a bad address.
run_report run(const scenario& s, const std::vector<candidate_account>& accounts,
               const run_options& opt);

/// The time in seconds from the start of the run at which arrival k (0-based) is due, or a
/// negative number when the phases end before it.
double arrival_time(const std::vector<phase>& phases, std::uint64_t k) noexcept;

}  // namespace zhiyuan::loadtest
