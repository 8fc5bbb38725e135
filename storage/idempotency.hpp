#pragma once

// The write path's idempotency records (storage/idempotency.cpp): looked up before a batch is
// applied (replays, mismatches, and the resolution of a batch whose COMMIT outcome was unknown),
// recorded with the rendered responses in the same transaction, and expired after retention.
// Sign-ins and pledges are not keyed: neither looked up nor recorded.

#include <chrono>
#include <cstddef>
#include <exception>

#include <pqxx/pqxx>

#include "storage/write_batch.hpp"

namespace zhiyuan::storage {

/// Another transaction (another node) recorded one of the batch's keys after our lookup, or
/// inserted a first version the batch meant to insert: roll back, retry.
struct key_race : std::exception {
  const char* what() const noexcept override { return "idempotency key recorded concurrently"; }
};

/// Prepares the lookup and record statements on a new writer connection.
void prepare_idempotency(pqxx::connection& c);

/// Step 1 of a batch: keyed ops whose key was seen before are not applied again. The same
/// request replays the stored response (`replayed`), another body is `key_mismatch`; either way
/// the op is no longer fresh. Submissions are left to submit_keyed.
void look_up_keys(pqxx::work& tx, write_batch& batch);

/// The batch's formal submissions, whole, in one statement: the lookup of step 1, then each
/// fresh op applied (`committed`, its key recorded with the version) or `conflict` (left fresh
/// for record_keys). Atomic by itself, so a batch of submissions only runs it in autocommit.
/// Throws key_race when another transaction recorded one of the keys or inserted a first
/// version meanwhile. Returns how many submissions the batch holds.
std::size_t submit_keyed(pqxx::transaction_base& tx, write_batch& batch);

/// Step 3 of a batch, after the kinds are applied: renders every fresh op's response and
/// records the keyed ones with it (submissions written by submit_keyed are recorded already).
/// Throws key_race when another transaction recorded one of the keys since the lookup.
void record_keys(pqxx::transaction_base& tx, write_batch& batch);

/// Deletes keys older than `retention`, in a few bounded chunks (one transaction each), so
/// that the writer's batches wait little.
void expire_keys(pqxx::connection& c, std::chrono::hours retention);

}  // namespace zhiyuan::storage
