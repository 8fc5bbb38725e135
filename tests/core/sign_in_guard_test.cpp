#include "core/sign_in_guard.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

constexpr std::int64_t second = 1'000'000;

// The counters of one address on one account, as a caller would keep them.
struct attempt_log {
  sign_in_counters c;
  sign_in_verdict attempt(std::int64_t now_us, bool signed_in = false,
                          const sign_in_policy& p = {}) {
    return decide_sign_in(c, now_us, signed_in, p);
  }
};

TEST(sign_in_guard, one_address_locks_itself_out_of_the_account_not_the_account) {
  attempt_log stranger;
  std::int64_t now = 1'000 * second;
  for (int i = 0; i < 10; ++i) {
    now += 120 * second;  // past every backoff
    ASSERT_EQ(stranger.attempt(now).outcome, sign_in_outcome::admitted) << "attempt " << i;
  }
  const auto locked = stranger.attempt(now + second);
  EXPECT_EQ(locked.outcome, sign_in_outcome::pair_locked);
  EXPECT_EQ(locked.retry_after, 15 * 60 - 1);
  // The account-wide lock was not taken: the candidate from another address goes ahead.
  EXPECT_EQ(stranger.c.account_locked_until, 0);
  attempt_log candidate;
  candidate.c.other_failing_addresses = 1;
  EXPECT_EQ(candidate.attempt(now + second).outcome, sign_in_outcome::admitted);
}

TEST(sign_in_guard, the_account_locks_once_enough_addresses_fail) {
  const sign_in_policy p;
  attempt_log tenth;
  tenth.c.other_failing_addresses = p.account_lock_addresses - 2;
  const std::int64_t now = 5'000 * second;
  // The ninth failing address: still no account lock.
  EXPECT_EQ(tenth.attempt(now).outcome, sign_in_outcome::admitted);
  EXPECT_EQ(tenth.c.account_locked_until, 0);
  attempt_log last;
  last.c.other_failing_addresses = p.account_lock_addresses - 1;
  EXPECT_EQ(last.attempt(now).outcome, sign_in_outcome::admitted);
  EXPECT_EQ(last.c.account_locked_until, 5'000 + p.account_lock_seconds);
  // Everyone (a fresh address with the right password too) now waits out the lock ...
  attempt_log fresh;
  fresh.c.account_locked_until = last.c.account_locked_until;
  const auto v = fresh.attempt(now + 10 * second);
  EXPECT_EQ(v.outcome, sign_in_outcome::account_locked);
  EXPECT_EQ(v.retry_after, p.account_lock_seconds - 10);
  // ... except the signed-in session's own attempts.
  EXPECT_EQ(fresh.attempt(now + 10 * second, true).outcome, sign_in_outcome::admitted);
}

TEST(sign_in_guard, an_address_failing_again_is_not_counted_twice) {
  const sign_in_policy p;
  attempt_log again;
  again.c.other_failing_addresses = p.account_lock_addresses - 1;
  again.c.pair.count = 1;
  again.c.pair.last = 4'990;
  EXPECT_EQ(again.attempt(5'000 * second).outcome, sign_in_outcome::admitted);
  EXPECT_EQ(again.c.account_locked_until, 0);
  EXPECT_TRUE(pair_is_failing(again.c.pair, 5'000));
  EXPECT_FALSE(pair_is_failing(again.c.pair, 5'000 + p.pair.forget_seconds));
}

TEST(sign_in_guard, one_address_is_throttled_across_accounts) {
  sign_in_policy p;
  p.address_failure_burst = 3;
  p.address_failures_per_minute = 1;
  token_bucket address;
  const std::int64_t now = 9'000 * second;
  for (int account = 0; account < 3; ++account) {
    sign_in_counters c;
    c.address = address;
    ASSERT_EQ(decide_sign_in(c, now, false, p).outcome, sign_in_outcome::admitted) << account;
    address = c.address;
  }
  sign_in_counters fourth;
  fourth.address = address;
  const auto v = decide_sign_in(fourth, now, false, p);
  EXPECT_EQ(v.outcome, sign_in_outcome::address_throttled);
  EXPECT_EQ(v.retry_after, 60);
  EXPECT_EQ(fourth.pair.count, 0);  // refused attempts count nowhere
  // A success gives its failure back.
  sign_in_succeeded(address, p);
  sign_in_counters fifth;
  fifth.address = address;
  EXPECT_EQ(decide_sign_in(fifth, now, false, p).outcome, sign_in_outcome::admitted);
}

TEST(sign_in_guard, a_signed_in_attempt_is_held_by_its_pair_alone) {
  attempt_log session;
  session.c.account_locked_until = 99'999;
  session.c.address.tokens = 0;
  session.c.address.updated_us = 1'000 * second;
  std::int64_t now = 1'000 * second;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(session.attempt(now, true).outcome, sign_in_outcome::admitted) << i;
  }
  EXPECT_EQ(session.attempt(now, true).outcome, sign_in_outcome::pair_waiting);
}

TEST(sign_in_guard, an_unchecked_attempt_counts_nowhere) {
  sign_in_policy p;
  p.address_failure_burst = 1;
  attempt_log log;
  const std::int64_t now = 1'000 * second;
  ASSERT_EQ(log.attempt(now, false, p).outcome, sign_in_outcome::admitted);
  sign_in_unchecked(log.c, p);
  EXPECT_EQ(log.c.pair.count, 0);
  EXPECT_EQ(log.attempt(now, false, p).outcome, sign_in_outcome::admitted);
}

TEST(sign_in_guard, outcomes_have_codes) {
  EXPECT_STREQ(to_code(sign_in_outcome::address_throttled), "address_throttled");
  EXPECT_STREQ(to_code(sign_in_outcome::account_locked), "account_locked");
}

}  // namespace
}  // namespace zhiyuan::core
