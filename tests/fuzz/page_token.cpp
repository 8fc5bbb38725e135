// Fuzzes the plan list's page tokens (server/candidate/catalog/page_token.hpp): any text a
// client sends as page_token decodes to a group or to nothing, and a token the server issued
// resumes exactly where it ended.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "server/candidate/catalog/page_token.hpp"

using namespace zhiyuan::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::uint64_t tag = 0x1122334455667788, filter = 42;
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  (void)decode_page_token(token, tag, filter);
  // The same bytes as numbers: a token issued for them comes back whole, for its query only.
  if (size >= 8) {
    zhiyuan::core::group_id last;
    std::memcpy(&last, data, sizeof last);
    const auto issued = encode_page_token(tag, filter, last);
    const auto back = decode_page_token(issued, tag, filter);
    if (!back || *back != last) __builtin_trap();
    if (decode_page_token(issued, tag + 1, filter) || decode_page_token(issued, tag, filter + 1)) {
      __builtin_trap();
    }
  }
  return 0;
}
