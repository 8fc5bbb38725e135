#include "loadtest/actions.hpp"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

namespace zhiyuan::loadtest {
namespace {

using verb = boost::beast::http::verb;

// The string member `key` of a JSON object, "" when absent, null or unparsable.
std::string json_string(simdjson::ondemand::parser& parser, const std::string& body,
                        std::string_view key) {
  simdjson::padded_string json(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) return {};
  std::string_view out;
  if (doc[key].get_string().get(out)) return {};
  return std::string(out);
}

// The integer member `key` of a JSON object, nullopt when absent or not an integer.
std::optional<std::int64_t> json_int(simdjson::ondemand::parser& parser, const std::string& body,
                                     std::string_view key) {
  simdjson::padded_string json(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) return std::nullopt;
  std::int64_t out = 0;
  if (doc[key].get_int64().get(out)) return std::nullopt;
  return out;
}

std::int64_t any_group(script& s, const candidate_state& c) {
  const auto& groups = c.account->groups;
  std::uniform_int_distribution<std::size_t> pick(0, groups.size() - 1);
  return groups[pick(s.rng)];
}

void remember_page_token(script& s, const std::string& body) {
  std::string next = json_string(s.parser, body, "next_page_token");
  if (next.empty()) return;
  // A few recent tokens are enough to browse onwards from.
  if (s.page_tokens.size() >= 64) s.page_tokens.pop_front();
  s.page_tokens.push_back(std::move(next));
}

// Keeps the receipt of an acknowledged formal submission for reconciliation; false when the
// body lacks the version or the receipt hash, or is another candidate's or batch's.
bool keep_receipt(script& s, const candidate_state& c, std::string_view key,
                  const std::string& body) {
  simdjson::padded_string json(body);
  simdjson::ondemand::document doc;
  std::int64_t version = 0;
  std::string_view exam_no, batch, hash;
  if (s.parser.iterate(json).get(doc) || doc["exam_no"].get_string().get(exam_no) ||
      doc["batch"].get_string().get(batch) || doc["version"].get_int64().get(version) ||
      doc["receipt_hash"].get_string().get(hash)) {
    return false;
  }
  if (exam_no != c.account->exam_no || batch != "undergrad") {
    // A receipt for someone else's request: never acceptable, reported on its own.
    ++s.counts.foreign_receipts;
    return false;
  }
  s.counts.acks.push_back(
      {c.account->exam_no, core::batch::undergrad, version, std::string(hash), std::string(key)});
  return true;
}

// --- the table's parts -------------------------------------------------------------------

std::string fixed(std::string_view target) { return std::string(target); }

std::string login_body(const candidate_state& c) {
  return fmt::format(R"({{"exam_no":"{}","password":"{}"}})", c.account->exam_no,
                     c.account->login_password);
}

std::string plans_page_target(script& s, candidate_state*) {
  std::string target = "/api/v1/plans?batch=undergrad";
  if (!s.page_tokens.empty()) {
    std::uniform_int_distribution<std::size_t> pick(0, s.page_tokens.size() - 1);
    target += "&page_token=";
    target += s.page_tokens[pick(s.rng)];
    ++s.counts.pages_followed;
  }
  return target;
}

std::string favorite_body(script& s, candidate_state*) {
  // One of the default categories 冲, 稳, 保.
  static constexpr std::array<std::string_view, 3> categories = {
      R"({"category":"冲"})", R"({"category":"稳"})", R"({"category":"保"})"};
  std::uniform_int_distribution<std::size_t> pick(0, categories.size() - 1);
  return std::string(categories[pick(s.rng)]);
}

std::string submission_key(script& s, candidate_state& c) {
  return fmt::format("lt-{}-{}-{}", s.run_id, c.account->exam_no, ++c.submissions);
}

bool signed_in(script& s, candidate_state* c, std::string_view, const reply& r) {
  if (r.status == 200) take_session(s, *c, r);
  return true;
}

bool browsed(script& s, candidate_state*, std::string_view, const reply& r) {
  if (r.status == 200) remember_page_token(s, r.body);
  return true;
}

bool signed_out(script&, candidate_state* c, std::string_view, const reply&) {
  c->token.clear();
  c->pledged = false;
  return true;
}

bool draft_saved(script& s, candidate_state* c, std::string_view, const reply& r) {
  const auto saved =
      r.status == 200 || r.status == 201 ? json_int(s.parser, r.body, "version") : std::nullopt;
  c->draft_version = saved ? *saved : -1;
  return true;
}

bool submitted(script& s, candidate_state* c, std::string_view key, const reply& r) {
  if (r.status != 201 && r.status != 200) return true;
  if (keep_receipt(s, *c, key, r.body)) return true;
  ++s.counts.unreadable_receipts;
  return false;
}

// Indexed by action (scenario.hpp's order).
const std::array<action_spec, action_count> table = {{
    {action::login,
     verb::post,
     [](script&, candidate_state*) { return fixed("/api/v1/auth/login"); },
     [](script&, candidate_state* c) { return login_body(*c); },
     nullptr,
     setup::none,
     actor::candidate,
     {200},
     signed_in},
    {action::schedule,
     verb::get,
     [](script&, candidate_state*) { return fixed("/api/v1/schedule"); },
     nullptr,
     nullptr,
     setup::none,
     actor::anyone,
     {200},
     nullptr},
    {action::plans_browse,
     verb::get,
     [](script&, candidate_state*) { return fixed("/api/v1/plans?batch=undergrad"); },
     nullptr,
     nullptr,
     setup::session,
     actor::candidate,
     {200, 304},
     browsed},
    {action::plans_page,
     verb::get,
     plans_page_target,
     nullptr,
     nullptr,
     setup::session,
     actor::candidate,
     {200, 304},
     browsed},
    {action::scores,
     verb::get,
     [](script& s, candidate_state* c) {
       return "/api/v1/scores?group=" + std::to_string(any_group(s, *c));
     },
     nullptr,
     nullptr,
     setup::session,
     actor::filer,
     {200, 201},
     nullptr},
    {action::favorite_put,
     verb::put,
     [](script& s, candidate_state* c) {
       return "/api/v1/favorites/group/" + std::to_string(any_group(s, *c));
     },
     favorite_body,
     nullptr,
     setup::pledge,
     actor::filer,
     {200, 201},
     nullptr},
    {action::draft_save,
     verb::put,
     [](script&, candidate_state*) { return fixed("/api/v1/drafts/undergrad"); },
     [](script&, candidate_state* c) { return c->account->draft_body; },
     nullptr,
     setup::draft,
     actor::filer,
     {200, 201},
     draft_saved},
    {action::submit,
     verb::post,
     [](script&, candidate_state*) { return fixed("/api/v1/applications/undergrad"); },
     [](script&, candidate_state* c) { return c->account->submit_body; },
     submission_key,
     setup::pledge,
     actor::filer,
     {201, 200},
     submitted},
    {action::receipt_view,
     verb::get,
     [](script&, candidate_state*) { return fixed("/api/v1/applications/undergrad"); },
     nullptr,
     nullptr,
     setup::session,
     actor::candidate,
     {200, 404},
     nullptr},
    {action::logout,
     verb::post,
     [](script&, candidate_state*) { return fixed("/api/v1/auth/logout"); },
     nullptr,
     nullptr,
     setup::session,
     actor::candidate,
     {204, 200},
     signed_out},
    {action::ping,
     verb::get,
     [](script&, candidate_state*) { return fixed("/api/v1/ping"); },
     nullptr,
     nullptr,
     setup::none,
     actor::anyone,
     {200},
     nullptr},
}};

}  // namespace

const action_spec& spec_of(action a) noexcept { return table[static_cast<std::size_t>(a)]; }

bool expected_status(const action_spec& spec, unsigned status) noexcept {
  return status != 0 && std::find(spec.ok.begin(), spec.ok.end(), status) != spec.ok.end();
}

request make_request(const action_spec& spec, script& s, candidate_state* c,
                     const std::string& key) {
  request r;
  r.verb = spec.verb;
  r.target = spec.target(s, c);
  if (spec.body != nullptr) r.body = spec.body(s, c);
  if (c != nullptr && spec.needs != setup::none) r.token = c->token;
  r.idempotency_key = key;
  if (spec.needs == setup::draft) r.if_match = c->draft_version;
  return r;
}

request sign_in_request(const candidate_state& c) {
  request r;
  r.verb = verb::post;
  r.target = "/api/v1/auth/login";
  r.body = login_body(c);
  return r;
}

request pledge_request(const candidate_state& c) {
  request r;
  r.verb = verb::post;
  r.target = "/api/v1/me/pledge";
  r.token = c.token;
  return r;
}

request draft_request(const candidate_state& c) {
  request r;
  r.verb = verb::get;
  r.target = "/api/v1/drafts/undergrad";
  r.token = c.token;
  return r;
}

bool take_session(script& s, candidate_state& c, const reply& r) {
  c.token = json_string(s.parser, r.body, "token");
  c.pledged = false;
  return !c.token.empty();
}

std::optional<std::int64_t> draft_version(script& s, const reply& r) {
  return r.status == 200 ? json_int(s.parser, r.body, "version") : std::nullopt;
}

}  // namespace zhiyuan::loadtest
