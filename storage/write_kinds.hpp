#pragma once

// The write path's kinds of op (storage/write_kinds.cpp): per kind its prepared statement, the
// array columns it binds and what it reads back. The writer loop (storage/write_path.cpp) only
// calls these three functions, so a new kind touches write_kinds.cpp and write_path.hpp only.

#include <pqxx/pqxx>

#include "storage/write_batch.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::storage {

/// The kind's label in metrics and logs ("submit", "save_draft", …).
const char* kind_name(op_kind kind) noexcept;

/// Prepares every kind's statement on a new writer connection.
void prepare_kinds(pqxx::connection& c);

/// Applies the fresh ops of `batch` with one set-based statement per kind present, in the order
/// of `op_kind`, submissions excepted (idempotency.hpp's submit_keyed applies those). Each
/// applied op ends `committed` with what the database decided (version, commit time, first
/// pledge time), or `conflict` when its version check failed.
void apply_kinds(pqxx::work& tx, write_batch& batch);

}  // namespace zhiyuan::storage
