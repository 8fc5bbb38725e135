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
  statistics,       ///< filing statistics of the subtree (every role)
  candidate_data,   ///< unfiled lists and exports, a candidate's status, reasons, resets
  manage_accounts,  ///< accounts in the subtree, the audit log
};

/// Whether `role` may use `what`: viewers statistics only; operators also candidate data;
/// managers also accounts and the audit log.
constexpr bool may(admin_role role, admin_capability what) noexcept {
  switch (what) {
    case admin_capability::statistics:
      return true;
    case admin_capability::candidate_data:
      return role >= admin_role::operator_;
    case admin_capability::manage_accounts:
      return role == admin_role::manager;
  }
  return false;
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

}  // namespace zhiyuan::core
