#include "core/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zhiyuan::core {
namespace {

TEST(text, strict_utf8) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("ascii"));
  EXPECT_TRUE(valid_utf8("湖南 冲稳保 😀"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe6\xb9"));          // truncated
  EXPECT_FALSE(valid_utf8("\x80"));              // stray continuation
}

TEST(text, clean_text_refuses_controls) {
  EXPECT_TRUE(clean_text("麓山南路 2 号"));
  EXPECT_FALSE(clean_text(std::string("a\0b", 3)));
  EXPECT_FALSE(clean_text("a\tb"));
  EXPECT_FALSE(clean_text("a\x7f"));
  EXPECT_FALSE(clean_text("a\xc2\x85"));  // NEL, a C1 control
}

TEST(text, code_points_in_order_and_early_stop) {
  std::u32string seen;
  EXPECT_TRUE(for_each_code_point("a湖", [&](std::uint32_t cp) {
    seen += static_cast<char32_t>(cp);
    return true;
  }));
  EXPECT_EQ(seen, U"a湖");
  int calls = 0;
  EXPECT_FALSE(for_each_code_point("abc", [&](std::uint32_t) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace zhiyuan::core
