// The client behind a proxy: trusted networks, PROXY protocol v2 headers and X-Forwarded-For.
#include "server/http/client_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace zhiyuan::server {
namespace {

std::vector<std::uint8_t> proxy_v4(std::vector<std::uint8_t> tlvs, std::uint8_t command = 0x21) {
  std::vector<std::uint8_t> h = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,    0x0A,
                                 0x51, 0x55, 0x49, 0x54, 0x0A, command, 0x11};
  const std::size_t len = 12 + tlvs.size();
  h.push_back(static_cast<std::uint8_t>(len >> 8));
  h.push_back(static_cast<std::uint8_t>(len & 0xFF));
  for (std::uint8_t b : {203, 0, 113, 7, 10, 0, 0, 1, 0x9C, 0x40, 0x1F, 0x90}) h.push_back(b);
  h.insert(h.end(), tlvs.begin(), tlvs.end());
  return h;
}

TEST(client_address, networks_match_by_prefix_and_reject_what_is_no_cidr) {
  const network_list n("10.0.0.0/8, 127.0.0.1/32,2001:db8::/32");
  EXPECT_TRUE(n.contains("10.20.30.40"));
  EXPECT_TRUE(n.contains("127.0.0.1"));
  EXPECT_FALSE(n.contains("127.0.0.2"));
  EXPECT_TRUE(n.contains("2001:db8::1"));
  EXPECT_TRUE(n.contains("::ffff:10.1.2.3"));  // IPv4 seen through an IPv6 socket
  EXPECT_FALSE(n.contains("11.0.0.1"));
  EXPECT_FALSE(n.contains("not an address"));
  EXPECT_TRUE(network_list("").empty());
  EXPECT_THROW(network_list("10.0.0.0"), std::invalid_argument);
  EXPECT_THROW(network_list("10.0.0.0/33"), std::invalid_argument);
  EXPECT_THROW(network_list("ten/8"), std::invalid_argument);
}

TEST(client_address, proxy_v2_names_the_source_and_tls) {
  proxy_header h;
  auto plain = proxy_v4({});
  ASSERT_EQ(parse_proxy_v2(plain, h), proxy_parse::ok);
  EXPECT_EQ(h.source, "203.0.113.7");
  EXPECT_EQ(h.length, plain.size());
  EXPECT_FALSE(h.tls);
  // PP2_TYPE_SSL with PP2_CLIENT_SSL, followed by the HTTP request in the same read.
  auto tls = proxy_v4({0x20, 0x00, 0x05, 0x01, 0, 0, 0, 0});
  const std::size_t header = tls.size();
  for (char c : std::string("GET / HTTP/1.1\r\n")) tls.push_back(static_cast<std::uint8_t>(c));
  ASSERT_EQ(parse_proxy_v2(tls, h), proxy_parse::ok);
  EXPECT_TRUE(h.tls);
  EXPECT_EQ(h.length, header);
  // LOCAL (the proxy's own health check): no source.
  ASSERT_EQ(parse_proxy_v2(proxy_v4({}, 0x20), h), proxy_parse::ok);
  EXPECT_TRUE(h.source.empty());
}

TEST(client_address, partial_foreign_and_malformed_headers) {
  proxy_header h;
  const auto full = proxy_v4({});
  EXPECT_EQ(parse_proxy_v2({}, h), proxy_parse::need_more);
  EXPECT_EQ(parse_proxy_v2(std::span(full).first(10), h), proxy_parse::need_more);
  EXPECT_EQ(parse_proxy_v2(std::span(full).first(20), h), proxy_parse::need_more);
  const std::string http = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(parse_proxy_v2({reinterpret_cast<const std::uint8_t*>(http.data()), http.size()}, h),
            proxy_parse::not_proxy);
  auto v1 = full;
  v1[12] = 0x11;  // version 1 in a v2 signature
  EXPECT_EQ(parse_proxy_v2(v1, h), proxy_parse::invalid);
  auto bad_tlv = proxy_v4({0x20, 0x00, 0x09, 0x01});
  EXPECT_EQ(parse_proxy_v2(bad_tlv, h), proxy_parse::invalid);
}

TEST(client_address, forwarded_for_is_read_from_the_right_past_trusted_proxies) {
  const network_list trusted("10.0.0.0/8");
  EXPECT_EQ(forwarded_client("198.51.100.9", trusted), "198.51.100.9");
  // The client may write anything on the left; the nearest untrusted hop counts.
  EXPECT_EQ(forwarded_client("1.2.3.4, 198.51.100.9, 10.0.0.5", trusted), "198.51.100.9");
  EXPECT_EQ(forwarded_client("10.0.0.5", trusted), "");
  EXPECT_EQ(forwarded_client("198.51.100.9, garbage", trusted), "");
  EXPECT_EQ(forwarded_client("", trusted), "");
}

}  // namespace
}  // namespace zhiyuan::server
