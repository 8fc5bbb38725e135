#include "province/scores.hpp"

#include <algorithm>
#include <cmath>

namespace zhiyuan::loadtest::detail {

int draw_score(rng& r, const score_model& m) {
  const double z = r.normal();
  double s = z >= 0 ? m.mean + m.sd_high * z : m.mean + m.sd_low * z;
  // Top scores bunch below ~730 rather than piling up at the maximum.
  if (s > 620) s = 620 + 110 * std::tanh((s - 620) / 110);
  return std::clamp(static_cast<int>(std::lround(s)), 0, max_score);
}

score_cumulative cumulate(const score_counts& counts) {
  score_cumulative c{};
  for (int s = max_score; s >= 0; --s) {
    c[static_cast<std::size_t>(s)] =
        c[static_cast<std::size_t>(s) + 1] + counts[static_cast<std::size_t>(s)];
  }
  return c;
}

int score_at_rank(const score_cumulative& c, int rank) {
  for (int s = max_score; s >= 0; --s) {
    if (c[static_cast<std::size_t>(s)] >= rank) return s;
  }
  return 0;
}

int at(const score_cumulative& c, int score) {
  return c[static_cast<std::size_t>(std::clamp(score, 0, max_score + 1))];
}

line_set make_lines(const int undergrad[2], const int special[2], int vocational) {
  line_set l{};
  for (int t = 0; t < 2; ++t) {
    l.special[t] = special[t];
    l.undergrad[t][category_regular] = undergrad[t];
    l.undergrad[t][category_arts] = static_cast<int>(std::lround(undergrad[t] * arts_line_ratio));
    l.undergrad[t][category_sports] =
        static_cast<int>(std::lround(undergrad[t] * sports_line_ratio));
    l.vocational[t][category_regular] = vocational;
    l.vocational[t][category_arts] = arts_sports_vocational_line;
    l.vocational[t][category_sports] = arts_sports_vocational_line;
  }
  return l;
}

int eligibility(int score, int track, int category, const line_set& lines) {
  int bits = 0;
  if (score >= lines.undergrad[track][category]) {
    bits |= (1 << batch_early_undergrad) | (1 << batch_undergrad);
  }
  if (score >= lines.vocational[track][category]) {
    bits |= (1 << batch_early_vocational) | (1 << batch_vocational);
  }
  // The special-type slot of 本科批 also needs 本科批 itself.
  if (category == category_regular && score >= lines.special[track] &&
      (bits & (1 << batch_undergrad)) != 0) {
    bits |= eligible_special_type;
  }
  return bits;
}

}  // namespace zhiyuan::loadtest::detail
