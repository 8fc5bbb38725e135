#include "server/candidate/filing/save.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/receipt.hpp"
#include "core/time.hpp"
#include "server/candidate/filing/render.hpp"
#include "server/candidate/own_state.hpp"
#include "server/candidate/session.hpp"
#include "server/candidate/write_answer.hpp"
#include "server/digest.hpp"
#include "server/http/log.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/login_guard.hpp"
#include "server/password_hash.hpp"
#include "storage/auth_store.hpp"
#include "storage/candidate_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

namespace ondemand = simdjson::ondemand;
using core::errc;

// ------------------------------------------------------------------ decoding

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
          // A code is a few printable characters: anything else is no typo but a hostile body.
          if (code_count == codes.size() || m.get_string().get(code) || code.empty() ||
              code.size() > 16 || std::any_of(code.begin(), code.end(), [](char ch) {
                return static_cast<unsigned char>(ch) < 0x20;
              })) {
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

// ------------------------------------------------------------------ checks

// Answers with the stored outcome of Idempotency-Key `key` when the write path recorded one
// (the same request: its response; another request: 422). False when there is none (or the
// store cannot be read), and the caller answers as it would have.
asio::awaitable<bool> replay_stored(request_context& ctx, candidate_api_context& api,
                                    std::int64_t candidate, const save_request& req,
                                    const storage::candidate_directory::entry& who, bool drill) {
  const std::string& key = req.key;
  auto lookup = [candidate, key](pqxx::connection& conn) {
    return storage::find_stored_response(conn, candidate, key);
  };
  auto stored = co_await query_own<std::optional<storage::stored_response>>(api, std::move(lookup));
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
  if (const auto& receipt = (*stored)->receipt) {
    // A slim record (submissions): the receipt of the version it wrote, rendered again.
    json_writer w(ctx.res.body);
    write_stored_receipt(w, api.signer, who.exam_number(), req.b, drill, *receipt,
                         api.clock_offset_seconds);
  }
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
  const auto verdict = api.guard->admit(s.candidate_id, login_guard::secret::save,
                                        login_guard::session, api.now_micros());
  if (verdict.retry_after > 0) {
    fail(ctx, verdict.error(), verdict.detail(), static_cast<unsigned>(verdict.retry_after));
    co_return false;
  }
  auto verify = [id = s.candidate_id, password = std::move(password)](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    const auto acct = storage::find_account(*conn, id);
    return acct && !acct->save_hash.empty() && password_matches(acct->save_hash, password);
  };
  // Ahead of sign-ins in the hashing queue: a signed-in candidate's submission goes first.
  auto ok = co_await run_on<bool>(*api.auth_pool, std::move(verify), core::work_class::submission);
  if (!ok) {
    api.guard->unchecked(s.candidate_id, login_guard::secret::save, login_guard::session);
    fail(ctx, errc::unavailable, "busy; retry shortly with the same Idempotency-Key", 1);
    co_return false;
  }
  if (!*ok) {
    fail(ctx, errc::wrong_save_password, "save_password is wrong");
    co_return false;
  }
  api.guard->succeeded(s.candidate_id, login_guard::secret::save, login_guard::session);
  api.sessions->remember_save_password(s.token, memo,
                                       now + std::chrono::seconds(api.save_password_memo).count());
  co_return true;
}

// ------------------------------------------------------------------ writing

// The write of a validated request: a formal submission carries its receipt's head and renders
// the signed receipt; a draft renders its version and `notes`.
std::unique_ptr<storage::write_op> make_write_op(const request_context& ctx,
                                                 const candidate_api_context& api,
                                                 const save_request& req,
                                                 const storage::candidate_directory::entry& who,
                                                 bool formal, bool drill, std::int64_t accepted_us,
                                                 const draft_notes* notes) {
  auto op = choices_write(api, formal ? storage::op_kind::submit : storage::op_kind::save_draft,
                          who, req.b, drill, req.choices, accepted_us);
  storage::args_as<storage::choices_args>(*op)->base_version = req.base_version;
  op->idempotency_key = req.key;
  op->request_hash = request_hash(ctx, drill ? "drill" : "");
  if (!formal) {
    op->render = &render_draft;
    op->render_context = notes;
    return op;
  }
  op->render = &render_submission;
  op->render_context = &api;
  // Signed on this I/O thread after COMMIT (answer_write), not on the writer in its transaction.
  op->render_after_commit = true;
  const std::string accepted = core::format_utc_micros(accepted_us);
  auto& submit = std::get<storage::submit_args>(op->args);
  const std::string choices_hex = hex(submit.choices_sha256.data(), submit.choices_sha256.size());
  submit.receipt_head = core::receipt_head({.exam_no = submit.exam_no,
                                            .b = req.b,
                                            .drill = drill,
                                            .accepted_at = accepted,
                                            .choices_sha256 = choices_hex});
  return op;
}

// Answers a refused window (403 window_closed); outside the candidate's staggered slot
// (分时段填报) the problem says when that slot is: `"slot": {"open", "close"}` and the detail.
void fail_window(request_context& ctx, const candidate_api_context& api, const core::finding& f,
                 core::batch b, const storage::candidate_directory::entry& who) {
  const core::filing_slot* slot =
      f.code == core::violation::outside_slot_window
          ? core::slot_of(*api.schedule.get(), b, {who.score, who.city_code()})
          : nullptr;
  if (slot == nullptr) {
    return fail(ctx, errc::window_closed, core::message_en(f), 0, violations_json({f}));
  }
  const auto open = core::format_rfc3339(slot->when.open);
  const auto close = core::format_rfc3339(slot->when.close);
  fail(ctx, errc::window_closed,
       fmt::format("{}: your slot is from {} to {}", core::message_en(f), open, close), 0,
       fmt::format(R"("slot":{{"open":"{}","close":"{}"}},{})", open, close, violations_json({f})));
}

}  // namespace

// The path's batch, the Idempotency-Key (required for a formal submission), If-Match (required
// for a draft) and the JSON body with the choices (and the save password, 保存密码).
core::result<save_request> parse_save_request(const request_context& ctx, const core::catalog& cat,
                                              bool formal) {
  save_request r;
  const auto b = path_batch(ctx);
  if (!b) return core::failure(b.error());
  r.b = *b;
  auto key = idempotency_key(ctx.request);
  if (!key) return core::failure(key.error());
  if (!key->empty()) {
    r.key = std::move(*key);
  } else if (formal) {
    return core::failure(errc::idempotency_key_required,
                         "formal submissions need an Idempotency-Key header");
  } else {
    r.key = generated_key();
  }
  const auto base = if_match(ctx.request);
  if (!base) return core::failure(base.error());
  if (!*base && !formal) {
    return core::failure(
        errc::precondition_required,
        "drafts need If-Match with the version they are based on (\"0\" for none)");
  }
  r.base_version = base->value_or(-1);
  if (!is_json(ctx.request)) return core::failure(errc::unsupported_media, "send application/json");

  // On-Demand: the choices are read once, straight into core's form (the hot path).
  simdjson::padded_string body(ctx.request.body());
  thread_local ondemand::parser parser;
  ondemand::document doc;
  if (parser.iterate(body).get(doc)) return core::failure(errc::invalid_field, "body is not JSON");
  // As every other body: a member nobody reads is refused, not silently ignored, first.
  ondemand::object top;
  if (doc.get_object().get(top)) return core::failure(errc::invalid_field, "body: a JSON object");
  // A member given twice is refused too: which one counts would be a guess (RFC 8259 4).
  bool seen_choices = false, seen_password = false;
  for (auto member : top) {
    std::string_view key;
    if (member.unescaped_key().get(key)) return core::failure(errc::invalid_field, "body");
    bool& seen = key == "choices" ? seen_choices : seen_password;
    if (key != "choices" && (!formal || key != "save_password")) {
      return core::failure(errc::invalid_field, fmt::format("{} (unknown member)", key));
    }
    if (seen) return core::failure(errc::invalid_field, fmt::format("{} (duplicated member)", key));
    seen = true;
  }
  // On-Demand reads lazily: content after the object would otherwise pass unseen (the
  // location past the last token is out of bounds).
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return core::failure(errc::invalid_field, "body: one JSON object and nothing after it");
  }
  doc.rewind();
  auto choices = parse_choices(doc, cat);
  if (!choices) return core::failure(choices.error());
  r.choices = std::move(*choices);
  if (formal) {
    std::string_view pw;
    if (doc["save_password"].get_string().get(pw) || pw.empty() || pw.size() > 64) {
      return core::failure(errc::invalid_field, "save_password: the save password (保存密码)");
    }
    r.save_password = std::string(pw);
  }
  return r;
}

const core::finding* window_finding(const std::vector<core::finding>& findings) {
  for (const auto& f : findings) {
    if (core::to_code(f.code).find("window") != std::string_view::npos) return &f;
  }
  return nullptr;
}

std::unique_ptr<storage::write_op> choices_write(const candidate_api_context& api,
                                                 storage::op_kind kind,
                                                 const storage::candidate_directory::entry& who,
                                                 core::batch b, bool drill,
                                                 const core::choice_list& choices,
                                                 std::int64_t accepted_us) {
  auto op = std::make_unique<storage::write_op>();
  storage::choices_args& c =
      kind == storage::op_kind::submit
          ? static_cast<storage::choices_args&>(op->args.emplace<storage::submit_args>())
          : op->args.emplace<storage::draft_args>();
  op->candidate_id = who.id;
  c.batch = storage::encode_batch(b);
  c.drill = drill;
  core::append_canonical(choices, c.choices);
  c.choices_sha256 = sha256_of(c.choices);
  op->accepted_at_us = accepted_us;
  op->deadline = std::chrono::steady_clock::now() + api.write_deadline;
  c.exam_no = who.exam_number();
  return op;
}

namespace {

// The moments of a write's handling, for the slow-request log.
struct write_timing {
  using clock = std::chrono::steady_clock;
  clock::time_point started = clock::now(), submitted, back;
};

// A write that took long (from the handler's start to its end, after which the answer goes
// out) says where the time went: the handler up to the write (parse, validation, the save
// password), the write path (queue, batch, the hop back to this I/O thread), and what ran
// after it (answer, popularity).
void log_if_slow(const request_context& ctx, const write_timing& t) {
  constexpr auto slow = std::chrono::milliseconds(250);
  const auto end = write_timing::clock::now();
  if (end - t.started < slow) return;
  const auto ms = [](write_timing::clock::time_point a, write_timing::clock::time_point b) {
    return fmt::format("{:.1f}", std::chrono::duration<double, std::milli>(b - a).count());
  };
  const std::string total = ms(t.started, end), handler = ms(t.started, t.submitted),
                    write = ms(t.submitted, t.back), after = ms(t.back, end);
  log_event(spdlog::level::warn, "slow_write",
            {{"request_id", ctx.request_id},
             {"total_ms", total},
             {"handler_ms", handler},
             {"write_ms", write},
             {"after_ms", after}});
}

}  // namespace

asio::awaitable<void> save_choices(request_context& ctx, candidate_api_context& api,
                                   core::mode mode) {
  write_timing timing;
  const auto session = authenticate(ctx, api);
  if (!session || !may_write(ctx, *session)) co_return;
  const bool formal = mode == core::mode::formal;
  const bool drill = drilling(api);
  if (drill) mode = formal ? core::mode::drill_formal : core::mode::drill_draft;
  const auto catalog = api.catalog.load();
  auto req = parse_save_request(ctx, *catalog, formal);
  if (!req) co_return fail(ctx, req.error());
  const auto who = registered(api, session->candidate_id);
  if (!who) co_return fail(ctx, who.error());

  // The request is stamped now; the writer never re-checks the window, so a submission
  // accepted before the close commits even if its batch commits after it.
  const std::int64_t accepted_us = api.now_micros();
  // Reused per I/O thread; read only before the first suspension below.
  thread_local std::vector<core::finding> findings;
  core::validate(who->to_core(), req->b, req->choices, *catalog, *api.schedule.get(),
                 accepted_us / 1'000'000, mode, findings);
  if (const core::finding* closed = window_finding(findings)) {
    const core::finding f = *closed;
    // A retry of a submission committed before the close (its answer lost on the way) must
    // still get its receipt: replay the stored outcome of this key, if there is one.
    if (formal && co_await replay_stored(ctx, api, session->candidate_id, *req, *who, drill)) {
      co_return;
    }
    co_return fail_window(ctx, api, f, req->b, *who);
  }
  if (formal && !findings.empty()) {
    co_return fail(ctx, errc::validation_failed, "the form breaks the filing rules", 0,
                   violations_json(findings));
  }
  // A saved draft also reports what still stands between it and a valid submission; the notes
  // live here until the write is done.
  draft_notes notes;
  notes.clock_offset_seconds = api.clock_offset_seconds;
  if (!formal) notes.findings = findings;

  // Validated: only now pay for the save password (Argon2id at most once per memo period).
  if (formal && !co_await check_save_password(ctx, api, *session, std::move(req->save_password))) {
    co_return;
  }
  auto op = make_write_op(ctx, api, *req, *who, formal, drill, accepted_us, &notes);
  timing.submitted = write_timing::clock::now();
  auto out = co_await submit_write(*api.writes, std::move(op));
  timing.back = write_timing::clock::now();
  answer_write(ctx, out);
  // Who chose which group: committed, real (not drill) submissions only; a replay changes
  // nothing.
  if (formal && !drill && out.op && out.op->status == storage::op_status::committed) {
    api.popularity->record_own(session->candidate_id, req->b, out.op->version,
                               who->rank > 0 ? who->score : -1, req->choices);
  }
  log_if_slow(ctx, timing);
}

}  // namespace zhiyuan::server
