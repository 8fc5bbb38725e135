#include "server/admin/gate.hpp"

#include <memory>
#include <stdexcept>

#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/sessions.hpp"

namespace zhiyuan::server::admin_http {

reply problem(errc e, std::string detail) { return {core::error{e, std::move(detail)}}; }

void answer(request_context& ctx, reply& r) {
  if (r.error) {
    fail(ctx, *r.error, r.retry_after, r.extra_members);
    if (r.error->code == errc::unauthenticated) {
      ctx.res.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
  } else {
    ctx.res.status = r.status;
    ctx.res.body = std::move(r.body);
    ctx.res.content_type = r.content_type;
    for (auto& h : r.headers) ctx.res.headers.push_back(std::move(h));
  }
  ctx.res.headers.emplace_back("Cache-Control", "no-store");
}

std::string peer_of(const request_context& ctx) { return std::string(ctx.peer); }

// ------------------------------------------------------------ sessions

namespace {

// On a pool thread: the session (in the database: one live session per account, the idle
// timeout) and the role, then `fn`.
reply gated(pqxx::connection* conn, const token_digest& digest, std::int64_t idle, gate g,
            const job& fn) {
  if (conn == nullptr) throw std::runtime_error("no database");
  const auto who = storage::touch_admin_session(*conn, digest, idle);
  if (!who) return problem(errc::unauthenticated, "session ended or expired; sign in again");
  if (who->must_change_password && !g.before_password_change) {
    return problem(errc::passwords_required,
                   "change your password first (POST /api/v1/admin/me/password)");
  }
  const auto role = core::admin_role_from_int(who->role);
  if (!role || !core::may(*role, g.need)) {
    return problem(errc::forbidden, "your role does not allow this");
  }
  if (g.province && !core::may_run_province(*role, who->unit_level)) {
    return problem(errc::forbidden, "only the province's managers may do this");
  }
  return fn(*conn, *who);
}

reply signed_out() {
  return problem(errc::unauthenticated, "sign in first (POST /api/v1/admin/auth/login)");
}

// Checks the session and the role, then runs `fn` on the same pool thread and connection.
// Nothing when the request was answered already (no token, pools busy).
asio::awaitable<std::optional<reply>> gated_reply(request_context& ctx, admin_api_context& api,
                                                  gate g, job fn, storage::worker_pool* pool) {
  const auto digest = session_table::digest_of(
      presented_token(header(ctx.request, "Authorization"), std::string_view()));
  if (!digest) {
    reply r = signed_out();
    answer(ctx, r);
    co_return std::nullopt;
  }
  auto work = [digest = *digest, idle = api.idle_seconds, g, fn = std::move(fn)](
                  pqxx::connection* conn) -> reply { return gated(conn, digest, idle, g, fn); };
  auto r = co_await run_on<reply>(pool ? *pool : *api.queries, std::move(work));
  if (!r) {
    reply busy = problem(errc::unavailable, "busy; retry shortly");
    answer(ctx, busy);
  }
  co_return r;
}

}  // namespace

asio::awaitable<void> run_admin(request_context& ctx, admin_api_context& api, gate g, job fn,
                                storage::worker_pool* pool) {
  auto r = co_await gated_reply(ctx, api, g, std::move(fn), pool);
  if (!r) co_return;
  if (r->candidate_id != 0) {
    // A reset candidate password ends the candidate's sessions here too, not only in storage.
    api.candidate_sessions->erase_others(r->candidate_id, token_digest{});
  }
  answer(ctx, *r);
}

asio::awaitable<void> run_admin_read(request_context& ctx, admin_api_context& api, gate g, job fn) {
  if (api.replica == nullptr) co_return co_await run_admin(ctx, api, g, std::move(fn));
  // The actor the check found, read back on this thread once the check's job completed.
  auto who = std::make_shared<storage::admin_actor>();
  job check = [who](pqxx::connection&, const storage::admin_actor& actor) {
    *who = actor;
    return reply{};
  };
  auto checked = co_await gated_reply(ctx, api, g, std::move(check), nullptr);
  if (!checked) co_return;
  if (checked->error) {
    answer(ctx, *checked);
    co_return;
  }
  auto read = [who, fn = std::move(fn)](pqxx::connection* conn) -> reply {
    if (conn == nullptr) throw std::runtime_error("no standby connection");
    return fn(*conn, *who);
  };
  auto r = co_await run_on<reply>(*api.replica, std::move(read));
  reply out = r ? std::move(*r) : problem(errc::unavailable, "busy; retry shortly");
  answer(ctx, out);
}

asio::awaitable<std::optional<core::error>> admit_upload(admin_api_context& api,
                                                         std::string_view authorization) {
  const auto digest = session_table::digest_of(presented_token(authorization, std::string_view()));
  if (!digest) co_return signed_out().error;
  // Documents and imports are both the province managers' (gate of their handlers).
  auto work = [digest = *digest, idle = api.idle_seconds](pqxx::connection* conn) -> reply {
    return gated(conn, digest, idle, {core::admin_capability::province_operations, false, true},
                 [](pqxx::connection&, const storage::admin_actor&) { return reply{}; });
  };
  auto r = co_await run_on<reply>(*api.queries, std::move(work));
  if (!r) co_return core::error{errc::unavailable, "busy; retry shortly"};
  co_return r->error;
}

std::string audit_detail(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  for (const auto& [k, v] : kv) w.key(k).value(v);
  w.end_object();
  return out;
}

// Audits in the background (refused sign-ins that never reached the database).
void audit_later(admin_api_context& api, storage::audit_entry e) {
  api.queries->try_post([e = std::move(e)](pqxx::connection* conn) {
    if (conn != nullptr) storage::append_audit(*conn, e);
  });
}

}  // namespace zhiyuan::server::admin_http
