#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/throttle.hpp"

namespace zhiyuan::server {

/// Throttles password guessing: per account and per kind of password (core::throttle_policy:
/// backoff after 5 failures, a 15-minute lock after 10) and per client address (a token
/// bucket). Every admitted attempt counts as a failure until `succeeded` clears it, so that
/// guesses sent in parallel cannot slip past the lock while their hashes are being checked.
/// In memory, per server node; both tables are bounded.
class login_guard {
 public:
  /// The login password (sign-in, password change) and the save password (formal submissions)
  /// are throttled apart: a success with one never clears failures of the other, and a
  /// stranger's wrong logins never lock a signed-in candidate out of submitting.
  enum class secret : std::uint8_t { login, save };

  explicit login_guard(unsigned ip_per_minute, core::throttle_policy policy = {});

  struct verdict {
    core::unix_seconds retry_after = 0;  ///< 0: go ahead
    bool account_locked = false;         ///< the account's lock (not the address limit)
  };

  /// Whether an attempt on `account`'s `kind` password (account 0: an unknown exam number) from
  /// `ip` may proceed now. An admitted attempt is counted as a failure right away; an empty `ip`
  /// skips the address limit (a signed-in session's save password).
  verdict admit(std::int64_t account, secret kind, std::string_view ip, std::int64_t now_us);
  /// The admitted attempt was right: the account's failures of that kind are forgotten.
  void succeeded(std::int64_t account, secret kind);
  /// The admitted attempt was never checked (no hashing capacity): it does not count.
  void unchecked(std::int64_t account, secret kind);

 private:
  static constexpr std::size_t max_accounts = 1'000'000;
  static constexpr std::size_t max_addresses = 200'000;

  core::throttle_policy policy_;
  double ip_per_minute_;
  std::mutex mutex_;
  std::unordered_map<std::int64_t, core::account_failures> accounts_;  // key: account * 2 + kind
  std::unordered_map<std::string, core::token_bucket> addresses_;
};

}  // namespace zhiyuan::server
