#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/schedule.hpp"

namespace zhiyuan::server {

/// Parses a schedule file (shape documented in config/schedule.toml) into the core's
/// timetable. Throws config_error naming the offending key, e.g.
/// "schedule.batches.undergrad.formal_close".
core::schedule parse_schedule(std::string_view toml_text, const std::string& file_name);

/// Reads and parses a schedule file; throws config_error when it cannot be read.
core::schedule load_schedule(const std::string& path);

/// The timetable as JSON, the shape of GET/PUT /api/v1/admin/schedule and of the stored
/// revisions: {"year", "assisted_open", "confirm_deadline", "drill": {"open", "close"},
/// "batches": {"<batch>": {"formal_open", "formal_close"[, "special_open", "special_close"]
/// [, "slots": [{"open", "close", "min_score", "max_score", "cities": ["<city code>", ...]}]]}},
/// "supplementary": [{"open", "close", "batches": ["<batch>", ...]}]}, instants in RFC 3339.
std::string schedule_to_json(const core::schedule& s);

/// Parses that JSON; every missing or malformed field, then every rule of
/// core::check_schedule the timetable breaks, goes to `issues` (empty: usable).
core::schedule schedule_from_json(std::string_view json, std::vector<core::schedule_issue>& issues);

}  // namespace zhiyuan::server
