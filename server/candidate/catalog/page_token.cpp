#include "server/candidate/catalog/page_token.hpp"

#include <sodium.h>

#include <cstring>

namespace zhiyuan::server {
namespace {

constexpr std::size_t token_bytes = 1 + 8 + 8 + 8;
constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

}  // namespace

std::string encode_page_token(std::uint64_t tag, std::uint64_t filter, core::group_id last) {
  unsigned char bin[token_bytes];
  bin[0] = 1;
  std::memcpy(bin + 1, &tag, 8);
  std::memcpy(bin + 9, &filter, 8);
  std::memcpy(bin + 17, &last, 8);
  char out[sodium_base64_ENCODED_LEN(token_bytes, variant)];
  sodium_bin2base64(out, sizeof out, bin, sizeof bin, variant);
  return out;
}

std::optional<core::group_id> decode_page_token(std::string_view token, std::uint64_t tag,
                                                std::uint64_t filter) {
  unsigned char bin[token_bytes];
  std::size_t n = 0;
  const char* end = nullptr;
  if (token.size() > 64 ||
      sodium_base642bin(bin, sizeof bin, token.data(), token.size(), nullptr, &n, &end, variant) !=
          0 ||
      end != token.data() + token.size() || n != token_bytes || bin[0] != 1) {
    return std::nullopt;
  }
  std::uint64_t t, f;
  core::group_id last;
  std::memcpy(&t, bin + 1, 8);
  std::memcpy(&f, bin + 9, 8);
  std::memcpy(&last, bin + 17, 8);
  if (t != tag || f != filter) return std::nullopt;
  return last;
}

}  // namespace zhiyuan::server
