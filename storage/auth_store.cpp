#include "storage/auth_store.hpp"

#include <cstring>

#include <pqxx/pqxx>

#include "storage/single_read.hpp"
#include "storage/sql/auth.hpp"

namespace zhiyuan::storage {
namespace {

pqxx::binarystring as_bytea(const token_hash& h) { return pqxx::binarystring(h.data(), h.size()); }

std::optional<std::string> inet_or_null(const std::string& ip) {
  if (ip.empty()) return std::nullopt;
  return ip;
}

}  // namespace

std::optional<account> find_account(pqxx::connection& conn, std::int64_t candidate_id) {
  single_read tx(conn);
  auto r = tx.exec_params(sql::auth_find_account, candidate_id);
  if (r.empty()) return std::nullopt;
  return account{r[0][0].as<std::string>(),   r[0][1].as<bool>(),        r[0][2].as<bool>(),
                 r[0][3].as<std::string>(""), r[0][4].as<std::string>(), r[0][5].as<std::string>()};
}

void record_failed_login(pqxx::connection& conn, std::int64_t candidate_id, const std::string& ip,
                         const std::string& user_agent) {
  pqxx::work tx(conn);
  // A record, not a promise to anyone: no wait for the WAL flush (a crash may lose the last).
  tx.exec(sql::auth_async_commit);
  tx.exec_params(sql::auth_record_login, candidate_id, inet_or_null(ip), user_agent,
                 "bad_password");
  tx.commit();
}

void set_passwords(pqxx::connection& conn, std::int64_t candidate_id, const std::string& login_hash,
                   const std::string& save_hash, const token_hash& keep) {
  pqxx::work tx(conn);
  tx.exec_params(sql::auth_set_passwords, candidate_id, login_hash, save_hash);
  tx.exec_params(sql::auth_revoke_other_sessions, candidate_id, as_bytea(keep));
  tx.commit();
}

bool revoke_session(pqxx::connection& conn, std::int64_t candidate_id, const token_hash& h) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::auth_revoke_session, candidate_id, as_bytea(h));
  tx.commit();
  return r.affected_rows() > 0;
}

std::vector<login_record> login_history(pqxx::connection& conn, std::int64_t candidate_id,
                                        int limit) {
  single_read tx(conn);
  std::vector<login_record> out;
  for (const auto& r : tx.exec_params(sql::auth_login_history, candidate_id, limit)) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>()});
  }
  return out;
}

namespace {

// "1:3,0:1" → {(1, 3), (0, 1)}.
std::vector<std::pair<std::int16_t, std::int64_t>> batch_versions(const pqxx::field& f) {
  std::vector<std::pair<std::int16_t, std::int64_t>> out;
  if (f.is_null()) return out;
  const std::string text = f.as<std::string>();
  std::size_t at = 0;
  while (at < text.size()) {
    const auto comma = text.find(',', at);
    const std::string item = text.substr(at, comma - at);
    const auto colon = item.find(':');
    out.emplace_back(static_cast<std::int16_t>(std::stoi(item.substr(0, colon))),
                     std::stoll(item.substr(colon + 1)));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<profile_row> load_profile(pqxx::connection& conn, std::int64_t candidate_id,
                                        bool drill) {
  single_read tx(conn);
  const auto r = tx.exec_params(sql::auth_profile, candidate_id, drill);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  profile_row p;
  p.exam_no = row[0].as<std::string>();
  p.name = row[1].as<std::string>();
  p.id_number = row[2].as<std::string>();
  p.school_code = row[3].as<std::string>();
  p.school_name = row[4].as<std::string>();
  p.household_confirmed_us = row[5].as<std::int64_t>(0);
  p.physical_exam_confirmed_us = row[6].as<std::int64_t>(0);
  p.phone = row[7].as<std::string>();
  p.address_json = row[8].as<std::string>();
  p.version = row[9].as<std::int64_t>();
  p.pledge_us = row[10].as<std::int64_t>(0);
  p.must_set_passwords = row[11].as<bool>();
  p.submitted = batch_versions(row[12]);
  p.drafted = batch_versions(row[13]);
  p.unread_notices = row[14].as<std::int64_t>();
  return p;
}

std::vector<stored_session> load_live_sessions(pqxx::connection& conn, std::int64_t now) {
  single_read tx(conn);
  std::vector<stored_session> out;
  for (const auto& r : tx.exec_params(sql::auth_live_sessions, now)) {
    stored_session s;
    s.candidate_id = r[0].as<std::int64_t>();
    pqxx::binarystring h(r[1]);
    if (h.size() != s.hash.size()) continue;
    std::memcpy(s.hash.data(), h.data(), s.hash.size());
    s.expires_at = r[2].as<std::int64_t>();
    s.last_seen_at = r[3].as<std::int64_t>();
    s.passwords_set = r[4].as<bool>();
    s.pledged = r[5].as<bool>();
    out.push_back(s);
  }
  return out;
}

std::vector<stored_session> load_live_sessions(const std::string& conninfo, std::int64_t now) {
  pqxx::connection conn(conninfo);
  return load_live_sessions(conn, now);
}

}  // namespace zhiyuan::storage
