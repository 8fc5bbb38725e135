#pragma once

// Reconciliation of acknowledged formal submissions against PostgreSQL: the proof that a
// receipt the server sent is a promise kept. Called by zhiyuan-loadtest at the end of a run and
// by zhiyuan-submitter (the crash drills); the server never runs it. Its SQL is in
// storage/sql/reconcile.hpp.
//
// For each held receipt (exam number, batch, version, receipt hash, Idempotency-Key):
//   present:    the non-drill application_history row (exam number, batch, version) exists with
//               the receipt's hash, that hash is SHA-256 of the canonical receipt rebuilt in SQL
//               from the stored row (choices, accepted_at, previous hash: core/receipt.hpp), and
//               the key's stored response names the same version and hash;
//   lost:       no such row;
//   mismatched: the row exists but one of the checks fails.
// Over the acknowledged candidates' rows (only rows committed at or after `since`):
//   duplicates:   versions beyond one per stored Idempotency-Key, per (candidate, batch); with
//                 distinct_forms (every submission's form differs, as the submitter's do) also
//                 versions beyond one per distinct form;
//   inconsistent: applications rows that are not their history's latest version, history rows
//                 whose hash is not that of their canonical receipt, prev_hash links broken
//                 (all rows of the candidates, whoever wrote them).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/receipt.hpp"

namespace pqxx {
class connection_base;
}

namespace zhiyuan::storage {

struct reconcile_options {
  /// Count duplicates only among rows committed at or after this instant (a run's start), so
  /// that an earlier run's rows, whose keys may have expired, are not taken for duplicates.
  std::optional<std::chrono::system_clock::time_point> since;
  bool distinct_forms = false;
};

struct reconciliation {
  std::uint64_t acked = 0;
  std::uint64_t present = 0;
  std::uint64_t lost = 0;
  std::uint64_t mismatched = 0;
  std::int64_t duplicates = 0;
  std::int64_t inconsistent = 0;
  std::int64_t history_rows = 0;      ///< non-drill history rows of the acknowledged candidates
  std::vector<std::string> problems;  ///< the first few lost or mismatched receipts, described

  bool ok() const noexcept {
    return lost == 0 && mismatched == 0 && duplicates == 0 && inconsistent == 0 && present == acked;
  }
  /// "acked=N present=P lost=L mismatched=M duplicates=D"
  std::string line() const;
};

/// Checks `acks` against the database `conn` is connected to (one transaction; temporary
/// tables dropped at its end). Throws pqxx exceptions on database errors.
reconciliation reconcile(pqxx::connection_base& conn, std::span<const core::held_receipt> acks,
                         const reconcile_options& opt);

}  // namespace zhiyuan::storage
