#include "storage/throttle_store.hpp"

#include <pqxx/pqxx>

#include "storage/sql/throttles.hpp"

namespace zhiyuan::storage {

void update_throttle(pqxx::connection& conn, std::int64_t candidate_id, int kind,
                     const std::function<void(core::account_failures&)>& decide) {
  pqxx::work tx(conn);
  // A throttle is a guard, not a promise to anyone: no wait for the WAL flush.
  tx.exec(sql::throttles_async_commit);
  tx.exec_params(sql::throttles_ensure, candidate_id, kind);
  const auto row = tx.exec_params1(sql::throttles_lock, candidate_id, kind);
  core::account_failures f;
  f.count = row[0].as<int>();
  f.last = row[1].as<std::int64_t>();
  f.locked_until = row[2].as<std::int64_t>();
  decide(f);
  tx.exec_params(sql::throttles_store, candidate_id, kind, f.count, f.last, f.locked_until);
  tx.commit();
}

void forget_throttle(pqxx::connection& conn, std::int64_t candidate_id, int kind) {
  pqxx::work tx(conn);
  tx.exec(sql::throttles_async_commit);
  tx.exec_params(sql::throttles_forget, candidate_id, kind);
  tx.commit();
}

std::int64_t purge_throttles(const std::string& conninfo, std::int64_t now,
                             std::int64_t forget_seconds) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::throttles_purge, now, forget_seconds);
  tx.commit();
  return static_cast<std::int64_t>(r.affected_rows());
}

}  // namespace zhiyuan::storage
