#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace zhiyuan::server {

/// A key and an already-formatted value of a log line.
struct log_field {
  std::string_view key;
  std::string_view value;
};

/// Sets up JSON-lines logging to stdout: {"ts":...,"level":...,"event":...,<fields>}.
/// Throws std::invalid_argument on an unknown level.
void init_logging(const std::string& level);

/// Logs one event with string fields, JSON-escaped.
void log_event(spdlog::level::level_enum level, std::string_view event,
               std::span<const log_field> fields);
inline void log_event(spdlog::level::level_enum level, std::string_view event,
                      std::initializer_list<log_field> fields = {}) {
  log_event(level, event, std::span<const log_field>(fields.begin(), fields.size()));
}

}  // namespace zhiyuan::server
