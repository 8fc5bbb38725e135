#include "core/plan_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/validation.hpp"
#include "tests/core/fixtures.hpp"

namespace zhiyuan::core {
namespace {

using namespace testing;

// Candidates that differ in every fact may_choose looks at.
std::vector<candidate> variety() {
  std::vector<candidate> out;
  const candidate base = physics_candidate();
  out.push_back(base);
  candidate c = base;
  c.electives = {subject::politics, subject::geography};
  out.push_back(c);
  c = base;
  c.electives = {subject::chemistry, subject::geography};
  out.push_back(c);
  c = base;
  c.trk = track::history;
  c.electives = {subject::politics, subject::geography};
  out.push_back(c);
  c = base;
  c.cat = category::arts;
  out.push_back(c);
  c = base;
  c.eligible.special_type = false;
  out.push_back(c);
  c = base;
  c.eligible.batches = {batch::vocational, batch::early_vocational};
  c.eligible.special_type = false;
  out.push_back(c);
  c = base;
  c.eligible.batches = {};
  out.push_back(c);
  return out;
}

bool is_group_rule(violation v) {
  switch (v) {
    case violation::not_eligible:
    case violation::track_mismatch:
    case violation::category_mismatch:
    case violation::subject_requirement_not_met:
    case violation::special_not_allowed:
    case violation::special_mismatch:
      return true;
    default:
      return false;
  }
}

TEST(may_choose, agrees_with_the_validator_on_every_group_and_candidate) {
  const auto cat = test_catalog();
  const schedule sched = hunan_2023();
  // The drill accepts every batch, so only the per-group rules can fail a one-choice form.
  const unix_seconds drill = at("2023-06-15T10:00:00+08:00");
  int allowed = 0, refused = 0;
  for (const candidate& who : variety()) {
    for (const major_group& g : cat->groups()) {
      const choice_list form = {choice(g.id, 1, true, g.special_type)};
      const auto findings = validate(who, g.b, form, *cat, sched, drill, mode::drill_formal);
      const bool validator_ok = std::none_of(
          findings.begin(), findings.end(), [](const finding& f) { return is_group_rule(f.code); });
      EXPECT_EQ(may_choose(who, g), validator_ok)
          << "group " << g.id << " candidate profile " << profile_key(who);
      (validator_ok ? allowed : refused) += 1;
    }
  }
  // Both outcomes occur, so the comparison above is not vacuous.
  EXPECT_GT(allowed, 50);
  EXPECT_GT(refused, 50);
}

TEST(may_choose, special_type_groups_need_the_special_line) {
  const auto cat = test_catalog();
  candidate who = physics_candidate();
  EXPECT_TRUE(may_choose(who, *cat->find_group(g_special)));
  who.eligible.special_type = false;
  EXPECT_FALSE(may_choose(who, *cat->find_group(g_special)));
  EXPECT_TRUE(may_choose(who, *cat->find_group(g_chem)));
}

TEST(profile_key, equal_keys_choose_alike_and_facts_change_the_key) {
  const auto cat = test_catalog();
  const auto people = variety();
  std::set<std::uint32_t> keys;
  for (const candidate& a : people) {
    keys.insert(profile_key(a));
    candidate twin = a;
    twin.id = a.id + 1000;
    twin.score = a.score - 50;
    twin.rank = a.rank * 2;
    twin.name = "李四";
    ASSERT_EQ(profile_key(twin), profile_key(a));
    for (const major_group& g : cat->groups()) ASSERT_EQ(may_choose(twin, g), may_choose(a, g));
  }
  EXPECT_EQ(keys.size(), people.size());
}

// Every page of a walk, concatenated.
std::vector<group_id> walk(const catalog& cat, const plan_filter& f, std::size_t page_size,
                           std::size_t& total) {
  std::vector<group_id> out;
  std::optional<group_id> after;
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = select_plans(cat, f, after, page_size);
    EXPECT_TRUE(page.has_value());
    if (!page) break;
    EXPECT_LE(page->groups.size(), page_size);
    total = page->total;
    for (const major_group* g : page->groups) out.push_back(g->id);
    if (!page->more) break;
    EXPECT_EQ(page->groups.size(), page_size);
    after = page->groups.back()->id;
  }
  return out;
}

std::vector<group_id> brute_force(const catalog& cat, const plan_filter& f) {
  std::vector<group_id> out;
  for (const major_group& g : cat.groups()) {
    if (matches(f, cat, g)) out.push_back(g.id);
  }
  return out;
}

TEST(select_plans, pages_cover_every_match_once_in_catalog_order) {
  const auto cat = test_catalog();
  const candidate who = physics_candidate();
  std::vector<plan_filter> filters(6);
  filters[1].b = batch::undergrad;
  filters[2].b = batch::undergrad;
  filters[2].fits = &who;
  filters[3].college = "1002";
  filters[4].trk = track::history;
  filters[5].text = "湖南大学";
  for (const plan_filter& f : filters) {
    const auto expected = brute_force(*cat, f);
    for (std::size_t size : {1u, 7u, 20u, 100u}) {
      std::size_t total = 0;
      const auto got = walk(*cat, f, size, total);
      EXPECT_EQ(got, expected) << "page size " << size;
      EXPECT_EQ(total, expected.size());
    }
  }
}

TEST(select_plans, filters_mean_what_they_say) {
  const auto cat = test_catalog();
  plan_filter f;
  f.b = batch::undergrad;
  f.trk = track::physics;
  auto all = select_plans(*cat, f, std::nullopt, 1000);
  ASSERT_TRUE(all);
  // 60 bulk groups + chem, chem_bio, pol_or_geo, arts, special are physics 本科批 groups.
  EXPECT_EQ(all->total, static_cast<std::size_t>(bulk_groups) + 5);
  for (const major_group* g : all->groups) {
    EXPECT_EQ(g->b, batch::undergrad);
    EXPECT_EQ(g->trk, track::physics);
  }

  plan_filter by_college;
  by_college.college = "2001";
  auto voc = select_plans(*cat, by_college, std::nullopt, 10);
  ASSERT_TRUE(voc);
  ASSERT_EQ(voc->groups.size(), 1u);
  EXPECT_EQ(voc->groups[0]->id, g_vocational);

  plan_filter by_region;
  by_region.region = "湖南";
  EXPECT_EQ(select_plans(*cat, by_region, std::nullopt, 1000)->total, cat->groups().size());
  by_region.region = "北京";
  EXPECT_EQ(select_plans(*cat, by_region, std::nullopt, 1000)->total, 0u);

  // Text matches a college's name or code, or a major's name ("专业" is every major's name).
  plan_filter text;
  text.text = "职业技术";
  EXPECT_EQ(select_plans(*cat, text, std::nullopt, 1000)->total, 1u);
  text.text = "专业";
  EXPECT_EQ(select_plans(*cat, text, std::nullopt, 1000)->total, cat->groups().size());
  text.text = "不存在的名字";
  EXPECT_EQ(select_plans(*cat, text, std::nullopt, 1000)->total, 0u);
}

TEST(select_plans, fits_me_keeps_only_choosable_groups) {
  const auto cat = test_catalog();
  candidate who = physics_candidate();
  who.electives = {subject::politics, subject::geography};
  plan_filter f;
  f.fits = &who;
  auto page = select_plans(*cat, f, std::nullopt, 1000);
  ASSERT_TRUE(page);
  std::set<group_id> ids;
  for (const major_group* g : page->groups) ids.insert(g->id);
  EXPECT_FALSE(ids.count(g_chem));       // needs chemistry
  EXPECT_FALSE(ids.count(g_chem_bio));   // needs chemistry and biology
  EXPECT_TRUE(ids.count(g_pol_or_geo));  // politics or geography
  EXPECT_FALSE(ids.count(g_history));
  EXPECT_FALSE(ids.count(g_arts));
  EXPECT_TRUE(ids.count(g_special));
  EXPECT_TRUE(ids.count(g_early));
  EXPECT_TRUE(ids.count(g_vocational));
  for (const major_group* g : page->groups) EXPECT_TRUE(may_choose(who, *g));
}

TEST(select_plans, a_resume_point_outside_the_range_is_refused) {
  const auto cat = test_catalog();
  plan_filter f;
  f.b = batch::undergrad;
  auto unknown = select_plans(*cat, f, group_id{999999}, 10);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, errc::invalid_field);
  EXPECT_EQ(unknown.error().detail, "page_token");
  // A group of another batch is no position in the 本科批 range.
  EXPECT_FALSE(select_plans(*cat, f, g_vocational, 10));
  // The last group of the range resumes to an empty last page.
  const auto range = cat->groups_in(batch::undergrad);
  auto end = select_plans(*cat, f, range.back().id, 10);
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->groups.empty());
  EXPECT_FALSE(end->more);
}

TEST(fingerprint, equal_snapshots_hash_equal_and_any_change_shows) {
  const auto a = test_catalog();
  const auto b = test_catalog();
  EXPECT_EQ(fingerprint(*a), fingerprint(*b));
  std::vector<college> colleges(a->colleges().begin(), a->colleges().end());
  std::vector<major_group> groups(a->groups().begin(), a->groups().end());
  std::vector<major> majors(a->majors().begin(), a->majors().end());
  majors[5].name = "另一个专业";
  auto c = catalog::build(colleges, groups, majors);
  ASSERT_TRUE(c);
  EXPECT_NE(fingerprint(*c.value()), fingerprint(*a));
  majors[5].name = a->majors()[5].name;
  groups[3].plan_count += 1;
  auto d = catalog::build(colleges, groups, majors);
  ASSERT_TRUE(d);
  EXPECT_NE(fingerprint(*d.value()), fingerprint(*a));
}

TEST(suggest, classifies_orders_and_bounds_each_list) {
  const auto cat = test_catalog();
  candidate who = physics_candidate();
  who.rank = 10000;
  // Bulk group i has min ranks around 10000 * (0.4 + i / 40): from safe-beyond to reach-beyond.
  std::map<group_id, std::array<int, 3>> table;
  for (int i = 0; i < bulk_groups; ++i) {
    const int r = static_cast<int>(10000 * (0.4 + i / 40.0));
    table[g_bulk + i] = {r, r + (i % 3) * 10, i % 5 == 0 ? 0 : r - (i % 3) * 10};
  }
  table[g_chem] = {0, 0, 0};  // no history
  const history_lookup lookup = [&table](const major_group& g) {
    auto it = table.find(g.id);
    return it == table.end() ? std::array<int, 3>{} : it->second;
  };
  const std::size_t limit = 3;
  const auto lists = suggest(who, cat->groups_in(batch::undergrad), lookup, limit);
  std::size_t expected_totals[3] = {0, 0, 0};
  for (const major_group& g : cat->groups_in(batch::undergrad)) {
    if (!may_choose(who, g)) continue;
    const auto ranks = lookup(g);
    const fit f = classify(who.rank, ranks);
    if (f == fit::reach || f == fit::match || f == fit::safe) {
      ++expected_totals[static_cast<std::size_t>(f)];
    }
  }
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(lists.totals[k], expected_totals[k]) << to_code(static_cast<fit>(k));
    EXPECT_GT(lists.totals[k], limit) << "the fixture fills every class beyond the limit";
    ASSERT_EQ(lists.lists[k].size(), std::min(limit, lists.totals[k]));
    for (std::size_t i = 0; i < lists.lists[k].size(); ++i) {
      const suggestion& s = lists.lists[k][i];
      EXPECT_EQ(static_cast<std::size_t>(s.kind), k);
      EXPECT_EQ(classify(who.rank, s.min_ranks), s.kind);
      EXPECT_TRUE(may_choose(who, *s.group));
      if (i > 0) {
        EXPECT_LE(lists.lists[k][i - 1].distance, s.distance);
      }
    }
  }
  // The closest of all is the best match: no group outside the lists is closer in its class.
  for (const auto& [id, ranks] : table) {
    const major_group* g = cat->find_group(id);
    const fit f = classify(who.rank, ranks);
    if (f != fit::reach && f != fit::match && f != fit::safe) continue;
    const auto& list = lists.lists[static_cast<std::size_t>(f)];
    const bool listed =
        std::any_of(list.begin(), list.end(), [&](const suggestion& s) { return s.group == g; });
    if (!listed) {
      double sum = 0;
      int n = 0;
      for (int r : ranks) {
        if (r > 0) {
          sum += r;
          ++n;
        }
      }
      const double d = std::abs(who.rank - sum / n) / (sum / n);
      EXPECT_GE(d, list.back().distance) << "group " << id;
    }
  }
}

}  // namespace
}  // namespace zhiyuan::core
