#include "server/login_guard.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::server {
namespace {

constexpr std::int64_t second = 1'000'000;
using secret = login_guard::secret;

TEST(login_guard, one_address_locks_only_itself_out_many_addresses_lock_the_account) {
  login_guard guard(/*ip_per_minute=*/100'000);
  std::int64_t now = 1'000 * second;
  for (int i = 0; i < 10; ++i) {
    now += 120 * second;  // past every backoff
    ASSERT_EQ(guard.admit(42, secret::login, "10.0.0.1", now).retry_after, 0) << "attempt " << i;
  }
  const auto locked = guard.admit(42, secret::login, "10.0.0.1", now + second);
  EXPECT_EQ(locked.outcome, core::sign_in_outcome::pair_locked);
  EXPECT_TRUE(locked.locked());
  EXPECT_EQ(locked.retry_after, 15 * 60 - 1);
  // The candidate from another address is not locked out.
  EXPECT_EQ(guard.admit(42, secret::login, "10.9.9.9", now + second).retry_after, 0);
  guard.succeeded(42, secret::login, "10.9.9.9");
  // Nine more addresses failing once each take the account-wide lock (ten in all).
  for (int i = 2; i <= 10; ++i) {
    ASSERT_EQ(
        guard.admit(42, secret::login, "10.0.0." + std::to_string(i), now + second).retry_after, 0)
        << "address " << i;
  }
  const auto account = guard.admit(42, secret::login, "10.9.9.9", now + 2 * second);
  EXPECT_EQ(account.outcome, core::sign_in_outcome::account_locked);
  EXPECT_EQ(account.retry_after, 15 * 60 - 1);
  // A signed-in session's own attempt is not stopped, nor another account.
  EXPECT_EQ(guard.admit(42, secret::login, login_guard::session, now + 2 * second).retry_after, 0);
  EXPECT_EQ(guard.admit(43, secret::login, "10.9.9.9", now + 2 * second).retry_after, 0);
}

TEST(login_guard, parallel_attempts_count_before_their_outcome_is_known) {
  login_guard guard(100'000);
  // Five attempts admitted at once (their hashes still running) use up the free ones.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(guard.admit(7, secret::login, "a", second).retry_after, 0);
  EXPECT_GT(guard.admit(7, secret::login, "a", second).retry_after, 0);
  guard.succeeded(7, secret::login, "a");
  EXPECT_EQ(guard.admit(7, secret::login, "a", second).retry_after, 0);
}

TEST(login_guard, attempts_the_server_was_too_busy_to_check_do_not_count) {
  login_guard guard(100'000);
  std::int64_t now = 1'000 * second;
  // Twenty retries, each answered 503 (no hashing capacity) and taken back: no lock, no wait.
  for (int i = 0; i < 20; ++i) {
    now += second;
    ASSERT_EQ(guard.admit(9, secret::login, "a", now).retry_after, 0) << "retry " << i;
    guard.unchecked(9, secret::login, "a");
  }
  // Real failures still count: ten wrong passwords lock this address out as before.
  for (int i = 0; i < 10; ++i) {
    now += 120 * second;
    ASSERT_EQ(guard.admit(9, secret::login, "a", now).retry_after, 0) << "attempt " << i;
  }
  EXPECT_TRUE(guard.admit(9, secret::login, "a", now + second).locked());
}

TEST(login_guard, login_and_save_passwords_are_throttled_apart) {
  login_guard guard(100'000);
  for (int i = 0; i < 5; ++i) guard.admit(9, secret::login, "a", second);
  EXPECT_GT(guard.admit(9, secret::login, "a", second).retry_after, 0);
  // A stranger's wrong logins do not stop the candidate's own submission ...
  const auto session = login_guard::session;
  EXPECT_EQ(guard.admit(9, secret::save, session, second).retry_after, 0);
  for (int i = 0; i < 4; ++i) guard.admit(9, secret::save, session, second);
  EXPECT_GT(guard.admit(9, secret::save, session, second).retry_after, 0);
  // ... and a successful sign-in does not reset the save password's failures.
  guard.succeeded(9, secret::login, "a");
  EXPECT_EQ(guard.admit(9, secret::login, "a", second).retry_after, 0);
  EXPECT_GT(guard.admit(9, secret::save, session, second).retry_after, 0);
}

TEST(login_guard, one_address_is_limited_even_across_accounts) {
  login_guard guard(/*ip_per_minute=*/60);  // burst 10, then one a second
  const std::int64_t now = 5'000 * second;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(guard.admit(i + 1, secret::login, "192.0.2.1", now).retry_after, 0) << i;
  }
  const auto v = guard.admit(99, secret::login, "192.0.2.1", now);
  EXPECT_EQ(v.retry_after, 1);
  EXPECT_EQ(v.outcome, core::sign_in_outcome::address_throttled);
  EXPECT_EQ(guard.admit(99, secret::login, "192.0.2.2", now).retry_after, 0);
  // No address charged.
  EXPECT_EQ(guard.admit(99, secret::save, login_guard::session, now).retry_after, 0);
}

// Credential stuffing: wrong passwords on many accounts from one address spend its failure
// budget (the attempt rate is generous here); a success gives one back.
TEST(login_guard, wrong_passwords_across_accounts_spend_the_address_budget) {
  core::sign_in_policy p;
  p.address_failure_burst = 4;
  p.address_failures_per_minute = 1;
  login_guard guard(100'000, p);
  const std::int64_t now = 7'000 * second;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(guard.admit(100 + i, secret::login, "198.51.100.1", now).retry_after, 0) << i;
  }
  const auto v = guard.admit(200, secret::login, "198.51.100.1", now);
  EXPECT_EQ(v.outcome, core::sign_in_outcome::address_throttled);
  EXPECT_EQ(v.retry_after, 60);
  EXPECT_EQ(guard.admit(200, secret::login, "198.51.100.2", now).retry_after, 0);
  guard.succeeded(103, secret::login, "198.51.100.1");
  EXPECT_EQ(guard.admit(201, secret::login, "198.51.100.1", now).retry_after, 0);
}

}  // namespace
}  // namespace zhiyuan::server
