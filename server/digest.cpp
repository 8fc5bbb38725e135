#include "server/digest.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <memory>
#include <stdexcept>

namespace zhiyuan::server {
namespace {

// OpenSSL's SHA-256 uses the CPU's SHA extensions (SHA-NI) where present: ~4× fewer cycles per
// byte than libsodium's portable C on the request bodies hashed per submission. The method is
// fetched once (an implicit fetch per call costs a provider lookup).
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL: no SHA256 digest");
    return m;
  }();
  return md;
}

struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// One digest context per thread, reused: allocating one per request would cost more than
// hashing a short text.
EVP_MD_CTX* thread_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256_md(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA256 init failed");
  }
  return ctx.get();
}

std::array<std::uint8_t, 32> finish(EVP_MD_CTX* ctx) {
  std::array<std::uint8_t, 32> out;
  unsigned n = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &n) != 1 || n != out.size()) {
    throw std::runtime_error("OpenSSL: SHA256 final failed");
  }
  return out;
}

}  // namespace

std::string hex(const std::uint8_t* data, std::size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, data, n);
  return out;
}

std::array<std::uint8_t, 32> sha256_of(std::string_view text) {
  EVP_MD_CTX* ctx = thread_ctx();
  EVP_DigestUpdate(ctx, text.data(), text.size());
  return finish(ctx);
}

std::array<std::uint8_t, 32> request_hash(const request_context& ctx, std::string_view extra) {
  EVP_MD_CTX* md = thread_ctx();
  auto feed = [md](std::string_view s) {
    EVP_DigestUpdate(md, s.data(), s.size());
    EVP_DigestUpdate(md, "\n", 1);
  };
  feed(ctx.request.method_string());
  feed(ctx.path);
  feed(ctx.request.body());
  if (!extra.empty()) feed(extra);
  return finish(md);
}

std::string generated_key() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  std::string key = "~";
  key += hex(raw, sizeof raw);
  return key;
}

}  // namespace zhiyuan::server
