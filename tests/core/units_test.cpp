#include "core/units.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace zhiyuan::core {
namespace {

// Province 1 › cities 10, 20 › counties 11, 12 (in 10), 21 (in 20) › schools.
std::vector<unit_row> rows() {
  using L = unit_level;
  return {
      {101, 11, L::school, "43010101", "长沙市一中"},
      {1, 0, L::province, "43", "湖南省"},
      {10, 1, L::city, "4301", "长沙市"},
      {11, 10, L::county, "430102", "芙蓉区"},
      {12, 10, L::county, "430103", "天心区"},
      {102, 11, L::school, "43010102", "雅礼中学"},
      {121, 12, L::school, "43010301", "明德中学"},
      {20, 1, L::city, "4302", "株洲市"},
      {21, 20, L::county, "430202", "荷塘区"},
      {211, 21, L::school, "43020201", "株洲二中"},
      {13, 10, L::school, "430199", "市直属中学"},  // A school directly under a city.
  };
}

TEST(units_test, inside_follows_the_tree) {
  auto t = unit_tree::build(rows());
  ASSERT_TRUE(t) << t.error().detail;
  struct c {
    unit_id x, u;
    bool want;
  };
  for (const c& k : std::vector<c>{{101, 1, true},
                                   {101, 10, true},
                                   {101, 11, true},
                                   {101, 101, true},
                                   {101, 12, false},
                                   {101, 20, false},
                                   {101, 102, false},
                                   {211, 20, true},
                                   {211, 10, false},
                                   {10, 101, false},
                                   {1, 1, true},
                                   {13, 10, true},
                                   {13, 11, false},
                                   {121, 12, true},
                                   {999, 1, false},
                                   {101, 999, false}}) {
    EXPECT_EQ(t->inside(k.x, k.u), k.want) << k.x << " in " << k.u;
  }
  EXPECT_EQ(t->root().id, 1);
  EXPECT_EQ(t->size(), rows().size());
  ASSERT_NE(t->find(11), nullptr);
  EXPECT_EQ(t->find(11)->name, "芙蓉区");
  EXPECT_EQ(t->find(11)->hi - t->find(11)->lo, 2u);  // Itself plus two schools.
}

TEST(units_test, rejects_broken_trees) {
  using L = unit_level;
  auto dup = rows();
  dup.push_back({11, 10, L::county, "x", "dup"});
  EXPECT_FALSE(unit_tree::build(dup));
  auto orphan = rows();
  orphan.push_back({500, 77, L::school, "x", "orphan"});
  EXPECT_FALSE(unit_tree::build(orphan));
  auto two_roots = rows();
  two_roots.push_back({2, 0, L::province, "44", "广东省"});
  EXPECT_FALSE(unit_tree::build(two_roots));
  auto upside_down = rows();
  upside_down.push_back({600, 101, L::county, "x", "under a school"});
  EXPECT_FALSE(unit_tree::build(upside_down));
  EXPECT_FALSE(unit_tree::build({}));
  EXPECT_FALSE(unit_tree::build({{1, 0, L::city, "4301", "not a province"}}));
}

// Randomised: interval containment agrees with walking parent links.
TEST(units_test, intervals_agree_with_parent_walk) {
  std::mt19937 rng(122);
  std::vector<unit_row> rs = {{1, 0, unit_level::province, "43", "湖南省"}};
  std::vector<unit_id> cities, counties;
  for (int i = 0; i < 14; ++i) {
    rs.push_back({100 + i, 1, unit_level::city, "", ""});
    cities.push_back(100 + i);
  }
  for (int i = 0; i < 122; ++i) {
    rs.push_back({1000 + i, cities[rng() % cities.size()], unit_level::county, "", ""});
    counties.push_back(1000 + i);
  }
  for (int i = 0; i < 800; ++i) {
    rs.push_back({10000 + i, counties[rng() % counties.size()], unit_level::school, "", ""});
  }
  std::shuffle(rs.begin(), rs.end(), rng);
  auto t = unit_tree::build(rs);
  ASSERT_TRUE(t);
  const auto walk_inside = [&](unit_id x, unit_id u) {
    for (unit_id cur = x; cur != 0; cur = t->find(cur)->parent) {
      if (cur == u) return true;
    }
    return false;
  };
  for (int i = 0; i < 5000; ++i) {
    const unit_id x = rs[rng() % rs.size()].id, u = rs[rng() % rs.size()].id;
    EXPECT_EQ(t->inside(x, u), walk_inside(x, u)) << x << " " << u;
  }
}

}  // namespace
}  // namespace zhiyuan::core
