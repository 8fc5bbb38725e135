#pragma once

// The synthetic province's catalog: colleges, their major groups and majors, and every group's
// historical scores (the rows of province.hpp's colleges, major_groups, majors and
// historical_scores).

#include "province/province.hpp"
#include "province/scores.hpp"

namespace zhiyuan::loadtest::detail {

/// Generates p.colleges, p.major_groups, p.majors and p.historical_scores. The colleges and
/// their groups come from the colleges' stream; then, from streams of their own and appended
/// after them (so those keep their ids and numbers), the groups that give every category each
/// batch admits groups of its own: every synthetic candidate eligible for a batch then has
/// groups of the batch to list, as long as the catalog has a college of the batch's level with
/// room. Histories are read through the score tables and lines of `sy`.
void generate_catalog(const province_options& o, const line_set& lines, const score_years& sy,
                      province& p);

}  // namespace zhiyuan::loadtest::detail
