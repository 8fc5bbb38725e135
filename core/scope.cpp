#include "core/scope.hpp"

namespace zhiyuan::core {

scope scope_of(const unit_tree& tree, unit_id admin_unit) noexcept {
  const unit* u = tree.find(admin_unit);
  return u == nullptr ? scope{} : scope{u->lo, u->hi};
}

bool may_view(const unit_tree& tree, unit_id admin_unit, const candidate& who) noexcept {
  return tree.inside(who.school, admin_unit);
}

bool may_view(const unit_tree& tree, const scope& s, const candidate& who) noexcept {
  const unit* school = tree.find(who.school);
  return school != nullptr && s.contains(*school);
}

}  // namespace zhiyuan::core
