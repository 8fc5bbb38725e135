#pragma once

// The synthetic province's catalog: colleges, their major groups and majors, and every group's
// historical scores (the rows of province.hpp's colleges, major_groups, majors and
// historical_scores).

#include "province/province.hpp"
#include "province/scores.hpp"

namespace zhiyuan::loadtest::detail {

/// Generates p.colleges, p.major_groups, p.majors and p.historical_scores from the colleges'
/// stream; histories are read through the score tables and lines of `sy`.
void generate_catalog(const province_options& o, const line_set& lines, const score_years& sy,
                      province& p);

}  // namespace zhiyuan::loadtest::detail
