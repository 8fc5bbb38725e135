#include "storage/auth_store.hpp"

#include <cstring>

#include <pqxx/pqxx>

#include "storage/sql.hpp"

namespace zhiyuan::storage {
namespace {

pqxx::binarystring as_bytea(const token_hash& h) { return pqxx::binarystring(h.data(), h.size()); }

std::optional<std::string> inet_or_null(const std::string& ip) {
  if (ip.empty()) return std::nullopt;
  return ip;
}

}  // namespace

std::optional<account> find_account(pqxx::connection& conn, std::int64_t candidate_id) {
  pqxx::read_transaction tx(conn);
  auto r = tx.exec_params(sql::auth_find_account, candidate_id);
  if (r.empty()) return std::nullopt;
  return account{r[0][0].as<std::string>(), r[0][1].as<bool>(), r[0][2].as<bool>()};
}

void insert_session(pqxx::connection& conn, const stored_session& s, const std::string& ip,
                    const std::string& user_agent) {
  pqxx::work tx(conn);
  tx.exec_params(sql::auth_insert_session, s.candidate_id, as_bytea(s.hash), s.expires_at,
                 inet_or_null(ip), user_agent);
  tx.exec_params(sql::auth_record_login, s.candidate_id, inet_or_null(ip), user_agent, "ok");
  tx.commit();
}

void record_failed_login(pqxx::connection& conn, std::int64_t candidate_id, const std::string& ip,
                         const std::string& user_agent) {
  pqxx::work tx(conn);
  tx.exec_params(sql::auth_record_login, candidate_id, inet_or_null(ip), user_agent,
                 "bad_password");
  tx.commit();
}

std::vector<stored_session> load_live_sessions(pqxx::connection& conn, std::int64_t now) {
  pqxx::read_transaction tx(conn);
  std::vector<stored_session> out;
  for (const auto& r : tx.exec_params(sql::auth_live_sessions, now)) {
    stored_session s;
    s.candidate_id = r[0].as<std::int64_t>();
    pqxx::binarystring h(r[1]);
    if (h.size() != s.hash.size()) continue;
    std::memcpy(s.hash.data(), h.data(), s.hash.size());
    s.expires_at = r[2].as<std::int64_t>();
    s.last_seen_at = r[3].as<std::int64_t>();
    out.push_back(s);
  }
  return out;
}

std::vector<stored_session> load_live_sessions(const std::string& conninfo, std::int64_t now) {
  pqxx::connection conn(conninfo);
  return load_live_sessions(conn, now);
}

}  // namespace zhiyuan::storage
