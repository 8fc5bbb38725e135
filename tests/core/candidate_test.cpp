#include "core/candidate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace zhiyuan::core {
namespace {

TEST(candidate_test, exam_number_is_14_digits) {
  EXPECT_TRUE(valid_exam_number("23430102150001"));
  EXPECT_TRUE(valid_exam_number("00000000000000"));
  for (const char* bad : {"", "2343010215000", "234301021500011", "2343010215000a",
                          "23430102 50001", "2343010215000１", "-3430102150001"}) {
    EXPECT_FALSE(valid_exam_number(bad)) << bad;
  }
}

TEST(candidate_test, id_number_checksum_and_date) {
  // 11010519491231002X is the standard's published example.
  EXPECT_TRUE(valid_id_number("11010519491231002X"));
  EXPECT_TRUE(valid_id_number("11010519491231002x"));
  EXPECT_FALSE(valid_id_number("110105194912310021"));  // Wrong check character.
  EXPECT_FALSE(valid_id_number("11010519491231002"));   // Too short.
  EXPECT_FALSE(valid_id_number("1101051949123100X2"));  // X not last.
  // Build IDs with a correct checksum around chosen birth dates.
  const auto with_check = [](std::string first17) {
    static constexpr int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += (first17[static_cast<std::size_t>(i)] - '0') * w[i];
    return first17 + "10X98765432"[sum % 11];
  };
  EXPECT_TRUE(valid_id_number(with_check("43010220050101123")));
  EXPECT_TRUE(valid_id_number(with_check("43010220040229123")));   // Leap day.
  EXPECT_FALSE(valid_id_number(with_check("43010220050229123")));  // Not a leap year.
  EXPECT_FALSE(valid_id_number(with_check("43010220051301123")));  // Month 13.
  EXPECT_FALSE(valid_id_number(with_check("43010220050100123")));  // Day 0.
}

TEST(candidate_test, masking) {
  struct c {
    const char* in;
    const char* id;
    const char* phone;
  };
  for (const c& k :
       std::vector<c>{{"430102200501011234", "4301**********1234", "430***********1234"},
                      {"43010220050101123X", "4301**********123X", "430***********123X"},
                      {"13812345678", "1381***5678", "138****5678"},
                      {"12345678", "********", "123*5678"},
                      {"1234567", "*******", "*******"},
                      {"", "", ""}}) {
    EXPECT_EQ(mask_id_number(k.in), k.id) << k.in;
    EXPECT_EQ(mask_phone(k.in), k.phone) << k.in;
  }
  // Nothing of the middle survives.
  const std::string m = mask_id_number("430102200501011234");
  EXPECT_EQ(m.find("20050101"), std::string::npos);
  // Non-ASCII input is masked entirely rather than cut inside a character.
  EXPECT_EQ(mask_phone("一二三四五"), std::string(15, '*'));
}

TEST(candidate_test, eligibility_from_control_lines) {
  // 2022 lines (unverified figures; only the shape matters here).
  const std::vector<control_line> lines = {
      {batch::early_undergrad, track::physics, category::regular, false, 414},
      {batch::undergrad, track::physics, category::regular, false, 414},
      {batch::undergrad, track::physics, category::regular, true, 506},
      {batch::early_vocational, track::physics, category::regular, false, 200},
      {batch::vocational, track::physics, category::regular, false, 200},
      {batch::undergrad, track::history, category::regular, false, 451},
      {batch::vocational, track::history, category::regular, false, 200},
      {batch::undergrad, track::physics, category::arts, false, 300},
  };
  const auto e = [&](int score, track t, category c) {
    return eligible_batches(score, t, c, lines);
  };
  const batch_set all = {batch::early_undergrad, batch::undergrad, batch::early_vocational,
                         batch::vocational};
  const batch_set voc = {batch::early_vocational, batch::vocational};
  EXPECT_EQ(e(506, track::physics, category::regular), (eligibility{all, true}));
  EXPECT_EQ(e(505, track::physics, category::regular), (eligibility{all, false}));
  EXPECT_EQ(e(414, track::physics, category::regular), (eligibility{all, false}));
  EXPECT_EQ(e(413, track::physics, category::regular), (eligibility{voc, false}));
  EXPECT_EQ(e(200, track::physics, category::regular), (eligibility{voc, false}));
  EXPECT_EQ(e(199, track::physics, category::regular), (eligibility{}));
  // Lines are per track: 450 passes the physics line but not the history one.
  EXPECT_EQ(e(450, track::history, category::regular), (eligibility{{batch::vocational}, false}));
  EXPECT_EQ(e(451, track::history, category::regular),
            (eligibility{{batch::undergrad, batch::vocational}, false}));
  // And per category.
  EXPECT_EQ(e(300, track::physics, category::arts), (eligibility{{batch::undergrad}, false}));
  EXPECT_EQ(e(700, track::physics, category::sports), (eligibility{}));
  // A special-type line alone does not open 本科批.
  const std::vector<control_line> special_only = {
      {batch::undergrad, track::physics, category::regular, true, 500}};
  EXPECT_EQ(eligible_batches(600, track::physics, category::regular, special_only),
            (eligibility{}));
}

}  // namespace
}  // namespace zhiyuan::core
