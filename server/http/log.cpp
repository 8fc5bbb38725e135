#include "server/http/log.hpp"

#include <stdexcept>

#include <spdlog/sinks/stdout_sinks.h>

#include "server/http/json_writer.hpp"

namespace zhiyuan::server {

void init_logging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level " + level);
  }
  auto logger = spdlog::stdout_logger_mt("zhiyuan");
  // The payload (%v) is a sequence of JSON members written by log_event.
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

void log_event(spdlog::level::level_enum level, std::string_view event,
               std::span<const log_field> fields) {
  if (!spdlog::should_log(level)) return;
  std::string line;
  line.reserve(128);
  line += "\"event\":";
  json_writer::append_string(line, event);
  for (const auto& f : fields) {
    line += ',';
    json_writer::append_string(line, f.key);
    line += ':';
    json_writer::append_string(line, f.value);
  }
  spdlog::log(level, "{}", line);
}

}  // namespace zhiyuan::server
