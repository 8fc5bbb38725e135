#include "core/score_table.hpp"

#include <algorithm>
#include <string>

namespace zhiyuan::core {

result<score_table> score_table::build(std::span<const score_count> rows) {
  score_table t;
  std::array<bool, max_score + 1> seen{};
  std::array<std::int64_t, max_score + 1> count{};
  for (const score_count& r : rows) {
    if (r.score < 0 || r.score > max_score || r.count < 0) {
      return failure(errc::invalid_field,
                     "bad score table row for score " + std::to_string(r.score));
    }
    if (seen[static_cast<std::size_t>(r.score)]) {
      return failure(errc::invalid_field, "score listed twice: " + std::to_string(r.score));
    }
    seen[static_cast<std::size_t>(r.score)] = true;
    count[static_cast<std::size_t>(r.score)] = r.count;
  }
  std::int64_t running = 0;
  for (int s = max_score; s >= 0; --s) {
    running += count[static_cast<std::size_t>(s)];
    if (running > INT32_MAX) return failure(errc::invalid_field, "score table total too large");
    t.cumulative_[static_cast<std::size_t>(s)] = static_cast<std::int32_t>(running);
  }
  return t;
}

int score_table::rank(int score) const noexcept {
  if (score > max_score) return 0;
  return cumulative_[static_cast<std::size_t>(std::max(score, 0))];
}

int score_table::count_at(int score) const noexcept {
  if (score < 0 || score > max_score) return 0;
  const auto s = static_cast<std::size_t>(score);
  return cumulative_[s] - cumulative_[s + 1];
}

int score_table::best_rank(int score) const noexcept { return rank(score) - count_at(score) + 1; }

std::optional<int> score_table::score_for_rank(int r) const noexcept {
  if (r < 1 || r > total()) return std::nullopt;
  // cumulative_ is non-increasing in the score: find the last index whose value is >= r.
  int lo = 0;              // cumulative_[lo] >= r holds.
  int hi = max_score + 1;  // cumulative_[hi] = 0 < r.
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    if (cumulative_[static_cast<std::size_t>(mid)] >= r) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::optional<int> equivalent_score(const score_table& this_year, int score,
                                    const score_table& earlier) noexcept {
  return earlier.score_for_rank(std::max(this_year.rank(score), 1));
}

fit classify(int candidate_rank, std::span<const int> historical_min_ranks,
             const fit_thresholds& th) noexcept {
  double sum = 0;
  int n = 0;
  for (std::size_t i = 0; i < historical_min_ranks.size() && i < 3; ++i) {
    if (historical_min_ranks[i] > 0) {
      sum += historical_min_ranks[i];
      ++n;
    }
  }
  if (n == 0 || candidate_rank <= 0) return fit::no_history;
  const double avg = sum / n;
  const double d = (candidate_rank - avg) / avg;
  if (d > th.reach_max) return fit::not_suggested;
  if (d > th.match_band) return fit::reach;
  if (d >= -th.match_band) return fit::match;
  if (d >= -th.safe_min) return fit::not_suggested;
  if (d >= -th.safe_max) return fit::safe;
  return fit::not_suggested;
}

std::string_view to_code(fit f) noexcept {
  switch (f) {
    case fit::reach:
      return "reach";
    case fit::match:
      return "match";
    case fit::safe:
      return "safe";
    case fit::not_suggested:
      return "not_suggested";
    case fit::no_history:
      return "no_history";
  }
  return "not_suggested";
}

}  // namespace zhiyuan::core
