#pragma once

// The JSON bodies of the candidates' account and favourites, decoded: each handler's first
// step, declared here so that the fuzz harnesses (tests/fuzz/) reach every decoder without a
// socket or a database. Each returns the body or the invalid_field / unsupported_media problem.

#include <string>

#include "core/contact.hpp"
#include "core/result.hpp"
#include "server/http/message.hpp"

namespace zhiyuan::server {

/// POST /api/v1/auth/login: {"exam_no": 14 digits, "password"}.
struct login_body {
  std::string exam_no;
  std::string password;
};
core::result<login_body> parse_login(const request_context& ctx);

/// POST /api/v1/me/passwords.
struct password_request {
  std::string current_password;
  // Replacing a save password takes the current one: knowing the login password (e.g. a
  // one-time password an office handed out after a reset) must not be enough to file for the
  // candidate. The first set-up has no save password to give.
  std::string current_save_password;
  std::string login_password;
  std::string save_password;
};
core::result<password_request> parse_password_request(const request_context& ctx);

/// POST /api/v1/me/confirmations: {"household": true} or {"physical_exam": true}, exactly one.
struct confirmation {
  std::string what;
  int given = 0;
};
core::result<confirmation> parse_confirmation(const request_context& ctx);

/// PUT /api/v1/me/contact: {"phone": "...", "address": {"province": ..., "recipient": ...}};
/// address members may be left out (core::check_contact names those that must not be).
core::result<core::contact_details> parse_contact(const request_context& ctx);

/// PUT /api/v1/favorites/{kind}/{id}: {"category": "..."}, the only member.
struct category_body {
  std::string category;
};
core::result<category_body> parse_category(const request_context& ctx);

}  // namespace zhiyuan::server
