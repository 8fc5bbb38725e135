#include "server/login_guard.hpp"

#include <algorithm>

namespace zhiyuan::server {
namespace {

std::int64_t key_of(std::int64_t account, login_guard::secret kind) {
  return account * 2 + static_cast<std::int64_t>(kind);
}

double burst_of(double ip_per_minute) { return std::max(1.0, ip_per_minute / 6); }

}  // namespace

login_guard::verdict decide_attempt(core::account_failures* account, core::token_bucket* address,
                                    std::int64_t now_us, double ip_per_minute,
                                    const core::throttle_policy& policy) {
  const core::unix_seconds now = now_us / 1'000'000;
  if (account != nullptr) {
    if (const auto wait = core::retry_after(*account, now, policy); wait > 0) {
      return {wait, account->locked_until > now};
    }
  }
  core::unix_seconds wait = 0;
  if (address != nullptr && !address->take(now_us, ip_per_minute, burst_of(ip_per_minute), wait)) {
    return {wait, false};
  }
  if (account != nullptr) core::record_failure(*account, now, policy);
  return {};
}

login_guard::login_guard(unsigned ip_per_minute, core::throttle_policy policy)
    : policy_(policy), ip_per_minute_(static_cast<double>(ip_per_minute)) {}

login_guard::verdict login_guard::admit(std::int64_t account, secret kind, std::string_view ip,
                                        std::int64_t now_us) {
  const core::unix_seconds now = now_us / 1'000'000;
  std::lock_guard lock(mutex_);
  core::token_bucket* bucket = nullptr;
  if (!ip.empty()) {
    const double burst = burst_of(ip_per_minute_);
    if (addresses_.size() >= max_addresses) {
      // Forget addresses whose bucket has refilled: they lose nothing by starting full again.
      std::erase_if(addresses_, [&](const auto& kv) {
        const auto& b = kv.second;
        return b.tokens + static_cast<double>(now_us - b.updated_us) * ip_per_minute_ / 60e6 >=
               burst;
      });
      if (addresses_.size() >= max_addresses) return {60, false};
    }
    bucket = &addresses_[std::string(ip)];
  }
  core::account_failures* failures = nullptr;
  if (account != 0) {
    if (accounts_.size() >= max_accounts) {
      std::erase_if(accounts_, [&](const auto& kv) {
        return core::retry_after(kv.second, now, policy_) == 0 &&
               now - kv.second.last >= policy_.forget_seconds;
      });
    }
    failures = &accounts_[key_of(account, kind)];
  }
  return decide_attempt(failures, bucket, now_us, ip_per_minute_, policy_);
}

void login_guard::succeeded(std::int64_t account, secret kind) {
  std::lock_guard lock(mutex_);
  accounts_.erase(key_of(account, kind));
}

void login_guard::unchecked(std::int64_t account, secret kind) {
  if (account == 0) return;
  std::lock_guard lock(mutex_);
  const auto it = accounts_.find(key_of(account, kind));
  if (it == accounts_.end()) return;
  core::forget_failure(it->second, policy_);
  if (it->second.count == 0) accounts_.erase(it);
}

fleet_login_guard::fleet_login_guard(core::throttle_policy policy) : policy_(policy) {}

login_guard::verdict fleet_login_guard::admit(pqxx::connection& conn, std::int64_t account,
                                              login_guard::secret kind, std::int64_t now_us) const {
  if (account == 0) return {};
  login_guard::verdict out;
  storage::update_throttle(conn, account, static_cast<int>(kind), [&](core::account_failures& f) {
    out = decide_attempt(&f, nullptr, now_us, 0, policy_);
  });
  return out;
}

void fleet_login_guard::succeeded(pqxx::connection& conn, std::int64_t account,
                                  login_guard::secret kind) const {
  if (account != 0) storage::forget_throttle(conn, account, static_cast<int>(kind));
}

void fleet_login_guard::unchecked(pqxx::connection& conn, std::int64_t account,
                                  login_guard::secret kind) const {
  if (account == 0) return;
  storage::update_throttle(conn, account, static_cast<int>(kind),
                           [this](core::account_failures& f) { core::forget_failure(f, policy_); });
}

void fleet_login_guard::purge(const std::string& conninfo, std::int64_t now_us) const {
  storage::purge_throttles(conninfo, now_us / 1'000'000, policy_.forget_seconds);
}

}  // namespace zhiyuan::server
