#include "server/candidate_http.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/validation.hpp"
#include "server/json_writer.hpp"
#include "server/problem.hpp"
#include "server/receipts.hpp"
#include "storage/encoding.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

std::string_view header(const http_request& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value());
}

std::string clean_header_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  while (!text.empty()) {
    // The longest clean prefix, then one '?' for the byte that stopped it.
    std::size_t good = 0;
    core::for_each_code_point(text, [&](std::uint32_t cp) {
      if (core::is_control(cp)) return false;
      good += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      return true;
    });
    std::string_view piece = text.substr(0, good);
    while (!piece.empty() && out.size() + piece.size() > max_bytes) {
      // Drop whole characters from the end of the piece.
      std::size_t cut = piece.size() - 1;
      while (cut > 0 && (static_cast<unsigned char>(piece[cut]) >> 6) == 2) --cut;
      piece = piece.substr(0, cut);
    }
    out += piece;
    if (piece.size() < good || good == text.size() || out.size() + 1 > max_bytes) break;
    out += '?';
    text.remove_prefix(good + 1);
  }
  return out;
}

bool is_json(const http_request& req) {
  auto it = req.find(http::field::content_type);
  if (it == req.end()) return false;
  std::string_view v = it->value();
  return v.substr(0, 16) == "application/json";
}

void fail(request_context& ctx, core::errc e, std::string_view detail, unsigned retry_after_seconds,
          std::string_view extra_members) {
  set_problem(ctx.res, e, detail, ctx.request_id, ctx.path, retry_after_seconds, extra_members);
}

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

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

query_value query_param(std::string_view query, std::string_view name) {
  query_value out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    out.present = true;
    const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    out.value.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out.value += ' ';
      } else if (raw[i] == '%') {
        const int hi = i + 2 < raw.size() ? hex_digit(raw[i + 1]) : -1;
        const int lo = i + 2 < raw.size() ? hex_digit(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          out.malformed = true;
          return out;
        }
        out.value += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        out.value += raw[i];
      }
    }
    if (!core::valid_utf8(out.value) || out.value.find('\0') != std::string::npos)
      out.malformed = true;
    return out;
  }
  return out;
}

bool drilling(const candidate_api_context& api) {
  return api.schedule.get()->drill.contains(api.now_seconds());
}

bool not_modified(request_context& ctx, std::string_view tag) {
  std::string quoted = "\"";
  quoted += tag;
  quoted += '"';
  const std::string_view inm = header(ctx.request, "If-None-Match");
  const bool match = !inm.empty() && (inm == "*" || inm.find(quoted) != std::string_view::npos);
  ctx.res.headers.emplace_back("ETag", quoted);
  if (match) {
    ctx.res.status = 304;
    ctx.res.body.clear();
  }
  return match;
}

std::optional<std::int64_t> if_match_version(const http_request& req) {
  std::string_view v = header(req, "If-Match");
  if (v.empty()) return std::nullopt;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::int64_t n = -2;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n < 0) return -2;
  return n;
}

// Turns the write path's outcome into the HTTP response.
void answer_write(request_context& ctx, const write_outcome& out) {
  using core::errc;
  // Sign-ins and pledges carry no Idempotency-Key: their client simply retries.
  const bool keyed = storage::is_keyed(out.op->kind());
  switch (out.admitted) {
    case storage::admit::ok:
      break;
    case storage::admit::key_in_flight:
      set_problem(ctx.res, errc::idempotency_key_in_flight,
                  "a request with this Idempotency-Key is still being processed", ctx.request_id,
                  ctx.path, 1);
      return;
    case storage::admit::overloaded:
      set_problem(ctx.res, errc::unavailable,
                  keyed ? "too many writes in flight; retry with the same key"
                        : "too many writes in flight; retry shortly",
                  ctx.request_id, ctx.path, 1);
      return;
    case storage::admit::stopping:
      set_problem(ctx.res, errc::unavailable, "server is shutting down", ctx.request_id, ctx.path,
                  2);
      return;
  }
  const storage::write_op& op = *out.op;
  if (!keyed && op.status != storage::op_status::unavailable) {
    // Nothing stored to answer with: the handler answers a committed one itself; any other
    // outcome (a pledge whose candidate row is gone) is a bug.
    set_problem(ctx.res, errc::internal, "", ctx.request_id, ctx.path);
    return;
  }
  switch (op.status) {
    case storage::op_status::committed:
    case storage::op_status::replayed:
    case storage::op_status::conflict:
      ctx.res.status = op.response_status;
      ctx.res.content_type =
          op.response_status >= 400 ? "application/problem+json" : "application/json";
      ctx.res.body = op.response_body;
      if (op.kind() == storage::op_kind::save_draft && op.response_status == 200) {
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
                  keyed ? "not committed in time; retry with the same Idempotency-Key"
                        : "not committed in time; retry shortly",
                  ctx.request_id, ctx.path, 2);
      return;
    case storage::op_status::failed:
      set_problem(ctx.res, errc::internal, "", ctx.request_id, ctx.path);
      return;
  }
}

std::array<std::uint8_t, 32> sha256_of(std::string_view text) {
  std::array<std::uint8_t, 32> out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return out;
}

std::array<std::uint8_t, 32> request_hash(const request_context& ctx, std::string_view extra) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  auto feed = [&st](std::string_view s) {
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>("\n"), 1);
  };
  feed(ctx.request.method_string());
  feed(ctx.path);
  feed(ctx.request.body());
  if (!extra.empty()) feed(extra);
  std::array<std::uint8_t, 32> out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

std::string generated_key() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  std::string key = "~";
  key += hex(raw, sizeof raw);
  return key;
}

void write_violations(json_writer& w, const std::vector<core::finding>& findings) {
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
}

std::string violations_json(const std::vector<core::finding>& findings) {
  std::string out = "\"violations\":";
  json_writer w(out);
  write_violations(w, findings);
  return out;
}

void render_receipt(const storage::write_op& op, unsigned& status, std::string& body) {
  using core::errc;
  body.clear();
  json_writer w(body);
  if (op.status == storage::op_status::conflict) {
    // A draft's If-Match failed (412); a submission's optional If-Match is a conflict (409).
    const bool draft = op.kind() == storage::op_kind::save_draft;
    response res;
    set_problem(res, draft ? errc::precondition_failed : errc::conflict,
                "the version this change was based on is no longer current; reload and retry", "",
                "");
    status = res.status;
    body = std::move(res.body);
    return;
  }
  const storage::choices_args& c = *storage::args_as<storage::choices_args>(op);
  const core::batch b = storage::decode_batch(c.batch);
  w.begin_object();
  if (op.kind() == storage::op_kind::submit) {
    // The signed receipt: rebuilt from the op and what the database decided (version, previous
    // hash, receipt hash), so GETs of this version produce the same bytes.
    status = 201;
    receipt_view r{.exam_no = c.exam_no,
                   .b = b,
                   .drill = c.drill,
                   .version = op.version,
                   .accepted_at_us = op.accepted_at_us,
                   .committed_at_us = op.committed_at_us,
                   .choices_sha256 = c.choices_sha256,
                   .receipt_hash = op.receipt_hash};
    if (op.has_prev_hash) r.prev_hash = op.prev_hash;
    write_receipt_members(w, r, *static_cast<const receipt_signer*>(op.render_context));
  } else {
    status = 200;
    w.key("exam_no").value(c.exam_no);
    w.key("batch").value(core::to_code(b));
    w.key("drill").value(c.drill);
    w.key("version").value(op.version);
    w.key("accepted_at").value(format_micros(op.accepted_at_us));
    w.key("committed_at").value(format_micros(op.committed_at_us));
    w.key("choices_sha256").value(hex(c.choices_sha256.data(), c.choices_sha256.size()));
  }
  w.end_object();
}

std::optional<simdjson::dom::object> json_body(request_context& ctx, simdjson::dom::parser& parser,
                                               std::initializer_list<std::string_view> allowed) {
  if (!is_json(ctx.request)) {
    fail(ctx, core::errc::unsupported_media, "send application/json");
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (parser.parse(ctx.request.body()).get(obj)) {
    fail(ctx, core::errc::invalid_field, "body: a JSON object");
    return std::nullopt;
  }
  for (auto [key, value] : obj) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(ctx, core::errc::invalid_field, fmt::format("{} (unknown member)", key));
      return std::nullopt;
    }
  }
  return obj;
}

std::optional<std::string> string_member(request_context& ctx, simdjson::dom::object& obj,
                                         std::string_view name, std::size_t max_bytes,
                                         bool required) {
  std::string_view v;
  auto member = obj[name];
  if (member.error() == simdjson::NO_SUCH_FIELD && !required) return std::string();
  if (member.get_string().get(v) || v.size() > max_bytes) {
    fail(ctx, core::errc::invalid_field,
         fmt::format("{}: a string of at most {} bytes", name, max_bytes));
    return std::nullopt;
  }
  return std::string(v);
}

}  // namespace zhiyuan::server
