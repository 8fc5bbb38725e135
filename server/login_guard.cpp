#include "server/login_guard.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace zhiyuan::server {
namespace {

std::int64_t key_of(std::int64_t account, login_guard::secret kind) {
  return account * 2 + static_cast<std::int64_t>(kind);
}

std::string pair_key(std::int64_t account, login_guard::secret kind, std::string_view ip) {
  return fmt::format("{}/{}/{}", account, static_cast<int>(kind), ip);
}

double burst_of(double ip_per_minute) { return std::max(1.0, ip_per_minute / 6); }

// An attempt whose client address is unknown counts under one shared name (never as a
// session's).
std::string_view address_or_unknown(std::string_view ip) { return ip.empty() ? "unknown" : ip; }

}  // namespace

std::string_view login_guard::verdict::detail() const noexcept {
  switch (outcome) {
    case core::sign_in_outcome::pair_locked:
      return "too many wrong passwords from this address; it is locked out of this account for a "
             "while";
    case core::sign_in_outcome::account_locked:
      return "too many wrong passwords from many addresses; this account is locked for a while";
    case core::sign_in_outcome::address_throttled:
      return "too many sign-in attempts from this address; slow down";
    default:
      return "too many wrong passwords; retry later";
  }
}

login_guard::login_guard(unsigned ip_per_minute, core::sign_in_policy policy)
    : policy_(policy), ip_per_minute_(static_cast<double>(ip_per_minute)) {}

// Forgets what has nothing left to say once a table is full: refilled buckets, pairs whose
// failures are forgotten, accounts neither locked nor failing.
void login_guard::prune(std::int64_t now_us) {
  const core::unix_seconds now = now_us / 1'000'000;
  const auto refilled = [now_us](const core::token_bucket& b, double per_minute, double burst) {
    return b.tokens + static_cast<double>(now_us - b.updated_us) * per_minute / 60e6 >= burst;
  };
  if (addresses_.size() >= max_addresses) {
    std::erase_if(addresses_, [&](const auto& kv) {
      return refilled(kv.second.attempts, ip_per_minute_, burst_of(ip_per_minute_)) &&
             refilled(kv.second.failures, policy_.address_failures_per_minute,
                      policy_.address_failure_burst);
    });
  }
  if (pairs_.size() >= max_pairs) {
    std::erase_if(pairs_,
                  [&](const auto& kv) { return !core::pair_is_failing(kv.second, now, policy_); });
  }
  if (accounts_.size() >= max_accounts) {
    std::erase_if(accounts_, [&](const auto& kv) {
      return kv.second.locked_until <= now && kv.second.failing.empty();
    });
  }
}

login_guard::address_state* login_guard::address_of(std::string_view ip, std::int64_t now_us) {
  prune(now_us);
  if (addresses_.size() >= max_addresses) return nullptr;
  return &addresses_[std::string(ip)];
}

// How many other addresses are failing on the account now; drops those that no longer are.
int login_guard::other_failing(account_state& a, std::int64_t account, secret kind,
                               std::string_view ip, core::unix_seconds now) {
  std::erase_if(a.failing, [&](const std::string& other) {
    const auto it = pairs_.find(pair_key(account, kind, other));
    return it == pairs_.end() || !core::pair_is_failing(it->second, now, policy_);
  });
  return static_cast<int>(std::count_if(a.failing.begin(), a.failing.end(),
                                        [&](const std::string& other) { return other != ip; }));
}

login_guard::verdict login_guard::admit(std::int64_t account, secret kind, std::string_view ip,
                                        std::int64_t now_us) {
  const core::unix_seconds now = now_us / 1'000'000;
  const bool signed_in = ip == session;
  const std::string_view who = address_or_unknown(ip);
  std::lock_guard lock(mutex_);
  core::sign_in_counters c;
  address_state* address = nullptr;
  if (!signed_in) {
    address = address_of(who, now_us);
    // A full table refuses rather than forgets someone still limited.
    if (address == nullptr) return {60, core::sign_in_outcome::address_throttled};
    core::unix_seconds wait = 0;
    if (!address->attempts.take(now_us, ip_per_minute_, burst_of(ip_per_minute_), wait)) {
      return {wait, core::sign_in_outcome::address_throttled};
    }
    c.address = address->failures;
  }
  account_state* acct = nullptr;
  core::account_failures* pair = nullptr;
  if (account != 0) {
    acct = &accounts_[key_of(account, kind)];
    pair = &pairs_[pair_key(account, kind, who)];
    c.pair = *pair;
    c.account_locked_until = acct->locked_until;
    c.other_failing_addresses = other_failing(*acct, account, kind, who, now);
  }
  const auto v = core::decide_sign_in(c, now_us, signed_in, policy_);
  if (address != nullptr) address->failures = c.address;
  if (acct != nullptr) {
    *pair = c.pair;
    acct->locked_until = c.account_locked_until;
    const bool listed =
        std::find(acct->failing.begin(), acct->failing.end(), who) != acct->failing.end();
    if (!signed_in && !listed && core::pair_is_failing(c.pair, now, policy_) &&
        acct->failing.size() < static_cast<std::size_t>(policy_.account_lock_addresses)) {
      acct->failing.emplace_back(who);
    }
  }
  return {v.retry_after, v.outcome};
}

void login_guard::succeeded(std::int64_t account, secret kind, std::string_view ip) {
  std::lock_guard lock(mutex_);
  pairs_.erase(pair_key(account, kind, address_or_unknown(ip)));
  if (ip == session) return;
  if (const auto it = addresses_.find(std::string(address_or_unknown(ip)));
      it != addresses_.end()) {
    core::sign_in_succeeded(it->second.failures, policy_);
  }
}

void login_guard::unchecked(std::int64_t account, secret kind, std::string_view ip) {
  std::lock_guard lock(mutex_);
  core::sign_in_counters c;
  const std::string_view who = address_or_unknown(ip);
  const auto pair = account == 0 ? pairs_.end() : pairs_.find(pair_key(account, kind, who));
  if (pair != pairs_.end()) c.pair = pair->second;
  const auto address = ip == session ? addresses_.end() : addresses_.find(std::string(who));
  if (address != addresses_.end()) c.address = address->second.failures;
  core::sign_in_unchecked(c, policy_);
  if (pair != pairs_.end()) pair->second = c.pair;
  if (address != addresses_.end()) address->second.failures = c.address;
}

fleet_login_guard::fleet_login_guard(core::sign_in_policy policy) : policy_(policy) {}

login_guard::verdict fleet_login_guard::admit(pqxx::connection& conn, std::int64_t account,
                                              login_guard::secret kind, std::string_view ip,
                                              std::int64_t now_us) const {
  login_guard::verdict out;
  storage::update_sign_in(conn, {account, static_cast<int>(kind), ip}, now_us / 1'000'000,
                          policy_.pair.forget_seconds, [&](core::sign_in_counters& c) {
                            const auto v = core::decide_sign_in(c, now_us, false, policy_);
                            out = {v.retry_after, v.outcome};
                          });
  return out;
}

void fleet_login_guard::succeeded(pqxx::connection& conn, std::int64_t account,
                                  login_guard::secret kind, std::string_view ip) const {
  storage::forget_sign_in(conn, {account, static_cast<int>(kind), ip},
                          policy_.address_failure_burst);
}

void fleet_login_guard::purge(const std::string& conninfo, std::int64_t now_us) const {
  storage::purge_throttles(conninfo, now_us / 1'000'000, policy_.pair.forget_seconds);
}

}  // namespace zhiyuan::server
