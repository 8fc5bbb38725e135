#pragma once

// The client's real address and whether it came over TLS, when the server sits behind a proxy
// (issue 17): HAProxy's PROXY protocol v2 at the start of a connection, or X-Forwarded-For /
// X-Forwarded-Proto on each request. Believed only from `server.trusted_proxies`; from any
// other peer the headers are ignored and the TCP peer is the client.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace zhiyuan::server {

/// A list of networks (CIDR), e.g. "10.0.0.0/8, 127.0.0.1/32, ::1/128".
class network_list {
 public:
  network_list() = default;
  /// Throws std::invalid_argument naming the entry that is not a CIDR.
  explicit network_list(std::string_view cidrs);
  bool contains(const boost::asio::ip::address& a) const;
  /// False for text that is no address.
  bool contains(std::string_view address) const;
  bool empty() const noexcept { return nets_.empty(); }

 private:
  struct net {
    boost::asio::ip::address base;
    unsigned prefix = 0;
  };
  std::vector<net> nets_;
};

/// What a PROXY v2 header says.
struct proxy_header {
  std::size_t length = 0;  ///< bytes of the header (consumed before HTTP)
  std::string source;      ///< the client's address; empty for LOCAL (the proxy's own check)
  bool tls = false;        ///< a PP2_TYPE_SSL TLV says the client spoke TLS
};

enum class proxy_parse { ok, need_more, not_proxy, invalid };

/// Parses a PROXY protocol v2 header at the start of `data` (TCP over IPv4/IPv6, LOCAL).
proxy_parse parse_proxy_v2(std::span<const std::uint8_t> data, proxy_header& out);

/// The client of a request whose TCP peer is a trusted proxy: the rightmost address of
/// X-Forwarded-For that is not itself a trusted proxy (what the proxy nearest to us saw),
/// or empty when the header names no valid address.
std::string forwarded_client(std::string_view x_forwarded_for, const network_list& trusted);

}  // namespace zhiyuan::server
