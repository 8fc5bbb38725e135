// Page tokens of the plan list: they round-trip, and resume only the query and the snapshot
// that issued them.
#include "server/candidate/catalog/page_token.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zhiyuan::server {
namespace {

TEST(page_token, round_trips_the_last_group) {
  const std::string t = encode_page_token(0x1234, 0xabcd, 987654321);
  EXPECT_EQ(t.size(), 34u);  // 25 bytes in unpadded base64url
  EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(decode_page_token(t, 0x1234, 0xabcd), 987654321);
}

TEST(page_token, resumes_only_its_query_and_snapshot) {
  const std::string t = encode_page_token(7, 9, 42);
  EXPECT_FALSE(decode_page_token(t, 8, 9));   // another snapshot
  EXPECT_FALSE(decode_page_token(t, 7, 10));  // another query
}

TEST(page_token, refuses_what_it_did_not_issue) {
  const std::string t = encode_page_token(7, 9, 42);
  for (const std::string& bad : {std::string(), std::string("abc"), t + "A", t.substr(1), t + "=",
                                 std::string(65, 'A'), std::string(t.size(), '!')}) {
    EXPECT_FALSE(decode_page_token(bad, 7, 9)) << bad;
  }
  // Another version byte.
  std::string other = t;
  other[0] = other[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(decode_page_token(other, 7, 9));
}

}  // namespace
}  // namespace zhiyuan::server
