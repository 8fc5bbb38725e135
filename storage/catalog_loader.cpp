#include "storage/catalog_loader.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <pqxx/pqxx>

#include "storage/encoding.hpp"
#include "storage/sql/catalog.hpp"

namespace zhiyuan::storage {

std::shared_ptr<const core::catalog> load_catalog(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::vector<core::college> colleges;
  for (const auto& r : tx.exec(sql::catalog_colleges)) {
    colleges.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                        r[3].as<std::string>()});
  }
  std::vector<core::major_group> groups;
  for (const auto& r : tx.exec(sql::catalog_groups)) {
    core::major_group g;
    g.id = r[0].as<std::int64_t>();
    g.college_code = r[1].as<std::string>();
    g.group_code = r[2].as<std::string>();
    g.b = decode_batch(r[3].as<int>());
    g.trk = decode_track(r[4].as<int>());
    g.cat = decode_category(r[5].as<int>());
    g.special_type = r[6].as<bool>();
    g.requirement = decode_requirement(r[7].as<int>(), r[8].as<int>(), r[9].as<int>());
    g.plan_count = r[10].as<int>();
    groups.push_back(std::move(g));
  }
  std::vector<core::major> majors;
  for (const auto& r : tx.exec(sql::catalog_majors)) {
    core::major m;
    m.id = r[0].as<std::int64_t>();
    m.group = r[1].as<std::int64_t>();
    m.code = r[2].as<std::string>();
    m.name = r[3].as<std::string>();
    m.plan_count = r[4].as<int>();
    m.years = r[5].as<int>();
    m.tuition = r[6].as<int>();
    majors.push_back(std::move(m));
  }
  auto built = core::catalog::build(std::move(colleges), std::move(groups), std::move(majors));
  if (!built)
    throw std::runtime_error("catalog in the database is invalid: " + built.error().detail);
  return std::move(built).value();
}

core::candidate candidate_directory::entry::to_core() const {
  core::candidate c;
  c.id = id;
  c.school = school;
  c.city = std::string(city_code());
  c.cat = cat;
  c.trk = trk;
  c.electives = electives;
  c.score = score;
  c.rank = rank;
  c.eligible = eligible;
  return c;
}

std::shared_ptr<const candidate_directory> candidate_directory::load(pqxx::connection& conn) {
  auto dir = std::make_shared<candidate_directory>();
  pqxx::read_transaction tx(conn);
  const auto rows = tx.exec(sql::directory_candidates);
  dir->entries_.reserve(rows.size());
  for (const auto& r : rows) {
    entry e;
    e.id = r[0].as<std::int64_t>();
    const std::string_view exam(r[1].c_str(), r[1].size());
    if (exam.size() != sizeof e.exam_no) throw std::runtime_error("bad exam number in database");
    std::memcpy(e.exam_no, exam.data(), sizeof e.exam_no);
    e.school = r[2].as<std::int64_t>();
    e.cat = decode_category(r[3].as<int>());
    e.trk = decode_track(r[4].as<int>());
    e.electives = decode_subjects(r[5].as<int>());
    e.score = r[6].is_null() ? std::int16_t{0} : r[6].as<std::int16_t>();
    e.rank = r[7].is_null() ? 0 : r[7].as<std::int32_t>();
    e.eligible = decode_eligibility(r[8].as<int>());
    // Longer codes are cut: a slot naming such a city then matches no one (none are so long).
    const std::string_view city(r[9].c_str(), r[9].size());
    std::memcpy(e.city, city.data(), std::min(city.size(), sizeof e.city));
    dir->entries_.push_back(e);
  }
  // The query orders by id; the map's views point into the now-stable vector.
  dir->by_exam_no_.reserve(dir->entries_.size());
  for (std::uint32_t i = 0; i < dir->entries_.size(); ++i) {
    dir->by_exam_no_.emplace(dir->entries_[i].exam_number(), i);
  }
  return dir;
}

const candidate_directory::entry* candidate_directory::find(core::candidate_id id) const noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                             [](const entry& e, core::candidate_id v) { return e.id < v; });
  return it != entries_.end() && it->id == id ? &*it : nullptr;
}

const candidate_directory::entry* candidate_directory::find_exam_no(
    std::string_view exam_no) const noexcept {
  auto it = by_exam_no_.find(exam_no);
  return it == by_exam_no_.end() ? nullptr : &entries_[it->second];
}

core::candidate_id candidate_directory::id_bound() const noexcept {
  return entries_.empty() ? 1 : entries_.back().id + 1;
}

std::shared_ptr<const core::catalog> load_catalog(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  return load_catalog(conn);
}

std::shared_ptr<const candidate_directory> load_directory(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  return candidate_directory::load(conn);
}

filing_data load_filing_data(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  return {load_catalog(conn), candidate_directory::load(conn)};
}

}  // namespace zhiyuan::storage
