// Fuzzes who a connection's client is (server/http/client_address.hpp): the PROXY v2 header at
// the start of a connection, X-Forwarded-For from a trusted proxy, and the CIDR list of
// server.trusted_proxies. Input: one selector byte, then the bytes.

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>

#include "server/http/client_address.hpp"
#include "server/http/exchange.hpp"

using namespace zhiyuan::server;

namespace {

// The proxies an operator might trust: a v4 and a v6 network and a single address.
const network_list& trusted() {
  static const network_list list("10.0.0.0/8, 127.0.0.1/32, ::1/128, fd00::/8");
  return list;
}

void proxy_v2(std::span<const std::uint8_t> data) {
  proxy_header h;
  const auto r = parse_proxy_v2(data, h);
  // An accepted header lies within what was received.
  if (r == proxy_parse::ok && (h.length > data.size() || h.length < 16)) __builtin_trap();
  // The connection loops: a trusted peer's first bytes, as they arrive.
  client_origin origin("127.0.0.1", trusted());
  std::size_t consumed = 0;
  if (origin.take_proxy_header(data, consumed) == proxy_parse::ok && consumed > data.size()) {
    __builtin_trap();
  }
}

void forwarded(std::string_view text) {
  const auto client = forwarded_client(text, trusted());
  // The answer is never one of the trusted proxies themselves.
  if (!client.empty() && trusted().contains(std::string_view(client))) __builtin_trap();
  (void)trusted().contains(text);
}

void cidrs(std::string_view text) {
  try {
    const network_list list(text);
    (void)list.contains(std::string_view("10.1.2.3"));
    (void)list.contains(std::string_view("::ffff:10.1.2.3"));
  } catch (const std::invalid_argument&) {
    // A malformed list is refused at start-up with this error: that is the contract.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  switch (data[0] % 3) {
    case 0:
      proxy_v2(rest);
      break;
    case 1:
      forwarded(text);
      break;
    default:
      cidrs(text);
      break;
  }
  return 0;
}
