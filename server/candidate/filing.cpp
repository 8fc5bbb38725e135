#include "server/candidate/context.hpp"

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
#include "core/receipt.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "server/async.hpp"
#include "server/candidate/helpers.hpp"
#include "server/candidate/receipts.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/log.hpp"
#include "server/http/problem.hpp"
#include "server/login_guard.hpp"
#include "storage/auth_store.hpp"
#include "storage/candidate_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

namespace ondemand = simdjson::ondemand;
using core::errc;

// ---------------------------------------------------------------- helpers

bool acceptable_key(std::string_view k) {
  if (k.empty() || k.size() > 255 || k.front() == '~') return false;
  for (unsigned char c : k) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
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

bool is_window_finding(const core::finding& f) {
  const auto code = core::to_code(f.code);
  return code.find("window") != std::string_view::npos;
}

// --------------------------------------------------------- write results

// Answers with the stored outcome of Idempotency-Key `key` when the write path recorded one
// (the same request: its response; another request: 422). False when there is none (or the
// store cannot be read), and the caller answers as it would have.
asio::awaitable<bool> replay_stored(request_context& ctx, candidate_api_context& api,
                                    std::int64_t candidate, const std::string& key, bool drill) {
  auto lookup = [candidate, key](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::find_stored_response(*conn, candidate, key);
  };
  auto stored =
      co_await run_on<std::optional<storage::stored_response>>(*api.reads, std::move(lookup));
  if (!stored || !*stored) co_return false;
  const auto hash = request_hash(ctx, drill ? "drill" : "");
  if ((*stored)->request_hash_hex != hex(hash.data(), hash.size())) {
    fail(ctx, errc::idempotency_key_reused,
         "this Idempotency-Key was used with a different request");
    co_return true;
  }
  ctx.res.status = (*stored)->status;
  ctx.res.content_type = ctx.res.status >= 400 ? "application/problem+json" : "application/json";
  ctx.res.body = std::move((*stored)->body);
  co_return true;
}

// Checks the save password (保存密码) of a formal submission: the session's memo first, else
// Argon2id on the hashing pool (remembered on success). Writes the problem and returns false
// when the password is wrong, the account is throttled or the pool is busy.
asio::awaitable<bool> check_save_password(request_context& ctx, candidate_api_context& api,
                                          const session_info& s, std::string password) {
  const auto memo = session_table::memo_of(password);
  const std::int64_t now = api.now_seconds();
  if (api.sessions->recalls_save_password(s.token, memo, now)) co_return true;
  const auto verdict =
      api.guard->admit(s.candidate_id, login_guard::secret::save, "", api.now_micros());
  if (verdict.retry_after > 0) {
    fail(ctx, verdict.account_locked ? errc::account_locked : errc::too_many_requests,
         "too many wrong passwords; retry later", static_cast<unsigned>(verdict.retry_after));
    co_return false;
  }
  auto verify = [id = s.candidate_id, password = std::move(password)](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    const auto acct = storage::find_account(*conn, id);
    return acct && !acct->save_hash.empty() &&
           crypto_pwhash_str_verify(acct->save_hash.c_str(), password.data(), password.size()) == 0;
  };
  auto ok = co_await run_on<bool>(*api.auth_pool, std::move(verify));
  if (!ok) {
    api.guard->unchecked(s.candidate_id, login_guard::secret::save);
    fail(ctx, errc::unavailable, "busy; retry shortly with the same Idempotency-Key", 1);
    co_return false;
  }
  if (!*ok) {
    fail(ctx, errc::wrong_save_password, "save_password is wrong");
    co_return false;
  }
  api.guard->succeeded(s.candidate_id, login_guard::secret::save);
  api.sessions->remember_save_password(s.token, memo,
                                       now + std::chrono::seconds(api.save_password_memo).count());
  co_return true;
}

// ------------------------------------------------------------ handlers

// Formal submission and draft save share everything but the mode and the version rule.
asio::awaitable<void> save_choices(request_context& ctx, candidate_api_context& api,
                                   core::mode mode) {
  const auto session = authenticate(ctx, api);
  if (!session || !may_write(ctx, *session)) co_return;
  const std::int64_t* candidate = &session->candidate_id;
  const bool formal = mode == core::mode::formal;
  const bool drill = drilling(api);
  if (drill) mode = formal ? core::mode::drill_formal : core::mode::drill_draft;
  const auto b = core::parse_batch(ctx.params.get("batch"));
  if (!b) {
    set_problem(ctx.res, errc::not_found, "no such batch", ctx.request_id, ctx.path);
    co_return;
  }
  std::string key(header(ctx.request, "Idempotency-Key"));
  if (key.empty()) {
    if (formal) {
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
  } else if (!formal) {
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
  const auto who = api.candidate(*candidate);
  if (!who) {
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
  std::string save_password;
  if (formal) {
    std::string_view pw;
    if (doc["save_password"].get_string().get(pw) || pw.empty() || pw.size() > 64) {
      fail(ctx, errc::invalid_field, "save_password: the save password (保存密码)");
      co_return;
    }
    save_password = std::string(pw);
  }

  // The request is stamped now; the writer never re-checks the window, so a submission
  // accepted before the close commits even if its batch commits after it.
  const std::int64_t accepted_us = api.now_micros();
  thread_local std::vector<core::finding> findings;
  core::validate(who->to_core(), *b, *choices, *catalog, *api.schedule.get(),
                 accepted_us / 1'000'000, mode, findings);
  for (const auto& f : findings) {
    if (is_window_finding(f)) {
      // A retry of a submission committed before the close (its answer lost on the way) must
      // still get its receipt: replay the stored outcome of this key, if there is one.
      if (formal && co_await replay_stored(ctx, api, *candidate, key, drill)) co_return;
      set_problem(ctx.res, errc::window_closed, core::message_en(f), ctx.request_id, ctx.path, 0,
                  violations_json({f}));
      co_return;
    }
  }
  if (formal && !findings.empty()) {
    set_problem(ctx.res, errc::validation_failed, "the form breaks the filing rules",
                ctx.request_id, ctx.path, 0, violations_json(findings));
    co_return;
  }

  // Validated: only now pay for the save password (Argon2id at most once per memo period).
  if (formal) {
    const bool ok = co_await check_save_password(ctx, api, *session, std::move(save_password));
    if (!ok) co_return;
  }

  auto op = std::make_unique<storage::write_op>();
  storage::choices_args& c =
      formal ? static_cast<storage::choices_args&>(op->args.emplace<storage::submit_args>())
             : op->args.emplace<storage::draft_args>();
  op->candidate_id = *candidate;
  c.batch = storage::encode_batch(*b);
  c.drill = drill;
  c.base_version = base_version;
  core::append_canonical(*choices, c.choices);
  c.choices_sha256 = sha256_of(c.choices);
  op->idempotency_key = std::move(key);
  op->request_hash = request_hash(ctx, drill ? "drill" : "");
  op->accepted_at_us = accepted_us;
  op->deadline = std::chrono::steady_clock::now() + api.write_deadline;
  c.exam_no = who->exam_number();
  op->render = &render_receipt;
  op->render_context = api.signer;
  if (formal) {
    const std::string accepted = core::format_utc_micros(accepted_us);
    const std::string choices_hex = hex(c.choices_sha256.data(), c.choices_sha256.size());
    std::get<storage::submit_args>(op->args).receipt_head =
        core::receipt_head({.exam_no = c.exam_no,
                            .b = *b,
                            .drill = drill,
                            .accepted_at = accepted,
                            .choices_sha256 = choices_hex});
  }
  const auto draft_findings = formal ? "" : violations_json(findings);

  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
  // Who chose which group: committed, real (not drill) submissions only; a replay changes
  // nothing.
  if (formal && !drill && out.op && out.op->status == storage::op_status::committed) {
    api.popularity->record(*candidate, *b, who->rank > 0 ? who->score : -1, *choices);
  }
  // A saved draft also reports what still stands between it and a valid submission.
  if (!formal && out.admitted == storage::admit::ok && ctx.res.status == 200 &&
      ctx.res.body.size() > 1) {
    ctx.res.body.pop_back();
    ctx.res.body += ",";
    ctx.res.body += draft_findings;
    ctx.res.body += "}";
  }
}

asio::awaitable<void> submit(request_context& ctx, candidate_api_context& api) {
  return save_choices(ctx, api, core::mode::formal);
}

asio::awaitable<void> save_draft(request_context& ctx, candidate_api_context& api) {
  return save_choices(ctx, api, core::mode::draft);
}

void get_public_key(request_context& ctx, candidate_api_context& api) {
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("algorithm").value("Ed25519");
  w.key("key_id").value(api.signer->key_id());
  w.key("public_key").value(api.signer->public_key_base64());
  w.key("public_key_pem").value(api.signer->public_key_pem());
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "public, max-age=300");
}

}  // namespace

std::optional<storage::candidate_directory::entry> candidate_api_context::candidate(
    core::candidate_id id) const {
  const auto dir = directory.load();
  const auto* e = dir ? dir->find(id) : nullptr;
  if (e == nullptr) return std::nullopt;
  return *e;
}

std::optional<storage::candidate_directory::entry> candidate_api_context::candidate_by_exam_no(
    std::string_view exam_no) const {
  const auto dir = directory.load();
  const auto* e = dir ? dir->find_exam_no(exam_no) : nullptr;
  if (e == nullptr) return std::nullopt;
  return *e;
}

std::int64_t candidate_api_context::now_seconds() const { return now_micros() / 1'000'000; }

std::int64_t candidate_api_context::now_micros() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count() +
         clock_offset_seconds * 1'000'000;
}

std::vector<route_spec> candidate_routes(candidate_api_context& api) {
  std::vector<route_spec> r = {
      {http::verb::get, "/api/v1/receipts/public-key", handler_for(api, get_public_key)},
      {http::verb::post, "/api/v1/applications/{batch}", handler_for(api, submit)},
      {http::verb::put, "/api/v1/drafts/{batch}", handler_for(api, save_draft)},
  };
  for (auto* group : {&account_routes, &catalog_routes, &state_routes}) {
    for (auto& x : group(api)) r.push_back(std::move(x));
  }
  return r;
}

}  // namespace zhiyuan::server
