#include "server/login_guard.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::server {
namespace {

constexpr std::int64_t second = 1'000'000;
using secret = login_guard::secret;

TEST(login_guard, an_account_is_locked_after_ten_failures_from_any_address) {
  login_guard guard(/*ip_per_minute=*/100'000);
  std::int64_t now = 1'000 * second;
  for (int i = 0; i < 10; ++i) {
    now += 120 * second;  // past every backoff
    ASSERT_EQ(guard.admit(42, secret::login, "10.0.0." + std::to_string(i), now).retry_after, 0)
        << "attempt " << i;
  }
  const auto locked = guard.admit(42, secret::login, "10.9.9.9", now + second);
  EXPECT_TRUE(locked.account_locked);
  EXPECT_EQ(locked.retry_after, 15 * 60 - 1);
  EXPECT_EQ(guard.admit(43, secret::login, "10.9.9.9", now + second).retry_after, 0);
}

TEST(login_guard, parallel_attempts_count_before_their_outcome_is_known) {
  login_guard guard(100'000);
  // Five attempts admitted at once (their hashes still running) use up the free ones.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(guard.admit(7, secret::login, "a", second).retry_after, 0);
  EXPECT_GT(guard.admit(7, secret::login, "a", second).retry_after, 0);
  guard.succeeded(7, secret::login);
  EXPECT_EQ(guard.admit(7, secret::login, "a", second).retry_after, 0);
}

TEST(login_guard, attempts_the_server_was_too_busy_to_check_do_not_count) {
  login_guard guard(100'000);
  std::int64_t now = 1'000 * second;
  // Twenty retries, each answered 503 (no hashing capacity) and taken back: no lock, no wait.
  for (int i = 0; i < 20; ++i) {
    now += second;
    ASSERT_EQ(guard.admit(9, secret::login, "a", now).retry_after, 0) << "retry " << i;
    guard.unchecked(9, secret::login);
  }
  // Real failures still count: ten wrong passwords lock the account as before.
  for (int i = 0; i < 10; ++i) {
    now += 120 * second;
    ASSERT_EQ(guard.admit(9, secret::login, "a", now).retry_after, 0) << "attempt " << i;
  }
  EXPECT_TRUE(guard.admit(9, secret::login, "a", now + second).account_locked);
}

TEST(login_guard, login_and_save_passwords_are_throttled_apart) {
  login_guard guard(100'000);
  for (int i = 0; i < 5; ++i) guard.admit(9, secret::login, "a", second);
  EXPECT_GT(guard.admit(9, secret::login, "a", second).retry_after, 0);
  // A stranger's wrong logins do not stop the candidate's own submission ...
  EXPECT_EQ(guard.admit(9, secret::save, "", second).retry_after, 0);
  for (int i = 0; i < 4; ++i) guard.admit(9, secret::save, "", second);
  EXPECT_GT(guard.admit(9, secret::save, "", second).retry_after, 0);
  // ... and a successful sign-in does not reset the save password's failures.
  guard.succeeded(9, secret::login);
  EXPECT_EQ(guard.admit(9, secret::login, "a", second).retry_after, 0);
  EXPECT_GT(guard.admit(9, secret::save, "", second).retry_after, 0);
}

TEST(login_guard, one_address_is_limited_even_across_accounts) {
  login_guard guard(/*ip_per_minute=*/60);  // burst 10, then one a second
  const std::int64_t now = 5'000 * second;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(guard.admit(i + 1, secret::login, "192.0.2.1", now).retry_after, 0) << i;
  }
  const auto v = guard.admit(99, secret::login, "192.0.2.1", now);
  EXPECT_EQ(v.retry_after, 1);
  EXPECT_FALSE(v.account_locked);
  EXPECT_EQ(guard.admit(99, secret::login, "192.0.2.2", now).retry_after, 0);
  EXPECT_EQ(guard.admit(99, secret::save, "", now).retry_after, 0);  // no address charged
}

}  // namespace
}  // namespace zhiyuan::server
