#include "core/scope.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

unit_tree tree() {
  using L = unit_level;
  auto t = unit_tree::build({{1, 0, L::province, "43", "湖南省"},
                             {10, 1, L::city, "4301", "长沙市"},
                             {11, 10, L::county, "430102", "芙蓉区"},
                             {101, 11, L::school, "43010101", "长沙市一中"},
                             {20, 1, L::city, "4302", "株洲市"},
                             {21, 20, L::county, "430202", "荷塘区"},
                             {211, 21, L::school, "43020201", "株洲二中"}});
  return std::move(t.value());
}

TEST(scope_test, admins_see_candidates_of_their_subtree_only) {
  const unit_tree t = tree();
  candidate c;
  c.school = 101;
  struct k {
    unit_id admin;
    bool want;
  };
  for (const k& x : {k{1, true}, k{10, true}, k{11, true}, k{101, true}, k{20, false}, k{21, false},
                     k{211, false}, k{999, false}}) {
    EXPECT_EQ(may_view(t, x.admin, c), x.want) << x.admin;
    EXPECT_EQ(may_view(t, scope_of(t, x.admin), c), x.want) << x.admin;
  }
  c.school = 999;  // Unknown school: nobody, not even the province.
  EXPECT_FALSE(may_view(t, 1, c));
  EXPECT_FALSE(may_view(t, scope_of(t, 1), c));
  EXPECT_TRUE(scope_of(t, 999).empty());
}

}  // namespace
}  // namespace zhiyuan::core
