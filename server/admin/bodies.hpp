#pragma once

// The JSON bodies of the admission offices' API, decoded: each handler's first step, declared
// here so that the fuzz harnesses (tests/fuzz/) reach every decoder without a socket or a
// database. Each returns the body or the invalid_field / unsupported_media problem.

#include <cstdint>
#include <optional>
#include <string>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "core/result.hpp"
#include "server/http/message.hpp"

namespace zhiyuan::server::admin_http {

/// POST /api/v1/admin/auth/login.
struct credentials {
  std::string username;
  std::string password;
};
core::result<credentials> parse_credentials(const request_context& ctx);

/// POST /api/v1/admin/me/password.
struct password_change {
  std::string current_password;
  std::string new_password;
};
core::result<password_change> parse_password_change(const request_context& ctx);

/// POST /api/v1/admin/users.
struct new_user {
  std::string username;
  std::string unit;  ///< its code
  core::admin_role role = core::admin_role::viewer;
};
core::result<new_user> parse_new_user(const request_context& ctx);

/// PATCH /api/v1/admin/users/{id}: at least one of the three.
struct user_change {
  std::optional<bool> disabled;
  std::optional<core::admin_role> role;
  bool reset_password = false;
};
core::result<user_change> parse_user_change(const request_context& ctx);

/// PUT .../candidates/{exam_no}/unfiled-reason.
struct reason_body {
  core::batch batch = core::batch::undergrad;
  core::unfiled_reason reason{};
  std::string note;
};
core::result<reason_body> parse_reason(const request_context& ctx);

/// POST /api/v1/admin/incidents: category and description not empty.
struct incident_body {
  std::string category;
  std::int16_t severity = 0;
  std::string description;
};
core::result<incident_body> parse_incident(const request_context& ctx);

/// POST /api/v1/admin/incidents/{id}/events: a comment needs its text.
struct event_body {
  core::incident_event kind = core::incident_event::comment;
  std::string comment;
};
core::result<event_body> parse_incident_event_body(const request_context& ctx);

/// POST /api/v1/admin/reminders: the message not empty.
struct reminder_body {
  std::string unit;  ///< its code
  core::batch batch = core::batch::undergrad;
  std::string message;
};
core::result<reminder_body> parse_reminder(const request_context& ctx);

/// POST /api/v1/admin/notices: title and body not empty.
struct notice_body {
  std::string unit;  ///< its code
  std::string title;
  std::string body;
  std::string batch;  ///< a batch code, or empty: every batch
};
core::result<notice_body> parse_notice(const request_context& ctx);

}  // namespace zhiyuan::server::admin_http
