#include "storage/migrate.hpp"

#include <algorithm>
#include <set>
#include <string>

#include <pqxx/pqxx>

#include "storage/sql/database.hpp"
#include "storage/sql/lock_keys.hpp"

namespace zhiyuan::storage {

std::vector<int> migrate(pqxx::connection& conn, std::span<const migration> migrations) {
  std::vector<int> applied;
  // A session-level advisory lock serialises concurrent migrators (two server processes
  // starting on the same database); the second one finds everything applied.
  pqxx::nontransaction lock_tx(conn);
  lock_tx.exec_params(sql::migrations_lock, lock_key::migrations);
  lock_tx.exec(sql::migrations_create_table);
  std::set<int> done;
  for (const auto& row : lock_tx.exec(sql::migrations_applied)) done.insert(row[0].as<int>());
  lock_tx.commit();

  try {
    for (const auto& m : migrations) {
      if (done.count(m.version) != 0) continue;
      pqxx::work tx(conn);
      tx.exec(std::string(m.sql));
      tx.exec_params(sql::migrations_record, m.version, std::string(m.name));
      tx.commit();
      applied.push_back(m.version);
    }
  } catch (...) {
    pqxx::nontransaction unlock_tx(conn);
    unlock_tx.exec_params(sql::migrations_unlock, lock_key::migrations);
    throw;
  }
  pqxx::nontransaction unlock_tx(conn);
  unlock_tx.exec_params(sql::migrations_unlock, lock_key::migrations);
  return applied;
}

}  // namespace zhiyuan::storage
