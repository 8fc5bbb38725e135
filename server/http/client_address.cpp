#include "server/http/client_address.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>

namespace zhiyuan::server {
namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> address_of(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(trim(text)), ec);
  if (ec) return std::nullopt;
  // An IPv4 client seen through an IPv6 socket is the IPv4 client.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 unsigned prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i, prefix = prefix >= 8 ? prefix - 8 : 0) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const unsigned mask = (0xFFu << (8 - bits)) & 0xFFu;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

}  // namespace

network_list::network_list(std::string_view cidrs) {
  while (!cidrs.empty()) {
    const auto comma = cidrs.find(',');
    const std::string_view item = trim(cidrs.substr(0, comma));
    cidrs = comma == std::string_view::npos ? std::string_view{} : cidrs.substr(comma + 1);
    if (item.empty()) continue;
    const auto slash = item.find('/');
    const auto base = address_of(item.substr(0, slash));
    unsigned prefix = 0;
    const std::string bits(slash == std::string_view::npos ? "" : item.substr(slash + 1));
    try {
      prefix = bits.empty() ? 0 : static_cast<unsigned>(std::stoul(bits));
    } catch (const std::exception&) {
      prefix = 999;
    }
    if (!base || bits.empty() || prefix > (base->is_v4() ? 32u : 128u)) {
      throw std::invalid_argument("'" + std::string(item) + "' is not a CIDR such as 10.0.0.0/8");
    }
    nets_.push_back({*base, prefix});
  }
}

bool network_list::contains(const ip::address& raw) const {
  const auto a = address_of(raw.to_string());
  if (!a) return false;
  for (const auto& n : nets_) {
    if (n.base.is_v4() && a->is_v4() &&
        same_prefix(n.base.to_v4().to_bytes(), a->to_v4().to_bytes(), n.prefix)) {
      return true;
    }
    if (n.base.is_v6() && a->is_v6() &&
        same_prefix(n.base.to_v6().to_bytes(), a->to_v6().to_bytes(), n.prefix)) {
      return true;
    }
  }
  return false;
}

bool network_list::contains(std::string_view address) const {
  const auto a = address_of(address);
  return a && contains(*a);
}

proxy_parse parse_proxy_v2(std::span<const std::uint8_t> d, proxy_header& out) {
  static constexpr std::uint8_t signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  for (std::size_t i = 0; i < 12 && i < d.size(); ++i) {
    if (d[i] != signature[i]) return proxy_parse::not_proxy;
  }
  if (d.size() < 16) return proxy_parse::need_more;
  const std::size_t length = 16 + be16(&d[14]);
  if (d.size() < length) return proxy_parse::need_more;
  const std::uint8_t version_command = d[12], family = d[13];
  if ((version_command >> 4) != 2) return proxy_parse::invalid;
  out = {};
  out.length = length;
  if ((version_command & 0x0F) == 0) return proxy_parse::ok;  // LOCAL: the proxy itself
  if ((version_command & 0x0F) != 1) return proxy_parse::invalid;
  std::size_t tlv_at = 0;
  if (family == 0x11 && length >= 16 + 12) {  // TCP over IPv4
    ip::address_v4::bytes_type b;
    std::copy(&d[16], &d[20], b.begin());
    out.source = ip::address_v4(b).to_string();
    tlv_at = 16 + 12;
  } else if (family == 0x21 && length >= 16 + 36) {  // TCP over IPv6
    ip::address_v6::bytes_type b;
    std::copy(&d[16], &d[32], b.begin());
    out.source = ip::address_v6(b).to_string();
    tlv_at = 16 + 36;
  } else {
    return proxy_parse::invalid;
  }
  // TLVs: PP2_TYPE_SSL (0x20) with PP2_CLIENT_SSL (bit 0) set: the client spoke TLS.
  while (tlv_at + 3 <= length) {
    const std::uint8_t type = d[tlv_at];
    const std::size_t len = be16(&d[tlv_at + 1]);
    if (tlv_at + 3 + len > length) return proxy_parse::invalid;
    if (type == 0x20 && len >= 1 && (d[tlv_at + 3] & 0x01) != 0) out.tls = true;
    tlv_at += 3 + len;
  }
  return proxy_parse::ok;
}

std::string forwarded_client(std::string_view xff, const network_list& trusted) {
  // Rightmost first: entries to the left were written by the client and may be made up.
  while (!xff.empty()) {
    const auto comma = xff.rfind(',');
    const std::string_view item =
        trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
    xff = comma == std::string_view::npos ? std::string_view{} : xff.substr(0, comma);
    const auto a = address_of(item);
    if (!a) return {};
    if (!trusted.contains(*a)) return a->to_string();
  }
  return {};
}

}  // namespace zhiyuan::server
