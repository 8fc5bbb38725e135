#include "server/http/request.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/time.hpp"

namespace zhiyuan::server {

using core::errc;

// ---------------------------------------------------------------- headers

std::string_view header(const http_request& req, std::string_view name) {
  // A walk over the few fields a request has (iequals compares lengths first): Beast's find by
  // name descends its ordered set with a case-insensitive compare at every step, which cost
  // more than routing a request (callgrind, bench/RESULTS.md "io_uring transport" §10).
  for (const auto& f : req) {
    if (boost::beast::iequals(f.name_string(), name)) return std::string_view(f.value());
  }
  return {};
}

bool is_json(const http_request& req) {
  auto it = req.find(http::field::content_type);
  if (it == req.end()) return false;
  std::string_view v = it->value();
  // The media type exactly (case-insensitive, RFC 9110 8.3.1), then nothing or its parameters:
  // "application/jsonx" or "application/json-seq" is another type.
  constexpr std::string_view type = "application/json";
  if (v.size() < type.size()) return false;
  for (std::size_t i = 0; i < type.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(v[i])) != type[i]) return false;
  }
  return v.size() == type.size() || v[type.size()] == ';' || v[type.size()] == ' ' ||
         v[type.size()] == '\t';
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

// ---------------------------------------------------------------- integers

std::optional<std::int64_t> parse_id(std::string_view s) {
  // 18 digits keep every id inside int64 and refuse absurd lengths before from_chars.
  if (s.empty() || s.size() > 18 || s.front() < '1' || s.front() > '9') return std::nullopt;
  return parse_int<std::int64_t>(s);
}

// ---------------------------------------------------------------- query

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

core::result<std::string> query_text(const request_context& ctx, std::string_view name,
                                     std::size_t max_bytes) {
  auto q = query_param(ctx.query, name);
  if (q.malformed || q.value.size() > max_bytes) {
    return core::failure(
        errc::invalid_field,
        fmt::format("{}: at most {} bytes of UTF-8 text, percent-encoded", name, max_bytes));
  }
  return std::move(q.value);
}

core::result<std::int64_t> query_int(const request_context& ctx, std::string_view name,
                                     std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
  const auto q = query_param(ctx.query, name);
  if (!q.present) return fallback;
  const auto v = q.malformed ? std::nullopt : parse_int<std::int64_t>(q.value);
  if (!v || *v < lo || *v > hi) {
    return core::failure(errc::invalid_field,
                         fmt::format("{}: an integer from {} to {}", name, lo, hi));
  }
  return *v;
}

namespace {

constexpr std::string_view batch_codes =
    "one of early_undergrad, undergrad, early_vocational, vocational";

// A parameter holding a code that `parse` reads: absent or empty → nullopt.
template <typename Code, typename Parse>
core::result<std::optional<Code>> query_code(const request_context& ctx, std::string_view name,
                                             Parse parse, std::string_view expected) {
  auto text = query_text(ctx, name, 32);
  if (!text) return core::failure(text.error());
  if (text->empty()) return std::optional<Code>();
  const std::optional<Code> v = parse(*text);
  if (!v) return core::failure(errc::invalid_field, fmt::format("{}: {}", name, expected));
  return v;
}

}  // namespace

core::result<std::optional<core::batch>> query_batch(const request_context& ctx,
                                                     std::optional<core::batch> fallback) {
  auto b = query_code<core::batch>(ctx, "batch", core::parse_batch, batch_codes);
  if (b && !*b) return fallback;
  return b;
}

core::result<core::batch> query_required_batch(const request_context& ctx) {
  const auto b = query_batch(ctx);
  if (!b) return core::failure(b.error());
  if (!*b) return core::failure(errc::invalid_field, fmt::format("batch: {}", batch_codes));
  return **b;
}

core::result<std::optional<core::track>> query_track(const request_context& ctx) {
  return query_code<core::track>(ctx, "track", core::parse_track, "physics or history");
}

core::result<std::optional<std::int64_t>> query_positive(const request_context& ctx,
                                                         std::string_view name, std::int64_t max) {
  const auto q = query_param(ctx.query, name);
  if (!q.present || (q.value.empty() && !q.malformed)) return std::optional<std::int64_t>();
  const auto v = q.malformed ? std::nullopt : parse_id(q.value);
  if (!v || *v > max) {
    return core::failure(errc::invalid_field,
                         max == INT64_MAX ? fmt::format("{}: a positive integer", name)
                                          : fmt::format("{}: an integer from 1 to {}", name, max));
  }
  return v;
}

// ---------------------------------------------------------------- path

core::result<core::batch> path_batch(const request_context& ctx) {
  const auto b = core::parse_batch(ctx.params.get("batch"));
  if (!b) return core::failure(errc::not_found, "no such batch");
  return *b;
}

core::result<std::int64_t> path_id(const request_context& ctx, std::string_view name,
                                   std::int64_t max) {
  const auto v = parse_id(ctx.params.get(name));
  if (!v || *v > max) return core::failure(errc::not_found, fmt::format("no such {}", name));
  return *v;
}

// ---------------------------------------------------------------- preconditions

core::result<std::optional<std::int64_t>> if_match(const http_request& req) {
  std::string_view v = header(req, "If-Match");
  if (v.empty()) return std::optional<std::int64_t>();
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  const auto n = parse_int<std::int64_t>(v);
  if (!n || *n < 0) return core::failure(errc::invalid_field, "If-Match: a version such as \"3\"");
  return std::optional<std::int64_t>(*n);
}

bool not_modified(request_context& ctx, std::string_view tag) {
  // The header's own value is the quoted tag compared against: one string, built in place.
  std::string& quoted = ctx.res.headers.emplace_back("ETag", std::string()).second;
  quoted.reserve(tag.size() + 2);
  quoted += '"';
  quoted += tag;
  quoted += '"';
  const std::string_view inm = header(ctx.request, "If-None-Match");
  const bool match = !inm.empty() && (inm == "*" || inm.find(quoted) != std::string_view::npos);
  if (match) {
    ctx.res.status = 304;
    ctx.res.body.clear();
    ctx.res.shared_body = {};
    ctx.res.keep.reset();
    ctx.res.shared_file = {};
  }
  return match;
}

core::result<std::string> idempotency_key(const http_request& req) {
  const std::string_view k = header(req, "Idempotency-Key");
  if (k.empty()) return std::string();
  bool ok = k.size() <= 255 && k.front() != '~';
  for (unsigned char c : k) ok = ok && c >= 0x21 && c <= 0x7e;
  if (!ok) return core::failure(errc::invalid_field, "Idempotency-Key: 1-255 printable characters");
  return std::string(k);
}

// ---------------------------------------------------------------- JSON bodies

core::result<simdjson::dom::object> json_object_body(const request_context& ctx) {
  if (!is_json(ctx.request)) return core::failure(errc::unsupported_media, "send application/json");
  // One parser per I/O thread, reused: its buffers grow to the largest body once.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(ctx.request.body()).get(obj)) {
    return core::failure(errc::invalid_field, "body: a JSON object");
  }
  return obj;
}

// ---------------------------------------------------------------- more query decoders

core::result<std::optional<std::size_t>> query_choice(
    const request_context& ctx, std::string_view name,
    std::initializer_list<std::string_view> options) {
  const auto q = query_param(ctx.query, name);
  if (!q.present || (q.value.empty() && !q.malformed)) return std::optional<std::size_t>();
  const auto it = std::find(options.begin(), options.end(), q.value);
  if (q.malformed || it == options.end()) {
    // "name: a, b or c"
    std::string expected;
    for (auto o = options.begin(); o != options.end(); ++o) {
      if (o != options.begin()) expected += o + 1 == options.end() ? " or " : ", ";
      expected += *o;
    }
    return core::failure(errc::invalid_field, fmt::format("{}: {}", name, expected));
  }
  return std::optional<std::size_t>(static_cast<std::size_t>(it - options.begin()));
}

core::result<std::optional<std::int64_t>> query_time(const request_context& ctx,
                                                     std::string_view name) {
  const auto q = query_param(ctx.query, name);
  if (!q.present || (q.value.empty() && !q.malformed)) return std::optional<std::int64_t>();
  if (!q.malformed) {
    if (const auto t = core::parse_rfc3339(q.value)) return std::optional<std::int64_t>(*t);
  }
  return core::failure(errc::invalid_field, fmt::format("{}: an RFC 3339 time", name));
}

}  // namespace zhiyuan::server
