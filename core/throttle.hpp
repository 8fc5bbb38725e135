#pragma once

#include <cstdint>

#include "core/time.hpp"

namespace zhiyuan::core {

/// Sign-in throttling of one account: a growing wait after `backoff_after` consecutive failures
/// and a lock of `lock_seconds` after `lock_after`. Failures older than `forget_seconds` are
/// forgotten. Pure: the caller keeps the state and passes the time.
struct throttle_policy {
  int backoff_after = 5;
  int lock_after = 10;
  unix_seconds lock_seconds = 15 * 60;
  unix_seconds max_backoff_seconds = 60;
  unix_seconds forget_seconds = 15 * 60;
};

/// What the server remembers of an account's recent failures.
struct account_failures {
  int count = 0;                  ///< consecutive failures
  unix_seconds last = 0;          ///< time of the last failure
  unix_seconds locked_until = 0;  ///< 0: not locked
};

/// Seconds until the account may try again at `now`; 0 when it may try now.
/// With n >= backoff_after failures the wait after the last failure is 2^(n - backoff_after)
/// seconds (1, 2, 4, ...), at most max_backoff_seconds; at lock_after failures the account is
/// locked for lock_seconds from the last failure, after which it starts afresh.
unix_seconds retry_after(const account_failures& f, unix_seconds now,
                         const throttle_policy& p = {}) noexcept;

/// Records a failed attempt at `now` (one that was allowed to try).
void record_failure(account_failures& f, unix_seconds now, const throttle_policy& p = {}) noexcept;

/// Takes back the last recorded failure of an attempt that was never checked (the server was
/// too busy to verify it): a busy server must not lock out the candidates retrying.
void forget_failure(account_failures& f, const throttle_policy& p = {}) noexcept;

/// A token bucket: `rate_per_minute` attempts per minute on average, bursts up to `burst`.
/// Times are in microseconds so that the refill is smooth.
struct token_bucket {
  double tokens = -1;  ///< -1: new bucket (starts full)
  std::int64_t updated_us = 0;

  /// Takes one token at `now_us` if there is one. On refusal returns false and sets
  /// `wait_seconds` (rounded up) until a token is available.
  bool take(std::int64_t now_us, double rate_per_minute, double burst,
            unix_seconds& wait_seconds) noexcept;
};

}  // namespace zhiyuan::core
