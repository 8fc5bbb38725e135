#include "server/sessions.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <vector>

namespace zhiyuan::server {
namespace {

TEST(sessions, tokens_are_unique_and_map_to_their_digest) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    token_digest d;
    const std::string t = session_table::new_token(d);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_TRUE(seen.insert(t).second);
    EXPECT_EQ(session_table::digest_of(t), d);
  }
  EXPECT_FALSE(session_table::digest_of("short"));
}

TEST(sessions, idle_and_absolute_expiry) {
  session_table table(/*idle_seconds=*/1200);
  token_digest d;
  const std::string t = session_table::new_token(d);
  table.insert(d, {42, /*expires_at=*/10'000, /*last_seen_at=*/1'000});
  ASSERT_TRUE(table.find(d, 1'500));
  EXPECT_EQ(table.find(d, 1'500)->candidate_id, 42);
  EXPECT_EQ(table.find(d, 2'600)->candidate_id, 42);  // refreshed at 1500
  EXPECT_FALSE(table.find(d, 3'800));                 // idle 1200 s
  EXPECT_EQ(table.size(), 0u);

  table.insert(d, {42, 10'000, 9'500});
  EXPECT_FALSE(table.find(d, 10'000));  // absolute expiry, however recently used
}

TEST(sessions, account_state_follows_every_session_of_the_candidate) {
  session_table table(1200);
  token_digest a, b, other;
  session_table::new_token(a);
  session_table::new_token(b);
  session_table::new_token(other);
  table.insert(a, {7, 10'000, 1'000, /*passwords_set=*/false, /*pledged=*/false});
  table.insert(b, {7, 10'000, 1'000, false, false});
  table.insert(other, {8, 10'000, 1'000, false, false});
  table.mark_passwords_set(7);
  table.mark_pledged(7);
  EXPECT_TRUE(table.find(a, 1'001)->pledged);
  EXPECT_TRUE(table.find(b, 1'001)->passwords_set);
  EXPECT_FALSE(table.find(other, 1'001)->pledged);
}

TEST(sessions, sweep_and_erase_others) {
  session_table table(/*idle_seconds=*/100);
  token_digest a, b, c;
  session_table::new_token(a);
  session_table::new_token(b);
  session_table::new_token(c);
  table.insert(a, {7, 10'000, 1'000});
  table.insert(b, {7, 10'000, 1'050});
  table.insert(c, {8, 1'080, 1'060});
  EXPECT_EQ(table.sweep(1'090), 1u);  // c: past its absolute expiry
  EXPECT_EQ(table.sweep(1'120), 1u);  // a: idle 120 s
  EXPECT_EQ(table.size(), 1u);
  table.insert(a, {7, 10'000, 1'120});
  table.erase_others(7, a);
  EXPECT_TRUE(table.find(a, 1'121));
  EXPECT_FALSE(table.find(b, 1'121));
}

TEST(sessions, save_password_memo_expires_and_is_forgotten) {
  session_table table(1200);
  token_digest d, other;
  session_table::new_token(d);
  session_table::new_token(other);
  table.insert(d, {7, 10'000, 1'000});
  table.insert(other, {8, 10'000, 1'000});
  const auto memo = session_table::memo_of("Bc-secret-1");
  EXPECT_NE(memo, session_table::memo_of("Bc-secret-2"));
  EXPECT_FALSE(table.recalls_save_password(d, memo, 1'000));
  table.remember_save_password(d, memo, /*until=*/1'300);
  EXPECT_TRUE(table.recalls_save_password(d, memo, 1'299));
  EXPECT_FALSE(table.recalls_save_password(d, session_table::memo_of("Bc-secret-2"), 1'299));
  EXPECT_FALSE(table.recalls_save_password(other, memo, 1'299));  // per session
  EXPECT_FALSE(table.recalls_save_password(d, memo, 1'300));      // expired
  table.remember_save_password(d, memo, 2'000);
  table.forget_save_passwords(7);
  EXPECT_FALSE(table.recalls_save_password(d, memo, 1'500));
}

TEST(sessions, per_candidate_changes_reach_exactly_that_candidates_sessions_among_many) {
  // Thousands of sessions, three per candidate; one candidate's changes touch its own only,
  // also after some of its sessions were erased, swept or re-used by another candidate.
  session_table table(1200);
  constexpr int candidates = 3000;
  std::vector<std::array<token_digest, 3>> keys(candidates);
  for (int c = 0; c < candidates; ++c) {
    for (auto& k : keys[c]) {
      session_table::new_token(k);
      table.insert(k, {c + 1, 10'000, 1'000, /*passwords_set=*/false, /*pledged=*/false});
    }
  }
  ASSERT_EQ(table.size(), 3u * candidates);
  table.mark_pledged(1234);
  table.mark_passwords_set(1234);
  for (int c = 1232; c <= 1236; ++c) {
    for (const auto& k : keys[c - 1]) {
      const auto s = table.find(k, 1'100);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->pledged, c == 1234) << c;
      EXPECT_EQ(s->passwords_set, c == 1234) << c;
    }
  }
  // A session erased, then its digest re-inserted for another candidate: the first
  // candidate's later changes do not reach it.
  table.erase(keys[99][0]);
  table.insert(keys[99][0], {5000, 10'000, 1'100});
  table.mark_pledged(100);
  EXPECT_FALSE(table.find(keys[99][0], 1'200)->pledged);
  EXPECT_TRUE(table.find(keys[99][1], 1'200)->pledged);
  // erase_others keeps exactly the one given.
  table.erase_others(7, keys[6][2]);
  EXPECT_FALSE(table.find(keys[6][0], 1'200));
  EXPECT_FALSE(table.find(keys[6][1], 1'200));
  EXPECT_TRUE(table.find(keys[6][2], 1'200));
  // Swept sessions are gone from the index too: a new session of the same candidate is the
  // only one a change reaches.
  const std::size_t before = table.size();
  EXPECT_EQ(table.sweep(/*now=*/20'000), before);
  EXPECT_EQ(table.size(), 0u);
  token_digest fresh;
  session_table::new_token(fresh);
  table.insert(fresh, {7, 30'000, 20'000, true, false});
  table.mark_pledged(7);
  EXPECT_TRUE(table.find(fresh, 20'100)->pledged);
}

TEST(sessions, token_from_bearer_or_cookie) {
  EXPECT_EQ(presented_token("Bearer abc", ""), "abc");
  EXPECT_EQ(presented_token("", "a=1; zy_session=tok; b=2"), "tok");
  EXPECT_EQ(presented_token("", "zy_session=tok"), "tok");
  EXPECT_EQ(presented_token("", "not_zy_session=x"), "");
  EXPECT_EQ(presented_token("Basic xyz", ""), "");
}

}  // namespace
}  // namespace zhiyuan::server
