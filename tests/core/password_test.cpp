#include "core/password.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace zhiyuan::core {
namespace {

const common_passwords& shipped_list() {
  static const common_passwords list = [] {
    std::ifstream in(ZHIYUAN_CONFIG_DIR "/common-passwords.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    return common_passwords::parse(ss.str());
  }();
  return list;
}

TEST(password_test, shipped_list_holds_the_usual_suspects) {
  const common_passwords& list = shipped_list();
  EXPECT_GE(list.size(), 200u);
  for (const char* w : {"12345678", "password", "qwerty123", "a1234567", "88888888", "1qaz2wsx",
                        "woaini1314", "PASSWORD", "Password1"}) {
    EXPECT_TRUE(list.contains(w)) << w;
  }
  EXPECT_FALSE(list.contains("Xq7#tLm2pR"));
}

TEST(password_test, parse_skips_comments_and_trims) {
  const auto l = common_passwords::parse("# comment\n  Foo12345 \r\n\n\tbar\n#baz99999\nqux");
  EXPECT_EQ(l.size(), 3u);
  EXPECT_TRUE(l.contains("foo12345"));
  EXPECT_TRUE(l.contains("BAR"));
  EXPECT_TRUE(l.contains("qux"));
  EXPECT_FALSE(l.contains("baz99999"));
  EXPECT_FALSE(l.contains("# comment"));
}

TEST(password_test, each_rule) {
  password_context ctx;
  ctx.exam_number = "23430102150001";
  ctx.id_number = "430102200501011234";
  ctx.common = &shipped_list();
  ctx.other_password = "Login#2023x";
  struct c {
    const char* pw;
    password_rule want;
  };
  using R = password_rule;
  for (const c& k : std::vector<c>{
           {"Xq7#tLm2", R::ok},
           {"Xq7#tLm2pR9!aB3z", R::ok},         // 16 characters.
           {"Xq7#tLm", R::too_short},           // 7.
           {"Xq7#tLm2pR9!aB3zZ", R::too_long},  // 17.
           {"Xq7 tLm2pR", R::invalid_character},
           {"Xq7中tLm2", R::invalid_character},
           {"abcdefghXY", R::single_class},
           {"9274018365", R::single_class},
           {"!@#$%^&*()", R::single_class},
           {"zkq!@#$%", R::ok},  // Letters and symbols are two classes.
           {"a1234567", R::common},
           {"A1234567", R::common},
           {"qwerty123", R::common},
           {"ab20050101", R::contains_birth_date},
           {"ab050101x", R::contains_birth_date},
           {"x01012005y", R::contains_birth_date},
           {"q4301029z", R::contains_id_fragment},  // "430102" from the ID.
           {"k011234mm", R::contains_id_fragment},  // Its tail "011234".
           {"m0215000", R::contains_exam_number},   // "021500" from the exam number.
           {"e150001ab", R::contains_exam_number},
           {"r43010k2", R::ok},  // Only 5 consecutive digits of the ID.
           {"Login#2023x", R::same_as_other},
       }) {
    EXPECT_EQ(check_password(k.pw, ctx), k.want)
        << k.pw << " got " << to_code(check_password(k.pw, ctx));
  }
}

TEST(password_test, id_with_x_and_empty_context) {
  password_context ctx;
  ctx.id_number = "43010220050101123X";
  EXPECT_EQ(check_password("ab0101123xq", ctx), password_rule::contains_id_fragment);
  // Without a list, ID or other password only the shape rules apply.
  EXPECT_EQ(check_password("a1234567", password_context{}), password_rule::ok);
}

TEST(password_test, codes_and_messages) {
  std::vector<std::string_view> codes;
  for (int i = 0; i <= static_cast<int>(password_rule::same_as_other); ++i) {
    const auto r = static_cast<password_rule>(i);
    codes.push_back(to_code(r));
    EXPECT_FALSE(message_zh(r).empty());
    EXPECT_FALSE(message_en(r).empty());
  }
  std::sort(codes.begin(), codes.end());
  EXPECT_EQ(std::adjacent_find(codes.begin(), codes.end()), codes.end());
}

}  // namespace
}  // namespace zhiyuan::core
