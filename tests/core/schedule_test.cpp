#include "core/schedule.hpp"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/core/fixtures.hpp"

namespace zhiyuan::core {
namespace {

using testing::at;

struct schedule_case {
  const char* when;
  batch b;
  action a;
  deny_reason want;
  phase ph;
};

TEST(schedule_test, decides_to_the_second) {
  const schedule s = testing::hunan_2023();
  using B = batch;
  using A = action;
  using R = deny_reason;
  using P = phase;
  const std::vector<schedule_case> cases = {
      // Assisted filing: browse and favourites only.
      {"2023-06-22T07:59:59+08:00", B::undergrad, A::browse, R::not_open_yet, P::not_open},
      {"2023-06-22T08:00:00+08:00", B::undergrad, A::browse, R::ok, P::assisted},
      {"2023-06-22T08:00:00+08:00", B::undergrad, A::favourite, R::ok, P::assisted},
      {"2023-06-22T08:00:00+08:00", B::undergrad, A::save_draft, R::assisted_only, P::assisted},
      {"2023-06-28T12:00:00+08:00", B::undergrad, A::submit, R::assisted_only, P::assisted},
      {"2023-06-21T12:00:00+08:00", B::undergrad, A::submit, R::not_open_yet, P::not_open},
      // 本科批 open edge.
      {"2023-06-29T07:59:59+08:00", B::undergrad, A::submit, R::assisted_only, P::assisted},
      {"2023-06-29T08:00:00+08:00", B::undergrad, A::submit, R::ok, P::formal},
      {"2023-06-29T08:00:01+08:00", B::undergrad, A::save_draft, R::ok, P::formal},
      // 本科批 close edge: 16:59:59 in, 17:00:00 out.
      {"2023-07-02T16:59:59+08:00", B::undergrad, A::submit, R::ok, P::formal},
      {"2023-07-02T17:00:00+08:00", B::undergrad, A::submit, R::closed, P::closed},
      {"2023-07-02T17:00:00+08:00", B::undergrad, A::save_draft, R::closed, P::closed},
      {"2023-07-02T17:00:00+08:00", B::undergrad, A::browse, R::closed, P::closed},
      // The same instant in UTC is the same decision.
      {"2023-07-02T08:59:59Z", B::undergrad, A::submit, R::ok, P::formal},
      {"2023-07-02T09:00:00Z", B::undergrad, A::submit, R::closed, P::closed},
      // 本科提前批 and the special-type slot of 本科批.
      {"2023-06-26T08:00:00+08:00", B::early_undergrad, A::submit, R::ok, P::formal},
      {"2023-06-27T17:00:00+08:00", B::early_undergrad, A::submit, R::closed, P::closed},
      {"2023-06-26T08:00:00+08:00", B::undergrad, A::submit, R::ok, P::special},
      {"2023-06-27T16:59:59+08:00", B::undergrad, A::submit, R::ok, P::special},
      {"2023-06-27T17:00:00+08:00", B::undergrad, A::submit, R::assisted_only, P::assisted},
      // 专科提前批 shares 本科批's window; 高职专科批 is later.
      {"2023-06-30T12:00:00+08:00", B::early_vocational, A::submit, R::ok, P::formal},
      {"2023-06-30T12:00:00+08:00", B::vocational, A::submit, R::assisted_only, P::assisted},
      {"2023-06-30T12:00:00+08:00", B::vocational, A::browse, R::ok, P::assisted},
      {"2023-08-06T08:00:00+08:00", B::vocational, A::submit, R::ok, P::formal},
      {"2023-08-08T16:59:59+08:00", B::vocational, A::submit, R::ok, P::formal},
      {"2023-08-08T17:00:00+08:00", B::vocational, A::submit, R::closed, P::closed},
      // Supplementary rounds: only the listed batches, 08:00 to 17:00.
      {"2023-07-25T07:59:59+08:00", B::undergrad, A::submit, R::closed, P::closed},
      {"2023-07-25T08:00:00+08:00", B::undergrad, A::submit, R::ok, P::supplementary},
      {"2023-07-25T16:59:59+08:00", B::undergrad, A::submit, R::ok, P::supplementary},
      {"2023-07-25T17:00:00+08:00", B::undergrad, A::submit, R::closed, P::closed},
      {"2023-07-25T12:00:00+08:00", B::early_undergrad, A::submit, R::closed, P::closed},
      {"2023-07-12T12:00:00+08:00", B::early_undergrad, A::submit, R::ok, P::supplementary},
      {"2023-07-30T12:00:00+08:00", B::early_vocational, A::submit, R::ok, P::supplementary},
      {"2023-08-08T12:00:00+08:00", B::early_vocational, A::submit, R::ok, P::supplementary},
      {"2023-08-21T12:00:00+08:00", B::vocational, A::submit, R::ok, P::supplementary},
      // Drill: its own window, independent of the batch's real phase.
      {"2023-06-13T07:59:59+08:00", B::undergrad, A::drill_submit, R::drill_closed, P::not_open},
      {"2023-06-13T08:00:00+08:00", B::undergrad, A::drill_submit, R::ok, P::not_open},
      {"2023-06-19T16:59:59+08:00", B::vocational, A::drill_save_draft, R::ok, P::not_open},
      {"2023-06-19T17:00:00+08:00", B::undergrad, A::drill_submit, R::drill_closed, P::not_open},
      {"2023-06-15T12:00:00+08:00", B::undergrad, A::submit, R::not_open_yet, P::not_open},
      {"2023-06-30T12:00:00+08:00", B::undergrad, A::drill_submit, R::drill_closed, P::formal},
      // Confirmation of household-registration and physical-exam information.
      {"2023-06-29T07:59:59+08:00", B::undergrad, A::confirm, R::ok, P::assisted},
      {"2023-06-29T08:00:00+08:00", B::undergrad, A::confirm, R::confirm_closed, P::formal},
  };
  for (const schedule_case& c : cases) {
    const decision d = decide(s, c.b, c.a, at(c.when));
    EXPECT_EQ(d.reason, c.want) << c.when << " " << to_code(c.b) << " " << to_code(c.a) << " got "
                                << to_code(d.reason);
    EXPECT_EQ(d.ph, c.ph) << c.when << " " << to_code(c.b) << " got " << to_code(d.ph);
    EXPECT_EQ(d.allowed(), c.want == deny_reason::ok);
  }
}

TEST(schedule_test, next_open_points_at_the_next_window) {
  const schedule s = testing::hunan_2023();
  EXPECT_EQ(decide(s, batch::undergrad, action::submit, at("2023-06-28T12:00:00+08:00")).next_open,
            at("2023-06-29T08:00:00+08:00"));
  EXPECT_EQ(decide(s, batch::undergrad, action::submit, at("2023-07-02T17:00:00+08:00")).next_open,
            at("2023-07-25T08:00:00+08:00"));
  EXPECT_EQ(decide(s, batch::undergrad, action::submit, at("2023-07-31T00:00:00+08:00")).next_open,
            std::nullopt);
  EXPECT_EQ(decide(s, batch::undergrad, action::browse, at("2023-06-01T00:00:00+08:00")).next_open,
            at("2023-06-22T08:00:00+08:00"));
  EXPECT_EQ(
      decide(s, batch::undergrad, action::drill_submit, at("2023-06-01T00:00:00+08:00")).next_open,
      at("2023-06-13T08:00:00+08:00"));
}

TEST(schedule_test, permit_maps_refusals_to_window_closed) {
  const schedule s = testing::hunan_2023();
  auto ok = permit(s, batch::undergrad, action::submit, at("2023-06-30T12:00:00+08:00"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, phase::formal);
  auto no = permit(s, batch::undergrad, action::submit, at("2023-06-28T12:00:00+08:00"));
  ASSERT_FALSE(no);
  EXPECT_EQ(no.error().code, errc::window_closed);
  EXPECT_EQ(no.error().detail, "assisted_only");
}

TEST(schedule_test, codes_round_trip) {
  for (action a : {action::browse, action::favourite, action::save_draft, action::submit,
                   action::confirm, action::drill_save_draft, action::drill_submit}) {
    EXPECT_EQ(parse_action(to_code(a)), a);
  }
  EXPECT_EQ(parse_action("delete"), std::nullopt);
}

// config/schedule.toml is data for the server's parser; check it is well-formed TOML, that its
// timestamps parse with core's helper, and that it says what the test schedule says.
TEST(schedule_test, config_file_matches_the_2023_timetable) {
  toml::table t;
  ASSERT_NO_THROW(t = toml::parse_file(ZHIYUAN_CONFIG_DIR "/schedule.toml"));
  const auto instant = [&](toml::node_view<toml::node> n) {
    const auto text = n.value<std::string>();
    EXPECT_TRUE(text.has_value());
    auto r = parse_rfc3339(text.value_or(""));
    EXPECT_TRUE(r) << text.value_or("");
    return r ? *r : unix_seconds{-1};
  };
  const schedule want = testing::hunan_2023();
  schedule got;
  got.year = t["year"].value_or(0);
  got.assisted_open = instant(t["assisted_open"]);
  got.confirm_deadline = instant(t["confirm_deadline"]);
  got.drill = {instant(t["drill"]["open"]), instant(t["drill"]["close"])};
  for (batch b : all_batches) {
    auto bt = t["batches"][to_code(b)];
    ASSERT_TRUE(bt.is_table()) << to_code(b);
    got.batches[index_of(b)].formal = {instant(bt["formal_open"]), instant(bt["formal_close"])};
    if (bt["special_open"]) {
      got.batches[index_of(b)].special =
          window{instant(bt["special_open"]), instant(bt["special_close"])};
    }
  }
  const toml::array* rounds = t["supplementary"].as_array();
  ASSERT_NE(rounds, nullptr);
  for (const toml::node& n : *rounds) {
    const toml::table& r = *n.as_table();
    supplementary_round round;
    auto open = parse_rfc3339(r["open"].value_or(std::string{}));
    auto close = parse_rfc3339(r["close"].value_or(std::string{}));
    ASSERT_TRUE(open && close);
    round.when = {*open, *close};
    for (const toml::node& b : *r["batches"].as_array()) {
      auto parsed = parse_batch(b.value_or(std::string{}));
      ASSERT_TRUE(parsed.has_value());
      round.batches.insert(*parsed);
    }
    got.supplementary.push_back(round);
  }
  EXPECT_EQ(got.year, want.year);
  EXPECT_EQ(got.assisted_open, want.assisted_open);
  EXPECT_EQ(got.confirm_deadline, want.confirm_deadline);
  EXPECT_EQ(got.drill, want.drill);
  for (batch b : all_batches) {
    EXPECT_EQ(got.of(b).formal, want.of(b).formal) << to_code(b);
    EXPECT_EQ(got.of(b).special, want.of(b).special) << to_code(b);
  }
  ASSERT_EQ(got.supplementary.size(), want.supplementary.size());
  for (std::size_t i = 0; i < got.supplementary.size(); ++i) {
    EXPECT_EQ(got.supplementary[i].when, want.supplementary[i].when) << i;
    EXPECT_EQ(got.supplementary[i].batches, want.supplementary[i].batches) << i;
  }
}

TEST(schedule_test, the_sample_timetable_breaks_no_rule) {
  EXPECT_TRUE(check_schedule(testing::hunan_2023()).empty());
}

TEST(schedule_test, checks_name_every_broken_field) {
  schedule s = testing::hunan_2023();
  auto& undergrad = s.batches[index_of(batch::undergrad)];
  undergrad.formal.close = undergrad.formal.open;           // empty window
  undergrad.special->close = undergrad.formal.open + 3600;  // overlaps formal
  s.batches[index_of(batch::vocational)].formal.open = s.assisted_open - 1;
  s.supplementary[0].when.open = at("2023-06-27T08:00:00+08:00");  // before its batch closes
  s.year = 1999;
  const auto issues = check_schedule(s);
  std::vector<std::string> fields;
  for (const auto& i : issues) fields.push_back(i.field);
  for (const char* want :
       {"year", "batches.undergrad.formal_close", "batches.undergrad.special_close",
        "batches.vocational.formal_open", "supplementary[0].open"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), want), fields.end()) << want;
  }
}

TEST(schedule_test, filing_windows_are_the_formal_special_and_supplementary_phases) {
  for (const auto p : {phase::formal, phase::special, phase::supplementary}) {
    EXPECT_TRUE(is_filing_window(p));
  }
  for (const auto p : {phase::not_open, phase::assisted, phase::closed}) {
    EXPECT_FALSE(is_filing_window(p));
  }
}

// 分时段填报: a slot for scores 600..750 in 本科批's formal window, another for city 4301.
schedule with_slots() {
  schedule s = testing::hunan_2023();
  auto& ug = s.batches[index_of(batch::undergrad)];
  ug.slots.push_back(
      {{at("2023-06-29T08:00:00+08:00"), at("2023-06-30T17:00:00+08:00")}, 600, 750, {}});
  ug.slots.push_back(
      {{at("2023-07-01T08:00:00+08:00"), at("2023-07-02T17:00:00+08:00")}, 0, 750, {"4301"}});
  return s;
}

TEST(schedule_test, a_submission_outside_the_candidates_slot_is_refused_with_the_slot) {
  const schedule s = with_slots();
  const slot_subject high{650, "4302"}, city{500, "4301"}, neither{500, "4302"};
  const auto day1 = at("2023-06-29T10:00:00+08:00");
  EXPECT_TRUE(decide(s, batch::undergrad, action::submit, day1, high).allowed());
  const auto d = decide(s, batch::undergrad, action::submit, day1, city);
  EXPECT_EQ(d.reason, deny_reason::outside_slot);
  ASSERT_TRUE(d.slot.has_value());
  EXPECT_EQ(d.slot->open, at("2023-07-01T08:00:00+08:00"));
  EXPECT_EQ(d.next_open, at("2023-07-01T08:00:00+08:00"));
  // After the high band's slot closed, it is refused without a next opening.
  const auto late =
      decide(s, batch::undergrad, action::submit, at("2023-06-30T17:00:00+08:00"), high);
  EXPECT_EQ(late.reason, deny_reason::outside_slot);
  EXPECT_FALSE(late.next_open.has_value());
  // The slot's edges are those of a window: open inside, close outside.
  EXPECT_TRUE(
      decide(s, batch::undergrad, action::submit, at("2023-07-01T08:00:00+08:00"), city).allowed());
  // Nobody's slot: the whole formal window; drafts and browsing are never staggered.
  EXPECT_TRUE(decide(s, batch::undergrad, action::submit, day1, neither).allowed());
  EXPECT_TRUE(decide(s, batch::undergrad, action::save_draft, day1, city).allowed());
  EXPECT_TRUE(decide(s, batch::undergrad, action::browse, day1, city).allowed());
  // Other batches and the formal window's own close are unchanged.
  EXPECT_TRUE(decide(s, batch::early_vocational, action::submit, day1, city).allowed());
  EXPECT_EQ(
      decide(s, batch::undergrad, action::submit, at("2023-07-02T17:00:00+08:00"), city).reason,
      deny_reason::closed);
  EXPECT_EQ(to_code(deny_reason::outside_slot), "outside_slot");
}

TEST(schedule_test, slots_must_lie_in_the_formal_window_with_a_band) {
  schedule s = with_slots();
  EXPECT_TRUE(check_schedule(s).empty());
  auto& slots = s.batches[index_of(batch::undergrad)].slots;
  slots[0].when.close = at("2023-07-03T17:00:00+08:00");
  slots[1].min_score = 700;
  slots[1].max_score = 600;
  const auto issues = check_schedule(s);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].field, "batches.undergrad.slots[0].open");
  EXPECT_EQ(issues[1].field, "batches.undergrad.slots[1].max_score");
}

}  // namespace
}  // namespace zhiyuan::core
