// The session cache's side of the fleet (issue 17): what a node can answer from memory, the
// bounded memory of unknown tokens, idle timers to write back, and the channel's payloads.
#include "server/session_sync.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zhiyuan::server {
namespace {

// The payload of a revocation notice: 'r' and the digest in hex.
std::string revoked_notice(const token_digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(1, 'r');
  for (auto b : d) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

// A fresh token's digest.
token_digest new_digest() {
  token_digest d;
  session_table::new_token(d);
  return d;
}

TEST(session_sync, a_token_is_resolved_here_when_live_or_recently_found_absent) {
  session_table table(1200);
  token_digest live, unknown;
  session_table::new_token(live);
  session_table::new_token(unknown);
  table.insert(live, {7, 10'000, 1'000});
  EXPECT_TRUE(table.resolved_here(live, 1'100));
  EXPECT_FALSE(table.resolved_here(live, 2'300));  // idle here: ask the database again
  EXPECT_FALSE(table.resolved_here(unknown, 1'100));
  table.remember_absent(unknown, 1'105);
  EXPECT_TRUE(table.resolved_here(unknown, 1'104));
  EXPECT_FALSE(table.find(unknown, 1'104));
  EXPECT_FALSE(table.resolved_here(unknown, 1'105));  // forgotten: asked again
  table.insert(unknown, {8, 10'000, 1'200});          // signed in meanwhile
  EXPECT_TRUE(table.resolved_here(unknown, 1'201));
}

TEST(session_sync, the_memory_of_unknown_tokens_is_bounded) {
  session_table table(1200);
  token_digest first, d;
  session_table::new_token(first);
  table.remember_absent(first, 2'000);
  for (int i = 1; i < 400'000; ++i) {
    d = {};
    __builtin_memcpy(d.data(), &i, sizeof i);
    d[31] = static_cast<std::uint8_t>(i);  // spread over the stripes
    table.remember_absent(d, 2'000 + i);
  }
  // 64 stripes of at most 4,096 each: the newest are remembered, the oldest forgotten.
  EXPECT_TRUE(table.resolved_here(d, 1'000));
  EXPECT_FALSE(table.resolved_here(first, 1'000));
}

TEST(session_sync, idle_timers_are_taken_once_they_moved_enough) {
  session_table table(1200);
  token_digest a, b;
  session_table::new_token(a);
  session_table::new_token(b);
  table.insert(a, {1, 100'000, 1'000});
  table.insert(b, {2, 100'000, 1'000});
  EXPECT_TRUE(table.take_touched(120).empty());
  ASSERT_TRUE(table.find(a, 1'130));
  ASSERT_TRUE(table.find(b, 1'050));
  const auto taken = table.take_touched(120);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].first, a);
  EXPECT_EQ(taken[0].second, 1'130);
  EXPECT_TRUE(table.take_touched(120).empty());  // taken: not again until it moves again
}

TEST(session_sync, notices_revoke_and_update_the_cached_sessions) {
  session_table table(1200);
  token_digest a, b;
  session_table::new_token(a);
  session_table::new_token(b);
  table.insert(a, {5, 100'000, 1'000, /*passwords_set=*/false, /*pledged=*/false});
  table.insert(b, {5, 100'000, 1'000, false, false});
  EXPECT_TRUE(apply_session_notice(table, "p5"));
  EXPECT_TRUE(apply_session_notice(table, "s5"));
  EXPECT_TRUE(table.find(b, 1'001)->pledged);
  EXPECT_TRUE(table.find(b, 1'001)->passwords_set);
  const auto memo = session_table::memo_of("save-password");
  table.remember_save_password(b, memo, 5'000);
  EXPECT_TRUE(apply_session_notice(table, "m5"));
  EXPECT_FALSE(table.recalls_save_password(b, memo, 1'002));
  EXPECT_TRUE(apply_session_notice(table, revoked_notice(a)));
  EXPECT_FALSE(table.find(a, 1'003));
  EXPECT_TRUE(table.find(b, 1'003));
  EXPECT_FALSE(apply_session_notice(table, "rnothex"));
  EXPECT_FALSE(apply_session_notice(table, "p5x"));
  EXPECT_FALSE(apply_session_notice(table, "x1"));
  EXPECT_FALSE(apply_session_notice(table, ""));
}

TEST(session_sync, a_lookup_in_flight_when_its_revocation_arrives_does_not_cache_the_session) {
  session_table table(1200);
  const token_digest a = new_digest();
  // The lookup reads the generation, then the database answers with the live session; the
  // revocation is heard in between (the session was not cached: nothing to erase).
  const auto before = table.generation(a);
  EXPECT_TRUE(apply_session_notice(table, revoked_notice(a)));
  EXPECT_FALSE(table.insert_unless_revoked(a, {7, 100'000, 1'000}, before));
  EXPECT_FALSE(table.find(a, 1'001));
  // Looked up again after the revocation: whatever the database says now is cached.
  EXPECT_TRUE(table.insert_unless_revoked(a, {7, 100'000, 1'000}, table.generation(a)));
  EXPECT_TRUE(table.find(a, 1'001));
  // Expiry and the catch-up's revocations: only the latter move the generation.
  const auto now = table.generation(a);
  table.erase(a);
  EXPECT_EQ(table.generation(a), now);
  table.revoke(a);
  EXPECT_NE(table.generation(a), now);
}

TEST(session_sync, candidates_waiting_for_passwords_or_the_pledge_are_listed_once) {
  session_table table(1200);
  const token_digest a = new_digest(), b = new_digest(), c = new_digest(), d = new_digest();
  table.insert(a, {5, 100'000, 1'000, /*passwords_set=*/true, /*pledged=*/false});
  table.insert(b, {5, 100'000, 1'000, true, false});
  table.insert(c, {6, 100'000, 1'000, false, false});
  table.insert(d, {7, 100'000, 1'000, true, true});
  EXPECT_EQ(table.unsettled_candidates(100), (std::vector<std::int64_t>{5, 6}));
  EXPECT_EQ(table.unsettled_candidates(1).size(), 1u);
  table.mark_pledged(5);
  EXPECT_EQ(table.unsettled_candidates(100), (std::vector<std::int64_t>{6}));
}

TEST(session_sync, every_remembered_save_password_can_be_forgotten_at_once) {
  session_table table(1200);
  const auto memo = session_table::memo_of("save-password");
  std::vector<token_digest> tokens;
  for (std::int64_t candidate : {5, 6}) {
    tokens.push_back(new_digest());
    table.insert(tokens.back(), {candidate, 100'000, 1'000});
    table.remember_save_password(tokens.back(), memo, 5'000);
  }
  table.forget_all_save_passwords();
  for (const auto& t : tokens) EXPECT_FALSE(table.recalls_save_password(t, memo, 1'001));
}

}  // namespace
}  // namespace zhiyuan::server
