#pragma once

// The submitter's check of a 201 receipt against the request it answers: a receipt is held only
// when it names the candidate and batch that were sent and the SHA-256 of the canonical choices
// that were sent (core/choices.hpp). A server that stored another form, or answered for another
// candidate, fails the check, and the submitter then fails its run (submitter.hpp).

#include <string>
#include <string_view>

#include "core/receipt.hpp"

namespace zhiyuan::crash {

/// What one submission sent.
struct sent_submission {
  std::string_view exam_no;
  std::string_view batch;           ///< its code, e.g. undergrad
  std::string_view choices_sha256;  ///< lower-case hex SHA-256 of the canonical choices sent
  std::string_view key;             ///< its Idempotency-Key
};

enum class receipt_verdict {
  held,        ///< the receipt answers the submission sent
  unparsable,  ///< not a receipt: a field is missing or of another type
  mismatch,    ///< a receipt, but for another candidate, batch or form
};

struct receipt_check {
  receipt_verdict verdict = receipt_verdict::unparsable;
  core::held_receipt receipt;  ///< with `held`: what the client now holds
  std::string problem;         ///< otherwise: what is wrong, for the log
};

/// Checks the body of a 201 answer to `sent`.
receipt_check check_receipt(std::string_view body, const sent_submission& sent);

}  // namespace zhiyuan::crash
