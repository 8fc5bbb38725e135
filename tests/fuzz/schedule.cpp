// Fuzzes the filing schedule's two readers (server/schedule_config.hpp): the JSON body of
// PUT /api/v1/admin/schedule and the TOML file read at start-up. A JSON timetable accepted
// without issues survives its own round trip. Input: one selector byte, then the text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.hpp"
#include "server/schedule_config.hpp"

using namespace zhiyuan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    std::vector<core::schedule_issue> issues;
    const auto s = server::schedule_from_json(text, issues);
    if (!issues.empty()) return 0;
    std::vector<core::schedule_issue> again;
    const auto json = server::schedule_to_json(s);
    const auto back = server::schedule_from_json(json, again);
    if (!again.empty() || server::schedule_to_json(back) != json) __builtin_trap();
    return 0;
  }
  try {
    (void)server::parse_schedule(text, "fuzz.toml");
  } catch (const server::config_error&) {
    // A bad file stops the server with this error, naming the key: that is the contract.
  }
  return 0;
}
