#include "storage/reconcile.hpp"

#include <tuple>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "storage/encoding.hpp"
#include "storage/sql/reconcile.hpp"

namespace zhiyuan::storage {

std::string reconciliation::line() const {
  return fmt::format("acked={} present={} lost={} mismatched={} duplicates={}", acked, present,
                     lost, mismatched, duplicates);
}

namespace {

void copy_acks(pqxx::work& tx, std::span<const core::held_receipt> acks) {
  pqxx::stream_to stream{tx, sql::reconcile_acks_table,
                         std::vector<std::string>{"exam_no", "batch", "version", "digest", "key"}};
  for (const auto& a : acks) {
    stream << std::make_tuple(a.exam_no, static_cast<int>(encode_batch(a.b)), a.version,
                              a.receipt_hash, a.key);
  }
  stream.complete();
}

// The outcome counts of reconcile_result, and the first few receipts that are not present.
void read_outcomes(pqxx::work& tx, reconciliation& out) {
  for (const auto& r : tx.exec(sql::reconcile_outcomes)) {
    const auto outcome = r[0].as<std::string>();
    const auto n = r[1].as<std::uint64_t>();
    if (outcome == "present") out.present = n;
    if (outcome == "lost") out.lost = n;
    if (outcome == "mismatched") out.mismatched = n;
  }
  for (const auto& r : tx.exec_params(sql::reconcile_problems, 10)) {
    out.problems.push_back(fmt::format(
        "{}: {} {} version {} (key {}): database hash '{}' hash_ok={} key_found={}",
        r[4].as<std::string>(), r[0].as<std::string>(), core::to_code(decode_batch(r[1].as<int>())),
        r[2].as<std::int64_t>(), r[3].as<std::string>(), r[5].as<std::string>(), r[6].as<bool>(),
        r[7].as<bool>()));
  }
}

}  // namespace

reconciliation reconcile(pqxx::connection_base& conn, std::span<const core::held_receipt> acks,
                         const reconcile_options& opt) {
  reconciliation out;
  out.acked = acks.size();
  pqxx::work tx(conn, "reconcile");
  tx.exec(sql::reconcile_create_acks);
  copy_acks(tx, acks);
  tx.exec(sql::reconcile_analyze_acks);
  tx.exec(sql::reconcile_collect_rows);
  tx.exec(sql::reconcile_classify);
  read_outcomes(tx, out);
  const double since =
      opt.since ? std::chrono::duration<double>(opt.since->time_since_epoch()).count() : 0.0;
  out.duplicates =
      tx.exec_params1(sql::reconcile_duplicates, since, opt.distinct_forms)[0].as<std::int64_t>();
  const auto row = tx.exec1(sql::reconcile_inconsistent);
  out.inconsistent = row[0].as<std::int64_t>();
  out.history_rows = row[1].as<std::int64_t>();
  tx.commit();
  return out;
}

}  // namespace zhiyuan::storage
