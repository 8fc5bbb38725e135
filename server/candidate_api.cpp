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
#include "server/candidate_http.hpp"
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

// Formal submission and draft save share everything but the mode and the version rule.
asio::awaitable<void> save_choices(request_context& ctx, candidate_api_context& api,
                                   core::mode mode) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const std::int64_t* candidate = &session->candidate_id;
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
  std::vector<route_spec> r = account_routes(api);
  for (auto& x : catalog_routes(api)) r.push_back(std::move(x));
  for (auto& x : state_routes(api)) r.push_back(std::move(x));
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
