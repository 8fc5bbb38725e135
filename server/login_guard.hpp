#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/throttle.hpp"

namespace zhiyuan::server {

/// Throttles password guessing: per account (core::throttle_policy: backoff after 5 failures,
/// a 15-minute lock after 10) and per client address (a token bucket). In memory, per server
/// node; both tables are bounded.
class login_guard {
 public:
  explicit login_guard(unsigned ip_per_minute, core::throttle_policy policy = {});

  struct verdict {
    core::unix_seconds retry_after = 0;  ///< 0: go ahead
    bool account_locked = false;         ///< the account's lock (not the address limit)
  };

  /// Whether a sign-in attempt for `account` (0: unknown exam number) from `ip` may proceed
  /// now. Every attempt takes a token of the address.
  verdict admit(std::int64_t account, std::string_view ip, std::int64_t now_us);
  /// The attempt failed / succeeded (success clears the account's failures).
  void failed(std::int64_t account, core::unix_seconds now);
  void succeeded(std::int64_t account);

 private:
  static constexpr std::size_t max_accounts = 1'000'000;
  static constexpr std::size_t max_addresses = 200'000;

  core::throttle_policy policy_;
  double ip_per_minute_;
  std::mutex mutex_;
  std::unordered_map<std::int64_t, core::account_failures> accounts_;
  std::unordered_map<std::string, core::token_bucket> addresses_;
};

}  // namespace zhiyuan::server
