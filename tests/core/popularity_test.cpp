#include "core/popularity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

namespace zhiyuan::core {
namespace {

choice_list form(std::initializer_list<group_id> groups, bool first_special = false) {
  choice_list out;
  for (group_id g : groups) {
    out.push_back({g, {g * 100 + 1}, true, first_special && out.empty()});
  }
  return out;
}

TEST(popularity_index, counts_first_choice_and_any_position) {
  popularity_index p;
  p.record(1, batch::undergrad, 600, form({10, 20, 30}));
  p.record(2, batch::undergrad, 650, form({20, 10}));
  EXPECT_EQ(p.stats(10, 600).first_choice, 1);
  EXPECT_EQ(p.stats(10, 600).any_position, 2);
  EXPECT_EQ(p.stats(20, 600).first_choice, 1);
  EXPECT_EQ(p.stats(30, 600).first_choice, 0);
  EXPECT_EQ(p.stats(30, 600).any_position, 1);
  EXPECT_EQ(p.stats(40, 600).any_position, 0);
  EXPECT_EQ(p.candidates(), 2u);
}

TEST(popularity_index, a_new_submission_replaces_the_previous_one) {
  popularity_index p;
  p.record(1, batch::undergrad, 600, form({10, 20, 30}));
  p.record(1, batch::undergrad, 600, form({30, 40}));
  EXPECT_EQ(p.stats(10, 600).any_position, 0);
  EXPECT_EQ(p.stats(20, 600).any_position, 0);
  EXPECT_EQ(p.stats(30, 600).first_choice, 1);
  EXPECT_EQ(p.stats(40, 600).any_position, 1);
  EXPECT_EQ(p.stats(40, 600).first_choice, 0);
  EXPECT_EQ(p.position_of(1, batch::undergrad, 40), 2);
  EXPECT_EQ(p.position_of(1, batch::undergrad, 10), std::nullopt);
  // An empty list withdraws the candidate.
  p.record(1, batch::undergrad, 600, {});
  EXPECT_EQ(p.stats(30, 600).any_position, 0);
  EXPECT_EQ(p.candidates(), 0u);
}

TEST(popularity_index, batches_are_kept_apart) {
  popularity_index p;
  p.record(7, batch::early_undergrad, 610, form({1, 2}));
  p.record(7, batch::undergrad, 610, form({10, 11}));
  p.record(7, batch::vocational, 610, form({30}));
  p.record(7, batch::undergrad, 610, form({12}));
  EXPECT_EQ(p.stats(1, 0).first_choice, 1);
  EXPECT_EQ(p.stats(2, 0).any_position, 1);
  EXPECT_EQ(p.stats(10, 0).any_position, 0);
  EXPECT_EQ(p.stats(12, 0).first_choice, 1);
  EXPECT_EQ(p.stats(30, 0).first_choice, 1);
  EXPECT_EQ(p.position_of(7, batch::early_undergrad, 2), 2);
  EXPECT_EQ(p.position_of(7, batch::vocational, 30), 1);
  EXPECT_EQ(p.position_of(7, batch::undergrad, 30), std::nullopt);
  EXPECT_EQ(p.candidates(), 1u);
}

TEST(popularity_index, rank_among_holders_counts_higher_scores) {
  popularity_index p;
  p.record(1, batch::undergrad, 700, form({5}));
  p.record(2, batch::undergrad, 650, form({6, 5}));
  p.record(3, batch::undergrad, 650, form({5}));
  p.record(4, batch::undergrad, 600, form({5}));
  p.record(5, batch::undergrad, 690, form({6}));  // does not hold group 5
  const auto at650 = p.stats(5, 650);
  EXPECT_EQ(at650.higher, 1);
  EXPECT_EQ(at650.tied, 2);
  EXPECT_EQ(at650.rank(), 2);
  EXPECT_EQ(p.stats(5, 750).rank(), 1);
  EXPECT_EQ(p.stats(5, 599).rank(), 5);
  EXPECT_EQ(p.stats(5, 700).tied, 1);
  // A later submission with another score moves the candidate in the histogram.
  p.record(4, batch::undergrad, 720, form({5}));
  EXPECT_EQ(p.stats(5, 650).higher, 2);
  EXPECT_EQ(p.stats(5, 600).tied, 0);
}

TEST(popularity_index, special_choices_are_not_first_choices_and_duplicates_count_once) {
  popularity_index p;
  p.record(1, batch::undergrad, 600, form({90, 10, 20}, /*first_special=*/true));
  EXPECT_EQ(p.stats(90, 600).first_choice, 0);
  EXPECT_EQ(p.stats(90, 600).any_position, 1);
  EXPECT_EQ(p.stats(10, 600).first_choice, 1);
  p.record(2, batch::undergrad, 600, form({10, 10, 20}));
  EXPECT_EQ(p.stats(10, 600).any_position, 2);
  EXPECT_EQ(p.stats(10, 600).first_choice, 2);
}

TEST(popularity_index, ids_outside_the_dense_range_work_too) {
  popularity_index p;
  const std::int64_t big = std::int64_t{1} << 40;
  p.record(big, batch::undergrad, 500, form({3}));
  p.record(-5, batch::undergrad, 500, form({3}));
  EXPECT_EQ(p.stats(3, 500).any_position, 2);
  EXPECT_EQ(p.position_of(big, batch::undergrad, 3), 1);
  p.record(big, batch::undergrad, 500, {});
  p.record(-5, batch::undergrad, 500, {});
  EXPECT_EQ(p.stats(3, 500).any_position, 0);
  EXPECT_EQ(p.candidates(), 0u);
}

// A naive model: the current lists per (candidate, batch) and the candidate's last score.
struct model {
  std::map<std::pair<std::int64_t, int>, choice_list> lists;
  std::map<std::int64_t, int> score;

  popularity_index::group_stats stats(group_id g, int s) const {
    popularity_index::group_stats out;
    for (const auto& [key, list] : lists) {
      bool any = false;
      for (const auto& c : list) any = any || c.group == g;
      if (!any) continue;
      ++out.any_position;
      if (!list.empty() && list.front().group == g) ++out.first_choice;
      const int cs = score.at(key.first);
      if (cs > s) ++out.higher;
      if (cs == s) ++out.tied;
    }
    return out;
  }
};

TEST(popularity_index, matches_a_naive_model_over_random_resubmissions) {
  std::mt19937 rng(20230630);
  popularity_index p;
  model m;
  for (int step = 0; step < 3000; ++step) {
    const std::int64_t cand = static_cast<std::int64_t>(rng() % 200);
    const auto b = all_batches[rng() % 2];
    const int s = 400 + static_cast<int>(rng() % 300);
    // Distinct groups (a valid form never repeats one), possibly none.
    std::vector<group_id> pool(40);
    for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<group_id>(i + 1);
    std::shuffle(pool.begin(), pool.end(), rng);
    choice_list list;
    const std::size_t n = rng() % 8;
    for (std::size_t i = 0; i < n; ++i) list.push_back({pool[i], {}, true, false});
    p.record(cand, b, s, list);
    m.score[cand] = s;
    // The model keeps every batch's score in step with the candidate's latest one, as the index.
    if (list.empty()) {
      m.lists.erase({cand, static_cast<int>(b)});
    } else {
      m.lists[{cand, static_cast<int>(b)}] = list;
    }
  }
  for (group_id g = 1; g <= 40; ++g) {
    for (int s : {399, 450, 550, 650, 700}) {
      const auto want = m.stats(g, s);
      const auto got = p.stats(g, s);
      ASSERT_EQ(got.any_position, want.any_position) << "group " << g;
      ASSERT_EQ(got.first_choice, want.first_choice) << "group " << g;
      ASSERT_EQ(got.higher, want.higher) << "group " << g << " score " << s;
      ASSERT_EQ(got.tied, want.tied) << "group " << g << " score " << s;
    }
  }
}

}  // namespace
}  // namespace zhiyuan::core
