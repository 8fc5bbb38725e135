#include "core/choices.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace zhiyuan::core {
namespace {

TEST(canonical_encoding_test, documented_example) {
  const choice_list cs = {{1001, {11, 12}, true, false}, {2050, {}, false, true}};
  EXPECT_EQ(canonical_encoding(cs), "g1001:11,12;a1|s2050:;a0");
}

TEST(canonical_encoding_test, empty_list_is_empty_string) {
  EXPECT_EQ(canonical_encoding(choice_list{}), "");
  auto r = decode_canonical("");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST(canonical_encoding_test, append_keeps_existing_content) {
  std::string buf = "v1|";
  append_canonical(choice_list{{7, {1}, false, false}}, buf);
  EXPECT_EQ(buf, "v1|g7:1;a0");
}

TEST(canonical_encoding_test, every_field_changes_the_encoding) {
  const group_choice base{1001, {11, 12}, true, false};
  const std::string e = canonical_encoding(choice_list{base});
  group_choice c = base;
  c.group = 1002;
  EXPECT_NE(canonical_encoding(choice_list{c}), e);
  c = base;
  c.majors.push_back(13);
  EXPECT_NE(canonical_encoding(choice_list{c}), e);
  c = base;
  c.accept_adjustment = false;
  EXPECT_NE(canonical_encoding(choice_list{c}), e);
  c = base;
  c.special = true;
  EXPECT_NE(canonical_encoding(choice_list{c}), e);
}

choice_list random_list(std::mt19937& rng) {
  std::uniform_int_distribution<int> n(0, 46), m(0, 7), flag(0, 1);
  std::uniform_int_distribution<std::int64_t> id(-5, 9'999'999'999LL);
  choice_list out(static_cast<std::size_t>(n(rng)));
  for (group_choice& c : out) {
    c.group = id(rng);
    c.majors.resize(static_cast<std::size_t>(m(rng)));
    for (major_id& x : c.majors) x = id(rng);
    c.accept_adjustment = flag(rng) == 1;
    c.special = flag(rng) == 1;
  }
  return out;
}

TEST(canonical_encoding_test, round_trips) {
  std::mt19937 rng(42);
  for (int i = 0; i < 500; ++i) {
    const choice_list cs = random_list(rng);
    const std::string e = canonical_encoding(cs);
    auto back = decode_canonical(e);
    ASSERT_TRUE(back) << e;
    EXPECT_EQ(*back, cs) << e;
  }
}

TEST(canonical_encoding_test, swapping_distinct_choices_changes_it) {
  std::mt19937 rng(1);
  for (int i = 0; i < 300; ++i) {
    choice_list cs = random_list(rng);
    if (cs.size() < 2) continue;
    std::uniform_int_distribution<std::size_t> pos(0, cs.size() - 1);
    const std::size_t a = pos(rng), b = pos(rng);
    if (cs[a] == cs[b]) continue;
    const std::string before = canonical_encoding(cs);
    std::swap(cs[a], cs[b]);
    EXPECT_NE(canonical_encoding(cs), before);
  }
}

TEST(canonical_encoding_test, swapping_majors_changes_it) {
  choice_list cs = {{1, {5, 6}, true, false}};
  const std::string before = canonical_encoding(cs);
  std::swap(cs[0].majors[0], cs[0].majors[1]);
  EXPECT_NE(canonical_encoding(cs), before);
}

TEST(canonical_encoding_test, rejects_non_canonical_text) {
  for (const char* bad :
       {"g", "g1", "g1:", "g1:;a", "g1:;a2", "x1:;a0", "g01:;a0", "g1:02;a0", "g-0:;a0", "g+1:;a0",
        "g1: 2;a0", "g1:2,;a0", "g1:,2;a0", "g1:;a0|", "|g1:;a0", "g1:;a0g2:;a0", "g1:;a1 ",
        "g1:2;a0;a1", "g99999999999999999999:;a0"}) {
    EXPECT_FALSE(decode_canonical(bad)) << bad;
  }
}

}  // namespace
}  // namespace zhiyuan::core
