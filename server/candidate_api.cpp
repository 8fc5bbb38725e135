#include "server/candidate_api.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/batch.hpp"
#include "core/choices.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "server/async.hpp"
#include "server/json_writer.hpp"
#include "server/log.hpp"
#include "server/problem.hpp"
#include "storage/auth_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

namespace ondemand = simdjson::ondemand;
using core::errc;

// ---------------------------------------------------------------- helpers

// A header's value, viewed in the request (which outlives every use here).
std::string_view header(const http_request& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value());
}

// RFC 3339 in UTC with microseconds, e.g. "2023-07-02T08:59:59.123456Z".
std::string format_micros(std::int64_t us) {
  const std::time_t s = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1'000'000);
}

std::string hex(const std::uint8_t* data, std::size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, data, n);
  return out;
}

void sha256(std::string_view text, std::array<std::uint8_t, 32>& out) {
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

// The request hash of the idempotency record: method, path and body.
std::array<std::uint8_t, 32> request_hash(const request_context& ctx) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  auto feed = [&st](std::string_view s) {
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>("\n"), 1);
  };
  feed(ctx.request.method_string());
  feed(ctx.path);
  feed(ctx.request.body());
  std::array<std::uint8_t, 32> out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

// A fresh server-side idempotency key for writes whose client sent none: every write carries
// one so an unknown commit outcome can be resolved by reading the records back.
std::string generated_key() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  return "~" + hex(raw, sizeof raw);
}

bool acceptable_key(std::string_view k) {
  if (k.empty() || k.size() > 255 || k.front() == '~') return false;
  for (unsigned char c : k) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool is_json(const http_request& req) {
  auto it = req.find(http::field::content_type);
  if (it == req.end()) return false;
  std::string_view v = it->value();
  return v.substr(0, 16) == "application/json";
}

// The candidate behind the request's session, or nullopt after writing a 401.
std::optional<std::int64_t> authenticate(request_context& ctx, candidate_api_context& api) {
  const std::string_view token =
      presented_token(header(ctx.request, "Authorization"), header(ctx.request, "Cookie"));
  if (auto digest = session_table::digest_of(token)) {
    if (auto id = api.sessions->find(*digest, api.now_seconds())) return id;
  }
  set_problem(ctx.res, errc::unauthenticated, "sign in first (POST /api/v1/auth/login)",
              ctx.request_id, ctx.path);
  ctx.res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return std::nullopt;
}

// ------------------------------------------------------------- choices

// Parses {"choices":[{"group":1234,"majors":["01","03"],"accept_adjustment":true,
// "special":false}, ...]} into core's form. Majors are the codes published in the plan; a code
// the group does not have becomes an id no group has, so the validator reports it in place.
core::result<core::choice_list> parse_choices(ondemand::document& doc, const core::catalog& cat) {
  core::choice_list out;
  ondemand::array choices;
  if (doc["choices"].get_array().get(choices)) return core::failure(errc::invalid_field, "choices");
  std::size_t i = 0;
  // The failing field's name, e.g. "choices[3].majors[1]", built only when something fails.
  auto bad = [&i](std::string_view member) {
    return core::failure(errc::invalid_field, fmt::format("choices[{}]{}", i, member));
  };
  for (auto item : choices) {
    ondemand::object obj;
    if (item.get_object().get(obj)) return bad("");
    core::group_choice c;
    // Codes are resolved once the group is known (keys may come in any order); the views
    // point into the request body, which outlives this function.
    std::array<std::string_view, 16> codes;
    std::size_t code_count = 0;
    for (auto member : obj) {
      std::string_view key;
      if (member.unescaped_key().get(key)) return bad("");
      auto value = member.value();
      if (key == "group") {
        std::int64_t g;
        if (value.get_int64().get(g)) return bad(".group");
        c.group = g;
      } else if (key == "majors") {
        ondemand::array majors;
        if (value.get_array().get(majors)) {
          return bad(".majors");
        }
        for (auto m : majors) {
          std::string_view code;
          if (code_count == codes.size() || m.get_string().get(code)) {
            return bad(fmt::format(".majors[{}]", code_count));
          }
          codes[code_count++] = code;
        }
      } else if (key == "accept_adjustment") {
        if (value.get_bool().get(c.accept_adjustment)) {
          return bad(".accept_adjustment");
        }
      } else if (key == "special") {
        if (value.get_bool().get(c.special)) {
          return bad(".special");
        }
      } else {
        return bad(fmt::format(".{} (unknown)", key));
      }
    }
    // A code the group does not have becomes an id no group has: the validator reports it in
    // place. The group's majors are sorted by code.
    const auto group_majors = cat.majors_of(c.group);
    c.majors.reserve(code_count);
    for (std::size_t j = 0; j < code_count; ++j) {
      auto it = std::lower_bound(
          group_majors.begin(), group_majors.end(), codes[j],
          [](const core::major& m, std::string_view code) { return m.code < code; });
      c.majors.push_back(it != group_majors.end() && it->code == codes[j] ? it->id : -1);
    }
    if (c.group == 0) return bad(".group");
    out.push_back(std::move(c));
    ++i;
  }
  return out;
}

// The 422 body's members: every violation with its position and both messages.
std::string violations_json(const std::vector<core::finding>& findings) {
  std::string out = "\"violations\":";
  json_writer w(out);
  w.begin_array();
  for (const auto& f : findings) {
    w.begin_object();
    w.key("code").value(core::to_code(f.code));
    w.key("choice").value(f.choice);
    w.key("major").value(f.major);
    w.key("message_zh").value(core::message_zh(f));
    w.key("message_en").value(core::message_en(f));
    w.end_object();
  }
  w.end_array();
  return out;
}

bool is_window_finding(const core::finding& f) {
  const auto code = core::to_code(f.code);
  return code.find("window") != std::string_view::npos;
}

// --------------------------------------------------------- write results

// Runs on the writer thread before COMMIT; the bytes are stored with the idempotency record.
void render_receipt(const storage::write_op& op, unsigned& status, std::string& body) {
  body.clear();
  json_writer w(body);
  if (op.status == storage::op_status::conflict) {
    // A draft's If-Match failed (412); a submission's optional If-Match is a conflict (409).
    const bool draft = op.kind == storage::op_kind::save_draft;
    response res;
    set_problem(res, draft ? errc::precondition_failed : errc::conflict,
                "the version this change was based on is no longer current; reload and retry", "",
                "");
    status = res.status;
    body = std::move(res.body);
    return;
  }
  status = op.kind == storage::op_kind::submit ? 201 : 200;
  w.begin_object();
  w.key("exam_no").value(op.exam_no);
  w.key("batch").value(core::to_code(storage::decode_batch(op.batch)));
  w.key("version").value(op.version);
  w.key("accepted_at").value(format_micros(op.accepted_at_us));
  w.key("committed_at").value(format_micros(op.committed_at_us));
  w.key("digest").value(hex(op.digest.data(), op.digest.size()));
  if (op.kind == storage::op_kind::submit) {
    if (op.has_prev_hash) {
      w.key("prev_digest").value(hex(op.prev_hash.data(), op.prev_hash.size()));
    } else {
      w.key("prev_digest").null();
    }
  }
  w.end_object();
}

// Turns the write path's outcome into the HTTP response.
void answer_write(request_context& ctx, const write_outcome& out) {
  switch (out.admitted) {
    case storage::admit::ok:
      break;
    case storage::admit::key_in_flight:
      set_problem(ctx.res, errc::idempotency_key_in_flight,
                  "a request with this Idempotency-Key is still being processed", ctx.request_id,
                  ctx.path, 1);
      return;
    case storage::admit::overloaded:
      set_problem(ctx.res, errc::unavailable, "too many writes in flight; retry with the same key",
                  ctx.request_id, ctx.path, 1);
      return;
    case storage::admit::stopping:
      set_problem(ctx.res, errc::unavailable, "server is shutting down", ctx.request_id, ctx.path,
                  2);
      return;
  }
  const storage::write_op& op = *out.op;
  switch (op.status) {
    case storage::op_status::committed:
    case storage::op_status::replayed:
    case storage::op_status::conflict:
      ctx.res.status = op.response_status;
      ctx.res.content_type =
          op.response_status >= 400 ? "application/problem+json" : "application/json";
      ctx.res.body = op.response_body;
      if (op.kind == storage::op_kind::save_draft && op.response_status == 200) {
        ctx.res.headers.emplace_back("ETag", fmt::format("\"{}\"", op.version));
      }
      return;
    case storage::op_status::key_mismatch:
      set_problem(ctx.res, errc::idempotency_key_reused,
                  "this Idempotency-Key was used with a different request", ctx.request_id,
                  ctx.path);
      return;
    case storage::op_status::unavailable:
      set_problem(ctx.res, errc::unavailable,
                  "not committed in time; retry with the same Idempotency-Key", ctx.request_id,
                  ctx.path, 2);
      return;
    case storage::op_status::failed:
      set_problem(ctx.res, errc::internal, "", ctx.request_id, ctx.path);
      return;
  }
}

// ------------------------------------------------------------ handlers

struct login_result {
  enum class outcome { ok, bad_password, unavailable } result = outcome::unavailable;
  std::string token;
  token_digest digest{};
  bool must_set_passwords = true;
  bool pledge_required = true;
};

asio::awaitable<void> login(request_context& ctx, candidate_api_context& api) {
  if (!is_json(ctx.request)) {
    set_problem(ctx.res, errc::unsupported_media, "send application/json", ctx.request_id,
                ctx.path);
    co_return;
  }
  simdjson::padded_string body(ctx.request.body());
  thread_local ondemand::parser parser;
  ondemand::document doc;
  std::string_view exam_no, password;
  if (parser.iterate(body).get(doc) || doc["exam_no"].get_string().get(exam_no)) {
    set_problem(ctx.res, errc::invalid_field, "exam_no", ctx.request_id, ctx.path);
    co_return;
  }
  std::string exam(exam_no);
  if (doc["password"].get_string().get(password)) {
    set_problem(ctx.res, errc::invalid_field, "password", ctx.request_id, ctx.path);
    co_return;
  }
  std::string pass(password);
  const auto* who = api.directory->find_exam_no(exam);
  const std::int64_t candidate = who ? who->id : 0;
  const std::string ip = "";
  const std::string agent(header(ctx.request, "User-Agent").substr(0, 256));
  const std::int64_t now = api.now_seconds();
  const std::int64_t expires = now + std::chrono::seconds(api.session_absolute).count();

  auto verify = [candidate, pass, agent, ip, now, expires](pqxx::connection* conn) {
    login_result out;
    if (conn == nullptr) return out;
    // Unknown exam numbers cost the same hash as known ones: no account enumeration.
    static const std::string dummy = [] {
      // Production cost (OWASP: t=2, m=19 MiB), like real accounts.
      char h[crypto_pwhash_STRBYTES];
      if (crypto_pwhash_str(h, "x", 1, 2, 19u << 20) != 0) return std::string();
      return std::string(h);
    }();
    std::optional<storage::account> acct;
    if (candidate != 0) acct = storage::find_account(*conn, candidate);
    const std::string& hash = acct ? acct->login_hash : dummy;
    const bool ok = crypto_pwhash_str_verify(hash.c_str(), pass.data(), pass.size()) == 0;
    if (!acct || !ok) {
      if (acct) storage::record_failed_login(*conn, candidate, ip, agent);
      out.result = login_result::outcome::bad_password;
      return out;
    }
    out.token = session_table::new_token(out.digest);
    storage::stored_session s{candidate, out.digest, expires, now};
    storage::insert_session(*conn, s, ip, agent);  // durable before the token is sent
    out.must_set_passwords = acct->must_set_passwords;
    out.pledge_required = acct->pledge_required;
    out.result = login_result::outcome::ok;
    return out;
  };
  // Named and moved: see run_on about GCC 12 and prvalue arguments of coroutines.
  auto r = co_await run_on<login_result>(*api.auth_pool, std::move(verify));
  if (!r || r->result == login_result::outcome::unavailable) {
    set_problem(ctx.res, errc::unavailable, "sign-in is busy; retry shortly", ctx.request_id,
                ctx.path, 1);
    co_return;
  }
  if (r->result == login_result::outcome::bad_password) {
    set_problem(ctx.res, errc::unauthenticated, "exam number or password is wrong", ctx.request_id,
                ctx.path);
    co_return;
  }
  api.sessions->insert(r->digest, {candidate, expires, now});
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("token").value(r->token);
  w.key("expires_at").value(core::format_rfc3339(expires));
  w.key("must_set_passwords").value(r->must_set_passwords);
  w.key("pledge_required").value(r->pledge_required);
  w.end_object();
  ctx.res.headers.emplace_back(
      "Set-Cookie",
      fmt::format("zy_session={}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}", r->token,
                  expires - now));
  ctx.res.headers.emplace_back("Cache-Control", "no-store");
}

// Formal submission and draft save share everything but the mode and the version rule.
asio::awaitable<void> save_choices(request_context& ctx, candidate_api_context& api,
                                   core::mode mode) {
  const auto candidate = authenticate(ctx, api);
  if (!candidate) co_return;
  const auto b = core::parse_batch(ctx.params.get("batch"));
  if (!b) {
    set_problem(ctx.res, errc::not_found, "no such batch", ctx.request_id, ctx.path);
    co_return;
  }
  std::string key(header(ctx.request, "Idempotency-Key"));
  if (key.empty()) {
    if (mode == core::mode::formal) {
      set_problem(ctx.res, errc::idempotency_key_required,
                  "formal submissions need an Idempotency-Key header", ctx.request_id, ctx.path);
      co_return;
    }
    key = generated_key();
  } else if (!acceptable_key(key)) {
    set_problem(ctx.res, errc::invalid_field, "Idempotency-Key: 1-255 printable characters",
                ctx.request_id, ctx.path);
    co_return;
  }
  std::int64_t base_version = -1;
  if (std::string_view v = header(ctx.request, "If-Match"); !v.empty()) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), base_version);
    if (ec != std::errc{} || p != v.data() + v.size() || base_version < 0) {
      set_problem(ctx.res, errc::invalid_field, "If-Match: a version such as \"3\"", ctx.request_id,
                  ctx.path);
      co_return;
    }
  } else if (mode == core::mode::draft) {
    set_problem(ctx.res, errc::precondition_required,
                "drafts need If-Match with the version they are based on (\"0\" for none)",
                ctx.request_id, ctx.path);
    co_return;
  }
  if (!is_json(ctx.request)) {
    set_problem(ctx.res, errc::unsupported_media, "send application/json", ctx.request_id,
                ctx.path);
    co_return;
  }

  const auto catalog = api.catalog.load();
  const auto* who = api.directory->find(*candidate);
  if (who == nullptr) {
    set_problem(ctx.res, errc::forbidden, "not a registered candidate", ctx.request_id, ctx.path);
    co_return;
  }
  simdjson::padded_string body(ctx.request.body());
  thread_local ondemand::parser parser;
  ondemand::document doc;
  if (parser.iterate(body).get(doc)) {
    set_problem(ctx.res, errc::invalid_field, "body is not JSON", ctx.request_id, ctx.path);
    co_return;
  }
  auto choices = parse_choices(doc, *catalog);
  if (!choices) {
    set_problem(ctx.res, errc::invalid_field, choices.error().detail, ctx.request_id, ctx.path);
    co_return;
  }

  // The request is stamped now; the writer never re-checks the window, so a submission
  // accepted before the close commits even if its batch commits after it.
  const std::int64_t accepted_us = api.now_micros();
  thread_local std::vector<core::finding> findings;
  core::validate(who->to_core(), *b, *choices, *catalog, api.schedule, accepted_us / 1'000'000,
                 mode, findings);
  for (const auto& f : findings) {
    if (is_window_finding(f)) {
      set_problem(ctx.res, errc::window_closed, core::message_en(f), ctx.request_id, ctx.path, 0,
                  violations_json({f}));
      co_return;
    }
  }
  if (mode == core::mode::formal && !findings.empty()) {
    set_problem(ctx.res, errc::validation_failed, "the form breaks the filing rules",
                ctx.request_id, ctx.path, 0, violations_json(findings));
    co_return;
  }

  auto op = std::make_unique<storage::write_op>();
  op->kind = mode == core::mode::formal ? storage::op_kind::submit : storage::op_kind::save_draft;
  op->candidate_id = *candidate;
  op->batch = storage::encode_batch(*b);
  op->base_version = base_version;
  core::append_canonical(*choices, op->payload);
  sha256(op->payload, op->digest);
  op->idempotency_key = std::move(key);
  op->request_hash = request_hash(ctx);
  op->accepted_at_us = accepted_us;
  op->deadline = std::chrono::steady_clock::now() + api.write_deadline;
  op->exam_no = who->exam_number();
  op->render = &render_receipt;
  const auto draft_findings = mode == core::mode::draft ? violations_json(findings) : "";

  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
  // A saved draft also reports what still stands between it and a valid submission.
  if (mode == core::mode::draft && out.admitted == storage::admit::ok && ctx.res.status == 200 &&
      ctx.res.body.size() > 1) {
    ctx.res.body.pop_back();
    ctx.res.body += ",";
    ctx.res.body += draft_findings;
    ctx.res.body += "}";
  }
}

}  // namespace

std::int64_t candidate_api_context::now_seconds() const { return now_micros() / 1'000'000; }

std::int64_t candidate_api_context::now_micros() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count() +
         clock_offset_seconds * 1'000'000;
}

std::vector<route_spec> candidate_routes(candidate_api_context& api) {
  std::vector<route_spec> r;
  r.push_back(
      {http::verb::post,
       "/api/v1/auth/login",
       async_handler([&api](request_context& ctx) { return login(ctx, api); }),
       {.summary = "Sign in with exam number and login password; returns a bearer token (also "
                   "set as an HttpOnly cookie).",
        .tag = "account",
        .response_schema =
            R"({"type":"object","required":["token","expires_at","must_set_passwords","pledge_required"],)"
            R"("properties":{"token":{"type":"string"},"expires_at":{"type":"string","format":"date-time"},)"
            R"("must_set_passwords":{"type":"boolean"},"pledge_required":{"type":"boolean"}}})",
        .error_statuses = {401, 415, 503}}});
  r.push_back(
      {http::verb::post,
       "/api/v1/applications/{batch}",
       async_handler(
           [&api](request_context& ctx) { return save_choices(ctx, api, core::mode::formal); }),
       {.summary = "Submit the formal choices (正式志愿) of a batch. Needs Idempotency-Key; the "
                   "201 receipt is sent only after the durable commit. Optional If-Match: the "
                   "version this submission replaces (409 when stale).",
        .tag = "filing",
        .response_schema = R"({"$ref":"#/components/schemas/Receipt"})",
        .success_status = 201,
        .error_statuses = {401, 403, 409, 415, 422, 503}}});
  r.push_back(
      {http::verb::put,
       "/api/v1/drafts/{batch}",
       async_handler(
           [&api](request_context& ctx) { return save_choices(ctx, api, core::mode::draft); }),
       {.summary = "Save the draft (志愿草稿) of a batch. If-Match with the draft's version "
                   "(\"0\" for none) is required (428 without, 412 when stale). Incomplete "
                   "drafts are kept; the response lists what still breaks the rules.",
        .tag = "filing",
        .response_schema = R"({"$ref":"#/components/schemas/Receipt"})",
        .error_statuses = {401, 403, 412, 415, 428, 503}}});
  return r;
}

}  // namespace zhiyuan::server
