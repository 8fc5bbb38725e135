#include "core/time.hpp"

#include <gtest/gtest.h>

namespace zhiyuan::core {
namespace {

TEST(time_test, parses_offsets_to_the_same_instant) {
  // 2023-06-29T00:00:00Z is 19537 days after the epoch.
  const unix_seconds utc = 19537LL * 86400;
  EXPECT_EQ(*parse_rfc3339("2023-06-29T00:00:00Z"), utc);
  EXPECT_EQ(*parse_rfc3339("2023-06-29T08:00:00+08:00"), utc);
  EXPECT_EQ(*parse_rfc3339("2023-06-28T19:30:00-04:30"), utc);
  EXPECT_EQ(*parse_rfc3339("2023-06-29t00:00:00z"), utc);
  EXPECT_EQ(*parse_rfc3339("2023-06-29 08:00:00+08:00"), utc);
  EXPECT_EQ(*parse_rfc3339("2023-06-29T08:00:00.999+08:00"), utc);
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_rfc3339("1970-01-01T08:00:00+08:00"), 0);
}

TEST(time_test, seconds_are_exact) {
  const unix_seconds close = *parse_rfc3339("2023-07-02T17:00:00+08:00");
  EXPECT_EQ(*parse_rfc3339("2023-07-02T16:59:59+08:00"), close - 1);
  EXPECT_EQ(*parse_rfc3339("2023-07-03T00:00:00+08:00") - close, 7 * 3600);
}

TEST(time_test, leap_years) {
  EXPECT_TRUE(parse_rfc3339("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z"));
  EXPECT_EQ(*parse_rfc3339("2024-03-01T00:00:00Z") - *parse_rfc3339("2024-02-28T00:00:00Z"),
            2 * 86400);
}

TEST(time_test, rejects_malformed_text) {
  for (const char* bad :
       {"", "2023-06-29", "2023-06-29T08:00:00", "2023-06-29T08:00+08:00", "2023-13-01T00:00:00Z",
        "2023-00-01T00:00:00Z", "2023-06-31T00:00:00Z", "2023-06-29T24:00:00Z",
        "2023-06-29T23:60:00Z", "2023-06-29T23:59:60Z", "2023-06-29T08:00:00+0800",
        "2023-06-29T08:00:00+08", "2023-06-29T08:00:00+24:00", "2023-06-29T08:00:00.+08:00",
        "2023-06-29T08:00:00Z ", "2023/06/29T08:00:00Z", "２023-06-29T08:00:00Z",
        "2023-06-29X08:00:00Z"}) {
    auto r = parse_rfc3339(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, errc::invalid_field);
    }
  }
}

TEST(time_test, format_round_trips) {
  for (const char* text : {"2023-06-29T08:00:00+08:00", "1999-12-31T23:59:59+08:00",
                           "2024-02-29T00:00:01+08:00", "1970-01-01T08:00:00+08:00"}) {
    EXPECT_EQ(format_rfc3339(*parse_rfc3339(text)), text);
  }
  EXPECT_EQ(format_rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(format_rfc3339(0, -5 * 3600), "1969-12-31T19:00:00-05:00");
}

TEST(time_test, utc_micros_keep_every_digit) {
  // 2023-07-02T08:59:59Z is the second before 本科批 closes (17:00 CST).
  const std::int64_t close = *parse_rfc3339("2023-07-02T17:00:00+08:00");
  EXPECT_EQ(format_utc_micros((close - 1) * 1'000'000 + 120'004), "2023-07-02T08:59:59.120004Z");
  EXPECT_EQ(format_utc_micros(close * 1'000'000), "2023-07-02T09:00:00.000000Z");
  EXPECT_EQ(format_utc_micros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_utc_micros(-1), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace zhiyuan::core
