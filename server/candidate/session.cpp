#include "server/candidate/session.hpp"

#include "server/http/problem.hpp"
#include "server/http/request.hpp"

namespace zhiyuan::server {

std::optional<session_info> authenticate(request_context& ctx, candidate_api_context& api) {
  const std::string_view token =
      presented_token(header(ctx.request, "Authorization"), header(ctx.request, "Cookie"));
  if (auto digest = session_table::digest_of(token)) {
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
