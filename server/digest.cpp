#include "server/digest.hpp"

#include <sodium.h>

namespace zhiyuan::server {

std::string hex(const std::uint8_t* data, std::size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, data, n);
  return out;
}

std::array<std::uint8_t, 32> sha256_of(std::string_view text) {
  std::array<std::uint8_t, 32> out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return out;
}

std::array<std::uint8_t, 32> request_hash(const request_context& ctx, std::string_view extra) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  auto feed = [&st](std::string_view s) {
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>("\n"), 1);
  };
  feed(ctx.request.method_string());
  feed(ctx.path);
  feed(ctx.request.body());
  if (!extra.empty()) feed(extra);
  std::array<std::uint8_t, 32> out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

std::string generated_key() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  std::string key = "~";
  key += hex(raw, sizeof raw);
  return key;
}

}  // namespace zhiyuan::server
