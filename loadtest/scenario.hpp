#pragma once

// Load-test scenarios: what zhiyuan-loadtest sends, how fast, as whom, and what counts as a pass.
// A scenario is a TOML file (see loadtest/scenarios/ for the shipped ones):
//
//   name = "smoke"                      # [a-z0-9_-], at most 64 characters
//   description = "..."                 # optional
//   seed = 1                            # optional, random choices are reproducible from it
//   drain_s = 10                        # optional: wait for answers after the last phase
//   max_duration_s = 60                 # optional hard stop; >= the phases' total duration
//   [target]   host = "127.0.0.1"  port = 8080    # loopback only: 127.0.0.1, ::1 or localhost
//   [[phases]] duration_s = 30  rate = 200                      # open model, requests/s
//   [[phases]] duration_s = 60  ramp = { from = 200, to = 2000 } # linear ramp
//   [think]    mean_ms = 3000  distribution = "exponential"     # default think time
//   [mix]      plans_browse = 30                                # weight only, or:
//              submit = { weight = 5, think_ms = 20000, think = "constant" }
//   [candidates] first = 1  skip = 0  count = 10000  assignment = "random"  passwords = "synthetic"
//   [thresholds] error_rate = 0.001  min_achieved_ratio = 0.95  p99_ms = 50
//   [thresholds.submit] p99_ms = 30                             # per action
//   [[faults]] at_s = 30  command = "..."                       # run by /bin/sh at second 30
//   [knee]     threshold = "submit.p99_ms"                      # a key under [thresholds]
//
// Every value is bounded (see scenario.cpp); unknown keys are errors, so a typo never silently
// falls back to a default. Errors name the key path, arrays indexed from 0, and the line.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zhiyuan::loadtest {

/// The requests of filing day a scenario can mix. Never reorder: reports index by it.
enum class action : std::uint8_t {
  login,
  schedule,
  plans_browse,
  plans_page,
  scores,
  favorite_put,
  draft_save,
  submit,
  receipt_view,
  logout,
  ping,  ///< GET /api/v1/ping: the generator's own ceiling, compared with wrk's
};
inline constexpr std::size_t action_count = 11;
/// The names used in scenario files and reports, indexed by action.
inline constexpr std::array<std::string_view, action_count> action_names = {
    "login",      "schedule", "plans_browse", "plans_page", "scores", "favorite_put",
    "draft_save", "submit",   "receipt_view", "logout",     "ping",
};
std::string_view to_string(action a) noexcept;
std::optional<action> parse_action(std::string_view name) noexcept;

enum class think_distribution { constant, exponential };

/// The pause of a candidate before an action, after its previous request was answered.
struct think_time {
  double mean_ms = 0;
  think_distribution distribution = think_distribution::exponential;
};

/// The server under test. Loopback only: the tool is never aimed at someone else's machine.
struct target_address {
  std::string host;
  std::uint16_t port = 0;
};

/// A stretch of the run with an open-model arrival rate: requests are due at their times whether
/// or not earlier ones were answered. The rate goes linearly from rate_from to rate_to.
struct phase {
  std::string name;  ///< optional label for reports
  double duration_s = 0;
  double rate_from = 0;  ///< requests/s at the start of the phase
  double rate_to = 0;    ///< requests/s at its end (equal to rate_from for a constant rate)

  bool is_ramp() const noexcept { return rate_from != rate_to; }
  /// Requests due over the whole phase (the integral of the rate).
  double expected_requests() const noexcept { return (rate_from + rate_to) / 2 * duration_s; }
};

struct mix_entry {
  action what = action::login;
  double weight = 0;  ///< relative: each arrival draws its action with probability weight / sum
  think_time think;
};

/// How arrivals get their candidate: any idle one at random, or each candidate exactly once in
/// order (the run then ends when the pool is used up).
enum class candidate_assignment { random, once };

/// Candidates of the synthetic province (province/province.hpp) that the run logs in as, with
/// their documented passwords (province/synthetic_passwords.hpp): candidate_ids
/// first, first + (skip + 1), first + 2 (skip + 1), ..., count of them.
struct candidate_pool {
  std::int64_t first = 1;  ///< candidate_id (1-based, exam-number order)
  std::int64_t skip = 0;   ///< candidates left out between two taken ones
  std::int64_t count = 0;
  std::int64_t province_size = 655'000;  ///< candidates in the seeded province
  candidate_assignment assignment = candidate_assignment::random;

  /// The candidate_id of the i-th candidate of the pool, 0 <= i < count.
  std::int64_t candidate_id(std::int64_t i) const noexcept { return first + i * (skip + 1); }
};

/// A latency limit: the given percentile of an action's latency (or of all requests) must stay
/// at or below max_ms.
struct latency_threshold {
  std::string key;                 ///< its name under [thresholds], e.g. "submit.p99_ms"
  std::optional<action> endpoint;  ///< nullopt: every request
  double percentile = 0;           ///< 50 ... 99.99, 100 for the maximum
  double max_ms = 0;
};

struct thresholds {
  std::vector<latency_threshold> latency;
  std::optional<double> max_error_rate;      ///< failed / sent, 0 ... 1
  std::optional<double> min_achieved_ratio;  ///< achieved / offered rate, 0 ... 1

  /// The names a [knee] may refer to: error_rate, min_achieved_ratio and each latency key.
  std::vector<std::string> names() const;
};

/// A shell command run (by /bin/sh -c) at a given second of the run: crash and restart drills.
struct fault {
  double at_s = 0;
  std::string command;
};

/// For find-knee runs: the stepped phases go up until this threshold breaks; the knee is the
/// rate of the last step that held.
struct knee_spec {
  std::string threshold;  ///< one of thresholds::names()
};

struct scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  target_address target;
  double drain_s = 10;
  double max_duration_s = 0;  ///< phases + drain when not given
  std::vector<phase> phases;
  think_time default_think;
  std::vector<mix_entry> mix;
  candidate_pool candidates;
  thresholds limits;
  std::vector<fault> faults;
  std::optional<knee_spec> knee;

  /// The sum of the phases' durations.
  double phases_duration_s() const noexcept;
};

/// A scenario file that cannot be used. what() is "<key>: <message> (line N)".
class scenario_error : public std::runtime_error {
 public:
  scenario_error(std::string key, std::string message, std::optional<int> line);
  /// The key path, e.g. "phases[2].rate"; the file name for a TOML syntax error.
  const std::string& key() const noexcept { return key_; }
  const std::string& message() const noexcept { return message_; }
  /// The line in the file, when known.
  std::optional<int> line() const noexcept { return line_; }

 private:
  std::string key_;
  std::string message_;
  std::optional<int> line_;
};

/// Parses and validates a scenario; throws scenario_error. `source_name` names the file in
/// syntax errors.
scenario parse_scenario(std::string_view toml_text, std::string_view source_name);
/// Reads and parses a scenario file; throws scenario_error (also when it cannot be read).
scenario load_scenario(const std::string& path);

/// One of N generators sharing a run (zhiyuan-loadtest --shard K/N; `index` is K, 1-based).
struct shard {
  unsigned index = 1;
  unsigned count = 1;
};
/// "K/N" with 1 <= K <= N <= 1000; throws scenario_error (key "--shard") otherwise.
shard parse_shard(std::string_view text);
/// Makes `s` shard k's part of the run: every N-th candidate of the pool from the K-th (the
/// shards' pools are disjoint and together the whole pool), every phase's rate divided by N, a
/// seed of its own, and the faults only in shard 1 (a fault acts once on the system under
/// test). Throws scenario_error when the pool has fewer candidates than shards.
void apply_shard(scenario& s, shard k);

}  // namespace zhiyuan::loadtest
