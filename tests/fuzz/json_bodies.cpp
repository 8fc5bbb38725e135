// Fuzzes the JSON body decoders of both APIs: the candidates' (server/candidate/bodies.hpp:
// sign-in, passwords, confirmations, contact details then core's contact rules, a favourite's
// category) and the offices' (server/admin/bodies.hpp: sign-in, password, accounts, unfiled
// reasons, incidents, reminders, notices). Input: one selector byte, then the body.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/contact.hpp"
#include "server/admin/bodies.hpp"
#include "server/candidate/bodies.hpp"

using namespace zhiyuan;
using namespace zhiyuan::server;
namespace admin = zhiyuan::server::admin_http;

namespace {

// The offices' bodies; `which` counts from 0.
void admin_body(unsigned which, const request_context& ctx) {
  switch (which) {
    case 0:
      (void)admin::parse_credentials(ctx);
      break;
    case 1:
      (void)admin::parse_password_change(ctx);
      break;
    case 2:
      (void)admin::parse_new_user(ctx);
      break;
    case 3: {
      const auto c = admin::parse_user_change(ctx);
      if (c && !c->disabled && !c->role && !c->reset_password) __builtin_trap();
      break;
    }
    case 4:
      (void)admin::parse_reason(ctx);
      break;
    case 5: {
      const auto i = admin::parse_incident(ctx);
      if (i && (i->category.empty() || i->description.empty())) __builtin_trap();
      break;
    }
    case 6:
      (void)admin::parse_incident_event_body(ctx);
      break;
    case 7:
      (void)admin::parse_reminder(ctx);
      break;
    default:
      (void)admin::parse_notice(ctx);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  http_request req;
  req.set("Content-Type", "application/json");
  req.body() = std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  response res;
  const request_context ctx{.request = req, .path = "/", .res = res};
  switch (data[0] % 14) {
    case 0: {
      const auto b = parse_login(ctx);
      if (b && b->exam_no.size() != 14) __builtin_trap();
      break;
    }
    case 1:
      (void)parse_password_request(ctx);
      break;
    case 2: {
      const auto b = parse_confirmation(ctx);
      if (b && b->given != 1) __builtin_trap();
      break;
    }
    case 3:
      if (const auto c = parse_contact(ctx)) (void)core::check_contact(*c);
      break;
    case 4:
      (void)parse_category(ctx);
      break;
    default:
      admin_body(data[0] % 14 - 5, ctx);
      break;
  }
  return 0;
}
