#pragma once

// The fleet's shared sign-in throttles in PostgreSQL (issue 17; migration 0016). Storage keeps
// the rows; the policy is core/throttle's, applied by the caller under the row's lock.

#include <cstdint>
#include <functional>
#include <string>

#include <pqxx/connection>

#include "core/throttle.hpp"

namespace zhiyuan::storage {

/// In one transaction: locks the row of (`candidate_id`, `kind`) (created empty when
/// missing), hands its failures to `decide` and stores what it leaves.
void update_throttle(pqxx::connection& conn, std::int64_t candidate_id, int kind,
                     const std::function<void(core::account_failures&)>& decide);

/// Deletes the row (an account's failures after a success).
void forget_throttle(pqxx::connection& conn, std::int64_t candidate_id, int kind);

/// Deletes the rows with nothing left to say at `now`; returns how many.
std::int64_t purge_throttles(const std::string& conninfo, std::int64_t now,
                             std::int64_t forget_seconds);

}  // namespace zhiyuan::storage
