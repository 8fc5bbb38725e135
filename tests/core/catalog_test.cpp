#include "core/catalog.hpp"

#include <gtest/gtest.h>

#include "tests/core/fixtures.hpp"

namespace zhiyuan::core {
namespace {

using testing::major_of;

TEST(catalog_test, lookups) {
  const auto cat = testing::test_catalog();
  const major_group* g = cat->find_group(testing::g_chem_bio);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->id, testing::g_chem_bio);
  EXPECT_EQ(cat->find_group(424242), nullptr);
  ASSERT_NE(cat->find_college("1002"), nullptr);
  EXPECT_EQ(cat->find_college("1002")->name, "中南大学");
  EXPECT_EQ(cat->find_college("9999"), nullptr);

  const auto ms = cat->majors_of(testing::g_chem_bio);
  ASSERT_EQ(ms.size(), static_cast<std::size_t>(testing::majors_per_group));
  for (const major& m : ms) EXPECT_EQ(m.group, testing::g_chem_bio);
  for (std::size_t i = 1; i < ms.size(); ++i) EXPECT_LT(ms[i - 1].code, ms[i].code);
  EXPECT_TRUE(cat->majors_of(424242).empty());
  EXPECT_TRUE(cat->group_has_major(*g, major_of(testing::g_chem_bio, 8)));
  EXPECT_FALSE(cat->group_has_major(*g, major_of(testing::g_chem_bio, 9)));
  EXPECT_FALSE(cat->group_has_major(*g, major_of(testing::g_chem, 1)));

  std::size_t total = 0;
  for (batch b : all_batches) {
    for (const major_group& x : cat->groups_in(b)) {
      EXPECT_EQ(x.b, b);
      EXPECT_EQ(cat->find_group(x.id), &x);
    }
    total += cat->groups_in(b).size();
  }
  EXPECT_EQ(total, cat->groups().size());
  EXPECT_EQ(cat->groups_in(batch::early_undergrad).size(), 1u);
  EXPECT_EQ(cat->groups_in(batch::early_vocational).size(), 0u);
}

// Ids far apart take the binary-search path, compact ones the direct table; both must agree.
TEST(catalog_test, find_group_with_sparse_and_compact_ids) {
  for (const std::vector<group_id>& ids :
       {std::vector<group_id>{-9'000'000'000'000'000'000, -5, 3, 1'000'000'000,
                              9'000'000'000'000'000'000},
        std::vector<group_id>{500, 502, 504, 510, 600}}) {
    std::vector<major_group> groups;
    for (group_id id : ids) {
      groups.push_back(
          {id, "1001", "1", batch::undergrad, track::physics, category::regular, {}, 1, false});
    }
    auto cat = catalog::build({{"1001", "A", "", ""}}, groups, {});
    ASSERT_TRUE(cat);
    for (group_id id : ids) {
      ASSERT_NE((*cat)->find_group(id), nullptr) << id;
      EXPECT_EQ((*cat)->find_group(id)->id, id);
      EXPECT_EQ((*cat)->find_group(id + 1), nullptr) << id + 1;
    }
    EXPECT_EQ((*cat)->find_group(ids.front() - 1), nullptr);
    EXPECT_EQ((*cat)->find_group(0), nullptr);
  }
}

TEST(catalog_test, subject_requirement_missing) {
  using fr = first_requirement;
  using sr = second_requirement;
  const subject_set chem_bio = {subject::chemistry, subject::biology};
  const subject_set pol_geo = {subject::politics, subject::geography};
  struct c {
    subject_requirement r;
    subject_set held;
    subject_set missing;
  };
  for (const c& k : std::vector<c>{
           {{fr::either, sr::none}, {}, {}},
           {{fr::either, sr::one, subject::chemistry}, chem_bio, {}},
           {{fr::either, sr::one, subject::chemistry}, pol_geo, {subject::chemistry}},
           {{fr::either, sr::both, subject::chemistry, subject::biology}, chem_bio, {}},
           {{fr::either, sr::both, subject::chemistry, subject::politics},
            chem_bio,
            {subject::politics}},
           {{fr::either, sr::both, subject::chemistry, subject::biology}, pol_geo, chem_bio},
           {{fr::either, sr::either, subject::chemistry, subject::politics}, chem_bio, {}},
           {{fr::either, sr::either, subject::chemistry, subject::politics}, pol_geo, {}},
           {{fr::either, sr::either, subject::chemistry, subject::biology}, pol_geo, chem_bio},
       }) {
    EXPECT_EQ(k.r.missing(k.held), k.missing);
  }
  EXPECT_TRUE(subject_requirement{fr::physics}.first_met(track::physics));
  EXPECT_FALSE(subject_requirement{fr::physics}.first_met(track::history));
  EXPECT_TRUE(subject_requirement{fr::either}.first_met(track::history));
}

TEST(catalog_test, build_rejects_inconsistent_rows) {
  const auto colleges = [] { return std::vector<college>{{"1001", "A", "湖南", "公办本科"}}; };
  const auto group = [](group_id id, std::string college) {
    return major_group{
        id,   std::move(college), "1", batch::undergrad, track::physics, category::regular, {}, 1,
        false};
  };
  EXPECT_TRUE(catalog::build(colleges(), {group(1, "1001")}, {{10, 1, "01", "x", 1, 4, 0}}));
  EXPECT_FALSE(catalog::build({{"1001", "A", "", ""}, {"1001", "B", "", ""}}, {}, {}));
  EXPECT_FALSE(catalog::build(colleges(), {group(1, "1001"), group(1, "1001")}, {}));
  EXPECT_FALSE(catalog::build(colleges(), {group(1, "9999")}, {}));
  EXPECT_FALSE(catalog::build(colleges(), {group(1, "1001")}, {{10, 2, "01", "x", 1, 4, 0}}));
  EXPECT_FALSE(catalog::build(colleges(), {group(1, "1001")},
                              {{10, 1, "01", "x", 1, 4, 0}, {10, 1, "02", "y", 1, 4, 0}}));
  major_group history_only = group(2, "1001");
  history_only.requirement.first = first_requirement::history;  // Listed in the physics plan.
  EXPECT_FALSE(catalog::build(colleges(), {history_only}, {}));
}

}  // namespace
}  // namespace zhiyuan::core
