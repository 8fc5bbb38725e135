#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/batch.hpp"

namespace zhiyuan::core {

/// What a filing receipt (回执) commits to. Every field is text as the receipt shows it, so that
/// anyone can rebuild the signed bytes from a receipt alone.
struct receipt_fields {
  std::string_view exam_no;  ///< 考生号
  batch b = batch::undergrad;
  bool drill = false;               ///< a 模拟演练 receipt
  std::string_view accepted_at;     ///< RFC 3339 UTC with microseconds, as in the receipt
  std::string_view choices_sha256;  ///< lower-case hex SHA-256 of the canonical choices
  std::int64_t version = 0;         ///< 1 for the first submission of the batch
  std::string_view prev_hash;       ///< lower-case hex receipt hash of version - 1; empty for 1
};

/// The canonical receipt, the bytes that are hashed (SHA-256: the receipt hash) and signed
/// (Ed25519). Lines of "name=value", each ending in "\n", in this order:
///
///   zhiyuan-receipt-v1
///   exam_no=43010112345678
///   batch=undergrad
///   drill=0
///   accepted_at=2023-07-02T08:59:59.123456Z
///   choices_sha256=<64 hex>
///   version=3
///   prev=<64 hex, empty for version 1>
///
/// Each version's `prev` is the hash of the version before, so a candidate's receipts form a
/// hash chain: changing any earlier version changes every later hash.
std::string canonical_receipt(const receipt_fields& r);

/// The first six lines (up to and including choices_sha256): what the server knows before the
/// database decides the version. canonical_receipt = receipt_head + receipt_tail.
std::string receipt_head(const receipt_fields& r);
/// The last two lines.
std::string receipt_tail(std::int64_t version, std::string_view prev_hash);

/// A receipt a client holds after a formal submission was acknowledged: what it needs to find
/// and check that submission in the stored history (storage::reconcile).
struct held_receipt {
  std::string exam_no;
  batch b = batch::undergrad;
  std::int64_t version = 0;
  std::string receipt_hash;  ///< lower-case hex, as the receipt shows it
  std::string key;           ///< the Idempotency-Key the submission was sent with
};

}  // namespace zhiyuan::core
