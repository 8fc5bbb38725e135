#include "core/score_table.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace zhiyuan::core {
namespace {

// A tiny table: 2 at 700, 3 at 650, none between, 5 at 600, 10 at 100.
score_table small() {
  const std::vector<score_count> rows = {{700, 2}, {650, 3}, {600, 5}, {100, 10}};
  return std::move(score_table::build(rows).value());
}

TEST(score_table_test, rank_is_the_cumulative_count) {
  const score_table t = small();
  EXPECT_EQ(t.total(), 20);
  struct c {
    int score, count, rank, best;
  };
  for (const c& k : std::vector<c>{{751, 0, 0, 1},
                                   {750, 0, 0, 1},
                                   {700, 2, 2, 1},
                                   {699, 0, 2, 3},
                                   {650, 3, 5, 3},
                                   {600, 5, 10, 6},
                                   {599, 0, 10, 11},
                                   {100, 10, 20, 11},
                                   {0, 0, 20, 21},
                                   {-5, 0, 20, 21}}) {
    EXPECT_EQ(t.count_at(k.score), k.count) << k.score;
    EXPECT_EQ(t.rank(k.score), k.rank) << k.score;
    EXPECT_EQ(t.best_rank(k.score), k.best) << k.score;
  }
}

TEST(score_table_test, score_for_rank_finds_the_containing_range) {
  const score_table t = small();
  struct c {
    int rank;
    std::optional<int> score;
  };
  for (const c& k : std::vector<c>{{0, std::nullopt},
                                   {1, 700},
                                   {2, 700},
                                   {3, 650},
                                   {5, 650},
                                   {6, 600},
                                   {10, 600},
                                   {11, 100},
                                   {20, 100},
                                   {21, std::nullopt}}) {
    EXPECT_EQ(t.score_for_rank(k.rank), k.score) << k.rank;
  }
}

TEST(score_table_test, equivalent_score_goes_through_the_rank) {
  // This year is harder: every score is 10 lower than last year for the same rank.
  std::vector<score_count> now_rows, then_rows;
  for (int s = 300; s <= 700; ++s) {
    now_rows.push_back({s, 100 + (s % 7)});
    then_rows.push_back({s + 10, 100 + (s % 7)});
  }
  const auto now = score_table::build(now_rows).value();
  const auto then = score_table::build(then_rows).value();
  for (int s = 300; s <= 700; s += 37) EXPECT_EQ(equivalent_score(now, s, then), s + 10) << s;
  // Above everyone this year: rank 1, the earlier year's top score.
  EXPECT_EQ(equivalent_score(now, 720, then), 710);
  // Rank beyond the earlier year's total: no equivalent.
  std::vector<score_count> small_then = {{600, 5}};
  EXPECT_EQ(equivalent_score(now, 650, score_table::build(small_then).value()), std::nullopt);
}

TEST(score_table_test, randomised_rank_matches_brute_force) {
  std::mt19937 rng(655000);
  std::uniform_int_distribution<int> count(0, 400);
  std::vector<score_count> rows;
  for (int s = 0; s <= max_score; ++s) rows.push_back({s, s < 150 ? count(rng) / 8 : count(rng)});
  const auto t = score_table::build(rows).value();
  for (int s = -2; s <= max_score + 2; ++s) {
    long long brute = 0;
    for (const score_count& r : rows) brute += r.score >= s ? r.count : 0;
    ASSERT_EQ(t.rank(s), brute) << s;
  }
  std::uniform_int_distribution<int> rank(1, t.total());
  for (int i = 0; i < 2000; ++i) {
    const int r = rank(rng);
    const auto s = t.score_for_rank(r);
    ASSERT_TRUE(s.has_value());
    EXPECT_LT(t.rank(*s + 1), r);
    EXPECT_GE(t.rank(*s), r);
  }
}

TEST(score_table_test, build_rejects_bad_rows) {
  EXPECT_FALSE(score_table::build(std::vector<score_count>{{751, 1}}));
  EXPECT_FALSE(score_table::build(std::vector<score_count>{{-1, 1}}));
  EXPECT_FALSE(score_table::build(std::vector<score_count>{{600, -1}}));
  EXPECT_FALSE(score_table::build(std::vector<score_count>{{600, 1}, {600, 2}}));
  EXPECT_TRUE(score_table::build(std::vector<score_count>{}));
}

TEST(score_table_test, classify_by_average_historical_rank) {
  const std::vector<int> hist = {10000, 9000, 11000};  // Average 10000.
  struct c {
    int rank;
    fit want;
  };
  for (const c& k : std::vector<c>{{12001, fit::not_suggested},  // 20.01% worse.
                                   {12000, fit::reach},          // 20% worse.
                                   {10501, fit::reach},
                                   {10500, fit::match},  // +5%.
                                   {10000, fit::match},
                                   {9500, fit::match},  // -5%.
                                   {9499, fit::safe},
                                   {5000, fit::safe},  // 50% better.
                                   {4999, fit::not_suggested}}) {
    EXPECT_EQ(classify(k.rank, hist), k.want) << k.rank;
  }
  // Missing years (<= 0) are skipped; only three years are used.
  EXPECT_EQ(classify(10000, std::vector<int>{0, 10000, -1}), fit::match);
  EXPECT_EQ(classify(10000, std::vector<int>{10000, 10000, 10000, 1}), fit::match);
  EXPECT_EQ(classify(10000, std::vector<int>{}), fit::no_history);
  EXPECT_EQ(classify(10000, std::vector<int>{0, 0}), fit::no_history);
  // A gap between match and safe when configured.
  fit_thresholds th;
  th.safe_min = 0.10;
  EXPECT_EQ(classify(9400, hist, th), fit::not_suggested);
  EXPECT_EQ(classify(8999, hist, th), fit::safe);
}

}  // namespace
}  // namespace zhiyuan::core
