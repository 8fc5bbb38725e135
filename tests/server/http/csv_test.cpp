#include "server/http/csv.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::server {
namespace {

std::string field(std::string_view s, bool text = true) {
  std::string out;
  csv_field(out, s, text);
  return out;
}

TEST(csv, fields_are_quoted_only_when_needed) {
  EXPECT_EQ(field("湖南大学"), "湖南大学");
  EXPECT_EQ(field("a,b"), "\"a,b\"");
  EXPECT_EQ(field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(field(""), "");
}

TEST(csv, formulas_are_defused_in_text_only) {
  EXPECT_EQ(field("=1+1"), "'=1+1");
  EXPECT_EQ(field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(field("-3", /*text=*/false), "-3");
  EXPECT_EQ(field("=a,b"), "\"'=a,b\"");
}

}  // namespace
}  // namespace zhiyuan::server
