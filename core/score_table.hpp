#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/result.hpp"

namespace zhiyuan::core {

/// Highest possible total score under "3+1+2".
inline constexpr int max_score = 750;

/// One line of a published score table: how many candidates got exactly `score`.
struct score_count {
  int score = 0;
  int count = 0;
};

/// The score table (一分一段表) of one year and one track: score → count → cumulative rank.
/// `rank(s)` is the cumulative count of candidates scoring `s` or more (the rank the province
/// publishes, i.e. the worst position among the tied), an O(1) array lookup.
class score_table {
 public:
  /// Builds a table. Scores outside 0..750, negative counts or a score listed twice fail with
  /// errc::invalid_field; scores not listed have count 0.
  static result<score_table> build(std::span<const score_count> rows);

  /// Candidates with exactly `score` (0 outside 0..750).
  int count_at(int score) const noexcept;
  /// Candidates with `score` or more: 0 above 750, `total()` below 0.
  int rank(int score) const noexcept;
  /// Best position among those tied at `score`: rank(score) - count_at(score) + 1.
  int best_rank(int score) const noexcept;
  int total() const noexcept { return cumulative_[0]; }
  /// The score whose cumulative range (rank(s+1), rank(s)] contains `rank`: the highest score
  /// with rank(s) >= `rank`. nullopt when `rank` is < 1 or > total().
  std::optional<int> score_for_rank(int rank) const noexcept;

 private:
  // cumulative_[s] = candidates with score >= s, for s in 0..751 (cumulative_[751] = 0).
  std::array<std::int32_t, max_score + 2> cumulative_{};
};

/// 等位分: the score in an earlier year equivalent to `score` this year, found through the rank:
/// rank r = this_year.rank(score) (at least 1), then earlier.score_for_rank(r). nullopt when the
/// rank is beyond the earlier year's total.
std::optional<int> equivalent_score(const score_table& this_year, int score,
                                    const score_table& earlier) noexcept;

/// Reach / match / safe (冲/稳/保) suggestion of a group for a candidate.
enum class fit : std::uint8_t {
  reach,          ///< 冲: the candidate ranks somewhat worse than the group usually admits.
  match,          ///< 稳: about the group's usual minimum rank.
  safe,           ///< 保: clearly better.
  not_suggested,  ///< Too far either way (hopeless, or wastes the score).
  no_history,     ///< No historical minimum rank to compare with.
};

/// Thresholds on d = (candidate rank − average historical min rank) / average historical min
/// rank; positive d means the candidate ranks worse (a larger rank number).
///   reach:          match_band < d <= reach_max
///   match:          -match_band <= d <= match_band
///   safe:           -safe_max <= d < -safe_min
///   not_suggested:  d > reach_max, d < -safe_max, or -safe_min <= d < -match_band (a gap only
///                   when safe_min > match_band; by default there is none).
struct fit_thresholds {
  double reach_max = 0.20;   ///< Up to 20% worse: reach.
  double match_band = 0.05;  ///< Within ±5%: match.
  double safe_min = 0.05;    ///< More than 5% better: safe ...
  double safe_max = 0.50;    ///< ... up to 50% better; beyond, the choice wastes the score.
};

/// Classifies a group from its minimum admitted ranks of up to 3 recent years. Only the first 3
/// entries are used; entries <= 0 mean "no data" and are skipped; the rest are averaged.
/// `no_history` when no entry is usable or the candidate has no rank (<= 0).
fit classify(int candidate_rank, std::span<const int> historical_min_ranks,
             const fit_thresholds& th = {}) noexcept;

/// Stable code: "reach", "match", "safe", "not_suggested", "no_history".
std::string_view to_code(fit f) noexcept;

}  // namespace zhiyuan::core
