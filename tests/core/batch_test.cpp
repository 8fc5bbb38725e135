#include "core/batch.hpp"

#include <gtest/gtest.h>

#include "core/subjects.hpp"

namespace zhiyuan::core {
namespace {

TEST(batch_test, codes_and_names) {
  EXPECT_EQ(to_code(batch::early_undergrad), "early_undergrad");
  EXPECT_EQ(to_code(batch::undergrad), "undergrad");
  EXPECT_EQ(to_code(batch::early_vocational), "early_vocational");
  EXPECT_EQ(to_code(batch::vocational), "vocational");
  EXPECT_EQ(name_zh(batch::early_undergrad), "本科提前批");
  EXPECT_EQ(name_zh(batch::undergrad), "本科批");
  EXPECT_EQ(name_zh(batch::early_vocational), "专科提前批");
  EXPECT_EQ(name_zh(batch::vocational), "高职专科批");
  for (batch b : all_batches) EXPECT_EQ(parse_batch(to_code(b)), b);
  EXPECT_EQ(parse_batch("Undergrad"), std::nullopt);
}

TEST(batch_test, hunan_2022_limits) {
  const auto l = default_batch_limits();
  EXPECT_EQ(l[index_of(batch::early_undergrad)].max_groups, 30);
  EXPECT_EQ(l[index_of(batch::undergrad)].max_groups, 45);
  EXPECT_EQ(l[index_of(batch::undergrad)].special_slots, 1);
  EXPECT_EQ(l[index_of(batch::early_vocational)].max_groups, 30);
  EXPECT_EQ(l[index_of(batch::vocational)].max_groups, 30);
  for (batch b : all_batches) {
    EXPECT_EQ(l[index_of(b)].max_majors, 6);
    if (b != batch::undergrad) {
      EXPECT_EQ(l[index_of(b)].special_slots, 0);
    }
  }
}

TEST(batch_test, sets) {
  batch_set s = {batch::undergrad};
  EXPECT_TRUE(s.contains(batch::undergrad));
  EXPECT_FALSE(s.contains(batch::vocational));
  s.insert(batch::vocational);
  EXPECT_TRUE(s.contains(batch::vocational));
  EXPECT_EQ(batch_set::from_bits(s.bits()), s);
  subject_set t = {subject::chemistry, subject::geography};
  EXPECT_EQ(t.size(), 2);
  EXPECT_TRUE(t.contains(subject::geography));
  t.erase(subject::geography);
  EXPECT_EQ(t, subject_set{subject::chemistry});
  for (subject x : all_subjects) EXPECT_EQ(parse_subject(to_code(x)), x);
  EXPECT_EQ(parse_track("physics"), track::physics);
  EXPECT_EQ(parse_category("arts"), category::arts);
  EXPECT_EQ(name_zh(subject::politics), "思想政治");
}

}  // namespace
}  // namespace zhiyuan::core
