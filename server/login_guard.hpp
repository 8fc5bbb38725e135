#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/throttle.hpp"
#include "storage/throttle_store.hpp"

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

/// login_guard's account throttles kept in PostgreSQL for the whole fleet (issue 17): a guesser
/// spreading attempts on an account over N nodes gets the budget of one node. Same policy, same
/// verdicts; called on a pool thread with its connection (a row lock per decision), after the
/// node's own login_guard has screened the attempt from memory (which also keeps the
/// per-address limit, per node).
class fleet_login_guard {
 public:
  explicit fleet_login_guard(core::throttle_policy policy = {});

  /// As login_guard::admit for the account alone (account 0: admitted, nothing stored).
  login_guard::verdict admit(pqxx::connection& conn, std::int64_t account, login_guard::secret kind,
                             std::int64_t now_us) const;
  void succeeded(pqxx::connection& conn, std::int64_t account, login_guard::secret kind) const;
  void unchecked(pqxx::connection& conn, std::int64_t account, login_guard::secret kind) const;
  /// Deletes the rows with nothing left to say (housekeeping).
  void purge(const std::string& conninfo, std::int64_t now_us) const;

 private:
  core::throttle_policy policy_;
};

/// The decision both guards make: the account's wait, else the address's token, else the
/// attempt is admitted and counted as a failure of the account. Either may be null.
login_guard::verdict decide_attempt(core::account_failures* account, core::token_bucket* address,
                                    std::int64_t now_us, double ip_per_minute,
                                    const core::throttle_policy& policy);

}  // namespace zhiyuan::server
