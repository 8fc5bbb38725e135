// The synthetic province is realistic for every candidate: whoever is eligible for a batch (上线)
// finds groups of the batch for their track and category, and can fill a form that the
// server's rules (core::validate) accept. Before the catalog gave every category each batch
// admits groups of its own, the arts and sports candidates above the 本科批 line (~3,900 of
// 100,000) could file nothing there.

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/validation.hpp"
#include "province/province.hpp"
#include "storage/encoding.hpp"
#include "tests/crash/forms.hpp"

namespace zhiyuan::loadtest {
namespace {

// The catalog as the server loads it from the seeded database: the same columns decoded as
// storage/catalog_loader.cpp does, major ids 1..M in row order (the loader restarts their
// sequence).
std::shared_ptr<const core::catalog> catalog_of(const province& p) {
  std::vector<core::college> colleges;
  for (const college_row& c : p.colleges) colleges.push_back({c.code, c.name, c.region, c.type});
  std::vector<core::major_group> groups;
  for (const major_group_row& r : p.major_groups) {
    core::major_group g;
    g.id = r.group_id;
    g.college_code = r.college_code;
    g.group_code = r.group_code;
    g.b = storage::decode_batch(r.batch);
    g.trk = storage::decode_track(r.track);
    g.cat = storage::decode_category(r.category);
    g.special_type = r.special_type;
    g.requirement = storage::decode_requirement(r.req_first, r.req_second_kind, r.req_subjects);
    g.plan_count = r.plan_count;
    groups.push_back(std::move(g));
  }
  std::vector<core::major> majors;
  for (std::size_t i = 0; i < p.majors.size(); ++i) {
    const major_row& m = p.majors[i];
    majors.push_back({static_cast<core::major_id>(i + 1), m.group_id, m.code, m.name, m.plan_count,
                      m.years, m.tuition});
  }
  auto built = core::catalog::build(std::move(colleges), std::move(groups), std::move(majors));
  if (!built) throw std::runtime_error("generated catalog is invalid: " + built.error().detail);
  return std::move(built).value();
}

core::candidate candidate_of(const candidate_row& c) {
  core::candidate who;
  who.id = c.candidate_id;
  who.exam_number = c.exam_no;
  who.school = c.school_id;
  who.cat = storage::decode_category(c.category);
  who.trk = storage::decode_track(c.track);
  who.electives = storage::decode_subjects(c.electives);
  who.score = c.score.value_or(0);
  who.rank = c.rank.value_or(0);
  who.eligible = storage::decode_eligibility(c.eligible);
  return who;
}

// For every batch and every candidate eligible for it: a full form (up to 45 groups of the
// candidate's pool, tests/crash/forms.hpp) that core::validate accepts in formal mode. Returns
// the eligible candidates per batch and category.
std::array<std::array<int, 3>, core::batch_count> expect_every_eligible_candidate_can_file(
    const province& p) {
  const auto cat = catalog_of(p);
  std::array<std::array<int, 3>, core::batch_count> eligible{};
  for (const core::batch b : core::all_batches) {
    const core::schedule sched = crash::always_open_schedule(b);
    const core::unix_seconds now = crash::instant_in_formal_window(sched, b);
    const crash::form_generator forms(cat, b, sched, now);
    int failures = 0;
    for (const candidate_row& row : p.candidates) {
      const core::candidate who = candidate_of(row);
      if (!who.eligible.batches.contains(b)) continue;
      ++eligible[core::index_of(b)][static_cast<std::size_t>(row.category)];
      const auto form = forms.make(who, 1);
      if (!form) {
        ADD_FAILURE() << row.exam_no << " (category " << row.category << ", track " << row.track
                      << ", electives " << row.electives << ") cannot file " << core::to_code(b)
                      << ": " << form.error().detail;
        if (++failures == 10) break;
        continue;
      }
      EXPECT_FALSE(form->empty());
      const auto findings = core::validate(who, b, *form, *cat, sched, now, core::mode::formal);
      EXPECT_TRUE(findings.empty())
          << row.exam_no << " " << core::to_code(b) << ": " << core::message_en(findings.front());
    }
  }
  return eligible;
}

TEST(ProvinceForms, EveryEligibleCandidateFilesAValidFormInEveryBatch) {
  province_options o;
  o.candidates = 20'000;
  o.seed = 7;
  const auto eligible = expect_every_eligible_candidate_can_file(generate_province(o, 2));
  // Every category reaches every batch here, so each case above was exercised.
  for (const core::batch b : core::all_batches) {
    for (int category : {category_regular, category_arts, category_sports}) {
      EXPECT_GT(eligible[core::index_of(b)][static_cast<std::size_t>(category)], 0)
          << core::to_code(b) << " category " << category;
    }
  }
}

TEST(ProvinceForms, ArtsAndSportsCandidatesFileTheUndergraduateBatchInTheDefaultProvince) {
  province_options o;  // the default seed, at the size the issue counted
  o.candidates = 100'000;
  const auto eligible = expect_every_eligible_candidate_can_file(generate_province(o, 2));
  const auto& undergrad = eligible[core::index_of(core::batch::undergrad)];
  EXPECT_EQ(undergrad[category_arts], 3'060);
  EXPECT_EQ(undergrad[category_sports], 843);
}

TEST(ProvinceForms, EveryCategoryOfEveryBatchHasGroupsWithHistories) {
  province_options o;
  o.candidates = 2'000;
  o.seed = 11;
  const province p = generate_province(o, 2);
  std::array<std::array<std::array<int, 3>, 2>, core::batch_count> groups{};
  std::vector<int> years_of(p.major_groups.size() + 1, 0);
  for (const historical_score_row& h : p.historical_scores) ++years_of[h.group_id];
  std::array<std::array<std::array<int, 3>, 2>, core::batch_count> with_history{};
  for (const major_group_row& g : p.major_groups) {
    auto& n = groups[static_cast<std::size_t>(g.batch)][static_cast<std::size_t>(g.track)];
    ++n[static_cast<std::size_t>(g.category)];
    if (years_of[g.group_id] > 0) {
      ++with_history[static_cast<std::size_t>(g.batch)][static_cast<std::size_t>(g.track)]
                    [static_cast<std::size_t>(g.category)];
    }
  }
  for (std::size_t b = 0; b < core::batch_count; ++b) {
    for (std::size_t t = 0; t < 2; ++t) {
      for (std::size_t c = 0; c < 3; ++c) {
        EXPECT_GT(groups[b][t][c], 0) << "batch " << b << " track " << t << " category " << c;
        EXPECT_GT(with_history[b][t][c], 0) << "batch " << b << " track " << t << " category " << c;
      }
    }
  }
}

TEST(ProvinceForms, ATinyCatalogStillGivesEveryEligibleCandidateAForm) {
  // Few colleges: the category groups of the colleges' own kinds do not cover every batch,
  // track and category; the generator adds what is missing where a college has room.
  province_options o;
  o.candidates = 3'000;
  o.colleges = 12;
  o.seed = 3;
  expect_every_eligible_candidate_can_file(generate_province(o, 2));
}

}  // namespace
}  // namespace zhiyuan::loadtest
