#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/errc.hpp"
#include "core/sign_in_guard.hpp"
#include "storage/throttle_store.hpp"

namespace zhiyuan::server {

/// Throttles password guessing with core/sign_in_guard's model (docs/sign-in-abuse.md): per
/// (account, kind of password, client address) pair first, account-wide only once many
/// addresses failed, a failure budget per address across accounts, and a per-address rate of
/// attempts (a token bucket, this node only). Every admitted attempt counts as a failure until
/// `succeeded` clears it, so that guesses sent in parallel cannot slip past a lock while their
/// hashes are being checked. In memory, per server node; every table is bounded.
class login_guard {
 public:
  /// The login password (sign-in, password change) and the save password (formal submissions)
  /// are throttled apart: a success with one never clears failures of the other.
  enum class secret : std::uint8_t { login, save };

  /// The `ip` of an attempt from a signed-in session of the account (a password change, a
  /// save password): held by its own pair only, so nothing strangers do stops it.
  static constexpr std::string_view session = "session";

  explicit login_guard(unsigned ip_per_minute, core::sign_in_policy policy = {});

  struct verdict {
    core::unix_seconds retry_after = 0;  ///< 0: go ahead
    core::sign_in_outcome outcome = core::sign_in_outcome::admitted;
    /// A lock (of this address on the account, or account-wide), not a wait or an address limit.
    bool locked() const noexcept {
      return outcome == core::sign_in_outcome::pair_locked ||
             outcome == core::sign_in_outcome::account_locked;
    }
    /// The refusal's problem code (both are 429 with Retry-After) and what it says.
    core::errc error() const noexcept {
      return locked() ? core::errc::account_locked : core::errc::too_many_requests;
    }
    std::string_view detail() const noexcept;
  };

  /// Whether an attempt on `account`'s `kind` password (account 0: an unknown exam number) from
  /// `ip` (or `session`) may proceed now. An admitted attempt is counted as a failure right away.
  verdict admit(std::int64_t account, secret kind, std::string_view ip, std::int64_t now_us);
  /// The admitted attempt was right: that pair's failures are forgotten, the address's failure
  /// budget gets its token back.
  void succeeded(std::int64_t account, secret kind, std::string_view ip);
  /// The admitted attempt was never checked (no hashing capacity): it does not count.
  void unchecked(std::int64_t account, secret kind, std::string_view ip);

 private:
  static constexpr std::size_t max_pairs = 1'000'000;
  static constexpr std::size_t max_accounts = 1'000'000;
  static constexpr std::size_t max_addresses = 200'000;

  struct account_state {
    core::unix_seconds locked_until = 0;
    std::vector<std::string> failing;  ///< addresses failing here (at most account_lock_addresses)
  };
  struct address_state {
    core::token_bucket attempts;  ///< ip_per_minute, every attempt
    core::token_bucket failures;  ///< the policy's failure budget
  };

  address_state* address_of(std::string_view ip, std::int64_t now_us);
  void prune(std::int64_t now_us);
  int other_failing(account_state& a, std::int64_t account, secret kind, std::string_view ip,
                    core::unix_seconds now);

  core::sign_in_policy policy_;
  double ip_per_minute_;
  std::mutex mutex_;
  std::unordered_map<std::string, core::account_failures> pairs_;  // key: pair_key()
  std::unordered_map<std::int64_t, account_state> accounts_;       // key: account * 2 + kind
  std::unordered_map<std::string, address_state> addresses_;
};

/// login_guard's model kept in PostgreSQL for the whole fleet (issue 17, migrations 0016 and
/// 0018): a guesser spreading attempts over N nodes gets the budget of one node. Called on a
/// pool thread with its connection (row locks per decision), after the node's own login_guard
/// has screened the attempt from memory (which also keeps the per-address attempt rate).
class fleet_login_guard {
 public:
  explicit fleet_login_guard(core::sign_in_policy policy = {});

  /// As login_guard::admit from a client address (not a session).
  login_guard::verdict admit(pqxx::connection& conn, std::int64_t account, login_guard::secret kind,
                             std::string_view ip, std::int64_t now_us) const;
  void succeeded(pqxx::connection& conn, std::int64_t account, login_guard::secret kind,
                 std::string_view ip) const;
  /// Deletes the rows with nothing left to say (housekeeping).
  void purge(const std::string& conninfo, std::int64_t now_us) const;

 private:
  core::sign_in_policy policy_;
};

}  // namespace zhiyuan::server
