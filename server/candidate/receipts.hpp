#pragma once

// Signed receipts (回执): every committed version of a candidate's formal choices gets a receipt
// whose canonical form (core::canonical_receipt) is hashed into the candidate's hash chain and
// signed with the server's Ed25519 key. Signatures are deterministic, so GETs re-sign stored
// versions and get the bytes the POST returned.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/batch.hpp"
#include "server/http/json_writer.hpp"

namespace zhiyuan::server {

/// The server's receipt-signing key (libsodium crypto_sign, Ed25519).
class receipt_signer {
 public:
  /// Reads the 64-byte secret key from `path`, or creates one (mode 0600, directories made)
  /// when the file does not exist. Throws std::runtime_error on an unreadable or malformed file.
  static receipt_signer load_or_create(const std::string& path);
  /// A fresh key that lives in memory only (tests, tools).
  static receipt_signer generate();

  /// Detached Ed25519 signature of `message`, base64 (standard alphabet, padded).
  std::string sign(std::string_view message) const;
  /// The public key, base64 (32 bytes), and as a PEM SubjectPublicKeyInfo for openssl.
  std::string public_key_base64() const;
  std::string public_key_pem() const;
  /// A short id of the key: the first 16 hex digits of SHA-256 of the public key.
  const std::string& key_id() const { return key_id_; }

 private:
  // Computed once with the key pair: every receipt carries it.
  void derive_key_id();

  std::array<std::uint8_t, 64> secret_{};
  std::array<std::uint8_t, 32> public_{};
  std::string key_id_;
};

/// One committed version as stored.
struct receipt_view {
  std::string_view exam_no;
  core::batch b = core::batch::undergrad;
  bool drill = false;
  std::int64_t version = 0;
  std::int64_t accepted_at_us = 0;
  std::int64_t committed_at_us = 0;
  std::array<std::uint8_t, 32> choices_sha256{};          ///< SHA-256 of the canonical choices
  std::array<std::uint8_t, 32> receipt_hash{};            ///< stored `digest`
  std::optional<std::array<std::uint8_t, 32>> prev_hash;  ///< none for version 1
};

/// Writes the receipt's members (inside an object the caller opened): exam_no, batch, drill,
/// version, accepted_at, committed_at, choices_sha256, prev_hash, receipt_hash, canonical,
/// signature, key_id.
void write_receipt_members(json_writer& w, const receipt_view& r, const receipt_signer& signer);
/// The same without signature and key_id (a server with no signing key); returns the
/// canonical text it wrote.
std::string write_unsigned_receipt_members(json_writer& w, const receipt_view& r);

/// The canonical receipt text of `r` (core::canonical_receipt with the view's fields).
std::string canonical_receipt_of(const receipt_view& r);

}  // namespace zhiyuan::server
