#include "server/schedule_config.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"
#include "server/config.hpp"

namespace zhiyuan::server {
namespace {

TEST(schedule_config, shipped_file_is_hunan_2023) {
  const core::schedule s = load_schedule(ZHIYUAN_SOURCE_DIR "/config/schedule.toml");
  EXPECT_EQ(s.year, 2023);
  const auto& ug = s.of(core::batch::undergrad);
  EXPECT_EQ(ug.formal.open, *core::parse_rfc3339("2023-06-29T08:00:00+08:00"));
  EXPECT_EQ(ug.formal.close, *core::parse_rfc3339("2023-07-02T17:00:00+08:00"));
  ASSERT_TRUE(ug.special.has_value());
  EXPECT_FALSE(s.of(core::batch::vocational).special.has_value());
  EXPECT_EQ(s.supplementary.size(), 7u);
}

std::string minimal(std::string_view extra_batch_line = "") {
  std::string t = R"(year = 2023
assisted_open = "2023-06-22T08:00:00+08:00"
confirm_deadline = "2023-06-25T08:00:00+08:00"
[drill]
open = "2023-06-13T08:00:00+08:00"
close = "2023-06-19T17:00:00+08:00"
[batches.early_undergrad]
formal_open = "2023-06-26T08:00:00+08:00"
formal_close = "2023-06-27T17:00:00+08:00"
[batches.early_vocational]
formal_open = "2023-06-29T08:00:00+08:00"
formal_close = "2023-07-02T17:00:00+08:00"
[batches.vocational]
formal_open = "2023-08-06T08:00:00+08:00"
formal_close = "2023-08-08T17:00:00+08:00"
[batches.undergrad]
formal_open = "2023-06-29T08:00:00+08:00"
)";
  t += extra_batch_line;
  return t;
}

std::string error_key(const std::string& text) {
  try {
    parse_schedule(text, "t.toml");
  } catch (const config_error& e) {
    return e.key();
  }
  return "accepted";
}

TEST(schedule_config, errors_name_the_key) {
  EXPECT_EQ(error_key(minimal("formal_close = \"2023-07-02T17:00:00+08:00\"\n")), "accepted");
  EXPECT_EQ(error_key(minimal()), "schedule.batches.undergrad.formal_close");
  EXPECT_EQ(error_key(minimal("formal_close = \"2023-06-28T17:00:00+08:00\"\n")),
            "schedule.batches.undergrad.formal_close");
  EXPECT_EQ(error_key(minimal("formal_close = \"tomorrow\"\n")),
            "schedule.batches.undergrad.formal_close");
  EXPECT_EQ(error_key(minimal("formal_close = \"2023-07-02T17:00:00+08:00\"\n[batches.x]\n")),
            "schedule.batches.x");
}

// 分时段填报 slots: read from the file, shown to offices in the schedule's JSON and read back
// from it (PUT /api/v1/admin/schedule) unchanged; a bad slot names its key.
TEST(schedule_config, slots_round_trip_and_errors_name_the_key) {
  const std::string close = "formal_close = \"2023-07-02T17:00:00+08:00\"\n";
  const std::string slot =
      "[[batches.undergrad.slots]]\nopen = \"2023-06-30T08:00:00+08:00\"\n"
      "close = \"2023-07-01T17:00:00+08:00\"\nmin_score = 600\n"
      "cities = [\"4301\", \"4302\"]\n";
  const core::schedule s = parse_schedule(minimal(close + slot), "t.toml");
  const auto& slots = s.of(core::batch::undergrad).slots;
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].when.open, *core::parse_rfc3339("2023-06-30T08:00:00+08:00"));
  EXPECT_EQ(slots[0].min_score, 600);
  EXPECT_EQ(slots[0].max_score, 750);
  EXPECT_EQ(slots[0].cities, (std::vector<std::string>{"4301", "4302"}));
  const std::string json = schedule_to_json(s);
  EXPECT_NE(json.find("\"slots\":[{\"open\":"), std::string::npos) << json;
  std::vector<core::schedule_issue> issues;
  const core::schedule back = schedule_from_json(json, issues);
  EXPECT_TRUE(issues.empty()) << (issues.empty() ? "" : issues[0].field);
  EXPECT_EQ(back.of(core::batch::undergrad).slots, slots);
  EXPECT_EQ(error_key(minimal(close + slot + "max_score = 9999\n")),
            "schedule.batches.undergrad.slots[0].max_score");
  EXPECT_EQ(error_key(minimal(close + "[[batches.undergrad.slots]]\nopen = \"x\"\n")),
            "schedule.batches.undergrad.slots[0].open");
}

}  // namespace
}  // namespace zhiyuan::server
