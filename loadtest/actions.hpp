#pragma once

// The load generator's actions as a table: for each action of a scenario's mix, the request it
// sends (verb, target, body, key), what it needs first (a session, the filing pledge, the
// draft's version), who may act (anyone, a candidate, a candidate with a form), which statuses
// count as success and how the answer is read. The runner (runner.cpp) takes a candidate,
// runs the setup, sends the action's request and records it.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>
#include <boost/beast/http/verb.hpp>

#include "loadtest/client.hpp"
#include "loadtest/scenario.hpp"
#include "loadtest/tally.hpp"

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

/// A candidate as one thread sees it: its session and whether it is in use.
struct candidate_state {
  const candidate_account* account = nullptr;
  std::string token;
  bool pledged = false;
  bool busy = false;
  std::uint64_t submissions = 0;
  std::int64_t draft_version = -1;  ///< -1: not known, read it before saving
  std::chrono::steady_clock::time_point last_answer{};
  double think_quantile = 1;  ///< drawn after each answer: where this pause falls
};

/// What one thread's actions share: its random stream, the plans page tokens seen, a JSON
/// parser, the run's id (in Idempotency-Keys) and its tally (receipts, pages followed).
struct script {
  script(std::mt19937_64& random, tally& tallied, std::string run)
      : rng(random), counts(tallied), run_id(std::move(run)) {}

  std::mt19937_64& rng;
  tally& counts;
  std::string run_id;
  std::deque<std::string> page_tokens;
  simdjson::ondemand::parser parser;
};

/// What an action needs before its own request.
enum class setup : std::uint8_t {
  none,     ///< nothing
  session,  ///< a signed-in candidate
  pledge,   ///< a signed-in candidate who accepted the filing pledge (writes need it)
  draft,    ///< as pledge, and the draft's version known (sent as If-Match)
};

/// Who may act.
enum class actor : std::uint8_t {
  anyone,     ///< no candidate (the schedule, ping)
  candidate,  ///< any candidate of the run
  filer,      ///< a candidate with a form (can file 本科批)
};

/// One row of the table. `body` and `key` may be null (no body, no Idempotency-Key);
/// `on_reply` reads the answer into the candidate and the script, false when a success answer
/// is unreadable (it then counts as an error).
struct action_spec {
  action what;
  boost::beast::http::verb verb;
  std::string (*target)(script& s, candidate_state* c);
  std::string (*body)(script& s, candidate_state* c);
  std::string (*key)(script& s, candidate_state& c);
  setup needs;
  actor who;
  std::array<unsigned, 3> ok;  ///< the statuses that count as success (0: none)
  bool (*on_reply)(script& s, candidate_state* c, std::string_view key, const reply& r);
};

/// The table's row of `a`.
const action_spec& spec_of(action a) noexcept;

/// Whether `status` counts as success for the action.
bool expected_status(const action_spec& spec, unsigned status) noexcept;

/// The action's request for candidate `c` (null when the action needs none).
request make_request(const action_spec& spec, script& s, candidate_state* c,
                     const std::string& key);

/// The setup requests: sign-in, pledge and draft read.
request sign_in_request(const candidate_state& c);
request pledge_request(const candidate_state& c);
request draft_request(const candidate_state& c);
/// Reads a 200 sign-in answer into `c` (its token; no pledge yet); false when it holds none.
bool take_session(script& s, candidate_state& c, const reply& r);
/// The draft's version in a 200 answer, nullopt when absent.
std::optional<std::int64_t> draft_version(script& s, const reply& r);

}  // namespace zhiyuan::loadtest
