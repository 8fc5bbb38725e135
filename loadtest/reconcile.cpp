#include "loadtest/reconcile.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <pqxx/pqxx>

namespace zhiyuan::loadtest {

std::string ack_line(const core::held_receipt& a) {
  return fmt::format("{} {} {} {} {}", a.exam_no, core::to_code(a.b), a.version, a.receipt_hash,
                     a.key);
}

std::vector<core::held_receipt> read_acks_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<core::held_receipt> out;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::istringstream fields(line);
    core::held_receipt a;
    std::string batch;
    const auto malformed = [&] {
      return std::runtime_error(fmt::format("{}:{}: malformed line '{}'", path, number, line));
    };
    if (!(fields >> a.exam_no >> batch >> a.version >> a.receipt_hash >> a.key)) throw malformed();
    const auto b = core::parse_batch(batch);
    if (!b || a.exam_no.size() != 14) throw malformed();
    a.b = *b;
    out.push_back(std::move(a));
  }
  return out;
}

storage::reconciliation reconcile(const std::string& database_url,
                                  std::span<const core::held_receipt> acks,
                                  const storage::reconcile_options& opt) {
  pqxx::connection conn(database_url);
  return storage::reconcile(conn, acks, opt);
}

}  // namespace zhiyuan::loadtest
