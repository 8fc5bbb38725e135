// The admission offices' API (招考信息管理系统): accounts and one live session per account,
// statistics, unfiled lists and streamed exports, a candidate's filing status, unfiled
// reasons, candidates' password resets and the audit log. Scope is enforced by storage in the
// SQL of every query (the acting admin's unit); handlers add the role checks and never touch
// choices, drafts, favourites or the save password.
#include "server/admin/context.hpp"

#include <sodium.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/time.hpp"
#include "server/admin/gate.hpp"
#include "server/async.hpp"
#include "server/candidate/helpers.hpp"
#include "server/http/csv.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/login_guard.hpp"
#include "storage/admin_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;
namespace dom = simdjson::dom;

constexpr unsigned long long hash_ops = 2;  // Argon2id at the cost of DESIGN.md, as candidates
constexpr std::size_t hash_mem = 19u << 20;
constexpr int list_page_rows = 200;

using namespace admin_http;

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

struct login_outcome {
  enum class kind { ok, refused, untrusted } result = kind::refused;
  std::string token;
  bool must_change_password = true;
  std::int16_t role = 0;
  std::int32_t unit_id = 0;
};

asio::awaitable<void> login(request_context& ctx, admin_api_context& api) {
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"username", "password"});
  if (!obj) co_return;
  auto user = string_member(ctx, *obj, "username", 64);
  if (!user) co_return;
  auto pass = string_member(ctx, *obj, "password", 64);
  if (!pass) co_return;
  const std::string ip = peer_of(ctx);
  const auto key = username_key(*user);
  const auto verdict =
      api.guard->admit(key, login_guard::secret::login, ctx.peer, api.now_micros());
  if (verdict.retry_after > 0) {
    audit_later(
        api, {1, 0, 0, "admin.login_refused", *user, audit_detail({{"reason", "throttled"}}), ip});
    fail(ctx, verdict.account_locked ? errc::account_locked : errc::too_many_requests,
         "too many sign-in attempts; retry later", static_cast<unsigned>(verdict.retry_after));
    co_return;
  }
  auto verify = [user = *user, pass = std::move(*pass), ip,
                 networks = api.trusted_networks](pqxx::connection* conn) {
    login_outcome out;
    if (conn == nullptr) throw std::runtime_error("no database");
    static const std::string dummy = [] {
      char h[crypto_pwhash_STRBYTES];
      if (crypto_pwhash_str(h, "x", 1, hash_ops, hash_mem) != 0) return std::string();
      return std::string(h);
    }();
    auto refuse = [&](std::int64_t id, std::int32_t unit, const char* reason) {
      storage::append_audit(*conn, {1, id, unit, "admin.login_refused", user,
                                    audit_detail({{"reason", reason}}), ip});
    };
    const auto row = storage::find_admin_login(*conn, user, ip, networks);
    const bool trusted =
        row ? row->trusted_network : storage::trusted_globally(*conn, ip, networks);
    if (!trusted) {
      // Logins only from trusted networks: refused before any password is checked.
      refuse(row ? row->admin_id : 0, row ? row->unit_id : 0, "untrusted_network");
      out.result = login_outcome::kind::untrusted;
      return out;
    }
    // Unknown names cost the same hash as known ones: no account enumeration.
    const std::string& hash = row ? row->password_hash : dummy;
    const bool ok = crypto_pwhash_str_verify(hash.c_str(), pass.data(), pass.size()) == 0;
    if (!row || !ok || row->disabled) {
      refuse(row ? row->admin_id : 0, row ? row->unit_id : 0,
             !row  ? "unknown_user"
             : !ok ? "bad_password"
                   : "disabled");
      return out;
    }
    token_digest digest;
    out.token = session_table::new_token(digest);
    storage::start_admin_session(*conn, row->admin_id, row->unit_id, digest, ip);
    out.result = login_outcome::kind::ok;
    out.must_change_password = row->must_change_password;
    out.role = row->role;
    out.unit_id = row->unit_id;
    return out;
  };
  auto r = co_await run_on<login_outcome>(*api.hashing, std::move(verify));
  if (!r) {
    api.guard->unchecked(key, login_guard::secret::login);  // never checked: does not count
    fail(ctx, errc::unavailable, "sign-in is busy; retry shortly", 1);
    co_return;
  }
  if (r->result == login_outcome::kind::untrusted) {
    fail(ctx, errc::forbidden, "admin sign-in is not allowed from this network");
    co_return;
  }
  if (r->result == login_outcome::kind::refused) {
    fail(ctx, errc::unauthenticated, "user name or password is wrong");
    co_return;
  }
  api.guard->succeeded(key, login_guard::secret::login);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("token").value(r->token);
  w.key("must_change_password").value(r->must_change_password);
  w.key("role").value(core::to_code(*core::admin_role_from_int(r->role)));
  w.key("unit_id").value(static_cast<std::int64_t>(r->unit_id));
  w.key("idle_timeout_seconds").value(api.idle_seconds);
  w.end_object();
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

void write_actor(json_writer& w, const storage::admin_actor& who) {
  w.begin_object();
  w.key("id").value(static_cast<std::int64_t>(who.admin_id));
  w.key("username").value(who.username);
  w.key("role").value(core::to_code(*core::admin_role_from_int(who.role)));
  w.key("unit").begin_object();
  w.key("id").value(static_cast<std::int64_t>(who.unit_id));
  w.key("code").value(who.unit_code);
  w.key("name").value(who.unit_name);
  w.key("level").value(static_cast<std::int64_t>(who.unit_level));
  w.end_object();
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
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"old_password", "new_password"});
  if (!obj) co_return;
  auto old_pw = string_member(ctx, *obj, "old_password", 64);
  if (!old_pw) co_return;
  auto new_pw = string_member(ctx, *obj, "new_password", 64);
  if (!new_pw) co_return;
  job fn = [old_pw = std::move(*old_pw), new_pw = std::move(*new_pw), common = api.common_passwords,
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    const std::string stored = storage::admin_password_hash(conn, who.admin_id);
    if (crypto_pwhash_str_verify(stored.c_str(), old_pw.data(), old_pw.size()) != 0) {
      return problem(errc::invalid_field, "old_password: wrong password");
    }
    core::password_context pc{"", "", "", common};
    const auto rule = core::check_password(new_pw, pc);
    if (rule != core::password_rule::ok) {
      std::string detail = "new_password: ";
      detail += core::message_en(rule);
      return problem(errc::validation_failed, detail);
    }
    if (new_pw == old_pw) return problem(errc::validation_failed, "new_password: unchanged");
    const std::string hash = hash_password(new_pw);
    if (hash.empty()) throw std::runtime_error("out of memory");
    storage::set_own_admin_password(conn, who, hash, ip);
    reply r;
    r.body = R"({"must_change_password":false})";
    return r;
  };
  co_await run_admin(ctx, api, {.before_password_change = true}, std::move(fn), api.hashing);
}

// ------------------------------------------------------------ accounts in scope

void write_user(json_writer& w, const storage::admin_user_row& u) {
  w.begin_object();
  w.key("id").value(static_cast<std::int64_t>(u.admin_id));
  w.key("username").value(u.username);
  w.key("role").value(
      core::to_code(core::admin_role_from_int(u.role).value_or(core::admin_role::viewer)));
  w.key("unit").begin_object();
  w.key("id").value(static_cast<std::int64_t>(u.unit.id));
  w.key("code").value(u.unit.code);
  w.key("name").value(u.unit.name);
  w.end_object();
  w.key("disabled").value(u.disabled);
  w.key("must_change_password").value(u.must_change_password);
  w.key("created_at").value(core::format_utc_micros(u.created_us));
  w.end_object();
}

bool valid_username(std::string_view u) {
  if (u.size() < 3 || u.size() > 64) return false;
  for (unsigned char c : u) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

asio::awaitable<void> list_users(request_context& ctx, admin_api_context& api) {
  std::int32_t after = 0;
  if (const auto t = query_param(ctx.query, "page_token"); t.present) {
    auto v = t.malformed ? std::nullopt : parse_int<std::int32_t>(t.value);
    if (!v || *v < 0) {
      fail(ctx, errc::invalid_field, "page_token: as returned by the previous page");
      co_return;
    }
    after = *v;
  }
  job fn = [after](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto users = storage::list_admin_users(conn, who.unit_id, after, list_page_rows);
    reply r;
    json_writer w(r.body);
    w.begin_object().key("users").begin_array();
    for (const auto& u : users) write_user(w, u);
    w.end_array();
    w.key("next_page_token");
    if (users.size() == static_cast<std::size_t>(list_page_rows)) {
      w.value(std::to_string(users.back().admin_id));
    } else {
      w.null();
    }
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn));
}

asio::awaitable<void> create_user(request_context& ctx, admin_api_context& api) {
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"username", "unit", "role"});
  if (!obj) co_return;
  auto username = string_member(ctx, *obj, "username", 64);
  if (!username) co_return;
  if (!valid_username(*username)) {
    fail(ctx, errc::invalid_field, "username: 3-64 letters, digits, '.', '_' or '-'");
    co_return;
  }
  std::int64_t unit = 0;
  if ((*obj)["unit"].get_int64().get(unit) || unit <= 0 || unit > INT32_MAX) {
    fail(ctx, errc::invalid_field, "unit: a unit id");
    co_return;
  }
  auto role_text = string_member(ctx, *obj, "role", 16);
  if (!role_text) co_return;
  const auto role = core::parse_admin_role(*role_text);
  if (!role) {
    fail(ctx, errc::invalid_field, "role: viewer, operator or manager");
    co_return;
  }
  job fn = [username = std::move(*username), unit = static_cast<std::int32_t>(unit), role = *role,
            ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    if (!core::may_grant(*core::admin_role_from_int(who.role), role)) {
      return problem(errc::forbidden, "role: above your own");
    }
    // Outside the subtree nothing is hashed (the insert checks the scope again).
    if (!storage::unit_in_scope(conn, unit, who.unit_id)) {
      return problem(errc::not_found, "no such unit");
    }
    const std::string password = one_time_password();
    const std::string hash = hash_password(password);
    if (hash.empty()) throw std::runtime_error("out of memory");
    const auto out = storage::create_admin_user(conn, who, username, unit,
                                                static_cast<std::int16_t>(role), hash, ip);
    using o = storage::admin_user_change::outcome;
    if (out.result == o::name_taken) return problem(errc::conflict, "username: taken");
    if (out.result == o::out_of_scope) return problem(errc::not_found, "no such unit");
    reply r;
    r.status = 201;
    json_writer w(r.body);
    w.begin_object();
    w.key("user");
    write_user(w, out.user);
    w.key("initial_password").value(password);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn),
                     api.hashing);
}

asio::awaitable<void> update_user(request_context& ctx, admin_api_context& api) {
  const auto id = id_param(ctx, "id");
  if (!id) co_return;
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"disabled", "role", "reset_password"});
  if (!obj) co_return;
  std::optional<bool> disabled;
  std::optional<core::admin_role> role;
  bool reset = false;
  for (auto [key, value] : *obj) {
    bool b = false;
    std::string_view s;
    if (key == "disabled") {
      if (value.get_bool().get(b)) {
        fail(ctx, errc::invalid_field, "disabled: true or false");
        co_return;
      }
      disabled = b;
    } else if (key == "reset_password") {
      if (value.get_bool().get(b) || !b) {
        fail(ctx, errc::invalid_field, "reset_password: true");
        co_return;
      }
      reset = true;
    } else {
      if (value.get_string().get(s) || !(role = core::parse_admin_role(s))) {
        fail(ctx, errc::invalid_field, "role: viewer, operator or manager");
        co_return;
      }
    }
  }
  if (!disabled && !role && !reset) {
    fail(ctx, errc::invalid_field, "body: one of disabled, role, reset_password");
    co_return;
  }
  job fn = [id = *id, disabled, role, reset, ip = peer_of(ctx)](pqxx::connection& conn,
                                                                const storage::admin_actor& who) {
    if (id == who.admin_id) {
      return problem(errc::forbidden, "not your own account (POST /api/v1/admin/me/password)");
    }
    if (role && !core::may_grant(*core::admin_role_from_int(who.role), *role)) {
      return problem(errc::forbidden, "role: above your own");
    }
    std::string password;
    std::optional<std::string> hash;
    // An account the actor may not change costs no hash (the update checks again).
    if (reset && !storage::admin_user_changeable(conn, who, id)) {
      return problem(errc::not_found, "no such account");
    }
    if (reset) {
      password = one_time_password();
      hash = hash_password(password);
      if (hash->empty()) throw std::runtime_error("out of memory");
    }
    std::optional<std::int16_t> stored_role;
    if (role) stored_role = static_cast<std::int16_t>(*role);
    const auto out =
        storage::update_admin_user(conn, who, id, disabled, stored_role, std::move(hash), ip);
    if (out.result != storage::admin_user_change::outcome::ok) {
      return problem(errc::not_found, "no such account");
    }
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("user");
    write_user(w, out.user);
    if (reset) w.key("one_time_password").value(password);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn),
                     reset ? api.hashing : nullptr);
}

// ------------------------------------------------------------ statistics

double percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return 0;
  return static_cast<double>(part * 1000 / whole) / 10;  // one decimal, rounded down
}

void write_stats(json_writer& w, const storage::unit_stats& s) {
  const std::int64_t draft_only = s.drafted - s.drafted_submitted;
  const std::int64_t not_submitted = s.eligible - s.submitted;
  w.begin_object();
  w.key("unit").begin_object();
  w.key("id").value(static_cast<std::int64_t>(s.unit.id));
  w.key("code").value(s.unit.code);
  w.key("name").value(s.unit.name);
  w.key("level").value(static_cast<std::int64_t>(s.unit.level));
  w.end_object();
  w.key("eligible").value(s.eligible);
  w.key("logged_in").value(s.logged_in);
  w.key("draft_only").value(draft_only);
  w.key("submitted").value(s.submitted);
  w.key("not_submitted").value(not_submitted);
  w.key("percent").begin_object();
  w.key("logged_in").value(percent(s.logged_in, s.eligible));
  w.key("draft_only").value(percent(draft_only, s.eligible));
  w.key("submitted").value(percent(s.submitted, s.eligible));
  w.key("not_submitted").value(percent(not_submitted, s.eligible));
  w.end_object();
  w.end_object();
}

asio::awaitable<void> unit_stats(request_context& ctx, admin_api_context& api) {
  const auto unit = id_param(ctx, "unit");
  if (!unit) co_return;
  const auto b = batch_param(ctx);
  if (!b) co_return;
  job fn = [unit = *unit, b = *b](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto rows = storage::load_unit_stats(conn, unit, storage::encode_batch(b), who.unit_id);
    if (rows.empty()) return problem(errc::not_found, "no such unit");
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("batch").value(core::to_code(b));
    w.key("unit");
    write_stats(w, rows.front());
    w.key("children").begin_array();
    for (std::size_t i = 1; i < rows.size(); ++i) write_stats(w, rows[i]);
    w.end_array();
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::statistics}, std::move(fn));
}

asio::awaitable<void> stats_timeline(request_context& ctx, admin_api_context& api) {
  const auto unit = id_param(ctx, "unit");
  if (!unit) co_return;
  const auto b = batch_param(ctx);
  if (!b) co_return;
  job fn = [unit = *unit, b = *b](pqxx::connection& conn, const storage::admin_actor& who) {
    if (!storage::unit_in_scope(conn, unit, who.unit_id)) {
      return problem(errc::not_found, "no such unit");
    }
    const auto hours =
        storage::load_submission_timeline(conn, unit, storage::encode_batch(b), who.unit_id);
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("batch").value(core::to_code(b));
    w.key("unit_id").value(static_cast<std::int64_t>(unit));
    w.key("hours").begin_array();
    for (const auto& [hour, n] : hours) {
      w.begin_object();
      w.key("hour").value(core::format_rfc3339(hour));
      w.key("submissions").value(n);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::statistics}, std::move(fn));
}

// ------------------------------------------------------------ unfiled lists

std::string_view reason_code(std::int16_t stored) {
  const auto r = core::unfiled_reason_from_int(stored);
  return r ? core::to_code(*r) : std::string_view();
}

void append_csv_row(std::string& out, const storage::unfiled_row& row) {
  csv_field(out, row.exam_no);
  out += ',';
  csv_field(out, row.name);
  out += ',';
  csv_field(out, core::mask_id_number(row.id_number));
  out += ',';
  csv_field(out, row.school_code);
  out += ',';
  csv_field(out, row.school_name);
  out += ',';
  csv_field(out, core::mask_phone(row.phone));
  out += ',';
  if (row.last_login_us != 0) out += core::format_utc_micros(row.last_login_us);
  out += ',';
  out += row.has_draft ? "draft" : "none";
  out += ',';
  out += reason_code(row.reason);
  out += ',';
  csv_field(out, row.note);
  out += "\r\n";
}

// A streamed export's position: the next page starts after `after`.
struct export_cursor {
  storage::worker_pool* pool = nullptr;
  std::int32_t unit = 0;
  std::int16_t batch = 0;
  std::int32_t actor_unit = 0;
  int page_rows = 2000;
  std::int64_t after = 0;
};

// One step of a streamed CSV export: the next page of rows as CSV.
asio::awaitable<stream_step> next_csv_chunk(std::shared_ptr<export_cursor> cur,
                                            std::string& chunk) {
  auto load = [c = *cur](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_unfiled_page(*conn, c.unit, c.batch, c.actor_unit, c.after, c.page_rows);
  };
  auto rows = co_await run_on<std::vector<storage::unfiled_row>>(*cur->pool, std::move(load));
  if (!rows) co_return stream_step::failed;
  for (const auto& row : *rows) append_csv_row(chunk, row);
  if (rows->size() < static_cast<std::size_t>(cur->page_rows)) co_return stream_step::done;
  cur->after = rows->back().candidate_id;
  co_return stream_step::more;
}

asio::awaitable<void> unfiled(request_context& ctx, admin_api_context& api) {
  const auto unit = id_param(ctx, "unit");
  if (!unit) co_return;
  const auto b = batch_param(ctx);
  if (!b) co_return;
  const auto format = query_param(ctx.query, "format");
  const bool csv = format.present && format.value == "csv";
  if (format.present && (format.malformed || (!csv && format.value != "json"))) {
    fail(ctx, errc::invalid_field, "format: csv or json");
    co_return;
  }
  std::int64_t after = 0;
  if (const auto t = query_param(ctx.query, "page_token"); t.present) {
    auto v = t.malformed ? std::nullopt : parse_int<std::int64_t>(t.value);
    if (!v || *v < 0 || csv) {
      fail(ctx, errc::invalid_field, "page_token: as returned by the previous JSON page");
      co_return;
    }
    after = *v;
  }
  const std::int16_t batch = storage::encode_batch(*b);
  job fn = [unit = *unit, batch, after, csv, ip = peer_of(ctx)](pqxx::connection& conn,
                                                                const storage::admin_actor& who) {
    const auto target = storage::unit_in_scope(conn, unit, who.unit_id);
    if (!target) return problem(errc::not_found, "no such unit");
    const std::string target_id = std::to_string(unit);
    const std::string batch_code(core::to_code(storage::decode_batch(batch)));
    // Every read and export of candidate data is audited before the data leaves.
    storage::append_audit(
        conn,
        {1, who.admin_id, who.unit_id, csv ? "unfiled.export" : "unfiled.list", target->code,
         audit_detail(
             {{"unit_id", target_id}, {"batch", batch_code}, {"format", csv ? "csv" : "json"}}),
         ip});
    reply r;
    if (csv) return r;  // the rows stream after the head
    const auto rows =
        storage::load_unfiled_page(conn, unit, batch, who.unit_id, after, list_page_rows);
    json_writer w(r.body);
    w.begin_object();
    w.key("batch").value(batch_code);
    w.key("unit_id").value(static_cast<std::int64_t>(unit));
    w.key("candidates").begin_array();
    for (const auto& row : rows) {
      w.begin_object();
      w.key("exam_no").value(row.exam_no);
      w.key("name").value(row.name);
      w.key("id_number").value(core::mask_id_number(row.id_number));
      w.key("school").begin_object();
      w.key("code").value(row.school_code);
      w.key("name").value(row.school_name);
      w.end_object();
      w.key("phone").value(core::mask_phone(row.phone));
      w.key("last_login");
      if (row.last_login_us != 0) {
        w.value(core::format_utc_micros(row.last_login_us));
      } else {
        w.null();
      }
      w.key("draft").value(row.has_draft);
      w.key("reason");
      if (row.reason >= 0) {
        w.value(reason_code(row.reason));
      } else {
        w.null();
      }
      w.key("note").value(row.note);
      w.end_object();
    }
    w.end_array();
    w.key("next_page_token");
    if (rows.size() == static_cast<std::size_t>(list_page_rows)) {
      w.value(std::to_string(rows.back().candidate_id));
    } else {
      w.null();
    }
    w.end_object();
    return r;
  };
  // Needs the actor's unit for the stream: the job reports it through the reply's status.
  std::int32_t actor_unit = 0;
  job scoped = [&actor_unit, fn = std::move(fn)](pqxx::connection& conn,
                                                 const storage::admin_actor& who) {
    actor_unit = who.unit_id;  // read back on the I/O thread after the job completes
    return fn(conn, who);
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(scoped));
  if (!csv || ctx.res.status != 200) co_return;
  auto cur = std::make_shared<export_cursor>(
      export_cursor{api.queries, *unit, batch, actor_unit, api.export_page_rows, 0});
  ctx.res.content_type = "text/csv; charset=utf-8";
  ctx.res.body = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
  ctx.res.body +=
      "exam_no,name,id_number,school_code,school_name,phone,last_login,draft,reason,note\r\n";
  std::string disposition = "attachment; filename=\"unfiled-";
  disposition += std::to_string(*unit);
  disposition += '-';
  disposition += core::to_code(*b);
  disposition += ".csv\"";
  ctx.res.headers.emplace_back("Content-Disposition", std::move(disposition));
  ctx.res.stream = [cur](std::string& chunk) { return next_csv_chunk(cur, chunk); };
}

// ------------------------------------------------------------ candidates

asio::awaitable<void> candidate(request_context& ctx, admin_api_context& api) {
  const std::string exam(ctx.params.get("exam_no"));
  job fn = [exam, ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto c = storage::load_admin_candidate(conn, exam, who.unit_id);
    if (!c) return problem(errc::not_found, "no such candidate");
    storage::append_audit(conn, {1, who.admin_id, who.unit_id, "candidate.read", exam, "", ip});
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("exam_no").value(c->exam_no);
    w.key("name").value(c->name);
    w.key("id_number").value(core::mask_id_number(c->id_number));
    w.key("school").begin_object();
    w.key("id").value(static_cast<std::int64_t>(c->school_id));
    w.key("code").value(c->school_code);
    w.key("name").value(c->school_name);
    w.end_object();
    w.key("phone").value(core::mask_phone(c->phone));
    w.key("must_set_passwords").value(c->must_set_passwords);
    w.key("last_login");
    if (c->last_login_us != 0) {
      w.value(core::format_utc_micros(c->last_login_us));
    } else {
      w.null();
    }
    w.key("batches").begin_array();
    for (const auto b : core::all_batches) {
      const auto stored = storage::encode_batch(b);
      storage::admin_candidate_row::batch_status s;
      for (const auto& x : c->batches) {
        if (x.batch == stored) s = x;
      }
      w.begin_object();
      w.key("batch").value(core::to_code(b));
      w.key("eligible").value((c->eligible & (1 << stored)) != 0);
      w.key("status").value(s.submitted_version ? "submitted"
                            : s.draft_version   ? "draft"
                                                : "not_filed");
      w.key("submitted_version").value(s.submitted_version);
      w.key("submitted_at");
      if (s.submitted_at_us != 0) {
        w.value(core::format_utc_micros(s.submitted_at_us));
      } else {
        w.null();
      }
      w.key("draft_version").value(s.draft_version);
      w.key("unfiled_reason");
      if (s.reason >= 0) {
        w.value(reason_code(s.reason));
      } else {
        w.null();
      }
      w.end_object();
    }
    w.end_array();
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(fn));
}

asio::awaitable<void> put_reason(request_context& ctx, admin_api_context& api) {
  const std::string exam(ctx.params.get("exam_no"));
  thread_local dom::parser parser;
  auto obj = json_body(ctx, parser, {"batch", "reason", "note"});
  if (!obj) co_return;
  auto batch_text = string_member(ctx, *obj, "batch", 32);
  if (!batch_text) co_return;
  const auto b = batch_code(ctx, *batch_text);
  if (!b) co_return;
  auto reason_text = string_member(ctx, *obj, "reason", 32);
  if (!reason_text) co_return;
  const auto reason = core::parse_unfiled_reason(*reason_text);
  if (!reason) {
    fail(ctx, errc::invalid_field,
         "reason: abandon/放弃, abroad/出国, repeat/复读, military/参军, unreachable/联系不上 or "
         "other/其他");
    co_return;
  }
  auto note = string_member(ctx, *obj, "note", 500, false);
  if (!note) co_return;
  job fn = [exam, b = *b, reason = *reason, note = std::move(*note), ip = peer_of(ctx)](
               pqxx::connection& conn, const storage::admin_actor& who) {
    const auto id = storage::put_unfiled_reason(conn, who, exam, storage::encode_batch(b),
                                                static_cast<std::int16_t>(reason), note, ip);
    if (id == 0) return problem(errc::not_found, "no such candidate");
    reply r;
    json_writer w(r.body);
    w.begin_object();
    w.key("exam_no").value(exam);
    w.key("batch").value(core::to_code(b));
    w.key("reason").value(core::to_code(reason));
    w.key("reason_zh").value(core::label_zh(reason));
    w.key("note").value(note);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(fn));
}

asio::awaitable<void> reset_candidate(request_context& ctx, admin_api_context& api) {
  const std::string exam(ctx.params.get("exam_no"));
  job fn = [exam, ip = peer_of(ctx)](pqxx::connection& conn, const storage::admin_actor& who) {
    const std::string password = one_time_password();
    const std::string hash = hash_password(password);
    if (hash.empty()) throw std::runtime_error("out of memory");
    const auto id = storage::reset_candidate_password(conn, who, exam, hash, ip);
    if (id == 0) return problem(errc::not_found, "no such candidate");
    reply r;
    r.candidate_id = id;
    json_writer w(r.body);
    w.begin_object();
    w.key("exam_no").value(exam);
    w.key("one_time_password").value(password);
    w.key("must_set_passwords").value(true);
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::candidate_data}, std::move(fn),
                     api.hashing);
}

// ------------------------------------------------------------ audit

asio::awaitable<void> audit(request_context& ctx, admin_api_context& api) {
  storage::audit_filter f;
  auto number = [&](const char* name, auto& into) {
    const auto q = query_param(ctx.query, name);
    if (!q.present || q.value.empty()) return true;
    auto v = q.malformed ? std::nullopt : parse_int<std::decay_t<decltype(into)>>(q.value);
    if (!v || *v <= 0) {
      fail(ctx, errc::invalid_field, fmt::format("{}: a positive id", name));
      return false;
    }
    into = *v;
    return true;
  };
  auto instant = [&](const char* name, std::int64_t& into) {
    const auto q = query_param(ctx.query, name);
    if (!q.present || q.value.empty()) return true;
    const auto t = q.malformed
                       ? core::result<core::unix_seconds>(core::failure(errc::invalid_field))
                       : core::parse_rfc3339(q.value);
    if (!t) {
      fail(ctx, errc::invalid_field, fmt::format("{}: an RFC 3339 time", name));
      return false;
    }
    into = *t;
    return true;
  };
  if (!number("unit", f.unit_id) || !number("actor", f.actor_id) ||
      !number("page_token", f.before_id) || !instant("from", f.from) || !instant("to", f.to)) {
    co_return;
  }
  if (const auto a = query_param(ctx.query, "action"); a.present && !a.value.empty()) {
    if (a.malformed || a.value.size() > 64) {
      fail(ctx, errc::invalid_field, "action: an action name such as unfiled.export");
      co_return;
    }
    f.action = a.value;
  }
  f.limit = list_page_rows;
  job fn = [f](pqxx::connection& conn, const storage::admin_actor& who) {
    const auto rows = storage::list_audit(conn, who.unit_id, f);
    reply r;
    json_writer w(r.body);
    w.begin_object().key("entries").begin_array();
    for (const auto& e : rows) {
      w.begin_object();
      w.key("id").value(e.audit_id);
      w.key("at").value(core::format_utc_micros(e.at_us));
      w.key("actor_kind")
          .value(e.actor_kind == 1   ? "admin"
                 : e.actor_kind == 2 ? "candidate"
                                     : "system");
      w.key("actor_id");
      if (e.actor_id != 0) {
        w.value(e.actor_id);
      } else {
        w.null();
      }
      w.key("actor").value(e.actor_name);
      w.key("unit").value(e.unit_code);
      w.key("action").value(e.action);
      w.key("target").value(e.target);
      w.key("detail");
      if (e.detail_json.empty()) {
        w.null();
      } else {
        w.raw(e.detail_json);
      }
      w.key("ip").value(e.ip);
      w.end_object();
    }
    w.end_array();
    w.key("next_page_token");
    if (rows.size() == static_cast<std::size_t>(f.limit)) {
      w.value(std::to_string(rows.back().audit_id));
    } else {
      w.null();
    }
    w.end_object();
    return r;
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn));
}

}  // namespace

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

std::string hash_password(std::string_view password) {
  char h[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(h, password.data(), password.size(), hash_ops, hash_mem) != 0) return {};
  return h;
}

std::vector<route_spec> admin_routes(admin_api_context& api) {
  return {
      {http::verb::post, "/api/v1/admin/auth/login", handler_for(api, login)},
      {http::verb::post, "/api/v1/admin/auth/logout", handler_for(api, logout)},
      {http::verb::get, "/api/v1/admin/me", handler_for(api, me)},
      {http::verb::post, "/api/v1/admin/me/password", handler_for(api, change_password)},
      {http::verb::get, "/api/v1/admin/users", handler_for(api, list_users)},
      {http::verb::post, "/api/v1/admin/users", handler_for(api, create_user)},
      {http::verb::patch, "/api/v1/admin/users/{id}", handler_for(api, update_user)},
      {http::verb::get, "/api/v1/admin/units/{unit}/stats", handler_for(api, unit_stats)},
      {http::verb::get, "/api/v1/admin/units/{unit}/stats/timeline",
       handler_for(api, stats_timeline)},
      {http::verb::get, "/api/v1/admin/units/{unit}/unfiled", handler_for(api, unfiled)},
      {http::verb::get, "/api/v1/admin/candidates/{exam_no}", handler_for(api, candidate)},
      {http::verb::put, "/api/v1/admin/candidates/{exam_no}/unfiled-reason",
       handler_for(api, put_reason)},
      {http::verb::post, "/api/v1/admin/candidates/{exam_no}/password-reset",
       handler_for(api, reset_candidate)},
      {http::verb::get, "/api/v1/admin/audit", handler_for(api, audit)},
  };
}

}  // namespace zhiyuan::server
