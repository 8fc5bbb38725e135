// The admission offices' accounts (招考信息管理系统): sign-in from trusted networks with one live
// session per account, sign-out, the own account and password, and the accounts of one's
// subtree. Scope is enforced by storage in the SQL of every query (the acting admin's unit);
// handlers add the role checks.
#include <sodium.h>

#include <cctype>
#include <cstring>
#include <stdexcept>

#include "core/admin.hpp"
#include "core/password.hpp"
#include "core/time.hpp"
#include "server/admin/bodies.hpp"
#include "server/admin/context.hpp"
#include "server/admin/encode.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/async.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/login_guard.hpp"
#include "server/password_hash.hpp"
#include "server/sessions.hpp"
#include "storage/admin_store.hpp"

namespace zhiyuan::server {

std::string one_time_password() {
  static constexpr std::string_view letters = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
  static constexpr std::string_view digits = "23456789";
  std::string out;
  for (;;) {
    out.clear();
    bool letter = false, digit = false;
    for (int i = 0; i < 12; ++i) {
      const auto pick =
          randombytes_uniform(static_cast<std::uint32_t>(letters.size() + digits.size()));
      if (pick < letters.size()) {
        out += letters[pick];
        letter = true;
      } else {
        out += digits[pick - letters.size()];
        digit = true;
      }
    }
    if (letter && digit) return out;
  }
}

namespace admin_http {
namespace {

constexpr int list_page_rows = 200;
constexpr std::string_view role_codes = "role: viewer, operator or manager";

// ------------------------------------------------------------ sign-in

std::int64_t username_key(std::string_view username) {
  // The guard's account key: a separate guard instance, keyed by the user name's hash, so that
  // unknown names are throttled too and admin keys never meet candidates' ids.
  unsigned char h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(username.data()),
                     username.size(), nullptr, 0);
  std::int64_t k;
  std::memcpy(&k, h, sizeof k);
  return (k & 0x3fffffffffffffff) | 1;
}

// What a sign-in checks on the hashing pool.
struct login_attempt {
  credentials given;
  std::string ip;
  std::vector<std::string> networks;  ///< admin.trusted_networks
};

struct login_outcome {
  enum class kind { ok, refused, untrusted } result = kind::refused;
  std::string token;
  bool must_change_password = true;
  std::int16_t role = 0;
  std::int32_t unit_id = 0;
};

// On the hashing pool: the network first, then the password; a session starts only for the
// right password of an enabled account. Every refusal is audited.
login_outcome verify_login(pqxx::connection* conn, const login_attempt& a) {
  login_outcome out;
  if (conn == nullptr) throw std::runtime_error("no database");
  const std::string& unknown = unknown_account_hash();
  auto refuse = [&](std::int64_t id, std::int32_t unit, const char* reason) {
    storage::append_audit(*conn, {1, id, unit, "admin.login_refused", a.given.username,
                                  audit_detail({{"reason", reason}}), a.ip});
  };
  const auto row = storage::find_admin_login(*conn, a.given.username, a.ip, a.networks);
  const bool trusted =
      row ? row->trusted_network : storage::trusted_globally(*conn, a.ip, a.networks);
  if (!trusted) {
    // Logins only from trusted networks: refused before any password is checked.
    refuse(row ? row->admin_id : 0, row ? row->unit_id : 0, "untrusted_network");
    out.result = login_outcome::kind::untrusted;
    return out;
  }
  // Unknown names cost the same hash as known ones: no account enumeration.
  const bool ok = password_matches(row ? row->password_hash : unknown, a.given.password);
  if (!row || !ok || row->disabled) {
    refuse(row ? row->admin_id : 0, row ? row->unit_id : 0,
           !row  ? "unknown_user"
           : !ok ? "bad_password"
                 : "disabled");
    return out;
  }
  token_digest digest;
  out.token = session_table::new_token(digest);
  storage::start_admin_session(*conn, row->admin_id, row->unit_id, digest, a.ip);
  out.result = login_outcome::kind::ok;
  out.must_change_password = row->must_change_password;
  out.role = row->role;
  out.unit_id = row->unit_id;
  return out;
}

void write_signed_in(std::string& out, const login_outcome& r, std::int64_t idle_seconds) {
  json_writer w(out);
  w.begin_object();
  w.key("token").value(r.token);
  w.key("must_change_password").value(r.must_change_password);
  w.key("role").value(core::to_code(*core::admin_role_from_int(r.role)));
  w.key("idle_timeout_seconds").value(idle_seconds);
  w.end_object();
}

asio::awaitable<void> login(request_context& ctx, admin_api_context& api) {
  auto given = parse_credentials(ctx);
  if (!given) co_return fail(ctx, given.error());
  const std::string ip = peer_of(ctx);
  const auto key = username_key(given->username);
  const auto verdict =
      api.guard->admit(key, login_guard::secret::login, ctx.peer, api.now_micros());
  if (verdict.retry_after > 0) {
    audit_later(api, {1, 0, 0, "admin.login_refused", given->username,
                      audit_detail({{"reason", "throttled"}}), ip});
    co_return fail(ctx, verdict.error(), verdict.detail(),
                   static_cast<unsigned>(verdict.retry_after));
  }
  auto verify = [a = login_attempt{std::move(*given), ip, api.trusted_networks}](
                    pqxx::connection* conn) { return verify_login(conn, a); };
  auto r =
      co_await run_on<login_outcome>(*api.hashing, std::move(verify), core::work_class::sign_in);
  if (!r) {
    api.guard->unchecked(key, login_guard::secret::login,
                         ctx.peer);  // never checked: does not count
    co_return fail(ctx, errc::unavailable, "sign-in is busy; retry shortly", 1);
  }
  if (r->result == login_outcome::kind::untrusted) {
    co_return fail(ctx, errc::forbidden, "admin sign-in is not allowed from this network");
  }
  if (r->result == login_outcome::kind::refused) {
    co_return fail(ctx, errc::unauthenticated, "user name or password is wrong");
  }
  api.guard->succeeded(key, login_guard::secret::login, ctx.peer);
  write_signed_in(ctx.res.body, *r, api.idle_seconds);
  ctx.res.headers.emplace_back("Cache-Control", "no-store");
}

asio::awaitable<void> logout(request_context& ctx, admin_api_context& api) {
  job fn = [ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    storage::end_admin_session(conn, who.admin_id);
    storage::append_audit(conn,
                          {1, who.admin_id, who.unit_id, "admin.logout", who.username, "", ip});
    reply r;
    r.status = 204;
    return r;
  };
  co_await run_admin(ctx, api, {.before_password_change = true}, std::move(fn));
}

// ------------------------------------------------------------ the own account

void write_actor(json_writer& w, const storage::admin_actor& who) {
  w.begin_object();
  w.key("id").value(static_cast<std::int64_t>(who.admin_id));
  w.key("username").value(who.username);
  w.key("role").value(core::to_code(*core::admin_role_from_int(who.role)));
  w.key("unit");
  write_unit(w, {who.unit_id, who.unit_level, who.unit_code, who.unit_name}, true);
  w.key("must_change_password").value(who.must_change_password);
  w.end_object();
}

asio::awaitable<void> me(request_context& ctx, admin_api_context& api) {
  job fn = [](pqxx::connection&, const storage::admin_actor& who) {
    reply r;
    json_writer w(r.body);
    write_actor(w, who);
    return r;
  };
  co_await run_admin(ctx, api, {.before_password_change = true}, std::move(fn));
}

asio::awaitable<void> change_password(request_context& ctx, admin_api_context& api) {
  auto body = parse_password_change(ctx);
  if (!body) co_return fail(ctx, body.error());
  job fn = [pw = std::move(*body), common = api.common_passwords, ip = peer_of(ctx)](
               pqxx::connection& conn, const storage::admin_actor& who) {
    if (!password_matches(storage::admin_password_hash(conn, who.admin_id), pw.current_password)) {
      return problem(errc::invalid_field, "current_password: wrong password");
    }
    core::password_context pc{"", "", "", common};
    const auto rule = core::check_password(pw.new_password, pc);
    if (rule != core::password_rule::ok) {
      std::string detail = "new_password: ";
      detail += core::message_en(rule);
      return problem(errc::validation_failed, detail);
    }
    if (pw.new_password == pw.current_password) {
      return problem(errc::validation_failed, "new_password: unchanged");
    }
    const std::string hash = hash_password(pw.new_password);
    if (hash.empty()) throw std::runtime_error("out of memory");
    storage::set_own_admin_password(conn, who, hash, ip);
    reply r;
    r.body = R"({"must_change_password":false})";
    return r;
  };
  co_await run_admin(ctx, api, {.before_password_change = true}, std::move(fn), api.hashing);
}

// ------------------------------------------------------------ accounts in scope

void write_user(json_writer& w, const storage::admin_user_row& u, std::int64_t offset) {
  w.begin_object();
  w.key("id").value(static_cast<std::int64_t>(u.admin_id));
  w.key("username").value(u.username);
  w.key("role").value(
      core::to_code(core::admin_role_from_int(u.role).value_or(core::admin_role::viewer)));
  w.key("unit");
  write_unit(w, u.unit);
  w.key("disabled").value(u.disabled);
  w.key("must_change_password").value(u.must_change_password);
  w.key("created_at").value(format_db_time(u.created_us, offset));
  w.end_object();
}

// A user name as accounts are named: 3-64 letters, digits, '.', '_' or '-'.
std::optional<std::string> username_of(std::string_view u) {
  if (u.size() < 3 || u.size() > 64) return std::nullopt;
  for (unsigned char c : u) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return std::nullopt;
  }
  return std::string(u);
}

asio::awaitable<void> list_users(request_context& ctx, admin_api_context& api) {
  const auto after = query_positive(ctx, "page_token", INT32_MAX);
  if (!after) co_return fail(ctx, after.error());
  job fn = [after = static_cast<std::int32_t>(after->value_or(0)),
            offset = api.clock_offset_seconds](pqxx::connection& conn,
                                               const storage::admin_actor& who) {
    return page_of("users", storage::list_admin_users(conn, who.unit_id, after, list_page_rows),
                   list_page_rows, &storage::admin_user_row::admin_id,
                   [offset](json_writer& w, const auto& u) { write_user(w, u, offset); });
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn));
}

// On the hashing pool: the account with a one-time password, returned once.
reply create_user_job(pqxx::connection& conn, const storage::admin_actor& who, const new_user& u,
                      const std::string& ip, std::int64_t offset) {
  if (!core::may_grant(*core::admin_role_from_int(who.role), u.role)) {
    return problem(errc::forbidden, "role: above your own");
  }
  // Outside the subtree nothing is hashed (the insert checks the scope again).
  const auto unit = storage::unit_code_in_scope(conn, u.unit, who.unit_id);
  if (!unit) return problem(errc::not_found, "no such unit");
  const std::string password = one_time_password();
  const std::string hash = hash_password(password);
  if (hash.empty()) throw std::runtime_error("out of memory");
  const auto out = storage::create_admin_user(conn, who, u.username, unit->id,
                                              static_cast<std::int16_t>(u.role), hash, ip);
  using o = storage::admin_user_change::outcome;
  if (out.result == o::name_taken) return problem(errc::conflict, "username: taken");
  if (out.result == o::out_of_scope) return problem(errc::not_found, "no such unit");
  reply r;
  r.status = 201;
  json_writer w(r.body);
  w.begin_object();
  w.key("user");
  write_user(w, out.user, offset);
  w.key("initial_password").value(password);
  w.end_object();
  return r;
}

asio::awaitable<void> create_user(request_context& ctx, admin_api_context& api) {
  auto body = parse_new_user(ctx);
  if (!body) co_return fail(ctx, body.error());
  job fn = [u = std::move(*body), ip = peer_of(ctx), offset = api.clock_offset_seconds](
               pqxx::connection& conn, const storage::admin_actor& who) {
    return create_user_job(conn, who, u, ip, offset);
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn),
                     api.hashing);
}

// The change of another account of the subtree (a reset on the hashing pool).
reply update_user_job(pqxx::connection& conn, const storage::admin_actor& who, std::int32_t id,
                      const user_change& c, const std::string& ip, std::int64_t offset) {
  if (id == who.admin_id) {
    return problem(errc::forbidden, "not your own account (POST /api/v1/admin/me/password)");
  }
  if (c.role && !core::may_grant(*core::admin_role_from_int(who.role), *c.role)) {
    return problem(errc::forbidden, "role: above your own");
  }
  std::string password;
  std::optional<std::string> hash;
  // An account the actor may not change costs no hash (the update checks again).
  if (c.reset_password && !storage::admin_user_changeable(conn, who, id)) {
    return problem(errc::not_found, "no such account");
  }
  if (c.reset_password) {
    password = one_time_password();
    hash = hash_password(password);
    if (hash->empty()) throw std::runtime_error("out of memory");
  }
  std::optional<std::int16_t> stored_role;
  if (c.role) stored_role = static_cast<std::int16_t>(*c.role);
  const auto out =
      storage::update_admin_user(conn, who, id, c.disabled, stored_role, std::move(hash), ip);
  if (out.result != storage::admin_user_change::outcome::ok) {
    return problem(errc::not_found, "no such account");
  }
  reply r;
  json_writer w(r.body);
  w.begin_object();
  w.key("user");
  write_user(w, out.user, offset);
  if (c.reset_password) w.key("one_time_password").value(password);
  w.end_object();
  return r;
}

asio::awaitable<void> update_user(request_context& ctx, admin_api_context& api) {
  const auto id = path_id(ctx, "id", INT32_MAX);
  if (!id) co_return fail(ctx, id.error());
  auto body = parse_user_change(ctx);
  if (!body) co_return fail(ctx, body.error());
  const bool reset = body->reset_password;
  job fn = [id = static_cast<std::int32_t>(*id), c = *body, ip = peer_of(ctx),
            offset = api.clock_offset_seconds](pqxx::connection& conn,
                                               const storage::admin_actor& who) {
    return update_user_job(conn, who, id, c, ip, offset);
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn),
                     reset ? api.hashing : nullptr);
}

}  // namespace

core::result<credentials> parse_credentials(const request_context& ctx) {
  return json_fields<credentials>(ctx)
      .text("username", &credentials::username, 64)
      .text("password", &credentials::password, 64)
      .done();
}

core::result<password_change> parse_password_change(const request_context& ctx) {
  return json_fields<password_change>(ctx)
      .text("current_password", &password_change::current_password, 64)
      .text("new_password", &password_change::new_password, 64)
      .done();
}

core::result<new_user> parse_new_user(const request_context& ctx) {
  return json_fields<new_user>(ctx)
      .custom("username", true,
              json_code(&new_user::username, username_of,
                        "username: 3-64 letters, digits, '.', '_' or '-'"))
      .custom("unit", true, json_code(&new_user::unit, unit_code_of, "unit: a unit code"))
      .custom("role", true, json_code(&new_user::role, core::parse_admin_role, role_codes))
      .done();
}

core::result<user_change> parse_user_change(const request_context& ctx) {
  auto body =
      json_fields<user_change>(ctx)
          .flag("disabled", false,
                [](user_change& c, bool b) {
                  c.disabled = b;
                  return true;
                })
          .custom("role", false, json_code(&user_change::role, core::parse_admin_role, role_codes))
          .flag(
              "reset_password", false,
              [](user_change& c, bool b) {
                c.reset_password = b;
                return b;
              },
              "true")
          .done();
  if (body && !body->disabled && !body->role && !body->reset_password) {
    return core::failure(errc::invalid_field, "body: one of disabled, role, reset_password");
  }
  return body;
}

std::vector<route_spec> accounts_routes(admin_api_context& api) {
  return {
      {http::verb::post, "/api/v1/admin/auth/login", handler_for(api, login)},
      {http::verb::post, "/api/v1/admin/auth/logout", handler_for(api, logout)},
      {http::verb::get, "/api/v1/admin/me", handler_for(api, me)},
      {http::verb::post, "/api/v1/admin/me/password", handler_for(api, change_password)},
      {http::verb::get, "/api/v1/admin/users", handler_for(api, list_users)},
      {http::verb::post, "/api/v1/admin/users", handler_for(api, create_user)},
      {http::verb::patch, "/api/v1/admin/users/{id}", handler_for(api, update_user)},
  };
}

}  // namespace admin_http
}  // namespace zhiyuan::server
