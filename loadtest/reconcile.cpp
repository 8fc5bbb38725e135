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
    try {
      out.push_back(parse_ack_line(line));
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}:{}: {}", path, number, e.what()));
    }
  }
  return out;
}

core::held_receipt parse_ack_line(const std::string& line) {
  std::istringstream fields(line);
  core::held_receipt a;
  std::string batch;
  const auto malformed = [&] {
    return std::runtime_error(fmt::format("malformed line '{}'", line));
  };
  if (!(fields >> a.exam_no >> batch >> a.version >> a.receipt_hash >> a.key)) throw malformed();
  const auto b = core::parse_batch(batch);
  if (!b || a.exam_no.size() != 14) throw malformed();
  a.b = *b;
  return a;
}

storage::reconciliation reconcile(const std::string& database_url,
                                  std::span<const core::held_receipt> acks,
                                  const storage::reconcile_options& opt) {
  pqxx::connection conn(database_url);
  return storage::reconcile(conn, acks, opt);
}

}  // namespace zhiyuan::loadtest
