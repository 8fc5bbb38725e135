#pragma once

// Scores of the synthetic province: the score model candidates are drawn from, the score tables
// (一分一段表) as cumulative counts, the control lines of a year and the eligibility they give.
// Shared by the candidates (province.cpp) and the groups' histories (catalog_generator.cpp).

#include <array>
#include <vector>

#include "province/province.hpp"
#include "province/random.hpp"

namespace zhiyuan::loadtest::detail {

struct score_model {
  double mean;
  double sd_low;   // below the mean: a long left tail
  double sd_high;  // above the mean: a short right tail
};

// Per track: physics, history.
inline constexpr score_model current_models[2] = {{425, 120, 95}, {440, 110, 85}};

int draw_score(rng& r, const score_model& m);

// counts[s] for s in 0..750 → cumulative[s] = number with score >= s; cumulative[751] = 0.
using score_counts = std::array<int, max_score + 1>;
using score_cumulative = std::array<int, max_score + 2>;

score_cumulative cumulate(const score_counts& counts);
// The score of the candidate at `rank` (1-based): the highest s with cumulative[s] >= rank.
int score_at_rank(const score_cumulative& c, int rank);
// cumulative[score], with scores past either end clamped.
int at(const score_cumulative& c, int score);

// Synthetic population of a historical year relative to the current year: size factor and mean
// shift, for years current-3, current-2, current-1.
struct history_model {
  double size_factor;
  double mean_shift;
};
inline constexpr history_model history_models[3] = {{0.84, -3}, {0.86, 4}, {0.90, -6}};

struct line_set {
  // [track][category]: undergraduate and vocational lines; [track]: special type (regular
  // category only).
  int undergrad[2][3];
  int vocational[2][3];
  int special[2];
};

// Synthetic (unverified) ratios of the arts and sports culture lines to the regular ones.
inline constexpr double arts_line_ratio = 0.80;
inline constexpr double sports_line_ratio = 0.78;
inline constexpr int arts_sports_vocational_line = 160;

line_set make_lines(const int undergrad[2], const int special[2], int vocational);

inline bool undergrad_batch(int batch) noexcept {
  return batch == batch_early_undergrad || batch == batch_undergrad;
}
// The control line of a batch for a track and category: 提前批 shares its level's line.
inline int batch_line(const line_set& l, int batch, int track, int category) noexcept {
  return undergrad_batch(batch) ? l.undergrad[track][category] : l.vocational[track][category];
}

// The eligible bits (see province.hpp) of a score under a year's lines.
int eligibility(int score, int track, int category, const line_set& lines);

/// The score tables of the current year (from the candidates) and of the historical years
/// (synthetic populations), with each historical year's lines: what groups' histories are read
/// through.
struct score_years {
  std::vector<int> years;  ///< the historical years, oldest first
  std::array<score_cumulative, 2> current;
  std::vector<std::array<score_cumulative, 2>> history;  ///< per historical year, per track
  std::vector<line_set> history_lines;                   ///< per historical year
};

}  // namespace zhiyuan::loadtest::detail
