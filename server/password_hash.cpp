#include "server/password_hash.hpp"

#include <sodium.h>

namespace zhiyuan::server {
namespace {

constexpr unsigned long long hash_ops = 2;
constexpr std::size_t hash_mem = 19u << 20;

}  // namespace

std::string hash_password(std::string_view password) {
  char h[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(h, password.data(), password.size(), hash_ops, hash_mem) != 0) return {};
  return h;
}

bool password_matches(const std::string& hash, std::string_view password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

const std::string& unknown_account_hash() {
  static const std::string dummy = hash_password("x");
  return dummy;
}

}  // namespace zhiyuan::server
