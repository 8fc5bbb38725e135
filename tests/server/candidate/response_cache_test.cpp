// The catalog's response cache: hits answer with the bytes or a 304, and the bounds evict the
// oldest entries first.
#include "server/candidate/catalog/response_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zhiyuan::server {
namespace {

// A request as a handler sees it, optionally holding If-None-Match.
struct fake_request {
  http_request req;
  response res;
  request_context ctx;

  explicit fake_request(std::string_view if_none_match = {})
      : ctx{req, "/x", "", {}, "rid", "", "", res} {
    if (!if_none_match.empty()) req.set(http::field::if_none_match, if_none_match);
  }
};

TEST(response_cache, a_hit_answers_with_the_bytes_and_the_etag) {
  response_cache cache;
  fake_request miss;
  EXPECT_FALSE(cache.serve("plans?a", miss.ctx));
  cache.put("plans?a", "t1", R"({"groups":[]})");
  fake_request hit;
  ASSERT_TRUE(cache.serve("plans?a", hit.ctx));
  EXPECT_EQ(hit.res.status, 200u);
  EXPECT_EQ(hit.res.body_bytes(), R"({"groups":[]})");
  ASSERT_EQ(hit.res.headers.size(), 1u);
  EXPECT_EQ(hit.res.headers[0].first, "ETag");
  EXPECT_EQ(hit.res.headers[0].second, "\"t1\"");
}

TEST(response_cache, a_held_etag_gets_a_304_without_a_body) {
  response_cache cache;
  cache.put("k", "t1", "body");
  fake_request held("\"t1\"");
  ASSERT_TRUE(cache.serve("k", held.ctx));
  EXPECT_EQ(held.res.status, 304u);
  EXPECT_TRUE(held.res.body_bytes().empty());
}

TEST(response_cache, the_first_response_under_a_key_stays) {
  response_cache cache;
  cache.put("k", "t1", "first");
  cache.put("k", "t2", "second");
  fake_request r;
  ASSERT_TRUE(cache.serve("k", r.ctx));
  EXPECT_EQ(r.res.body_bytes(), "first");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(response_cache, the_entry_bound_evicts_the_oldest_first) {
  response_cache cache(2, 1 << 20);
  cache.put("a", "t", "1");
  cache.put("b", "t", "2");
  cache.put("c", "t", "3");
  EXPECT_EQ(cache.size(), 2u);
  fake_request a, b, c;
  EXPECT_FALSE(cache.serve("a", a.ctx));
  EXPECT_TRUE(cache.serve("b", b.ctx));
  EXPECT_TRUE(cache.serve("c", c.ctx));
}

TEST(response_cache, the_byte_bound_counts_keys_tags_and_bodies) {
  // 128 bytes: each entry below is 1 + 1 + 30 = 32 bytes, so four fit and a fifth evicts one.
  response_cache cache(100, 128);
  const std::string body(30, 'x');
  for (const char* key : {"a", "b", "c", "d"}) cache.put(key, "t", body);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.bytes(), 128u);
  cache.put("e", "t", body);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.bytes(), 128u);
  fake_request a, e;
  EXPECT_FALSE(cache.serve("a", a.ctx));
  EXPECT_TRUE(cache.serve("e", e.ctx));
  // A response over a quarter of the bound (here 42 bytes) is not kept at all.
  cache.put("f", "t", std::string(40, 'y'));
  EXPECT_EQ(cache.size(), 4u);
  fake_request f;
  EXPECT_FALSE(cache.serve("f", f.ctx));
}

}  // namespace
}  // namespace zhiyuan::server
