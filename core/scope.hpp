#pragma once

#include "core/candidate.hpp"
#include "core/units.hpp"

namespace zhiyuan::core {

/// An administrator's reach: the subtree of the unit they belong to, as its pre-order interval.
/// Cheap to copy into a session; `contains` is two comparisons. Storage can filter candidates
/// in SQL with the same interval if it keeps each school's pre-order number.
struct scope {
  std::uint32_t lo = 1;  ///< Empty by default (lo > hi).
  std::uint32_t hi = 0;
  constexpr bool contains(const unit& u) const noexcept { return lo <= u.lo && u.hi <= hi; }
  constexpr bool empty() const noexcept { return lo > hi; }
};

/// The scope of an admin of unit `admin_unit`; empty when the unit is unknown.
scope scope_of(const unit_tree& tree, unit_id admin_unit) noexcept;

/// May an admin of unit `admin_unit` see candidate `who`? True exactly when the candidate's
/// school lies inside (or is) that unit; false when either unit is unknown.
bool may_view(const unit_tree& tree, unit_id admin_unit, const candidate& who) noexcept;

/// The same with a precomputed scope.
bool may_view(const unit_tree& tree, const scope& s, const candidate& who) noexcept;

}  // namespace zhiyuan::core
