#pragma once

// The request-decoding kit every handler uses: headers, path and query parameters, integers,
// batches, preconditions (If-Match, If-None-Match), the Idempotency-Key and JSON bodies read
// into typed structs. A decoder returns its value or a core::error whose detail names the
// field; the handler answers the error with `fail(ctx, e)` (server/http/problem.hpp), so that a
// handler reads decode → rule (core) → read/write (storage) → answer.

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <simdjson.h>

#include "core/batch.hpp"
#include "core/result.hpp"
#include "core/subjects.hpp"
#include "server/http/message.hpp"

namespace zhiyuan::server {

// ---------------------------------------------------------------- headers

/// A header's value, viewed in the request; empty when absent.
std::string_view header(const http_request& req, std::string_view name);

/// Whether the body is declared as JSON (application/json, with or without parameters).
bool is_json(const http_request& req);

/// `text` as clean UTF-8 for storing or logging: each byte of a malformed sequence and each
/// control character becomes '?', and the result is cut to at most `max_bytes` on a character
/// boundary.
std::string clean_header_text(std::string_view text, std::size_t max_bytes);

// ---------------------------------------------------------------- integers

/// The whole of `s` as a decimal integer of type Int (an optional leading '-' for signed
/// types), or nullopt.
template <typename Int>
std::optional<Int> parse_int(std::string_view s) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

/// The whole of `s` as an integer > 0 written without sign or leading zero, or nullopt: the
/// form of every id in a path or a page token.
std::optional<std::int64_t> parse_id(std::string_view s);

// ---------------------------------------------------------------- query

/// The value of query parameter `name`, percent-decoded ('+' is a space). The first occurrence
/// counts.
struct query_value {
  bool present = false;
  bool malformed = false;  ///< a bad %-escape, invalid UTF-8 or a NUL
  std::string value;
};
query_value query_param(std::string_view query, std::string_view name);

/// A text parameter: absent → "", malformed or over `max_bytes` → invalid_field naming it.
core::result<std::string> query_text(const request_context& ctx, std::string_view name,
                                     std::size_t max_bytes);
/// An integer parameter in [lo, hi]; absent → `fallback`; anything else → invalid_field.
core::result<std::int64_t> query_int(const request_context& ctx, std::string_view name,
                                     std::int64_t lo, std::int64_t hi, std::int64_t fallback);
/// The `batch` parameter as a batch code; absent or empty → `fallback`.
core::result<std::optional<core::batch>> query_batch(
    const request_context& ctx, std::optional<core::batch> fallback = std::nullopt);
/// The `batch` parameter, which must name a batch (absent or empty → invalid_field).
core::result<core::batch> query_required_batch(const request_context& ctx);
/// The `track` parameter as a track code (physics, history); absent or empty → nullopt.
core::result<std::optional<core::track>> query_track(const request_context& ctx);
/// A positive integer written as an id (parse_id) of at most `max`: absent or empty → nullopt;
/// anything else → invalid_field naming it.
core::result<std::optional<std::int64_t>> query_positive(const request_context& ctx,
                                                         std::string_view name,
                                                         std::int64_t max = INT64_MAX);

// ---------------------------------------------------------------- path

/// The `{batch}` segment: a batch code, else not_found ("no such batch").
core::result<core::batch> path_batch(const request_context& ctx);
/// A `{name}` segment that must be an id (parse_id) of at most `max`, else not_found ("no such
/// <name>").
core::result<std::int64_t> path_id(const request_context& ctx, std::string_view name,
                                   std::int64_t max = INT64_MAX);

// ---------------------------------------------------------------- preconditions

/// If-Match as a version: `"3"` or `3`. Absent → nullopt; malformed → invalid_field.
core::result<std::optional<std::int64_t>> if_match(const http_request& req);

/// Sets `ETag: "<tag>"` and, when the request's If-None-Match matches it, turns the response
/// into a bodiless 304; returns true then (the handler stops).
bool not_modified(request_context& ctx, std::string_view tag);

/// The Idempotency-Key header: absent → ""; otherwise 1-255 printable ASCII characters not
/// starting with '~' (the server's own keys), else invalid_field.
core::result<std::string> idempotency_key(const http_request& req);

// ---------------------------------------------------------------- JSON bodies

/// A JSON body read into a struct T, one member at a time, with errors naming the member:
///
///   auto body = json_fields<login>(ctx)
///                   .text("exam_no", &login::exam_no, 14)
///                   .text("password", &login::password, 64)
///                   .done();
///   if (!body) co_return fail(ctx, body.error());
///
/// The body must be application/json (else unsupported_media) holding an object (else
/// invalid_field "body: a JSON object"); a member no call names, or one given twice, is refused.
/// The first failure wins, unknown and duplicated members first. The parsed document lives until
/// the next body is read on this thread, so `done()` must come before the handler waits for
/// anything.
template <typename T>
class json_fields {
 public:
  explicit json_fields(const request_context& ctx) : object_(parse(ctx)) {
    if (!object_) error_ = object_.error();
  }

  /// A string member of at most `max_bytes`; when optional and absent the field keeps its value.
  json_fields& text(std::string_view name, std::string T::*field, std::size_t max_bytes,
                    bool required = true) {
    return member(name, required, [&](simdjson::dom::element v) -> bool {
      std::string_view s;
      // PostgreSQL's text holds no NUL, and no field of this API has a use for one.
      if (v.get_string().get(s) || s.size() > max_bytes || s.find('\0') != s.npos) {
        return refuse(name,
                      "a string of at most " + std::to_string(max_bytes) + " bytes without NUL");
      }
      value_.*field = std::string(s);
      return true;
    });
  }

  /// A boolean member.
  json_fields& flag(std::string_view name, bool T::*field, bool required = true) {
    return flag(name, required, [field](T& t, bool b) {
      t.*field = b;
      return true;
    });
  }
  /// A boolean member with a rule: `fn(value, b)` stores it and says whether it is acceptable.
  template <typename Fn>
  json_fields& flag(std::string_view name, bool required, Fn fn,
                    std::string_view expected = "true or false") {
    return member(name, required, [&](simdjson::dom::element v) -> bool {
      bool b = false;
      if (v.get_bool().get(b) || !fn(value_, b)) return refuse(name, expected);
      return true;
    });
  }

  /// An integer member in [lo, hi].
  template <typename Int>
  json_fields& integer(std::string_view name, Int T::*field, std::int64_t lo, std::int64_t hi,
                       bool required = true) {
    return member(name, required, [&](simdjson::dom::element v) -> bool {
      std::int64_t n = 0;
      if (v.get_int64().get(n) || n < lo || n > hi) {
        return refuse(name, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
      }
      value_.*field = static_cast<Int>(n);
      return true;
    });
  }

  /// A member read by `fn(value, element) -> std::optional<core::error>` (nested objects,
  /// enumerations): nullopt accepts it.
  template <typename Fn>
  json_fields& custom(std::string_view name, bool required, Fn fn) {
    return member(name, required, [&](simdjson::dom::element v) -> bool {
      if (auto e = fn(value_, v)) {
        if (!error_) error_ = std::move(*e);
        return false;
      }
      return true;
    });
  }

  /// Every member named by the calls above was read: the struct, or the first failure.
  core::result<T> done() {
    if (object_) {
      // A member given twice is refused: which one counts would be a guess (RFC 8259 4).
      std::array<bool, 16> seen{};
      for (auto [key, unused] : *object_) {
        const auto i = index_of(key);
        if (i == named_) return core::failure(core::errc::invalid_field, unknown(key));
        if (seen[i]) {
          return core::failure(core::errc::invalid_field,
                               std::string(key) + " (duplicated member)");
        }
        seen[i] = true;
      }
    }
    if (error_) return core::failure(error_->code, std::move(error_->detail));
    return std::move(value_);
  }

 private:
  static core::result<simdjson::dom::object> parse(const request_context& ctx);
  static std::string unknown(std::string_view key) {
    return std::string(key) + " (unknown member)";
  }

  template <typename Read>
  json_fields& member(std::string_view name, bool required, Read read) {
    // More members than any body of this API has is a bug in the decoder, not the request.
    if (named_ == names_.size()) throw std::logic_error("json_fields: too many members");
    names_[named_++] = name;
    if (error_) return *this;
    auto v = (*object_)[name];
    if (v.error() == simdjson::NO_SUCH_FIELD) {
      if (required) refuse(name, "required");
      return *this;
    }
    read(v.value_unsafe());
    return *this;
  }

  bool refuse(std::string_view name, std::string_view expected) {
    if (!error_)
      error_ =
          core::error{core::errc::invalid_field, std::string(name) + ": " + std::string(expected)};
    return false;
  }

  // The position of `key` among the named members, or named_ when none names it.
  std::size_t index_of(std::string_view key) const {
    for (std::size_t i = 0; i < named_; ++i) {
      if (names_[i] == key) return i;
    }
    return named_;
  }

  core::result<simdjson::dom::object> object_;
  std::optional<core::error> error_;
  std::array<std::string_view, 16> names_{};
  std::size_t named_ = 0;
  T value_{};
};

/// The body as a JSON object held by this thread's parser (see json_fields), or the failure.
core::result<simdjson::dom::object> json_object_body(const request_context& ctx);

template <typename T>
core::result<simdjson::dom::object> json_fields<T>::parse(const request_context& ctx) {
  return json_object_body(ctx);
}

// ---------------------------------------------------------------- more query and body decoders

/// A parameter that is one of `options`, as its index: absent or empty → nullopt; anything else
/// → invalid_field listing them ("kind: announcement or reminder").
core::result<std::optional<std::size_t>> query_choice(
    const request_context& ctx, std::string_view name,
    std::initializer_list<std::string_view> options);

/// An RFC 3339 time parameter, in Unix seconds: absent or empty → nullopt; anything else →
/// invalid_field naming it.
core::result<std::optional<std::int64_t>> query_time(const request_context& ctx,
                                                     std::string_view name);

/// A json_fields::custom reader of a member holding a code that `parse` reads (a batch, a
/// role...; `parse(std::string_view)` returns an optional): the code goes into `field`; a
/// non-string or a code `parse` refuses is invalid_field with `detail`, which names the member.
///
///   .custom("role", true, json_code(&body::role, core::parse_admin_role,
///                                   "role: viewer, operator or manager"))
template <typename T, typename Field, typename Parse>
auto json_code(Field T::*field, Parse parse, std::string_view detail) {
  return [field, parse, detail](T& t, simdjson::dom::element v) -> std::optional<core::error> {
    std::string_view s;
    if (!v.get_string().get(s)) {
      if (auto code = parse(s)) {
        t.*field = *code;
        return std::nullopt;
      }
    }
    return core::error{core::errc::invalid_field, std::string(detail)};
  };
}

}  // namespace zhiyuan::server
