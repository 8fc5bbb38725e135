// The candidate's account: sign-in (throttled), logout, passwords, the pledge, login history,
// the profile, confirmations and contact details.
#include <fmt/format.h>
#include <simdjson.h>

#include "core/admission.hpp"
#include "core/candidate.hpp"
#include "core/contact.hpp"
#include "core/password.hpp"
#include "core/schedule.hpp"
#include "core/time.hpp"
#include "server/async.hpp"
#include "server/candidate/bodies.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/own_state.hpp"
#include "server/candidate/session.hpp"
#include "server/candidate/write_answer.hpp"
#include "server/digest.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/identity.hpp"
#include "server/login_guard.hpp"
#include "server/password_hash.hpp"
#include "storage/admin_store.hpp"
#include "storage/auth_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;
namespace dom = simdjson::dom;

// The User-Agent as stored in the login history: at most 256 bytes of clean text (the header
// may hold any bytes; the database takes UTF-8 only).
std::string user_agent_of(const request_context& ctx) {
  return clean_header_text(header(ctx.request, "User-Agent"), 256);
}

// ------------------------------------------------------------------ sign-in

struct login_result {
  enum class outcome { ok, bad_password, throttled, unavailable } result = outcome::unavailable;
  login_guard::verdict throttle;  ///< when throttled: the fleet's verdict
  std::string token;
  token_digest digest{};
  bool must_set_passwords = true;
  bool pledge_required = true;
};

// A sign-in attempt as the hashing pool sees it.
struct login_attempt {
  std::int64_t candidate = 0;
  std::string password;
  std::string ip;
  std::string agent;
  std::int64_t now_us = 0;
  const fleet_login_guard* fleet = nullptr;
};

// On the hashing pool: the fleet's throttles (shared by every node), then the password
// against the account's hash; a failure is recorded in the login history. Unknown exam numbers
// (`candidate` 0) cost the same hash as known ones: no account enumeration.
login_result verify_login(pqxx::connection* conn, const login_attempt& a) {
  login_result out;
  if (conn == nullptr) return out;
  if (a.fleet != nullptr) {
    out.throttle = a.fleet->admit(*conn, a.candidate, login_guard::secret::login, a.ip, a.now_us);
    if (out.throttle.retry_after > 0) {
      out.result = login_result::outcome::throttled;
      return out;
    }
  }
  std::optional<storage::account> acct;
  if (a.candidate != 0) acct = storage::find_account(*conn, a.candidate);
  const bool ok = password_matches(acct ? acct->login_hash : unknown_account_hash(), a.password);
  if (!acct || !ok) {
    if (acct) storage::record_failed_login(*conn, a.candidate, a.ip, a.agent);
    out.result = login_result::outcome::bad_password;
    return out;
  }
  if (a.fleet != nullptr) {
    a.fleet->succeeded(*conn, a.candidate, login_guard::secret::login, a.ip);
  }
  out.token = session_table::new_token(out.digest);
  out.must_set_passwords = acct->must_set_passwords;
  out.pledge_required = acct->pledge_required;
  out.result = login_result::outcome::ok;
  return out;
}

// Answers a refused attempt: account_locked when locked (for this address or account-wide),
// else too_many_requests; both with Retry-After.
void fail_throttled(request_context& ctx, const login_guard::verdict& v) {
  fail(ctx, v.error(), v.detail(), static_cast<unsigned>(v.retry_after));
}

// The new session's token, in the body and as the session cookie.
void answer_session(request_context& ctx, const login_result& r, std::int64_t now,
                    std::int64_t expires) {
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("token").value(r.token);
  w.key("expires_at").value(core::format_rfc3339(expires));
  w.key("must_set_passwords").value(r.must_set_passwords);
  w.key("pledge_required").value(r.pledge_required);
  w.end_object();
  ctx.res.headers.emplace_back(
      "Set-Cookie",
      fmt::format("zy_session={}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}", r.token,
                  expires - now));
  ctx.res.headers.emplace_back("Cache-Control", "no-store");
}

asio::awaitable<void> login(request_context& ctx, candidate_api_context& api) {
  auto body = parse_login(ctx);
  if (!body) co_return fail(ctx, body.error());

  // The session write would be refused after the hash: refuse before spending it (and before
  // the throttles count an attempt).
  if (!api.writes->admits(core::work_class::sign_in)) {
    co_return fail(ctx, errc::unavailable, "sign-in is busy; retry shortly", 1);
  }
  const auto who = api.candidate_by_exam_no(body->exam_no);
  const std::int64_t candidate = who ? who->id : 0;
  // This node's memory first: a refusal costs no database round trip.
  const auto verdict =
      api.guard->admit(candidate, login_guard::secret::login, ctx.peer, api.now_micros());
  if (verdict.retry_after > 0) co_return fail_throttled(ctx, verdict);
  const std::int64_t now = api.now_seconds();
  const std::int64_t expires = now + std::chrono::seconds(api.session_absolute).count();
  // As PostgreSQL's inet takes it: without an IPv6 zone ("fe80::1%eth0").
  login_attempt attempt{candidate,
                        std::move(body->password),
                        std::string(ctx.peer.substr(0, ctx.peer.find('%'))),
                        user_agent_of(ctx),
                        api.now_micros(),
                        api.fleet_guard};
  const std::string ip = attempt.ip, agent = attempt.agent;
  auto verify = [attempt = std::move(attempt)](pqxx::connection* conn) {
    return verify_login(conn, attempt);
  };
  // Named and moved: see run_on about GCC 12 and prvalue arguments of coroutines.
  // Behind the submissions' save-password checks, and shed first (core::class_budget_us).
  auto r =
      co_await run_on<login_result>(*api.auth_pool, std::move(verify), core::work_class::sign_in);
  if (!r || r->result == login_result::outcome::unavailable) {
    api.guard->unchecked(candidate, login_guard::secret::login, ctx.peer);
    co_return fail(ctx, errc::unavailable, "sign-in is busy; retry shortly", 1);
  }
  if (r->result == login_result::outcome::throttled) co_return fail_throttled(ctx, r->throttle);
  if (r->result == login_result::outcome::bad_password) {
    co_return fail(ctx, errc::unauthenticated, "exam number or password is wrong");
  }
  // The session, the login record and the sign-in during the open filing windows (the offices'
  // statistics, window_logins) are group-committed by the candidate's writer; the token is sent
  // only after that COMMIT.
  auto op = std::make_unique<storage::write_op>();
  auto& sign_in = op->args.emplace<storage::sign_in_args>();
  op->candidate_id = candidate;
  sign_in.token_hash = r->digest;
  sign_in.expires_at = expires;
  sign_in.ip = ip;
  sign_in.user_agent = agent;
  for (const auto b : core::all_batches) {
    if (core::is_filing_window(core::phase_at(*api.schedule.get(), b, now))) {
      sign_in.windows.push_back(storage::encode_batch(b));
    }
  }
  op->accepted_at_us = api.now_micros();
  op->deadline = std::chrono::steady_clock::now() + api.write_deadline;
  const auto out = co_await submit_write(*api.writes, std::move(op));
  if (out.admitted != storage::admit::ok || out.op->status != storage::op_status::committed) {
    // 503 (shed, stopping, not committed in time) or 500. After an unknown commit outcome past
    // the deadline the sign-in may have committed all the same: its session is never used.
    api.guard->unchecked(candidate, login_guard::secret::login, ctx.peer);
    answer_write(ctx, out);
    co_return;
  }
  api.guard->succeeded(candidate, login_guard::secret::login, ctx.peer);
  api.sessions->insert(r->digest,
                       {candidate, expires, now, !r->must_set_passwords, !r->pledge_required});
  answer_session(ctx, *r, now, expires);
}

asio::awaitable<void> logout(request_context& ctx, candidate_api_context& api) {
  const auto s = authenticate(ctx, api);
  if (!s) co_return;
  auto revoke = [id = s->candidate_id, token = s->token](pqxx::connection* conn) {
    if (conn == nullptr) return false;
    storage::revoke_session(*conn, id, token);
    return true;
  };
  auto done = co_await run_on<bool>(*api.reads, std::move(revoke));
  if (!done || !*done) {
    fail(ctx, errc::unavailable, "could not sign out; retry", 1);
    co_return;
  }
  // Revoked durably first, so a restart cannot bring the session back.
  api.sessions->erase(s->token);
  ctx.res.status = 204;
  ctx.res.headers.emplace_back("Set-Cookie",
                               "zy_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}

// ---------------------------------------------------------------- passwords

struct password_change {
  enum class outcome {
    ok,
    wrong_current,
    wrong_current_save,
    rejected,
    unavailable
  } result = outcome::unavailable;
  std::string field;  ///< rejected: which password
  core::password_rule rule = core::password_rule::ok;
};

// On the hashing pool: checks the current passwords and the rules of the new ones, then stores
// their hashes (ending the candidate's other sessions).
password_change change_passwords(pqxx::connection* conn, std::int64_t id, const token_digest& keep,
                                 const password_request& req,
                                 const core::common_passwords* common) {
  password_change out;
  if (conn == nullptr) return out;
  const auto acct = storage::find_account(*conn, id);
  if (!acct) return out;
  const std::string& current = req.current_password;
  if (!password_matches(acct->login_hash, current)) {
    out.result = password_change::outcome::wrong_current;
    return out;
  }
  const std::string& current_save = req.current_save_password;
  if (!acct->save_hash.empty() &&
      (current_save.empty() || !password_matches(acct->save_hash, current_save))) {
    out.result = password_change::outcome::wrong_current_save;
    return out;
  }
  const std::string& login_pw = req.login_password;
  const std::string& save_pw = req.save_password;
  core::password_context pc{acct->exam_no, acct->id_number, save_pw, common};
  out.rule = core::check_password(login_pw, pc);
  out.field = "login_password";
  if (out.rule == core::password_rule::ok) {
    pc.other_password = login_pw;
    out.rule = core::check_password(save_pw, pc);
    out.field = "save_password";
  }
  if (out.rule != core::password_rule::ok) {
    out.result = password_change::outcome::rejected;
    return out;
  }
  const std::string login_hash = hash_password(login_pw);
  const std::string save_hash = hash_password(save_pw);
  if (login_hash.empty() || save_hash.empty()) return out;  // out of memory: unavailable
  storage::set_passwords(*conn, id, login_hash, save_hash, keep);
  out.result = password_change::outcome::ok;
  return out;
}

// The problem of a refused change (wrong current password, a new one against the rules).
void fail_password_change(request_context& ctx, const password_change& r) {
  if (r.result == password_change::outcome::wrong_current) {
    return fail(ctx, errc::invalid_field, "current_password: wrong password");
  }
  if (r.result == password_change::outcome::wrong_current_save) {
    return fail(ctx, errc::wrong_save_password,
                "current_save_password: the current save password is required to replace it");
  }
  std::string extra = "\"violations\":";
  json_writer v(extra);
  v.begin_array().begin_object();
  v.key("field").value(r.field);
  v.key("code").value(core::to_code(r.rule));
  v.key("message_zh").value(core::message_zh(r.rule));
  v.key("message_en").value(core::message_en(r.rule));
  v.end_object().end_array();
  std::string detail = r.field;
  detail += ": ";
  detail += core::message_en(r.rule);
  fail(ctx, errc::validation_failed, detail, 0, extra);
}

// Whether the throttles let this candidate try their passwords now; otherwise answers the 429
// (or 423 when locked).
bool may_try_passwords(request_context& ctx, candidate_api_context& api, std::int64_t id,
                       bool gave_current_save) {
  // From a signed-in session (no address): nothing strangers did from elsewhere stops it.
  const auto verdict =
      api.guard->admit(id, login_guard::secret::login, login_guard::session, api.now_micros());
  if (verdict.retry_after > 0) {
    fail_throttled(ctx, verdict);
    return false;
  }
  // A given current save password is a guess like any other: it counts with the save
  // password's own throttle (core/throttle.hpp), so it cannot be found by trying.
  if (gave_current_save) {
    const auto save_verdict =
        api.guard->admit(id, login_guard::secret::save, login_guard::session, api.now_micros());
    if (save_verdict.retry_after > 0) {
      fail_throttled(ctx, save_verdict);
      return false;
    }
  }
  return true;
}

asio::awaitable<void> set_passwords(request_context& ctx, candidate_api_context& api) {
  const auto s = authenticate(ctx, api);
  if (!s) co_return;
  auto req = parse_password_request(ctx);
  if (!req) co_return fail(ctx, req.error());
  const bool gave_current_save = !req->current_save_password.empty();
  if (!may_try_passwords(ctx, api, s->candidate_id, gave_current_save)) co_return;

  auto change = [id = s->candidate_id, keep = s->token, req = std::move(*req),
                 common = api.common_passwords](pqxx::connection* conn) {
    return change_passwords(conn, id, keep, req, common);
  };
  auto r = co_await run_on<password_change>(*api.auth_pool, std::move(change));
  if (!r || r->result == password_change::outcome::unavailable) {
    api.guard->unchecked(s->candidate_id, login_guard::secret::login, login_guard::session);
    if (gave_current_save)
      api.guard->unchecked(s->candidate_id, login_guard::secret::save, login_guard::session);
    co_return fail(ctx, errc::unavailable, "busy; retry shortly", 1);
  }
  if (r->result != password_change::outcome::ok) co_return fail_password_change(ctx, *r);
  api.guard->succeeded(s->candidate_id, login_guard::secret::login, login_guard::session);
  if (gave_current_save)
    api.guard->succeeded(s->candidate_id, login_guard::secret::save, login_guard::session);
  api.sessions->mark_passwords_set(s->candidate_id);
  api.sessions->erase_others(s->candidate_id, s->token);
  api.sessions->forget_save_passwords(s->candidate_id);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("must_set_passwords").value(false);
  w.key("pledge_required").value(!s->pledged);
  w.end_object();
}

asio::awaitable<void> pledge(request_context& ctx, candidate_api_context& api) {
  const auto s = authenticate(ctx, api);
  if (!s) co_return;
  if (!s->passwords_set) {
    fail(ctx, errc::passwords_required, "set your passwords first (POST /api/v1/me/passwords)");
    co_return;
  }
  // Group-committed like every write (not keyed: accepting it twice changes nothing).
  auto op = std::make_unique<storage::write_op>();
  op->args = storage::pledge_args{};
  op->candidate_id = s->candidate_id;
  op->accepted_at_us = api.now_micros();
  op->deadline = std::chrono::steady_clock::now() + api.write_deadline;
  const auto out = co_await submit_write(*api.writes, std::move(op));
  if (out.admitted != storage::admit::ok || out.op->status != storage::op_status::committed) {
    answer_write(ctx, out);
    co_return;
  }
  api.sessions->mark_pledged(s->candidate_id);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("pledged_at").value(core::format_utc_micros(out.op->first_at_us));
  w.end_object();
}

asio::awaitable<void> logins(request_context& ctx, candidate_api_context& api) {
  const auto s = authenticate(ctx, api);
  if (!s) co_return;
  auto load = [id = s->candidate_id](pqxx::connection& conn) {
    return storage::login_history(conn, id, 50);
  };
  auto rows = co_await query_own<std::vector<storage::login_record>>(api, std::move(load));
  if (!rows) {
    fail(ctx, errc::unavailable, "busy; retry shortly", 1);
    co_return;
  }
  json_writer w(ctx.res.body);
  w.begin_object().key("logins").begin_array();
  for (const auto& r : *rows) {
    w.begin_object();
    w.key("at").value(format_db_time(r.at_us, api.clock_offset_seconds));
    w.key("ip").value(r.ip);
    w.key("user_agent").value(r.user_agent);
    w.key("outcome").value(r.outcome);
    w.end_object();
  }
  w.end_array().end_object();
}

// ------------------------------------------------------------------ profile

void write_subjects(json_writer& w, core::subject_set s) {
  w.begin_array();
  for (auto sub : {core::subject::chemistry, core::subject::biology, core::subject::politics,
                   core::subject::geography}) {
    if (s.contains(sub)) w.value(core::to_code(sub));
  }
  w.end_array();
}

std::int64_t version_of(const std::vector<std::pair<std::int16_t, std::int64_t>>& v,
                        core::batch b) {
  for (const auto& [batch, version] : v) {
    if (storage::decode_batch(batch) == b) return version;
  }
  return 0;
}

void write_confirmations(json_writer& w, const storage::profile_row& row, std::int64_t deadline) {
  w.begin_object();
  for (auto [name, at] : {std::pair{"household", row.household_confirmed_us},
                          std::pair{"physical_exam", row.physical_exam_confirmed_us}}) {
    if (at != 0) {
      w.key(name).value(core::format_utc_micros(at));
    } else {
      w.key(name).null();
    }
  }
  w.key("deadline").value(core::format_rfc3339(deadline));
  w.end_object();
}

// Each batch: eligibility, phase now, and what the candidate has filed.
void write_batches(json_writer& w, const candidate_api_context& api,
                   const storage::profile_row& row,
                   const storage::candidate_directory::entry& who) {
  w.begin_array();
  for (const auto b : core::all_batches) {
    const auto submitted = version_of(row.submitted, b);
    const auto drafted = version_of(row.drafted, b);
    w.begin_object();
    w.key("batch").value(core::to_code(b));
    w.key("eligible").value(who.eligible.batches.contains(b));
    w.key("phase").value(core::to_code(core::phase_at(*api.schedule.get(), b, api.now_seconds())));
    w.key("status").value(submitted ? "submitted" : drafted ? "draft" : "not_filed");
    w.key("submitted_version").value(submitted);
    w.key("draft_version").value(drafted);
    w.end_object();
  }
  w.end_array();
}

asio::awaitable<void> me(request_context& ctx, candidate_api_context& api) {
  const auto s = authenticate(ctx, api);
  if (!s) co_return;
  const auto who = api.candidate(s->candidate_id);
  const bool drill = drilling(api);
  auto load = [id = s->candidate_id, drill](pqxx::connection& conn) {
    return storage::load_profile(conn, id, drill);
  };
  auto p = co_await query_own<std::optional<storage::profile_row>>(api, std::move(load));
  if (!p) {
    fail(ctx, errc::unavailable, "busy; retry shortly", 1);
    co_return;
  }
  if (!*p || !who) {
    fail(ctx, errc::not_found, "no such candidate");
    co_return;
  }
  const storage::profile_row& row = **p;
  json_writer w(ctx.res.body);
  w.begin_object();
  write_identity(w, row);
  w.key("category").value(core::to_code(who->cat));
  w.key("track").value(core::to_code(who->trk));
  w.key("electives");
  write_subjects(w, who->electives);
  if (who->rank > 0) {
    w.key("score").value(who->score);
    w.key("rank").value(who->rank);
  } else {
    w.key("score").null();
    w.key("rank").null();
  }
  w.key("special_type_eligible").value(who->eligible.special_type);
  w.key("must_set_passwords").value(row.must_set_passwords);
  if (row.pledge_us != 0) {
    w.key("pledged_at").value(core::format_utc_micros(row.pledge_us));
  } else {
    w.key("pledged_at").null();
  }
  w.key("confirmations");
  write_confirmations(w, row, api.schedule.get()->confirm_deadline);
  w.key("contact").begin_object();
  w.key("phone").value(core::mask_phone(row.phone));
  if (row.address_json.empty()) {
    w.key("address").null();
  } else {
    w.key("address").raw(row.address_json);
  }
  w.end_object();
  w.key("unread_notices").value(row.unread_notices);
  w.key("profile_version").value(row.version);
  w.key("drill").value(drill);
  w.key("batches");
  write_batches(w, api, row, *who);
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "no-store");
}

// ---------------------------------------------------- profile writes (durable)

// Stored with the idempotency record: the new profile version and the commit time.
void render_profile_write(const storage::write_op& op, unsigned& status, std::string& body) {
  body.clear();
  status = 200;
  json_writer w(body);
  w.begin_object();
  w.key("profile_version").value(op.version);
  const auto& api = *static_cast<const candidate_api_context*>(op.render_context);
  w.key("committed_at").value(format_db_time(op.committed_at_us, api.clock_offset_seconds));
  if (const auto* c = std::get_if<storage::confirm_args>(&op.args)) {
    w.key("confirmed").value(c->what);
  }
  w.end_object();
}

// Writes a profile change (last write wins) and answers with the new profile version.
asio::awaitable<void> write_profile(request_context& ctx, candidate_api_context& api,
                                    std::unique_ptr<storage::write_op> op) {
  op->render = &render_profile_write;
  op->render_context = &api;
  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
}

asio::awaitable<void> confirm(request_context& ctx, candidate_api_context& api) {
  const auto s = authenticate(ctx, api);
  if (!s || !may_write(ctx, *s)) co_return;
  auto body = parse_confirmation(ctx);
  if (!body) co_return fail(ctx, body.error());
  const auto d = core::decide(*api.schedule.get(), core::batch::undergrad, core::action::confirm,
                              api.now_seconds());
  if (!d.allowed()) {
    std::string detail = "confirmations closed at ";
    detail += core::format_rfc3339(api.schedule.get()->confirm_deadline);
    co_return fail(ctx, errc::confirmation_closed, detail);
  }
  auto op =
      new_write_op(ctx, api, storage::confirm_args{.what = std::move(body->what)}, s->candidate_id);
  co_await write_profile(ctx, api, std::move(op));
}

// The members of an address, in the order they are stored.
std::array<std::pair<const char*, std::string*>, 6> address_fields(core::postal_address& a) {
  return {{{"province", &a.province},
           {"city", &a.city},
           {"district", &a.district},
           {"street", &a.street},
           {"postcode", &a.postcode},
           {"recipient", &a.recipient}}};
}

// The problem listing every bad field of the contact details.
void fail_contact(request_context& ctx, const std::vector<core::field_problem>& problems) {
  std::string extra = "\"violations\":";
  json_writer v(extra);
  v.begin_array();
  for (const auto& p : problems) {
    v.begin_object().key("field").value(p.field).key("message_en").value(p.message).end_object();
  }
  v.end_array();
  std::string detail = problems.front().field;
  detail += ": ";
  detail += problems.front().message;
  fail(ctx, errc::validation_failed, detail, 0, extra);
}

asio::awaitable<void> put_contact(request_context& ctx, candidate_api_context& api) {
  const auto s = authenticate(ctx, api);
  if (!s || !may_write(ctx, *s)) co_return;
  auto c = parse_contact(ctx);
  if (!c) co_return fail(ctx, c.error());
  const auto problems = core::check_contact(*c);
  if (!problems.empty()) co_return fail_contact(ctx, problems);
  std::string address;
  json_writer a(address);
  a.begin_object();
  for (auto [key, value] : address_fields(c->address)) a.key(key).value(*value);
  a.end_object();
  auto op = new_write_op(
      ctx, api, storage::contact_args{.phone = std::move(c->phone), .address = std::move(address)},
      s->candidate_id);
  co_await write_profile(ctx, api, std::move(op));
}

}  // namespace

core::result<login_body> parse_login(const request_context& ctx) {
  auto body = json_fields<login_body>(ctx)
                  .text("exam_no", &login_body::exam_no, 14)
                  .text("password", &login_body::password, 64)
                  .done();
  if (body && !core::valid_exam_number(body->exam_no)) {
    return core::failure(errc::invalid_field, "exam_no: 14 digits");
  }
  return body;
}

core::result<password_request> parse_password_request(const request_context& ctx) {
  using r = password_request;
  return json_fields<r>(ctx)
      .text("current_password", &r::current_password, 64)
      .text("current_save_password", &r::current_save_password, 64, /*required=*/false)
      .text("login_password", &r::login_password, 64)
      .text("save_password", &r::save_password, 64)
      .done();
}

core::result<confirmation> parse_confirmation(const request_context& ctx) {
  auto mark = [](std::string_view name) {
    return [name](confirmation& c, bool v) {
      c.what = name;
      ++c.given;
      return v;
    };
  };
  auto body = json_fields<confirmation>(ctx)
                  .flag("household", false, mark("household"), "true")
                  .flag("physical_exam", false, mark("physical_exam"), "true")
                  .done();
  if (body && body->given != 1) {
    return core::failure(errc::invalid_field, "body: exactly one of household, physical_exam");
  }
  return body;
}

core::result<core::contact_details> parse_contact(const request_context& ctx) {
  auto read_address = [](core::contact_details& c, dom::element v) -> std::optional<core::error> {
    dom::object addr;
    if (v.get_object().get(addr)) return core::error{errc::invalid_field, "address: an object"};
    const auto fields = address_fields(c.address);
    // Not a structured binding: clang 14 (the fuzz and TSan builds) cannot capture one.
    for (const auto member : addr) {
      const std::string_view key = member.key;
      const auto value = member.value;
      auto it =
          std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return key == f.first; });
      if (it == fields.end()) {
        return core::error{errc::invalid_field, fmt::format("address.{} (unknown member)", key)};
      }
      std::string_view text;
      if (value.get_string().get(text) || text.size() > 512 || text.find('\0') != text.npos) {
        return core::error{errc::invalid_field, fmt::format("address.{}: a string", key)};
      }
      *it->second = std::string(text);
    }
    return std::nullopt;
  };
  return json_fields<core::contact_details>(ctx)
      .text("phone", &core::contact_details::phone, 32)
      .custom("address", true, read_address)
      .done();
}

std::vector<route_spec> account_routes(candidate_api_context& api) {
  return {
      {http::verb::post, "/api/v1/auth/login", handler_for(api, login)},
      {http::verb::post, "/api/v1/auth/logout", handler_for(api, logout)},
      {http::verb::post, "/api/v1/me/passwords", handler_for(api, set_passwords)},
      {http::verb::post, "/api/v1/me/pledge", handler_for(api, pledge)},
      {http::verb::get, "/api/v1/me/logins", handler_for(api, logins)},
      {http::verb::get, "/api/v1/me", handler_for(api, me)},
      {http::verb::post, "/api/v1/me/confirmations", handler_for(api, confirm)},
      {http::verb::put, "/api/v1/me/contact", handler_for(api, put_contact)},
  };
}

}  // namespace zhiyuan::server
