#include "server/sessions.hpp"

#include <gtest/gtest.h>

#include <set>

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
  EXPECT_EQ(table.find(d, 1'500), std::optional<std::int64_t>(42));
  EXPECT_EQ(table.find(d, 2'600), std::optional<std::int64_t>(42));  // refreshed at 1500
  EXPECT_FALSE(table.find(d, 3'800));                                // idle 1200 s
  EXPECT_EQ(table.size(), 0u);

  table.insert(d, {42, 10'000, 9'500});
  EXPECT_FALSE(table.find(d, 10'000));  // absolute expiry, however recently used
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
