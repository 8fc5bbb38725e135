#pragma once

// The sign-in abuse model (docs/sign-in-abuse.md). Knowing an exam number must not let a
// stranger lock its candidate out, and guessing must stay expensive:
//  - failures count per (account, client address) pair first: that pair waits and then locks
//    (throttle_policy), other addresses of the same account are untouched;
//  - the account-wide lock needs unforgotten failures from `account_lock_addresses` distinct
//    addresses (a distributed guesser), and lasts `account_lock_seconds`;
//  - each address has a budget of failures across all accounts (a token bucket), so that
//    credential stuffing from one address is throttled whatever accounts it tries;
//  - an attempt from a signed-in session (a password change) is held by its pair alone: an
//    account-wide lock or an address's budget spent by others never stops it.
// Pure: the caller loads the counters (memory or PostgreSQL), decides, and stores them back.

#include <cstdint>

#include "core/throttle.hpp"

namespace zhiyuan::core {

struct sign_in_policy {
  throttle_policy pair{};  ///< per (account, address)
  int account_lock_addresses = 10;
  unix_seconds account_lock_seconds = 15 * 60;
  double address_failures_per_minute = 10;  ///< the address budget's refill
  double address_failure_burst = 60;        ///< and its size (a school behind one NAT)
};

/// What a decision (and its metrics) says; the SRE counters count these values.
enum class sign_in_outcome : std::uint8_t {
  admitted,           ///< may try; counted as a failure until it succeeds
  pair_waiting,       ///< this address's backoff on this account
  pair_locked,        ///< this address locked out of this account
  account_locked,     ///< the account-wide lock (many addresses failed)
  address_throttled,  ///< this address's failure budget across accounts is spent
};
inline constexpr int sign_in_outcome_count = 5;
const char* to_code(sign_in_outcome o) noexcept;

/// The counters of one attempt, as the caller loaded them.
struct sign_in_counters {
  account_failures pair;  ///< this (account, address)
  unix_seconds account_locked_until = 0;
  int other_failing_addresses = 0;  ///< other addresses with unforgotten failures here
  token_bucket address;             ///< this address's failure budget
};

struct sign_in_verdict {
  sign_in_outcome outcome = sign_in_outcome::admitted;
  unix_seconds retry_after = 0;  ///< 0 when admitted
};

/// Decides an attempt at `now_us`; an admitted one is recorded as a failure of its pair, takes
/// a token of the address budget and may set the account-wide lock. `signed_in`: the attempt
/// comes from a session of the account (pair only). Account 0 (an unknown exam number) is the
/// caller's: it passes empty pair counters, which are simply not stored.
sign_in_verdict decide_sign_in(sign_in_counters& c, std::int64_t now_us, bool signed_in,
                               const sign_in_policy& p = {}) noexcept;

/// The admitted attempt succeeded: its failure goes back to the address budget (the caller
/// forgets the pair).
void sign_in_succeeded(token_bucket& address, const sign_in_policy& p = {}) noexcept;
/// The admitted attempt was never checked (no capacity): nothing of it counts.
void sign_in_unchecked(sign_in_counters& c, const sign_in_policy& p = {}) noexcept;

/// Whether a pair's failures still count for the account-wide lock at `now`.
bool pair_is_failing(const account_failures& f, unix_seconds now,
                     const sign_in_policy& p = {}) noexcept;

}  // namespace zhiyuan::core
