#include "server/http/problem.hpp"

#include <string>

#include "server/http/json_writer.hpp"
#include "server/http/router.hpp"

namespace zhiyuan::server {
namespace {

std::string_view title_of(core::errc e) noexcept {
  using core::errc;
  switch (e) {
    case errc::bad_request:
      return "Malformed request";
    case errc::invalid_field:
      return "Invalid field";
    case errc::unsupported_media:
      return "Unsupported media type";
    case errc::payload_too_large:
      return "Request body too large";
    case errc::headers_too_large:
      return "Request header fields too large";
    case errc::not_found:
      return "Not found";
    case errc::method_not_allowed:
      return "Method not allowed";
    case errc::unauthenticated:
      return "Authentication required";
    case errc::forbidden:
      return "Forbidden";
    case errc::conflict:
      return "Conflict";
    case errc::precondition_failed:
      return "Precondition failed";
    case errc::precondition_required:
      return "Precondition required";
    case errc::validation_failed:
      return "Validation failed";
    case errc::window_closed:
      return "Not allowed at this time";
    case errc::too_many_requests:
      return "Too many requests";
    case errc::idempotency_key_required:
      return "Idempotency-Key required";
    case errc::idempotency_key_in_flight:
      return "Request with this key in progress";
    case errc::idempotency_key_reused:
      return "Idempotency-Key reused with another body";
    case errc::passwords_required:
      return "Set your passwords first";
    case errc::pledge_required:
      return "Accept the filing pledge first";
    case errc::wrong_save_password:
      return "Wrong save password";
    case errc::confirmation_closed:
      return "Confirmations are closed";
    case errc::already_submitted:
      return "Already submitted";
    case errc::not_eligible:
      return "Not eligible for this batch";
    case errc::account_locked:
      return "Account temporarily locked";
    case errc::unavailable:
      return "Service unavailable";
    case errc::timeout:
      return "Request timeout";
    case errc::internal:
      return "Internal server error";
  }
  return "Internal server error";
}

}  // namespace

unsigned http_status(core::errc e) noexcept {
  using core::errc;
  switch (e) {
    case errc::bad_request:
      return 400;
    case errc::invalid_field:
      return 400;
    case errc::unsupported_media:
      return 415;
    case errc::payload_too_large:
      return 413;
    case errc::headers_too_large:
      return 431;
    case errc::not_found:
      return 404;
    case errc::method_not_allowed:
      return 405;
    case errc::unauthenticated:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::conflict:
      return 409;
    case errc::precondition_failed:
      return 412;
    case errc::precondition_required:
      return 428;
    case errc::validation_failed:
      return 422;
    case errc::window_closed:
      return 403;
    case errc::too_many_requests:
      return 429;
    case errc::idempotency_key_required:
      return 400;
    case errc::idempotency_key_in_flight:
      return 409;
    case errc::idempotency_key_reused:
      return 422;
    case errc::passwords_required:
      return 403;
    case errc::pledge_required:
      return 403;
    case errc::wrong_save_password:
      return 403;
    case errc::confirmation_closed:
      return 403;
    case errc::already_submitted:
      return 409;
    case errc::not_eligible:
      return 422;
    case errc::account_locked:
      return 429;
    case errc::unavailable:
      return 503;
    case errc::timeout:
      return 408;
    case errc::internal:
      return 500;
  }
  return 500;
}

void set_problem(response& res, core::errc e, std::string_view detail, std::string_view request_id,
                 std::string_view instance, unsigned retry_after_seconds,
                 std::string_view extra_members) {
  res.status = http_status(e);
  res.content_type = "application/problem+json";
  res.body.clear();
  res.shared_body = {};
  res.keep.reset();
  res.shared_file = {};
  const std::string_view code = core::to_code(e);
  json_writer w(res.body);
  w.begin_object();
  std::string type = "/problems/";
  type += code;
  w.key("type").value(type);
  w.key("title").value(title_of(e));
  w.key("status").value(res.status);
  if (!detail.empty()) w.key("detail").value(detail);
  if (!instance.empty()) w.key("instance").value(instance);
  w.key("code").value(code);
  w.key("request_id").value(request_id);
  if (!extra_members.empty()) {
    res.body += ',';
    res.body += extra_members;
  }
  w.end_object();
  if (retry_after_seconds == 0 && (res.status == 429 || res.status == 503)) {
    retry_after_seconds = 1;
  }
  if (retry_after_seconds > 0) {
    res.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  }
  // Problems the transport answers itself (parse errors, no route, shedding) pass no route's
  // secure_defaults: they get the same headers here, where every problem is built.
  secure_defaults(res);
}

void fail(request_context& ctx, core::errc e, std::string_view detail, unsigned retry_after_seconds,
          std::string_view extra_members) {
  set_problem(ctx.res, e, detail, ctx.request_id, ctx.path, retry_after_seconds, extra_members);
}

}  // namespace zhiyuan::server
