#include "core/validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/core/fixtures.hpp"

namespace zhiyuan::core {
namespace {

using testing::at;
using testing::choice;
using testing::full_form;
using testing::g_arts;
using testing::g_bulk;
using testing::g_chem;
using testing::g_chem_bio;
using testing::g_early;
using testing::g_history;
using testing::g_pol_or_geo;
using testing::g_special;
using testing::major_of;

// What a test expects: a code at a position.
using expect = std::tuple<violation, int, int>;

// Everything a case may change before validating.
struct form {
  candidate who = testing::physics_candidate();
  batch b = batch::undergrad;
  choice_list choices = full_form(3);
  unix_seconds now = at("2023-06-30T12:00:00+08:00");
  mode m = mode::formal;
};

struct validation_case {
  std::string name;
  std::function<void(form&)> change;
  std::vector<expect> expected;
};

std::vector<expect> positions(const std::vector<finding>& fs) {
  std::vector<expect> out;
  for (const finding& f : fs) out.emplace_back(f.code, f.choice, f.major);
  return out;
}

class validation_test : public ::testing::Test {
 protected:
  std::shared_ptr<const catalog> cat_ = testing::test_catalog();
  schedule sched_ = testing::hunan_2023();

  std::vector<finding> run(const form& f) const {
    return validate(f.who, f.b, f.choices, *cat_, sched_, f.now, f.m);
  }
};

TEST_F(validation_test, every_rule_reports_its_code_and_position) {
  using v = violation;
  const std::vector<validation_case> cases = {
      {"valid form", [](form&) {}, {}},
      {"valid full 45-group form", [](form& f) { f.choices = full_form(45); }, {}},
      {"assisted phase: not open",
       [](form& f) { f.now = at("2023-06-28T12:00:00+08:00"); },
       {{v::window_not_open, -1, -1}}},
      {"before assisted: not open",
       [](form& f) { f.now = at("2023-06-01T12:00:00+08:00"); },
       {{v::window_not_open, -1, -1}}},
      {"open edge, one second early",
       [](form& f) { f.now = at("2023-06-29T07:59:59+08:00"); },
       {{v::window_not_open, -1, -1}}},
      {"open edge exactly", [](form& f) { f.now = at("2023-06-29T08:00:00+08:00"); }, {}},
      {"close edge, last second", [](form& f) { f.now = at("2023-07-02T16:59:59+08:00"); }, {}},
      {"close edge exactly",
       [](form& f) { f.now = at("2023-07-02T17:00:00+08:00"); },
       {{v::window_closed, -1, -1}}},
      {"supplementary round reopens 本科批",
       [](form& f) { f.now = at("2023-07-25T10:00:00+08:00"); },
       {}},
      {"supplementary round of another batch",
       [](form& f) { f.now = at("2023-07-12T10:00:00+08:00"); },
       {{v::window_closed, -1, -1}}},
      {"drill: open inside the drill window, whatever the batch's phase",
       [](form& f) {
         f.now = at("2023-06-15T12:00:00+08:00");
         f.m = mode::drill_formal;
       },
       {}},
      {"drill: the real window is closed during the drill",
       [](form& f) { f.now = at("2023-06-15T12:00:00+08:00"); },
       {{v::window_not_open, -1, -1}}},
      {"drill: closed after the drill",
       [](form& f) { f.m = mode::drill_formal; },
       {{v::window_not_open, -1, -1}}},
      {"drill draft may be empty",
       [](form& f) {
         f.now = at("2023-06-19T16:59:59+08:00");
         f.m = mode::drill_draft;
         f.choices.clear();
       },
       {}},
      {"drill formal may not",
       [](form& f) {
         f.now = at("2023-06-19T16:59:59+08:00");
         f.m = mode::drill_formal;
         f.choices.clear();
       },
       {{v::empty_list, -1, -1}}},
      {"not above the line",
       [](form& f) { f.who.eligible.batches = {batch::vocational}; },
       {{v::not_eligible, -1, -1}}},
      {"unknown group", [](form& f) { f.choices[1].group = 999999; }, {{v::unknown_group, 1, -1}}},
      {"group of another batch",
       [](form& f) { f.choices[1] = choice(g_early); },
       {{v::group_not_in_batch, 1, -1}}},
      {"track mismatch",
       [](form& f) { f.choices[2] = choice(g_history); },
       {{v::track_mismatch, 2, -1}}},
      {"category mismatch",
       [](form& f) { f.choices[0] = choice(g_arts); },
       {{v::category_mismatch, 0, -1}}},
      {"subject either-of missing",
       [](form& f) { f.choices[1] = choice(g_pol_or_geo); },
       {{v::subject_requirement_not_met, 1, -1}}},
      {"subject both-of partly missing",
       [](form& f) {
         f.who.electives = {subject::chemistry, subject::politics};
         f.choices[1] = choice(g_chem_bio);
       },
       {{v::subject_requirement_not_met, 1, -1}}},
      {"subject one met", [](form& f) { f.choices[1] = choice(g_chem); }, {}},
      {"major of another group",
       [](form& f) { f.choices[0].majors[2] = major_of(g_bulk + 1, 3); },
       {{v::major_not_in_group, 0, 2}}},
      {"unknown major",
       [](form& f) { f.choices[2].majors[5] = 42; },
       {{v::major_not_in_group, 2, 5}}},
      {"46 groups", [](form& f) { f.choices = full_form(46); }, {{v::too_many_groups, 45, -1}}},
      {"48 groups: one finding at the first excess",
       [](form& f) { f.choices = full_form(48); },
       {{v::too_many_groups, 45, -1}}},
      {"7 majors", [](form& f) { f.choices[0] = choice(g_bulk, 7); }, {{v::too_many_majors, 0, 6}}},
      {"empty choice",
       [](form& f) { f.choices[1] = choice(g_bulk + 1, 0, false); },
       {{v::empty_choice, 1, -1}}},
      {"no majors but adjustment is not empty",
       [](form& f) { f.choices[1] = choice(g_bulk + 1, 0, true); },
       {}},
      {"empty list", [](form& f) { f.choices.clear(); }, {{v::empty_list, -1, -1}}},
      {"duplicate group",
       [](form& f) { f.choices.push_back(f.choices[0]); },
       {{v::duplicate_group, 3, -1}}},
      {"group three times",
       [](form& f) {
         f.choices[1] = f.choices[0];
         f.choices[2] = f.choices[0];
       },
       {{v::duplicate_group, 1, -1}, {v::duplicate_group, 2, -1}}},
      {"duplicate major",
       [](form& f) { f.choices[0].majors[4] = f.choices[0].majors[1]; },
       {{v::duplicate_major, 0, 4}}},
      {"special slot used",
       [](form& f) { f.choices.push_back(choice(g_special, 3, true, true)); },
       {}},
      {"special slot does not count toward 45",
       [](form& f) {
         f.choices = full_form(45);
         f.choices.insert(f.choices.begin() + 7, choice(g_special, 3, true, true));
       },
       {}},
      {"special group in an ordinary slot",
       [](form& f) { f.choices[1] = choice(g_special); },
       {{v::special_mismatch, 1, -1}}},
      {"ordinary group in the special slot",
       [](form& f) { f.choices.push_back(choice(g_bulk + 9, 6, true, true)); },
       {{v::special_mismatch, 3, -1}}},
      {"two special choices",
       [](form& f) {
         f.choices.push_back(choice(g_special, 3, true, true));
         f.choices.push_back(choice(g_bulk + 9, 6, true, true));
       },
       {{v::too_many_special, 4, -1}, {v::special_mismatch, 4, -1}}},
      {"special slot below the special line",
       [](form& f) {
         f.who.eligible.special_type = false;
         f.choices.push_back(choice(g_special, 3, true, true));
       },
       {{v::not_eligible, 3, -1}}},
      {"special slot in a batch without one",
       [](form& f) {
         f.b = batch::early_undergrad;
         f.now = at("2023-06-26T12:00:00+08:00");
         f.choices = {choice(g_early, 6, true, true)};
       },
       {{v::special_not_allowed, 0, -1}, {v::special_mismatch, 0, -1}}},
      {"special window: special choice only is fine",
       [](form& f) {
         f.now = at("2023-06-27T16:59:59+08:00");
         f.choices = {choice(g_special, 2, false, true)};
       },
       {}},
      {"special window: ordinary choices are not open",
       [](form& f) {
         f.now = at("2023-06-26T08:00:00+08:00");
         f.choices.insert(f.choices.begin(), choice(g_special, 2, false, true));
       },
       {{v::window_not_open, 1, -1}, {v::window_not_open, 2, -1}, {v::window_not_open, 3, -1}}},
      {"draft: empty list allowed",
       [](form& f) {
         f.m = mode::draft;
         f.choices.clear();
       },
       {}},
      {"draft: empty choice allowed",
       [](form& f) {
         f.m = mode::draft;
         f.choices[0] = choice(g_bulk, 0, false);
       },
       {}},
      {"draft: other rules still apply",
       [](form& f) {
         f.m = mode::draft;
         f.choices[0] = choice(g_history);
       },
       {{v::track_mismatch, 0, -1}}},
      {"draft: not during assisted filing",
       [](form& f) {
         f.m = mode::draft;
         f.now = at("2023-06-28T12:00:00+08:00");
       },
       {{v::window_not_open, -1, -1}}},
      {"every violation at once, no early exit",
       [](form& f) {
         f.now = at("2023-07-03T09:00:00+08:00");
         f.who.eligible.batches = {};
         f.choices = {choice(999999), choice(g_history, 7), choice(g_bulk, 0, false),
                      choice(g_history)};
         f.choices[1].majors[6] = f.choices[1].majors[0];
       },
       {{v::window_closed, -1, -1},
        {v::not_eligible, -1, -1},
        {v::unknown_group, 0, -1},
        {v::track_mismatch, 1, -1},
        {v::too_many_majors, 1, 6},
        {v::duplicate_major, 1, 6},
        {v::empty_choice, 2, -1},
        {v::track_mismatch, 3, -1},
        {v::duplicate_group, 3, -1}}},
  };
  for (const validation_case& c : cases) {
    form f;
    c.change(f);
    std::vector<expect> want = c.expected;
    std::vector<expect> got = positions(run(f));
    // The validator sorts by position then code; compare as sorted multisets of findings.
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << c.name;
  }
}

TEST_F(validation_test, findings_are_sorted_by_position) {
  form f;
  f.now = at("2023-07-03T09:00:00+08:00");
  f.choices = {choice(g_history), choice(999999), choice(g_history)};
  const auto fs = run(f);
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs.front().choice, -1);
  for (std::size_t i = 1; i < fs.size(); ++i) {
    EXPECT_LE(std::make_pair(fs[i - 1].choice, fs[i - 1].major),
              std::make_pair(fs[i].choice, fs[i].major));
  }
}

TEST_F(validation_test, subject_finding_names_the_missing_subjects) {
  form f;
  f.choices[1] = choice(g_pol_or_geo);
  auto fs = run(f);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].missing, (subject_set{subject::politics, subject::geography}));
  EXPECT_TRUE(fs[0].any_of);
  const std::string zh = message_zh(fs[0]);
  EXPECT_NE(zh.find("第2个志愿"), std::string::npos) << zh;
  EXPECT_NE(zh.find("思想政治"), std::string::npos) << zh;
  EXPECT_NE(zh.find("地理"), std::string::npos) << zh;
  const std::string en = message_en(fs[0]);
  EXPECT_NE(en.find("Choice 2"), std::string::npos) << en;
  EXPECT_NE(en.find("politics"), std::string::npos) << en;
  EXPECT_NE(en.find("geography"), std::string::npos) << en;

  f.who.electives = {subject::chemistry, subject::politics};
  f.choices[1] = choice(g_chem_bio);
  fs = run(f);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].missing, subject_set{subject::biology});
  EXPECT_FALSE(fs[0].any_of);
  EXPECT_NE(message_zh(fs[0]).find("生物"), std::string::npos);
  EXPECT_EQ(message_zh(fs[0]).find("化学"), std::string::npos);
}

TEST_F(validation_test, every_code_is_distinct_and_has_messages) {
  std::vector<std::string_view> codes;
  for (int i = 0; i <= static_cast<int>(violation::outside_slot_window); ++i) {
    const auto v = static_cast<violation>(i);
    codes.push_back(to_code(v));
    EXPECT_FALSE(message_zh(finding{v, -1, -1, {}, false}).empty());
    EXPECT_FALSE(message_en(finding{v, -1, -1, {}, false}).empty());
  }
  std::sort(codes.begin(), codes.end());
  EXPECT_EQ(std::adjacent_find(codes.begin(), codes.end()), codes.end());
}

TEST_F(validation_test, reuses_the_output_vector) {
  form f;
  f.choices.clear();
  std::vector<finding> out;
  validate(f.who, f.b, f.choices, *cat_, sched_, f.now, f.m, out);
  ASSERT_EQ(out.size(), 1u);
  f.choices = full_form(45);
  validate(f.who, f.b, f.choices, *cat_, sched_, f.now, f.m, out);
  EXPECT_TRUE(out.empty());
}

TEST_F(validation_test, overridden_limits_apply) {
  form f;
  batch_limit_table limits = default_batch_limits();
  limits[index_of(batch::undergrad)].max_groups = 2;
  limits[index_of(batch::undergrad)].max_majors = 3;
  f.choices[2].majors.resize(4);
  const auto fs = validate(f.who, f.b, f.choices, *cat_, sched_, f.now, f.m, limits);
  std::vector<expect> want = {{violation::too_many_groups, 2, -1},
                              {violation::too_many_majors, 0, 3},
                              {violation::too_many_majors, 1, 3},
                              {violation::too_many_majors, 2, 3}};
  std::vector<expect> got = positions(fs);
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

// Random forms mixing valid and defective choices.
choice_list random_form(std::mt19937& rng) {
  std::uniform_int_distribution<int> n_choices(0, 50);
  std::uniform_int_distribution<int> pick(0, 14);
  std::uniform_int_distribution<int> bulk(0, 11);  // Few groups: duplicates are frequent.
  std::uniform_int_distribution<int> n_majors(0, 8);
  std::uniform_int_distribution<int> k(1, 9);  // 9 is not a major of any group.
  choice_list out;
  const int n = n_choices(rng);
  for (int i = 0; i < n; ++i) {
    group_id g = g_bulk + bulk(rng);
    switch (pick(rng)) {
      case 0:
        g = 999999;
        break;
      case 1:
        g = g_history;
        break;
      case 2:
        g = g_pol_or_geo;
        break;
      case 3:
        g = g_early;
        break;
      case 4:
        g = g_special;
        break;
      default:
        break;
    }
    group_choice c{g, {}, pick(rng) % 2 == 0, pick(rng) == 0};
    const int m = n_majors(rng);
    for (int j = 0; j < m; ++j) c.majors.push_back(major_of(g, k(rng)));
    out.push_back(std::move(c));
  }
  return out;
}

std::map<violation, int> code_counts(const std::vector<finding>& fs) {
  std::map<violation, int> out;
  for (const finding& f : fs) ++out[f.code];
  return out;
}

std::vector<group_id> duplicated_groups(const choice_list& cs, const std::vector<finding>& fs) {
  std::vector<group_id> out;
  for (const finding& f : fs) {
    if (f.code == violation::duplicate_group)
      out.push_back(cs[static_cast<std::size_t>(f.choice)].group);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(validation_test, verdict_is_invariant_under_reordering) {
  std::mt19937 rng(20230629);
  for (int iter = 0; iter < 500; ++iter) {
    form f;
    f.choices = random_form(rng);
    const auto before = run(f);

    form g = f;
    std::shuffle(g.choices.begin(), g.choices.end(), rng);
    for (group_choice& c : g.choices) std::shuffle(c.majors.begin(), c.majors.end(), rng);
    const auto after = run(g);

    ASSERT_EQ(before.empty(), after.empty()) << canonical_encoding(f.choices);
    EXPECT_EQ(code_counts(before), code_counts(after)) << canonical_encoding(f.choices);
    EXPECT_EQ(duplicated_groups(f.choices, before), duplicated_groups(g.choices, after));
  }
}

TEST_F(validation_test, valid_forms_stay_valid_when_permuted) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    form f;
    std::uniform_int_distribution<int> n(1, 45);
    f.choices = full_form(n(rng));
    std::shuffle(f.choices.begin(), f.choices.end(), rng);
    for (group_choice& c : f.choices) std::shuffle(c.majors.begin(), c.majors.end(), rng);
    EXPECT_TRUE(run(f).empty()) << canonical_encoding(f.choices);
  }
}

}  // namespace
}  // namespace zhiyuan::core
