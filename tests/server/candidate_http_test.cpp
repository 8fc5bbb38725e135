#include "server/candidate_http.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::server {
namespace {

TEST(candidate_http, query_parameters_are_percent_decoded) {
  EXPECT_EQ(query_param("batch=undergrad&q=%E6%B9%96+x", "q").value, "湖 x");
  EXPECT_TRUE(query_param("a=1&b", "b").present);
  EXPECT_FALSE(query_param("a=1", "b").present);
  EXPECT_EQ(query_param("a=1&a=2", "a").value, "1");  // the first counts
  EXPECT_TRUE(query_param("q=%zz", "q").malformed);
  EXPECT_TRUE(query_param("q=%E6%B9", "q").malformed);  // truncated UTF-8
  EXPECT_TRUE(query_param("q=a%00b", "q").malformed);
}

TEST(candidate_http, header_text_is_cleaned_and_cut_on_a_character) {
  EXPECT_EQ(clean_header_text("Mozilla/5.0", 256), "Mozilla/5.0");
  EXPECT_EQ(clean_header_text("a\xff"
                              "b\x01"
                              "c",
                              256),
            "a?b?c");
  EXPECT_EQ(clean_header_text("湖南", 256), "湖南");
  EXPECT_EQ(clean_header_text("湖南", 5), "湖");  // never half a character
  EXPECT_EQ(clean_header_text("abcdef", 3), "abc");
  EXPECT_EQ(clean_header_text("ab\xff\xff\xff", 3), "ab?");
  EXPECT_EQ(clean_header_text("", 10), "");
}

}  // namespace
}  // namespace zhiyuan::server
