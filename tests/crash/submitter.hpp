#pragma once

// zhiyuan-submitter's submit mode (tests/crash/submitter_main.cpp has the command line): signs
// each target candidate in with its synthetic login password (province/synthetic_passwords.hpp;
// tokens may be cached in --tokens), then submits full forms (tests/crash/forms.hpp) over N
// keep-alive connections on one io_context. Job j is candidate j mod n in round
// first_round + j / n, under the Idempotency-Key "<exam_no>-r<round>"; the body is a pure
// function of (candidate, round), so every retry of a key carries the same body. 503, 429, 409
// idempotency_key_in_flight, timeouts and connection errors are retried with the same key and
// body (Retry-After honoured, capped), bounded in attempts and time.
//
// A 201 receipt is held only when it answers the submission sent (tests/crash/receipt_check.hpp:
// the candidate, the batch and the SHA-256 of the canonical choices), and counts as acked only
// once its line is fdatasync'ed in the acks file: a line there is a receipt the client holds. A
// receipt that answers anything else is not held and fails the run (exit_receipt_mismatch), so a
// server that stored another form fails the crash drills.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/candidate.hpp"
#include "tests/crash/forms.hpp"

namespace zhiyuan::crash {

struct submit_options {
  std::string database_url;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string acks;
  std::string tokens;
  std::string schedule_file;
  std::string batch = "undergrad";
  unsigned connections = 64;
  std::size_t candidates = 0;  // 0: all who can file
  std::size_t skip = 0;
  std::size_t min_pool = 8;
  std::uint64_t rounds = 0;  // 0: unlimited
  std::uint64_t first_round = 1;
  double duration = 10;
  std::uint64_t max_requests = 0;  // 0: unlimited
  double rate = 0;                 // 0: as fast as allowed
  unsigned max_attempts = 200;
  unsigned retry_cap_ms = 1000;
  unsigned request_timeout_ms = 15'000;
  double give_up_after = 90;
  double stop_grace = 30;
  bool progress = false;
  /// Created (empty) when the submit phase starts, after every load and sign-in: a benchmark
  /// measures CPU from there on.
  std::string ready_file;
  /// Prints every attempt answered slower than this (ms; 0: none) on stderr, with when it was
  /// sent (seconds into the submit phase): are slow answers spread out or one stall?
  unsigned slow_ms = 0;
  bool reconcile = false;
  /// Expect a digest no form has, so that no receipt matches: proves the check fails the run.
  bool test_wrong_digest = false;
};

/// A candidate the submitter acts as.
struct target {
  core::candidate who;
  std::string exam_no;
  std::string token;
  bool busy = false;
};

/// Exit statuses of submit mode besides 0 (and 2, a start-up or I/O error).
inline constexpr int exit_no_sign_in = 1;        ///< no candidate could sign in
inline constexpr int exit_receipt_mismatch = 3;  ///< a receipt answered another submission

/// Runs submit mode against opt.host:opt.port and prints its report (the "submit:" and "result"
/// lines on stdout); returns the exit status.
int run_submitter(const submit_options& opt, std::vector<target> targets,
                  const form_generator& forms);

}  // namespace zhiyuan::crash
