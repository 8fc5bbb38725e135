#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace zhiyuan::core {

/// Database id of an administrative unit (province, city, county or school).
using unit_id = std::int64_t;

/// Level of a unit: province › city (市州) › county (县市区) › school (报名点/中学).
enum class unit_level : std::uint8_t { province, city, county, school };

/// One row of the `units` table as loaded from storage. `parent == 0` marks the root.
struct unit_row {
  unit_id id = 0;
  unit_id parent = 0;
  unit_level level = unit_level::school;
  std::string code;
  std::string name;
};

/// A unit placed in the tree: its row plus pre-order interval numbers. A unit `x` lies inside
/// `u` (or is `u`) exactly when `u.lo <= x.lo && x.hi <= u.hi`.
struct unit {
  unit_id id = 0;
  unit_id parent = 0;
  unit_level level = unit_level::school;
  std::string code;
  std::string name;
  std::uint32_t lo = 0;  ///< Pre-order number of the unit itself.
  std::uint32_t hi = 0;  ///< Largest pre-order number in its subtree.
};

/// O(1) containment on interval numbers: is `x` inside `u` (a unit is inside itself)?
constexpr bool inside(const unit& x, const unit& u) noexcept {
  return u.lo <= x.lo && x.hi <= u.hi;
}

/// The immutable unit tree of a province, built once from rows; answers "is X inside U" in O(1)
/// (one hash lookup per id plus two comparisons).
class unit_tree {
 public:
  /// Builds the tree. Fails (errc::invalid_field) on a duplicate id, a missing parent, not
  /// exactly one root, a root that is not a province, or a child whose level is not below its
  /// parent's (which also rules out cycles).
  static result<unit_tree> build(std::vector<unit_row> rows);

  /// The unit with this id, or nullptr.
  const unit* find(unit_id id) const noexcept;
  /// Is unit `x` inside unit `u` (or equal)? False when either id is unknown.
  bool inside(unit_id x, unit_id u) const noexcept;
  const unit& root() const noexcept { return units_.front(); }
  /// All units in pre-order (a unit's subtree is the contiguous range [lo, hi]).
  const std::vector<unit>& units() const noexcept { return units_; }
  std::size_t size() const noexcept { return units_.size(); }

 private:
  std::vector<unit> units_;  // Indexed by pre-order number.
  std::unordered_map<unit_id, std::uint32_t> index_;
};

}  // namespace zhiyuan::core
