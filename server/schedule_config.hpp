#pragma once

#include <string>
#include <string_view>

#include "core/schedule.hpp"

namespace zhiyuan::server {

/// Parses a schedule file (shape documented in config/schedule.toml) into the core's
/// timetable. Throws config_error naming the offending key, e.g.
/// "schedule.batches.undergrad.formal_close".
core::schedule parse_schedule(std::string_view toml_text, const std::string& file_name);

/// Reads and parses a schedule file; throws config_error when it cannot be read.
core::schedule load_schedule(const std::string& path);

}  // namespace zhiyuan::server
