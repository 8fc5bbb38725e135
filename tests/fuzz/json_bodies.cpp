// Fuzzes the JSON body decoders of the candidates' API (server/candidate/bodies.hpp): sign-in,
// passwords, confirmations, contact details (then core's contact rules) and a favourite's
// category. Input: one selector byte, then the body.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/contact.hpp"
#include "server/candidate/bodies.hpp"

using namespace zhiyuan;
using namespace zhiyuan::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  http_request req;
  req.set("Content-Type", "application/json");
  req.body() = std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  response res;
  const request_context ctx{.request = req, .path = "/", .res = res};
  switch (data[0] % 5) {
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
    default:
      (void)parse_category(ctx);
      break;
  }
  return 0;
}
