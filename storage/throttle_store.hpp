#pragma once

// The fleet's shared sign-in throttles in PostgreSQL (issue 17 and 21; migrations 0016, 0018).
// Storage keeps the rows; the model is core/sign_in_guard's, applied by the caller under the
// rows' locks.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <pqxx/connection>

#include "core/sign_in_guard.hpp"

namespace zhiyuan::storage {

/// Whose counters: an account (0: an unknown exam number, only the address is kept), a kind
/// of password, a client address.
struct sign_in_key {
  std::int64_t candidate_id = 0;
  int kind = 0;
  std::string_view address;
};

/// In one transaction: locks the account's row (then the address's: always in that order),
/// loads the pair and counts the account's other addresses still failing at `now` (with the
/// policy's `forget_seconds`), hands the counters to `decide` and stores what it leaves (a
/// pair left without failures is deleted).
void update_sign_in(pqxx::connection& conn, const sign_in_key& key, core::unix_seconds now,
                    core::unix_seconds forget_seconds,
                    const std::function<void(core::sign_in_counters&)>& decide);

/// A success: forgets the pair and gives the address its token back (at most `burst`), without
/// the account's lock.
void forget_sign_in(pqxx::connection& conn, const sign_in_key& key, double burst);

/// Deletes the rows with nothing left to say at `now`; returns how many.
std::int64_t purge_throttles(const std::string& conninfo, std::int64_t now,
                             std::int64_t forget_seconds);

}  // namespace zhiyuan::storage
