#include "core/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace zhiyuan::core {

unix_seconds retry_after(const account_failures& f, unix_seconds now,
                         const throttle_policy& p) noexcept {
  if (f.locked_until > now) return f.locked_until - now;
  if (f.locked_until != 0) return 0;  // the lock has passed: a fresh start
  if (f.count < p.backoff_after || now - f.last >= p.forget_seconds) return 0;
  const int doublings = std::min(f.count - p.backoff_after, 30);
  const unix_seconds wait =
      std::min<unix_seconds>(unix_seconds{1} << doublings, p.max_backoff_seconds);
  return std::max<unix_seconds>(0, f.last + wait - now);
}

void record_failure(account_failures& f, unix_seconds now, const throttle_policy& p) noexcept {
  if ((f.locked_until != 0 && f.locked_until <= now) || now - f.last >= p.forget_seconds) {
    f = {};
  }
  ++f.count;
  f.last = now;
  if (f.count >= p.lock_after) f.locked_until = now + p.lock_seconds;
}

void forget_failure(account_failures& f, const throttle_policy& p) noexcept {
  if (f.count > 0) --f.count;
  if (f.count < p.lock_after) f.locked_until = 0;
}

bool token_bucket::take(std::int64_t now_us, double rate_per_minute, double burst,
                        unix_seconds& wait_seconds) noexcept {
  if (tokens < 0) {
    tokens = burst;
    updated_us = now_us;
  }
  const double per_us = rate_per_minute / 60e6;
  if (now_us > updated_us) {
    tokens = std::min(burst, tokens + static_cast<double>(now_us - updated_us) * per_us);
    updated_us = now_us;
  }
  if (tokens >= 1) {
    tokens -= 1;
    return true;
  }
  wait_seconds = static_cast<unix_seconds>(std::ceil((1 - tokens) / per_us / 1e6));
  if (wait_seconds < 1) wait_seconds = 1;
  return false;
}

}  // namespace zhiyuan::core
