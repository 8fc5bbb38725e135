#include "storage/write_metrics.hpp"

#include <fmt/format.h>

#include "storage/write_kinds.hpp"

namespace zhiyuan::storage {
namespace {

const char* status_name(op_status s) {
  static constexpr std::array<const char*, write_metrics::status_count> names{
      "committed", "replayed", "conflict", "key_mismatch", "unavailable", "failed"};
  return names[static_cast<std::size_t>(s)];
}

}  // namespace

std::string write_metrics::render(std::span<const std::int64_t> queue_depths, std::size_t in_flight,
                                  std::size_t queue_capacity) const {
  std::string out;
  out.reserve(8192);
  batch_size.render(out, "zhiyuan_writer_batch_size", "Operations per transaction.");
  queue_wait_seconds.render(out, "zhiyuan_writer_queue_wait_seconds",
                            "From an operation admitted until its writer took it into a batch.");
  commit_seconds.render(out, "zhiyuan_writer_commit_seconds",
                        "Batch transaction time from BEGIN until COMMIT returned.");
  out +=
      "# HELP zhiyuan_writer_queue_depth Operations queued per writer, not yet in a batch.\n"
      "# TYPE zhiyuan_writer_queue_depth gauge\n";
  for (std::size_t w = 0; w < queue_depths.size(); ++w) {
    out += fmt::format("zhiyuan_writer_queue_depth{{writer=\"{}\"}} {}\n", w, queue_depths[w]);
  }
  out += fmt::format(
      "# HELP zhiyuan_writer_queue_capacity The cap each writer's queue is held to.\n"
      "# TYPE zhiyuan_writer_queue_capacity gauge\nzhiyuan_writer_queue_capacity {}\n",
      queue_capacity);
  out +=
      "# HELP zhiyuan_writer_operations_total Completed operations by kind and outcome.\n"
      "# TYPE zhiyuan_writer_operations_total counter\n";
  for (std::size_t k = 0; k < kind_count; ++k) {
    for (std::size_t s = 0; s < status_count; ++s) {
      out += fmt::format("zhiyuan_writer_operations_total{{kind=\"{}\",status=\"{}\"}} {}\n",
                         kind_name(static_cast<op_kind>(k)), status_name(static_cast<op_status>(s)),
                         ops[k * status_count + s].load(std::memory_order_relaxed));
    }
  }
  out += fmt::format(
      "# HELP zhiyuan_writer_retries_total Batch attempts repeated after a failure.\n"
      "# TYPE zhiyuan_writer_retries_total counter\nzhiyuan_writer_retries_total {}\n"
      "# HELP zhiyuan_writer_reconnects_total Writer connections dropped and re-opened.\n"
      "# TYPE zhiyuan_writer_reconnects_total counter\nzhiyuan_writer_reconnects_total {}\n"
      "# HELP zhiyuan_writer_isolations_total Failed batches re-run one op per transaction.\n"
      "# TYPE zhiyuan_writer_isolations_total counter\nzhiyuan_writer_isolations_total {}\n",
      retries.load(std::memory_order_relaxed), reconnects.load(std::memory_order_relaxed),
      isolated.load(std::memory_order_relaxed));
  out += fmt::format(
      "# HELP zhiyuan_writer_in_doubt_total Batches whose COMMIT outcome was lost, by what the "
      "rerun found.\n"
      "# TYPE zhiyuan_writer_in_doubt_total counter\n"
      "zhiyuan_writer_in_doubt_total{{resolution=\"committed\"}} {}\n"
      "zhiyuan_writer_in_doubt_total{{resolution=\"not_committed\"}} {}\n",
      in_doubt[0].load(std::memory_order_relaxed), in_doubt[1].load(std::memory_order_relaxed));
  out +=
      "# HELP zhiyuan_writer_shed_total Operations refused at admission.\n"
      "# TYPE zhiyuan_writer_shed_total counter\n";
  static constexpr std::array<const char*, 3> reasons{"overloaded", "key_in_flight", "stopping"};
  for (std::size_t r = 0; r < reasons.size(); ++r) {
    out += fmt::format("zhiyuan_writer_shed_total{{reason=\"{}\"}} {}\n", reasons[r],
                       shed[r].load(std::memory_order_relaxed));
  }
  out += fmt::format(
      "# HELP zhiyuan_writer_in_flight Operations admitted and not yet completed.\n"
      "# TYPE zhiyuan_writer_in_flight gauge\nzhiyuan_writer_in_flight {}\n",
      in_flight);
  return out;
}

}  // namespace zhiyuan::storage
