#pragma once

#include <string_view>

#include "core/errc.hpp"
#include "core/result.hpp"
#include "server/http/message.hpp"

namespace zhiyuan::server {

/// The HTTP status of an error code. The only place that decides it.
unsigned http_status(core::errc e) noexcept;

/// Fills `res` with an RFC 9457 `application/problem+json` body:
/// `{type, title, status, detail, instance, code, request_id}`. `extra_members`, if not
/// empty, is inserted verbatim as further members (e.g. `"violations":[...]`).
/// `retry_after_seconds` > 0 adds `Retry-After` (429 and 503 always get one). Adds what
/// secure_defaults adds (nosniff, no-store) unless `res` has them already.
void set_problem(response& res, core::errc e, std::string_view detail, std::string_view request_id,
                 std::string_view instance, unsigned retry_after_seconds = 0,
                 std::string_view extra_members = {});

/// Answers the request with the problem for `e` (set_problem with the request's id and path).
void fail(request_context& ctx, core::errc e, std::string_view detail,
          unsigned retry_after_seconds = 0, std::string_view extra_members = {});
/// The same for an error a decoder or a rule returned.
inline void fail(request_context& ctx, const core::error& e, unsigned retry_after_seconds = 0,
                 std::string_view extra_members = {}) {
  fail(ctx, e.code, e.detail, retry_after_seconds, extra_members);
}

}  // namespace zhiyuan::server
