#include "server/popularity.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <thread>
#include <vector>

namespace zhiyuan::server {
namespace {

core::choice_list form(std::initializer_list<core::group_id> groups) {
  core::choice_list out;
  for (core::group_id g : groups) out.push_back({g, {g * 100 + 1}, true, false});
  return out;
}

TEST(shared_popularity, concurrent_writers_and_readers_end_consistent) {
  shared_popularity p;
  constexpr int writers = 4;
  constexpr int per_writer = 500;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&p, w] {
      for (int i = 0; i < per_writer; ++i) {
        const std::int64_t id = w * per_writer + i;
        // Every candidate first chooses {1, 2}, then settles on {2, 3}.
        p.record(id, core::batch::undergrad, 500 + i % 100, form({1, 2}));
        p.record(id, core::batch::undergrad, 500 + i % 100, form({2, 3}));
      }
    });
  }
  threads.emplace_back([&p] {
    for (int i = 0; i < 2000; ++i) {
      const auto s = p.stats(2, 550);
      // Group 2 is held by every recorded candidate at every moment.
      ASSERT_LE(s.higher + s.tied, s.any_position);
      ASSERT_LE(s.first_choice, s.any_position);
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(p.stats(1, 0).any_position, 0);
  EXPECT_EQ(p.stats(2, 0).first_choice, writers * per_writer);
  EXPECT_EQ(p.stats(3, 0).any_position, writers * per_writer);
  EXPECT_EQ(p.candidates(), static_cast<std::size_t>(writers * per_writer));
}

// Another node's commits reach this node's index through the refresher; a version read again
// in the overlap of two refreshes is recorded once, a newer version replaces the older.
TEST(popularity_refresher, records_every_nodes_commits_once_per_version) {
  shared_popularity p;
  std::vector<std::pair<std::vector<storage::popularity_change>, std::int64_t>> pages = {
      {{}, 100},
      {{{7, core::batch::undergrad, 1, form({1, 2})}}, 200},
      {{{7, core::batch::undergrad, 1, form({1, 2})}, {8, core::batch::undergrad, 1, form({2})}},
       300},
      {{{7, core::batch::undergrad, 2, form({3})}}, 400}};
  std::vector<std::int64_t> cursors;
  std::size_t page = 0;
  popularity_refresher r(
      p,
      [&](std::int64_t cursor, const storage::popularity_wanted& wanted) {
        cursors.push_back(cursor);
        // As storage does: a version read before comes back without its choices.
        auto changes = pages.at(page++);
        for (auto& c : changes.first) {
          if (!wanted(c.candidate_id, c.b, c.version)) c.choices.clear();
        }
        return changes;
      },
      [](std::int64_t) { return 600; });
  EXPECT_EQ(r.refresh(), 0u);
  EXPECT_EQ(r.refresh(), 1u);
  EXPECT_EQ(p.stats(1, 600).first_choice, 1);
  EXPECT_EQ(r.refresh(), 1u);  // 7's version 1 again: skipped; 8 is new
  EXPECT_EQ(p.stats(2, 600).any_position, 2);
  EXPECT_EQ(r.refresh(), 1u);
  EXPECT_EQ(p.stats(1, 600).first_choice, 0);
  EXPECT_EQ(p.stats(3, 600).first_choice, 1);
  EXPECT_EQ(cursors, (std::vector<std::int64_t>{0, 100, 200, 300}));
}

// This node's own commits (recorded when answered) are not read back from the database; a read
// whose snapshot predates a newer own commit does not put the older version back.
TEST(popularity_refresher, skips_own_commits_and_keeps_newer_own_versions) {
  shared_popularity p;
  p.record_own(7, core::batch::undergrad, 1, 600, form({1}));
  std::vector<std::pair<std::vector<storage::popularity_change>, std::int64_t>> pages = {
      {{{7, core::batch::undergrad, 1, form({1})}, {8, core::batch::undergrad, 4, form({2})}}, 100},
      {{{9, core::batch::undergrad, 1, form({4})}}, 200},
      {{{9, core::batch::undergrad, 3, form({6})}}, 300}};
  std::size_t page = 0;
  std::vector<std::int64_t> asked;  // candidates whose choices the refresher wanted
  popularity_refresher r(
      p,
      [&](std::int64_t, const storage::popularity_wanted& wanted) {
        auto changes = pages.at(page++);
        for (auto& c : changes.first) {
          if (wanted(c.candidate_id, c.b, c.version)) {
            asked.push_back(c.candidate_id);
          } else {
            c.choices.clear();
          }
        }
        // Version 3 of candidate 9 commits here and is answered while this read is in hand.
        if (page == 2) p.record_own(9, core::batch::undergrad, 3, 600, form({6}));
        return changes;
      },
      [](std::int64_t) { return 600; });
  EXPECT_EQ(r.refresh(), 1u);  // 8 only: 7's version 1 is this node's
  EXPECT_EQ(asked, (std::vector<std::int64_t>{8}));
  EXPECT_EQ(p.stats(1, 600).first_choice, 1);
  EXPECT_EQ(r.refresh(), 1u);  // 9's version 1, read before its own version 3: not recorded
  EXPECT_EQ(p.stats(4, 600).any_position, 0);
  EXPECT_EQ(p.stats(6, 600).first_choice, 1);
  EXPECT_EQ(r.refresh(), 0u);  // then version 3 itself: this node's, not read back
  EXPECT_EQ(asked, (std::vector<std::int64_t>{8, 9}));
  EXPECT_EQ(p.stats(6, 600).first_choice, 1);
}

}  // namespace
}  // namespace zhiyuan::server
