#pragma once

#include <cstdint>
#include <string_view>

namespace zhiyuan::core {

/// Every failure a client can cause, as a stable machine-readable code.
///
/// The enumerator names are the wire codes (see `to_code`); they never change once
/// published. The mapping to HTTP lives in exactly one place: `server/problem.cpp`.
enum class errc : std::uint8_t {
  // Request shape.
  bad_request,        ///< Malformed request line, headers or body.
  invalid_field,      ///< A field is missing or has a bad value; the detail names it.
  unsupported_media,  ///< Body is not the media type the endpoint takes.
  payload_too_large,  ///< Body over the configured limit.
  headers_too_large,  ///< Request head over 8 KiB.
  // Routing.
  not_found,           ///< No such route or resource.
  method_not_allowed,  ///< Route exists, method does not.
  // Authentication and authorization.
  unauthenticated,  ///< No valid session.
  forbidden,        ///< Authenticated, but not allowed.
  // State.
  conflict,                   ///< Concurrent or stale change.
  precondition_failed,        ///< If-Match did not match.
  precondition_required,      ///< If-Match missing where required.
  validation_failed,          ///< Domain rules rejected the input; the body lists violations.
  window_closed,              ///< The schedule does not allow this action now.
  too_many_requests,          ///< Throttled; Retry-After says when to come back.
  idempotency_key_required,   ///< A formal submission needs an Idempotency-Key header.
  idempotency_key_in_flight,  ///< The same key is still being processed; retry later.
  idempotency_key_reused,     ///< The key was used before with a different body.
  already_submitted,          ///< The candidate has submitted this batch; no unfiled reason.
  not_eligible,               ///< The candidate is not eligible for this batch.
  // The candidate's account.
  passwords_required,   ///< First sign-in: set the login and save passwords first.
  pledge_required,      ///< The filing pledge (承诺书) must be accepted before any write.
  wrong_save_password,  ///< The save password (保存密码) of a formal submission is wrong.
  confirmation_closed,  ///< Past the confirmation deadline: confirmations can no longer change.
  account_locked,       ///< Too many failed sign-ins; Retry-After says when to come back.
  // Server side.
  unavailable,  ///< Overloaded, draining or dependency down; Retry-After set.
  timeout,      ///< The client was too slow sending the request.
  internal,     ///< A bug; logged with the request id. Stays the last enumerator.
};

/// The stable wire code of an error, e.g. "not_found".
constexpr std::string_view to_code(errc e) noexcept {
  switch (e) {
    case errc::bad_request:
      return "bad_request";
    case errc::invalid_field:
      return "invalid_field";
    case errc::unsupported_media:
      return "unsupported_media_type";
    case errc::payload_too_large:
      return "payload_too_large";
    case errc::headers_too_large:
      return "headers_too_large";
    case errc::not_found:
      return "not_found";
    case errc::method_not_allowed:
      return "method_not_allowed";
    case errc::unauthenticated:
      return "unauthenticated";
    case errc::forbidden:
      return "forbidden";
    case errc::conflict:
      return "conflict";
    case errc::precondition_failed:
      return "precondition_failed";
    case errc::precondition_required:
      return "precondition_required";
    case errc::validation_failed:
      return "validation_failed";
    case errc::window_closed:
      return "window_closed";
    case errc::too_many_requests:
      return "too_many_requests";
    case errc::idempotency_key_required:
      return "idempotency_key_required";
    case errc::idempotency_key_in_flight:
      return "idempotency_key_in_flight";
    case errc::idempotency_key_reused:
      return "idempotency_key_reused";
    case errc::passwords_required:
      return "passwords_required";
    case errc::pledge_required:
      return "pledge_required";
    case errc::wrong_save_password:
      return "wrong_save_password";
    case errc::confirmation_closed:
      return "confirmation_closed";
    case errc::already_submitted:
      return "already_submitted";
    case errc::not_eligible:
      return "not_eligible";
    case errc::account_locked:
      return "account_locked";
    case errc::unavailable:
      return "unavailable";
    case errc::timeout:
      return "request_timeout";
    case errc::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace zhiyuan::core
