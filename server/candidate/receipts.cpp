#include "server/candidate/receipts.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "core/receipt.hpp"
#include "core/time.hpp"
#include "server/digest.hpp"

namespace zhiyuan::server {
namespace {

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// The key file holds the 32-byte Ed25519 seed in base64 and a newline: small, printable, and
// enough to rebuild the key pair.
constexpr std::size_t seed_bytes = crypto_sign_SEEDBYTES;

std::string read_small_file(int fd) {
  std::string text(256, '\0');
  std::size_t n = 0;
  for (;;) {
    const ssize_t r = ::read(fd, text.data() + n, text.size() - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += static_cast<std::size_t>(r);
    if (n == text.size()) break;
  }
  text.resize(n);
  return text;
}

}  // namespace

receipt_signer receipt_signer::generate() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  receipt_signer s;
  crypto_sign_keypair(s.public_.data(), s.secret_.data());
  s.derive_key_id();
  return s;
}

receipt_signer receipt_signer::load_or_create(const std::string& path) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::array<unsigned char, seed_bytes> seed{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir);
    randombytes_buf(seed.data(), seed.size());
    const std::string text = base64(seed.data(), seed.size()) + "\n";
    const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out >= 0) {
      const bool ok = ::write(out, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                      ::fsync(out) == 0;
      ::close(out);
      if (!ok) throw std::runtime_error("cannot write the receipt key " + path);
    } else if (errno != EEXIST) {
      throw std::runtime_error("cannot create the receipt key " + path + ": " +
                               std::strerror(errno));
    }
    // Created here or, in a race, by another process: read what the file holds.
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) {
    throw std::runtime_error("cannot read the receipt key " + path + ": " + std::strerror(errno));
  }
  std::string text = read_small_file(fd);
  ::close(fd);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::size_t len = 0;
  if (sodium_base642bin(seed.data(), seed.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != seed.size()) {
    throw std::runtime_error("the receipt key " + path +
                             " is not a base64 Ed25519 seed of 32 bytes");
  }
  receipt_signer s;
  crypto_sign_seed_keypair(s.public_.data(), s.secret_.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  s.derive_key_id();
  return s;
}

std::string receipt_signer::sign(std::string_view message) const {
  std::array<unsigned char, crypto_sign_BYTES> sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return base64(sig.data(), sig.size());
}

std::string receipt_signer::public_key_base64() const {
  return base64(public_.data(), public_.size());
}

std::string receipt_signer::public_key_pem() const {
  // SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): a fixed 12-byte DER prefix + the key.
  static constexpr unsigned char prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                             0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  std::array<unsigned char, sizeof prefix + 32> der;
  std::memcpy(der.data(), prefix, sizeof prefix);
  std::memcpy(der.data() + sizeof prefix, public_.data(), public_.size());
  return "-----BEGIN PUBLIC KEY-----\n" + base64(der.data(), der.size()) +
         "\n-----END PUBLIC KEY-----\n";
}

void receipt_signer::derive_key_id() {
  const auto h =
      sha256_of(std::string_view(reinterpret_cast<const char*>(public_.data()), public_.size()));
  key_id_ = hex(h.data(), 8);
}

std::string canonical_receipt_of(const receipt_view& r) {
  const std::string accepted = core::format_utc_micros(r.accepted_at_us);
  const std::string choices = hex(r.choices_sha256.data(), r.choices_sha256.size());
  const std::string prev = r.prev_hash ? hex(r.prev_hash->data(), r.prev_hash->size()) : "";
  return core::canonical_receipt({.exam_no = r.exam_no,
                                  .b = r.b,
                                  .drill = r.drill,
                                  .accepted_at = accepted,
                                  .choices_sha256 = choices,
                                  .version = r.version,
                                  .prev_hash = prev});
}

std::string write_unsigned_receipt_members(json_writer& w, const receipt_view& r) {
  std::string canonical = canonical_receipt_of(r);
  w.key("exam_no").value(r.exam_no);
  w.key("batch").value(core::to_code(r.b));
  w.key("drill").value(r.drill);
  w.key("version").value(r.version);
  w.key("accepted_at").value(core::format_utc_micros(r.accepted_at_us));
  w.key("committed_at").value(core::format_utc_micros(r.committed_at_us));
  w.key("choices_sha256").value(hex(r.choices_sha256.data(), r.choices_sha256.size()));
  if (r.prev_hash) {
    w.key("prev_hash").value(hex(r.prev_hash->data(), r.prev_hash->size()));
  } else {
    w.key("prev_hash").null();
  }
  w.key("receipt_hash").value(hex(r.receipt_hash.data(), r.receipt_hash.size()));
  w.key("canonical").value(canonical);
  return canonical;
}

void write_receipt_members(json_writer& w, const receipt_view& r, const receipt_signer& signer) {
  const std::string canonical = write_unsigned_receipt_members(w, r);
  w.key("signature").value(signer.sign(canonical));
  w.key("key_id").value(signer.key_id());
}

}  // namespace zhiyuan::server
