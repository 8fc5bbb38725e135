#pragma once

#include <cstdint>
#include <span>

#include "core/batch.hpp"
#include "core/catalog.hpp"
#include "core/choices.hpp"

namespace zhiyuan::core {

/// How many candidates hold each group in their current formal choices (as first choice and in
/// any position), with their score distribution so that a candidate's rank among them is a
/// sum. Fed with committed submissions only; safe to use from many threads.
class popularity_index {
 public:
  // TODO(catalog API): filled in by the catalog endpoints' work.
  /// Replaces the candidate's previous choices of batch `b` (if any) by `choices`.
  void record(std::int64_t candidate_id, batch b, int score, std::span<const group_choice> choices);
};

}  // namespace zhiyuan::core
