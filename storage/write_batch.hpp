#pragma once

// The working set of one write-path transaction, shared by the idempotency steps
// (storage/idempotency.cpp) and the per-kind statements (storage/write_kinds.cpp).

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "storage/write_path.hpp"

namespace zhiyuan::storage {

using op_ptr = std::unique_ptr<write_op>;

/// Array parameters of the widest statement (the submissions'), candidate_id included.
inline constexpr std::size_t max_arrays = 9;

/// A writer's scratch for one transaction, reused batch after batch (no allocation once warm):
/// the batch's ops by candidate, which of them are fresh, and the array-literal buffers.
struct write_batch {
  std::span<op_ptr> ops;
  /// Per op: not seen before (no stored record), so applied by this batch (non-zero; 2: its key
  /// is recorded already).
  std::vector<std::uint8_t> fresh;
  std::array<std::string, max_arrays> arrays;
  /// candidate → position in `ops`, sorted (at most one op per candidate per batch).
  std::vector<std::pair<std::int64_t, std::uint32_t>> index_of;

  /// Starts a transaction of `batch`: clears every op's outputs, indexes the ops by candidate
  /// and marks them all fresh.
  void begin(std::span<op_ptr> batch) {
    ops = batch;
    index_of.clear();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      write_op& op = *ops[i];
      op.status = op_status::failed;
      op.version = 0;
      op.committed_at_us = 0;
      op.prev_hash = {};
      op.has_prev_hash = false;
      op.receipt_hash = {};
      op.first_at_us = 0;
      op.response_status = 0;
      op.response_body.clear();
      index_of.emplace_back(op.candidate_id, static_cast<std::uint32_t>(i));
    }
    std::sort(index_of.begin(), index_of.end());
    fresh.assign(ops.size(), 1);
  }

  /// The position in `ops` of the candidate's op, or npos.
  std::size_t position_of(std::int64_t candidate) const {
    auto it = std::lower_bound(index_of.begin(), index_of.end(),
                               std::pair<std::int64_t, std::uint32_t>{candidate, 0});
    return it == index_of.end() || it->first != candidate ? npos : it->second;
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

}  // namespace zhiyuan::storage
