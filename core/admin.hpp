#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zhiyuan::core {

/// An admission-office account's role. Ordered: a higher role may do everything a lower one
/// may. Stored as 0 viewer, 1 operator, 2 manager.
enum class admin_role : std::uint8_t { viewer = 0, operator_ = 1, manager = 2 };

/// What an office does through the admin API.
enum class admin_capability : std::uint8_t {
  statistics,           ///< filing statistics of the subtree (every role)
  candidate_data,       ///< unfiled lists and exports, a candidate's status, reasons, resets
  manage_accounts,      ///< accounts in the subtree, the audit log
  publish,              ///< reminders, notices and incident reports for the subtree
  province_operations,  ///< schedule, imports, documents, drill reset (province managers)
};

/// Whether `role` may use `what`: viewers statistics only; operators also candidate data and
/// publishing (reminders, notices, incidents); managers also accounts and the audit log.
/// `province_operations` needs a manager here and, besides, a unit at the province level
/// (`may_run_province`).
constexpr bool may(admin_role role, admin_capability what) noexcept {
  switch (what) {
    case admin_capability::statistics:
      return true;
    case admin_capability::candidate_data:
    case admin_capability::publish:
      return role >= admin_role::operator_;
    case admin_capability::manage_accounts:
    case admin_capability::province_operations:
      return role == admin_role::manager;
  }
  return false;
}

/// Whether an account of `role` in a unit of `unit_level` (0 province .. 3 school) may run the
/// province's operations: the schedule, imports, documents, province-wide notices, the drill.
constexpr bool may_run_province(admin_role role, int unit_level) noexcept {
  return unit_level == 0 && may(role, admin_capability::province_operations);
}

/// Whether an admin with role `actor` may give an account role `granted`: never above one's own.
constexpr bool may_grant(admin_role actor, admin_role granted) noexcept {
  return may(actor, admin_capability::manage_accounts) && granted <= actor;
}

/// "viewer", "operator", "manager".
std::string_view to_code(admin_role r) noexcept;
std::optional<admin_role> parse_admin_role(std::string_view code) noexcept;
/// The stored number (0..2) as a role; nullopt outside.
std::optional<admin_role> admin_role_from_int(int stored) noexcept;

/// Why an eligible candidate has not filed (上线未填报原因), stored as 0..5 in this order.
enum class unfiled_reason : std::uint8_t { abandon, abroad, repeat, military, unreachable, other };

/// "abandon", "abroad", "repeat", "military", "unreachable", "other".
std::string_view to_code(unfiled_reason r) noexcept;
/// 放弃, 出国, 复读, 参军, 联系不上, 其他.
std::string_view label_zh(unfiled_reason r) noexcept;
/// The code or the Chinese label.
std::optional<unfiled_reason> parse_unfiled_reason(std::string_view text) noexcept;
std::optional<unfiled_reason> unfiled_reason_from_int(int stored) noexcept;

/// What happens to an incident report (异常情况上报), stored as 0..2 in this order.
enum class incident_event : std::uint8_t { comment, acknowledge, resolve };
/// "comment", "acknowledge", "resolve".
std::string_view to_code(incident_event e) noexcept;
std::optional<incident_event> parse_incident_event(std::string_view code) noexcept;
/// An incident's status after event `e` on status `status` (0 open, 1 acknowledged, 2 resolved):
/// comments keep it, acknowledging moves an open one on, resolving ends it.
constexpr int incident_status_after(int status, incident_event e) noexcept {
  switch (e) {
    case incident_event::comment:
      return status;
    case incident_event::acknowledge:
      return status == 0 ? 1 : status;
    case incident_event::resolve:
      return 2;
  }
  return status;
}
/// "open", "acknowledged", "resolved".
std::string_view incident_status_code(int status) noexcept;

/// An incident's severity, stored as 0..3: "low", "medium", "high", "critical".
std::string_view incident_severity_code(int stored) noexcept;
std::optional<int> parse_incident_severity(std::string_view code) noexcept;

/// A unit's level, stored as 0..3: "province", "city", "county", "school".
std::string_view unit_level_code(int stored) noexcept;

}  // namespace zhiyuan::core
