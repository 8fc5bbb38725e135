#include "core/popularity.hpp"

namespace zhiyuan::core {

void popularity_index::record(std::int64_t, batch, int, std::span<const group_choice>) {}

}  // namespace zhiyuan::core
