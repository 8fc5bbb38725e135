#include "server/login_guard.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::server {
namespace {

constexpr std::int64_t second = 1'000'000;

TEST(login_guard, an_account_is_locked_after_ten_failures_from_any_address) {
  login_guard guard(/*ip_per_minute=*/100'000);
  std::int64_t now = 1'000 * second;
  for (int i = 0; i < 10; ++i) {
    now += 120 * second;  // past every backoff
    const auto v = guard.admit(42, "10.0.0." + std::to_string(i), now);
    ASSERT_EQ(v.retry_after, 0) << "attempt " << i;
    guard.failed(42, now / second);
  }
  const auto locked = guard.admit(42, "10.9.9.9", now + second);
  EXPECT_TRUE(locked.account_locked);
  EXPECT_EQ(locked.retry_after, 15 * 60 - 1);
  EXPECT_EQ(guard.admit(43, "10.9.9.9", now + second).retry_after, 0);  // others unaffected
}

TEST(login_guard, success_clears_the_failures) {
  login_guard guard(100'000);
  for (int i = 0; i < 5; ++i) guard.failed(7, 100);
  EXPECT_GT(guard.admit(7, "a", 100 * second).retry_after, 0);
  guard.succeeded(7);
  EXPECT_EQ(guard.admit(7, "a", 100 * second).retry_after, 0);
}

TEST(login_guard, one_address_is_limited_even_across_accounts) {
  login_guard guard(/*ip_per_minute=*/60);  // burst 10, then one a second
  const std::int64_t now = 5'000 * second;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(guard.admit(i + 1, "192.0.2.1", now).retry_after, 0) << i;
  const auto v = guard.admit(99, "192.0.2.1", now);
  EXPECT_EQ(v.retry_after, 1);
  EXPECT_FALSE(v.account_locked);
  EXPECT_EQ(guard.admit(99, "192.0.2.2", now).retry_after, 0);  // another address
}

}  // namespace
}  // namespace zhiyuan::server
