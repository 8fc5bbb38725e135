#pragma once

// The catalog's JSON: schedule windows, colleges, major groups with their majors and subject
// requirements, and groups' historical scores with this year's equivalents.

#include <string>

#include "core/catalog.hpp"
#include "core/schedule.hpp"
#include "server/candidate/catalog/snapshot.hpp"
#include "server/http/json_writer.hpp"

namespace zhiyuan::server {

/// "首选物理，再选化学和生物" and the like.
std::string requirement_zh(const core::subject_requirement& r);

/// {"open", "close"} in RFC 3339.
void write_window(json_writer& w, const core::window& win);
void write_college(json_writer& w, const core::college& c);
/// A group with its college's name and region, its subject requirement and its majors.
void write_group(json_writer& w, const core::catalog& cat, const core::major_group& g);
/// A group's admissions of the years before `this_year` (most recent first), each with the
/// score of the same rank this year (等位分).
void write_score_history(json_writer& w, const catalog_snapshot& s, int this_year,
                         const core::major_group& g);

}  // namespace zhiyuan::server
