#include "server/http/router.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::server {
namespace {

route_spec route(http::verb m, std::string pattern) {
  return {m, std::move(pattern), sync_handler([](request_context&) {}), {}};
}

router sample() {
  return router({route(http::verb::get, "/livez"), route(http::verb::get, "/api/v1/drafts/{batch}"),
                 route(http::verb::put, "/api/v1/drafts/{batch}"),
                 route(http::verb::delete_, "/api/v1/favorites/{kind}/{id}"),
                 route(http::verb::get, "/api/v1/favorites")});
}

TEST(router, matches_literal_path) {
  auto r = sample();
  auto m = r.match(http::verb::get, "/livez");
  ASSERT_EQ(m.outcome, route_match::kind::found);
  EXPECT_EQ(r.routes()[m.index].pattern, "/livez");
}

TEST(router, extracts_parameters_by_name) {
  auto r = sample();
  auto m = r.match(http::verb::delete_, "/api/v1/favorites/group/1234");
  ASSERT_EQ(m.outcome, route_match::kind::found);
  EXPECT_EQ(m.params.get("kind"), "group");
  EXPECT_EQ(m.params.get("id"), "1234");
  EXPECT_EQ(m.params.get("nope"), "");
}

TEST(router, picks_route_by_method) {
  auto r = sample();
  auto get = r.match(http::verb::get, "/api/v1/drafts/undergrad");
  auto put = r.match(http::verb::put, "/api/v1/drafts/undergrad");
  ASSERT_EQ(get.outcome, route_match::kind::found);
  ASSERT_EQ(put.outcome, route_match::kind::found);
  EXPECT_NE(get.index, put.index);
}

struct miss_case {
  const char* path;
};

class router_not_found : public ::testing::TestWithParam<miss_case> {};

TEST_P(router_not_found, unknown_paths_are_not_found) {
  auto r = sample();
  EXPECT_EQ(r.match(http::verb::get, GetParam().path).outcome, route_match::kind::not_found);
}

INSTANTIATE_TEST_SUITE_P(paths, router_not_found,
                         ::testing::Values(miss_case{"/"}, miss_case{"/livez/"},
                                           miss_case{"/livezz"}, miss_case{"/api/v1/drafts"},
                                           miss_case{"/api/v1/drafts/"},
                                           miss_case{"/api/v1/drafts/a/b"},
                                           miss_case{"/api/v1/favorites/group"}, miss_case{""}));

TEST(router, wrong_method_lists_allowed_methods_sorted) {
  auto r = sample();
  auto m = r.match(http::verb::post, "/api/v1/drafts/undergrad");
  ASSERT_EQ(m.outcome, route_match::kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, PUT");
}

TEST(router, a_rest_route_is_a_fallback_for_paths_no_other_pattern_matches) {
  router r({route(http::verb::get, "/{*path}"), route(http::verb::post, "/api/v1/auth/login"),
            route(http::verb::get, "/api/v1/favorites")});
  auto api = r.match(http::verb::get, "/api/v1/favorites");
  ASSERT_EQ(api.outcome, route_match::kind::found);
  EXPECT_EQ(r.routes()[api.index].pattern, "/api/v1/favorites");
  // A known path with another method stays a 405; the fallback does not take it.
  auto wrong = r.match(http::verb::get, "/api/v1/auth/login");
  EXPECT_EQ(wrong.outcome, route_match::kind::method_not_allowed);
  EXPECT_EQ(wrong.allow, "POST");
  auto deep = r.match(http::verb::get, "/me/draft/undergrad");
  ASSERT_EQ(deep.outcome, route_match::kind::found);
  EXPECT_EQ(deep.params.get("path"), "me/draft/undergrad");
  auto root = r.match(http::verb::get, "/");
  ASSERT_EQ(root.outcome, route_match::kind::found);
  EXPECT_EQ(root.params.get("path"), "");
  EXPECT_EQ(r.match(http::verb::put, "/x").outcome, route_match::kind::method_not_allowed);
  EXPECT_THROW(router({route(http::verb::get, "/{*a}/b")}), std::invalid_argument);
}

TEST(router, candidates_from_several_prefixes_are_tried_in_table_order) {
  // "/a/b" is found under two prefixes ("/a/" and "/a/b"): the route registered first wins.
  router param_first({route(http::verb::get, "/a/{x}"), route(http::verb::get, "/a/b")});
  EXPECT_EQ(param_first.match(http::verb::get, "/a/b").index, 0u);
  router literal_first({route(http::verb::get, "/a/b"), route(http::verb::get, "/a/{x}")});
  EXPECT_EQ(literal_first.match(http::verb::get, "/a/b").index, 0u);
  EXPECT_EQ(literal_first.match(http::verb::get, "/a/c").index, 1u);
  // Methods allowed are gathered across prefixes too.
  router split({route(http::verb::put, "/a/{x}"), route(http::verb::delete_, "/a/b")});
  EXPECT_EQ(split.match(http::verb::get, "/a/b").allow, "DELETE, PUT");
}

TEST(router, a_path_longer_than_every_prefix_still_reaches_the_fallback) {
  router r({route(http::verb::get, "/{*path}"), route(http::verb::get, "/api/v1/ping")});
  const std::string slashes(8000, '/');
  const auto m = r.match(http::verb::get, slashes);
  ASSERT_EQ(m.outcome, route_match::kind::found);
  EXPECT_EQ(m.index, 0u);
  EXPECT_EQ(m.params.get("path").size(), 7999u);
  EXPECT_EQ(r.match(http::verb::get, "/api/v1/ping").index, 1u);
  EXPECT_EQ(r.match(http::verb::get, "/api/v1/ping/").index, 0u);
}

TEST(router, a_prefix_shared_by_more_routes_than_the_index_holds_still_matches) {
  std::vector<route_spec> many;
  for (int i = 0; i < 200; ++i) {
    many.push_back(route(http::verb::get, "/p/{a}/x" + std::to_string(i)));
  }
  router r(std::move(many));
  const auto m = r.match(http::verb::get, "/p/1/x199");
  ASSERT_EQ(m.outcome, route_match::kind::found);
  EXPECT_EQ(m.index, 199u);
  EXPECT_EQ(m.params.get("a"), "1");
  EXPECT_EQ(r.match(http::verb::get, "/p/1/x200").outcome, route_match::kind::not_found);
}

TEST(router, rejects_bad_tables) {
  EXPECT_THROW(router({route(http::verb::get, "no-slash")}), std::invalid_argument);
  EXPECT_THROW(router({route(http::verb::get, "/a/b{c}")}), std::invalid_argument);
  EXPECT_THROW(router({route(http::verb::get, "/a"), route(http::verb::get, "/a")}),
               std::invalid_argument);
  EXPECT_THROW(router({route(http::verb::get, "/{a}/{b}/{c}/{d}/{e}")}), std::invalid_argument);
}

TEST(router, names_follow_method_and_pattern) {
  auto r = sample();
  EXPECT_EQ(r.names()[1], "GET /api/v1/drafts/{batch}");
}

}  // namespace
}  // namespace zhiyuan::server
