#include "server/candidate/session.hpp"

#include "server/async.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/session_store.hpp"

namespace zhiyuan::server {
namespace {

// How long a token the database does not know is answered 401 from memory.
constexpr std::int64_t absent_seconds = 5;

// A lookup refused this many times because revocations kept arriving during it answers 503.
constexpr int lookup_attempts = 3;

// The presented token's digest, hashed once per request (the prelude's check, then the handler).
const std::optional<token_digest>& digest_of_request(const request_context& ctx) {
  if (!ctx.digest_checked) {
    ctx.digest = session_table::digest_of(
        presented_token(header(ctx.request, "Authorization"), header(ctx.request, "Cookie")));
    ctx.digest_checked = true;
  }
  return ctx.digest;
}

}  // namespace

bool needs_session_lookup(const request_context& ctx, const candidate_api_context& api) {
  if (ctx.path.starts_with("/api/v1/admin/") || !ctx.path.starts_with("/api/v1/")) return false;
  const auto& digest = digest_of_request(ctx);
  return digest && !api.sessions->resolved_here(*digest, api.now_seconds());
}

boost::asio::awaitable<bool> look_up_session(request_context& ctx, candidate_api_context& api) {
  const token_digest digest = *digest_of_request(ctx);
  const std::int64_t now = api.now_seconds();
  // Another node's idle timer reaches the database up to a tenth of the limit late
  // (session_sync): that much slack, so that a session in use elsewhere is not refused here.
  const std::int64_t idle = api.sessions->idle_seconds() + api.sessions->idle_seconds() / 10;
  auto find = [digest, now, idle](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database connection");
    return storage::find_session(*conn, digest, now, idle);
  };
  for (int attempt = 0; attempt < lookup_attempts; ++attempt) {
    // A revocation heard while the read is out may postdate what it returns.
    const std::uint64_t generation = api.sessions->generation(digest);
    auto r = co_await run_on<std::optional<storage::stored_session>>(*api.reads, find);
    if (!r) break;
    const auto& s = *r;
    if (!s) {
      api.sessions->remember_absent(digest, now + absent_seconds);
      co_return true;
    }
    // This request is the session's latest use.
    if (api.sessions->insert_unless_revoked(
            digest, {s->candidate_id, s->expires_at, now, s->passwords_set, s->pledged},
            generation)) {
      co_return true;
    }
  }
  fail(ctx, core::errc::unavailable, "cannot check the session now; retry shortly", 1);
  co_return false;
}

std::optional<session_info> authenticate(request_context& ctx, candidate_api_context& api) {
  if (const auto& digest = digest_of_request(ctx)) {
    if (auto s = api.sessions->find(*digest, api.now_seconds())) {
      return session_info{s->candidate_id, *digest, s->passwords_set, s->pledged};
    }
  }
  fail(ctx, core::errc::unauthenticated, "sign in first (POST /api/v1/auth/login)");
  ctx.res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return std::nullopt;
}

bool may_write(request_context& ctx, const session_info& s) {
  if (!s.passwords_set) {
    fail(ctx, core::errc::passwords_required,
         "set your login and save passwords first (POST /api/v1/me/passwords)");
    return false;
  }
  if (!s.pledged) {
    fail(ctx, core::errc::pledge_required,
         "accept the filing pledge first (POST /api/v1/me/pledge)");
    return false;
  }
  return true;
}

bool drilling(const candidate_api_context& api) {
  return api.schedule.get()->drill.contains(api.now_seconds());
}

core::result<storage::candidate_directory::entry> registered(const candidate_api_context& api,
                                                             std::int64_t candidate) {
  auto who = api.candidate(candidate);
  if (!who) return core::failure(core::errc::forbidden, "not a registered candidate");
  return std::move(*who);
}

}  // namespace zhiyuan::server
