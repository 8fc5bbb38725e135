#pragma once

// The receipts a client holds, as a file (one line per receipt), and their reconciliation
// against the database through storage::reconcile (storage/reconcile.hpp has the definitions of
// present, lost, mismatched and duplicates). Used by zhiyuan-loadtest after a run (--acks,
// --reconcile-acks) and by zhiyuan-submitter (the crash drills).

#include <span>
#include <string>
#include <vector>

#include "core/receipt.hpp"
#include "storage/reconcile.hpp"

namespace zhiyuan::loadtest {

/// One held receipt per line: "exam_no batch version receipt_hash key" (batch by its code, e.g.
/// undergrad). Throws std::runtime_error naming the file and line of a malformed one.
std::vector<core::held_receipt> read_acks_file(const std::string& path);
/// The line read_acks_file reads back, without the newline.
std::string ack_line(const core::held_receipt& a);
/// One such line; std::runtime_error("malformed line '…'") when it is not one.
core::held_receipt parse_ack_line(const std::string& line);

/// storage::reconcile on a connection of its own to `database_url`.
storage::reconciliation reconcile(const std::string& database_url,
                                  std::span<const core::held_receipt> acks,
                                  const storage::reconcile_options& opt);

}  // namespace zhiyuan::loadtest
