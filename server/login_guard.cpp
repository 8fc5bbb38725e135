#include "server/login_guard.hpp"

#include <algorithm>

namespace zhiyuan::server {
namespace {

std::int64_t key_of(std::int64_t account, login_guard::secret kind) {
  return account * 2 + static_cast<std::int64_t>(kind);
}

}  // namespace

login_guard::login_guard(unsigned ip_per_minute, core::throttle_policy policy)
    : policy_(policy), ip_per_minute_(static_cast<double>(ip_per_minute)) {}

login_guard::verdict login_guard::admit(std::int64_t account, secret kind, std::string_view ip,
                                        std::int64_t now_us) {
  const core::unix_seconds now = now_us / 1'000'000;
  std::lock_guard lock(mutex_);
  if (account != 0) {
    if (auto it = accounts_.find(key_of(account, kind)); it != accounts_.end()) {
      if (const auto wait = core::retry_after(it->second, now, policy_); wait > 0) {
        return {wait, it->second.locked_until > now};
      }
    }
  }
  if (!ip.empty()) {
    const double burst = std::max(1.0, ip_per_minute_ / 6);
    if (addresses_.size() >= max_addresses) {
      // Forget addresses whose bucket has refilled: they lose nothing by starting full again.
      std::erase_if(addresses_, [&](const auto& kv) {
        const auto& b = kv.second;
        return b.tokens + static_cast<double>(now_us - b.updated_us) * ip_per_minute_ / 60e6 >=
               burst;
      });
      if (addresses_.size() >= max_addresses) return {60, false};
    }
    core::unix_seconds wait = 0;
    if (!addresses_[std::string(ip)].take(now_us, ip_per_minute_, burst, wait)) {
      return {wait, false};
    }
  }
  if (account != 0) {
    if (accounts_.size() >= max_accounts) {
      std::erase_if(accounts_, [&](const auto& kv) {
        return core::retry_after(kv.second, now, policy_) == 0 &&
               now - kv.second.last >= policy_.forget_seconds;
      });
    }
    core::record_failure(accounts_[key_of(account, kind)], now, policy_);
  }
  return {};
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

}  // namespace zhiyuan::server
