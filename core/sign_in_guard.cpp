#include "core/sign_in_guard.hpp"

#include <algorithm>

namespace zhiyuan::core {

const char* to_code(sign_in_outcome o) noexcept {
  switch (o) {
    case sign_in_outcome::admitted:
      return "admitted";
    case sign_in_outcome::pair_waiting:
      return "pair_waiting";
    case sign_in_outcome::pair_locked:
      return "pair_locked";
    case sign_in_outcome::account_locked:
      return "account_locked";
    case sign_in_outcome::address_throttled:
      return "address_throttled";
  }
  return "admitted";
}

bool pair_is_failing(const account_failures& f, unix_seconds now,
                     const sign_in_policy& p) noexcept {
  if (f.count == 0) return false;
  if (f.locked_until > now) return true;
  return f.locked_until == 0 && now - f.last < p.pair.forget_seconds;
}

sign_in_verdict decide_sign_in(sign_in_counters& c, std::int64_t now_us, bool signed_in,
                               const sign_in_policy& p) noexcept {
  const unix_seconds now = now_us / 1'000'000;
  if (!signed_in && c.account_locked_until > now) {
    return {sign_in_outcome::account_locked, c.account_locked_until - now};
  }
  if (const auto wait = retry_after(c.pair, now, p.pair); wait > 0) {
    return {
        c.pair.locked_until > now ? sign_in_outcome::pair_locked : sign_in_outcome::pair_waiting,
        wait};
  }
  if (!signed_in) {
    unix_seconds wait = 0;
    if (!c.address.take(now_us, p.address_failures_per_minute, p.address_failure_burst, wait)) {
      return {sign_in_outcome::address_throttled, wait};
    }
  }
  const bool newly_failing = !pair_is_failing(c.pair, now, p);
  record_failure(c.pair, now, p.pair);
  // A distributed guesser: this address joins the others failing on the account.
  if (!signed_in && newly_failing && c.other_failing_addresses + 1 >= p.account_lock_addresses) {
    c.account_locked_until = now + p.account_lock_seconds;
  }
  return {};
}

void sign_in_succeeded(token_bucket& address, const sign_in_policy& p) noexcept {
  if (address.tokens >= 0) address.tokens = std::min(p.address_failure_burst, address.tokens + 1);
}

void sign_in_unchecked(sign_in_counters& c, const sign_in_policy& p) noexcept {
  forget_failure(c.pair, p.pair);
  sign_in_succeeded(c.address, p);
}

}  // namespace zhiyuan::core
