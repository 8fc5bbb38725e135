#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/batch.hpp"
#include "core/catalog.hpp"
#include "core/choices.hpp"
#include "core/score_table.hpp"

namespace zhiyuan::core {

/// How many candidates hold each group in their current formal choices (as first choice and in
/// any position), with their score distribution so that a candidate's rank among them is a
/// sum. Fed with committed submissions only. Not synchronised: the server shares one behind a
/// reader-writer lock (server/popularity.hpp).
///
/// Memory: per candidate one pointer plus one block of 16-bit numbers (score, per-batch
/// counts, then the chosen groups as dense slots: ~100 bytes for a full 45-group form); per
/// group that anyone chose two counters and a histogram over scores 0..750 (3 KiB). Measured for
/// 655,000 candidates with full 45-group forms over 9,291 groups: 112 MiB, independent of how often
/// candidates resubmit. At most 65,535 distinct groups are tracked; choices of further groups
/// are ignored (and counted in `dropped()`).
class popularity_index {
 public:
  /// Replaces the candidate's previous choices of batch `b` (if any) by `choices`; an empty
  /// list removes them. `score` (clamped to 0..750) is the candidate's exam score; the latest
  /// call's score counts for all of the candidate's batches.
  void record(std::int64_t candidate_id, batch b, int score, std::span<const group_choice> choices);

  /// What the index knows about a group, seen by a candidate with `score`.
  struct group_stats {
    std::int64_t first_choice = 0;  ///< Candidates whose first choice it is.
    std::int64_t any_position = 0;  ///< Candidates who hold it anywhere in their choices.
    std::int64_t higher = 0;        ///< Holders (any position) with a score above `score`.
    std::int64_t tied = 0;          ///< Holders (any position) with exactly `score`.
    /// 1 + higher: the candidate's rank by score among the holders (1 = best; ties share it).
    std::int64_t rank() const noexcept { return higher + 1; }
  };
  group_stats stats(group_id g, int score) const;

  /// The 1-based position of `g` among the candidate's current choices of batch `b`.
  std::optional<int> position_of(std::int64_t candidate_id, batch b, group_id g) const;

  /// Candidates with at least one recorded batch.
  std::size_t candidates() const;
  /// Group choices ignored because the 65,535-group capacity was full.
  std::int64_t dropped() const;

 private:
  using slot = std::uint16_t;
  static constexpr std::size_t max_slots = 0xFFFF;
  // Candidate ids below this bound live in a vector indexed by id (database ids are dense);
  // others in a map.
  static constexpr std::int64_t dense_bound = std::int64_t{1} << 24;

  struct group_counts {
    group_id id = 0;
    std::int64_t first = 0;
    std::int64_t any = 0;
    std::unique_ptr<std::array<std::int32_t, max_score + 1>> by_score;
  };
  // [0] score, [1..4] number of groups per batch, then the groups' slots batch after batch.
  using block = std::unique_ptr<std::uint16_t[]>;

  block* find_block(std::int64_t candidate_id);
  const block* find_block(std::int64_t candidate_id) const;
  block& block_for(std::int64_t candidate_id);
  slot slot_of(group_id g);  // max_slots when full
  void count(const std::uint16_t* data, int sign);

  std::vector<block> dense_;
  std::unordered_map<std::int64_t, block> sparse_;
  std::unordered_map<group_id, slot> slots_;
  std::vector<group_counts> groups_;  // indexed by slot
  std::size_t candidates_ = 0;
  std::int64_t dropped_ = 0;
};

}  // namespace zhiyuan::core
