#include "core/units.hpp"

#include <algorithm>
#include <utility>

namespace zhiyuan::core {

result<unit_tree> unit_tree::build(std::vector<unit_row> rows) {
  std::unordered_map<unit_id, std::uint32_t> row_of;
  row_of.reserve(rows.size());
  for (std::uint32_t i = 0; i < rows.size(); ++i) {
    if (!row_of.emplace(rows[i].id, i).second) {
      return failure(errc::invalid_field, "duplicate unit id " + std::to_string(rows[i].id));
    }
  }
  // Children lists in CSR form, in input order, so numbering is deterministic.
  std::vector<std::uint32_t> child_count(rows.size() + 1, 0);
  std::int64_t root = -1;
  for (std::uint32_t i = 0; i < rows.size(); ++i) {
    const unit_row& r = rows[i];
    if (r.parent == 0) {
      if (root >= 0) return failure(errc::invalid_field, "more than one root unit");
      if (r.level != unit_level::province) {
        return failure(errc::invalid_field, "root unit is not a province");
      }
      root = i;
      continue;
    }
    auto p = row_of.find(r.parent);
    if (p == row_of.end()) {
      return failure(errc::invalid_field, "unit " + std::to_string(r.id) + " has unknown parent");
    }
    if (rows[p->second].level >= r.level) {
      return failure(errc::invalid_field,
                     "unit " + std::to_string(r.id) + " is not below its parent's level");
    }
    ++child_count[p->second + 1];
  }
  if (root < 0) return failure(errc::invalid_field, "no root unit");
  for (std::size_t i = 1; i < child_count.size(); ++i) child_count[i] += child_count[i - 1];
  std::vector<std::uint32_t> children(rows.size());
  std::vector<std::uint32_t> fill(child_count.begin(), child_count.end() - 1);
  for (std::uint32_t i = 0; i < rows.size(); ++i) {
    if (rows[i].parent != 0) children[fill[row_of[rows[i].parent]]++] = i;
  }

  unit_tree tree;
  tree.units_.resize(rows.size());
  tree.index_.reserve(rows.size());
  // Iterative pre-order walk; `next_child[k]` is the next child of the k-th stack entry to visit.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;  // (row, next child offset)
  std::vector<std::uint32_t> number_of(rows.size());
  std::uint32_t next = 0;
  stack.emplace_back(static_cast<std::uint32_t>(root), child_count[root]);
  number_of[root] = next++;
  while (!stack.empty()) {
    auto& [row, child] = stack.back();
    if (child < child_count[row + 1]) {
      const std::uint32_t c = children[child++];
      number_of[c] = next++;
      stack.emplace_back(c, child_count[c]);
      continue;
    }
    unit& u = tree.units_[number_of[row]];
    u.id = rows[row].id;
    u.parent = rows[row].parent;
    u.level = rows[row].level;
    u.code = std::move(rows[row].code);
    u.name = std::move(rows[row].name);
    u.lo = number_of[row];
    u.hi = next - 1;
    tree.index_.emplace(u.id, u.lo);
    stack.pop_back();
  }
  // Levels strictly increase downwards, so there are no cycles and every row was reached.
  if (next != rows.size()) return failure(errc::invalid_field, "unit tree is not connected");
  return tree;
}

const unit* unit_tree::find(unit_id id) const noexcept {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &units_[it->second];
}

bool unit_tree::inside(unit_id x, unit_id u) const noexcept {
  const unit* ux = find(x);
  const unit* uu = find(u);
  return ux != nullptr && uu != nullptr && core::inside(*ux, *uu);
}

}  // namespace zhiyuan::core
