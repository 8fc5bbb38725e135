#include "loadtest/reconcile.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "storage/sql/reconcile.hpp"

namespace zhiyuan::loadtest {

std::string reconciliation::line() const {
  return fmt::format("acked={} present={} lost={} mismatched={} duplicates={}", acked, present,
                     lost, mismatched, duplicates);
}

reconciliation reconcile(pqxx::connection_base& conn, const std::vector<acked_receipt>& acks,
                         const reconcile_options& opt) {
  reconciliation out;
  out.acked = acks.size();
  pqxx::work tx(conn, "reconcile");
  tx.exec(storage::sql::reconcile_create_acks);
  {
    pqxx::stream_to stream{
        tx, storage::sql::reconcile_acks_table,
        std::vector<std::string>{"exam_no", "batch", "version", "digest", "key"}};
    for (const auto& a : acks) {
      stream << std::make_tuple(a.exam_no, static_cast<int>(core::index_of(a.batch)), a.version,
                                a.digest, a.key);
    }
    stream.complete();
  }
  tx.exec(storage::sql::reconcile_analyze_acks);
  tx.exec(storage::sql::reconcile_collect_rows);
  tx.exec(storage::sql::reconcile_classify);
  for (const auto& r : tx.exec(storage::sql::reconcile_outcomes)) {
    const auto outcome = r[0].as<std::string>();
    const auto n = r[1].as<std::uint64_t>();
    if (outcome == "present") out.present = n;
    if (outcome == "lost") out.lost = n;
    if (outcome == "mismatched") out.mismatched = n;
  }
  for (const auto& r : tx.exec_params(storage::sql::reconcile_problems, 10)) {
    const auto batch = static_cast<core::batch>(r[1].as<int>());
    out.problems.push_back(
        fmt::format("{}: {} {} version {} (key {}): database hash '{}' hash_ok={} key_found={}",
                    r[4].as<std::string>(), r[0].as<std::string>(), core::to_code(batch),
                    r[2].as<std::int64_t>(), r[3].as<std::string>(), r[5].as<std::string>(),
                    r[6].as<bool>(), r[7].as<bool>()));
  }
  const double since =
      opt.since ? std::chrono::duration<double>(opt.since->time_since_epoch()).count() : 0.0;
  out.duplicates = tx.exec_params1(storage::sql::reconcile_duplicates, since, opt.distinct_forms)[0]
                       .as<std::int64_t>();
  const auto row = tx.exec1(storage::sql::reconcile_inconsistent);
  out.inconsistent = row[0].as<std::int64_t>();
  out.history_rows = row[1].as<std::int64_t>();
  tx.commit();
  return out;
}

std::string ack_line(const acked_receipt& a) {
  return fmt::format("{} {} {} {} {}", a.exam_no, core::to_code(a.batch), a.version, a.digest,
                     a.key);
}

std::vector<acked_receipt> read_acks_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<acked_receipt> out;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::istringstream fields(line);
    acked_receipt a;
    std::string batch;
    const auto malformed = [&] {
      return std::runtime_error(fmt::format("{}:{}: malformed line '{}'", path, number, line));
    };
    if (!(fields >> a.exam_no >> batch >> a.version >> a.digest >> a.key)) throw malformed();
    const auto b = core::parse_batch(batch);
    if (!b || a.exam_no.size() != 14) throw malformed();
    a.batch = *b;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace zhiyuan::loadtest
