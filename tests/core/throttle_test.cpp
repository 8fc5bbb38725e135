#include "core/throttle.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

TEST(throttle, backoff_doubles_after_five_failures_and_locks_at_ten) {
  account_failures f;
  const throttle_policy p;
  unix_seconds now = 1'000;
  for (int i = 0; i < 4; ++i) {
    record_failure(f, now, p);
    EXPECT_EQ(retry_after(f, now, p), 0) << "after " << f.count << " failures";
  }
  record_failure(f, now, p);  // 5th
  EXPECT_EQ(retry_after(f, now, p), 1);
  EXPECT_EQ(retry_after(f, now + 1, p), 0);
  unix_seconds expected = 2;
  for (int n = 6; n <= 9; ++n, expected *= 2) {
    now += 100;
    record_failure(f, now, p);
    EXPECT_EQ(retry_after(f, now, p), expected) << n << " failures";
  }
  now += 100;
  record_failure(f, now, p);  // 10th: locked for 15 minutes
  EXPECT_EQ(retry_after(f, now, p), 900);
  EXPECT_EQ(retry_after(f, now + 899, p), 1);
  EXPECT_EQ(retry_after(f, now + 900, p), 0);
  // After the lock, one more failure starts a fresh count.
  record_failure(f, now + 901, p);
  EXPECT_EQ(f.count, 1);
  EXPECT_EQ(retry_after(f, now + 901, p), 0);
}

TEST(throttle, backoff_is_capped_and_old_failures_are_forgotten) {
  throttle_policy p;
  p.lock_after = 100;
  account_failures f;
  for (int i = 0; i < 20; ++i) record_failure(f, 5'000, p);
  EXPECT_EQ(retry_after(f, 5'000, p), p.max_backoff_seconds);
  EXPECT_EQ(retry_after(f, 5'000 + p.forget_seconds, p), 0);
  record_failure(f, 5'000 + p.forget_seconds, p);
  EXPECT_EQ(f.count, 1);
}

TEST(throttle, token_bucket_allows_a_burst_then_the_rate) {
  token_bucket b;
  unix_seconds wait = 0;
  const std::int64_t t0 = 1'000'000'000;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.take(t0, 60, 10, wait)) << i;
  EXPECT_FALSE(b.take(t0, 60, 10, wait));
  EXPECT_EQ(wait, 1);  // 60 per minute: one token a second
  EXPECT_FALSE(b.take(t0 + 500'000, 60, 10, wait));
  EXPECT_TRUE(b.take(t0 + 1'000'000, 60, 10, wait));
  // Refills up to the burst only.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.take(t0 + 3'600'000'000, 60, 10, wait)) << i;
  EXPECT_FALSE(b.take(t0 + 3'600'000'000, 60, 10, wait));
}

}  // namespace
}  // namespace zhiyuan::core
