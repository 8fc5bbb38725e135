#include "core/admin.hpp"

#include <array>

namespace zhiyuan::core {
namespace {

constexpr std::array<std::string_view, 3> role_codes = {"viewer", "operator", "manager"};

struct reason_names {
  std::string_view code;
  std::string_view zh;
};
constexpr std::array<reason_names, 6> reasons = {{{"abandon", "放弃"},
                                                  {"abroad", "出国"},
                                                  {"repeat", "复读"},
                                                  {"military", "参军"},
                                                  {"unreachable", "联系不上"},
                                                  {"other", "其他"}}};

}  // namespace

std::string_view to_code(admin_role r) noexcept { return role_codes[static_cast<std::size_t>(r)]; }

std::optional<admin_role> parse_admin_role(std::string_view code) noexcept {
  for (std::size_t i = 0; i < role_codes.size(); ++i) {
    if (role_codes[i] == code) return static_cast<admin_role>(i);
  }
  return std::nullopt;
}

std::optional<admin_role> admin_role_from_int(int stored) noexcept {
  if (stored < 0 || stored >= static_cast<int>(role_codes.size())) return std::nullopt;
  return static_cast<admin_role>(stored);
}

std::string_view to_code(unfiled_reason r) noexcept {
  return reasons[static_cast<std::size_t>(r)].code;
}

std::string_view label_zh(unfiled_reason r) noexcept {
  return reasons[static_cast<std::size_t>(r)].zh;
}

std::optional<unfiled_reason> parse_unfiled_reason(std::string_view text) noexcept {
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    if (reasons[i].code == text || reasons[i].zh == text) return static_cast<unfiled_reason>(i);
  }
  return std::nullopt;
}

std::optional<unfiled_reason> unfiled_reason_from_int(int stored) noexcept {
  if (stored < 0 || stored >= static_cast<int>(reasons.size())) return std::nullopt;
  return static_cast<unfiled_reason>(stored);
}

namespace {
constexpr std::array<std::string_view, 3> event_codes = {"comment", "acknowledge", "resolve"};
constexpr std::array<std::string_view, 3> status_codes = {"open", "acknowledged", "resolved"};
constexpr std::array<std::string_view, 4> severity_codes = {"low", "medium", "high", "critical"};
constexpr std::array<std::string_view, 4> level_codes = {"province", "city", "county", "school"};
}  // namespace

std::string_view to_code(incident_event e) noexcept {
  return event_codes[static_cast<std::size_t>(e)];
}

std::optional<incident_event> parse_incident_event(std::string_view code) noexcept {
  for (std::size_t i = 0; i < event_codes.size(); ++i) {
    if (event_codes[i] == code) return static_cast<incident_event>(i);
  }
  return std::nullopt;
}

std::string_view incident_status_code(int status) noexcept {
  if (status < 0 || status >= static_cast<int>(status_codes.size())) return "open";
  return status_codes[static_cast<std::size_t>(status)];
}

std::string_view incident_severity_code(int stored) noexcept {
  if (stored < 0 || stored >= static_cast<int>(severity_codes.size())) return "low";
  return severity_codes[static_cast<std::size_t>(stored)];
}

std::optional<int> parse_incident_severity(std::string_view code) noexcept {
  for (std::size_t i = 0; i < severity_codes.size(); ++i) {
    if (severity_codes[i] == code) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string_view unit_level_code(int stored) noexcept {
  if (stored < 0 || stored >= static_cast<int>(level_codes.size())) return "school";
  return level_codes[static_cast<std::size_t>(stored)];
}

}  // namespace zhiyuan::core
