#include <sodium.h>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/time.hpp"
#include "server/async.hpp"
#include "server/candidate_api.hpp"
#include "server/candidate_http.hpp"
#include "server/json_writer.hpp"
#include "server/problem.hpp"
#include "storage/auth_store.hpp"

namespace zhiyuan::server {
namespace {

namespace ondemand = simdjson::ondemand;
using core::errc;

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

}  // namespace

std::vector<route_spec> account_routes(candidate_api_context& api) {
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
  return r;
}

}  // namespace zhiyuan::server
