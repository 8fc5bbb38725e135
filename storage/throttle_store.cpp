#include "storage/throttle_store.hpp"

#include <pqxx/pqxx>

#include "storage/sql/throttles.hpp"

namespace zhiyuan::storage {
namespace {

// The account's lock and the pair, with the account's row locked; nothing for account 0.
void load_account(pqxx::work& tx, const sign_in_key& k, const std::string& addr,
                  core::unix_seconds now, core::unix_seconds forget_seconds,
                  core::sign_in_counters& c) {
  c.account_locked_until =
      tx.exec_params1(sql::throttles_lock, k.candidate_id, k.kind)[0].as<std::int64_t>();
  const auto pair = tx.exec_params(sql::sign_in_pair_load, k.candidate_id, k.kind, addr);
  if (!pair.empty()) {
    c.pair.count = pair[0][0].as<int>();
    c.pair.last = pair[0][1].as<std::int64_t>();
    c.pair.locked_until = pair[0][2].as<std::int64_t>();
  }
  c.other_failing_addresses = tx.exec_params1(sql::sign_in_pairs_failing, k.candidate_id, k.kind,
                                              addr, now, forget_seconds)[0]
                                  .as<int>();
}

void store_account(pqxx::work& tx, const sign_in_key& k, const std::string& addr,
                   core::unix_seconds now, const core::sign_in_counters& c) {
  const int failing = c.other_failing_addresses + (c.pair.count > 0 ? 1 : 0);
  tx.exec_params(sql::throttles_store, k.candidate_id, k.kind, failing, now,
                 c.account_locked_until);
  if (c.pair.count == 0) {
    tx.exec_params(sql::sign_in_pair_forget, k.candidate_id, k.kind, addr);
  } else {
    tx.exec_params(sql::sign_in_pair_store, k.candidate_id, k.kind, addr, c.pair.count, c.pair.last,
                   c.pair.locked_until);
  }
}

}  // namespace

void update_sign_in(pqxx::connection& conn, const sign_in_key& k, core::unix_seconds now,
                    core::unix_seconds forget_seconds,
                    const std::function<void(core::sign_in_counters&)>& decide) {
  // libpqxx takes std::string parameters, not views.
  const std::string addr(k.address);
  pqxx::work tx(conn);
  // A throttle is a guard, not a promise to anyone: no wait for the WAL flush.
  tx.exec(sql::throttles_async_commit);
  core::sign_in_counters c;
  if (k.candidate_id != 0) load_account(tx, k, addr, now, forget_seconds, c);
  const auto bucket = tx.exec_params1(sql::sign_in_address_lock, addr);
  c.address.tokens = bucket[0].as<double>();
  c.address.updated_us = bucket[1].as<std::int64_t>();
  decide(c);
  if (k.candidate_id != 0) store_account(tx, k, addr, now, c);
  tx.exec_params(sql::sign_in_address_store, addr, c.address.tokens, c.address.updated_us);
  tx.commit();
}

void forget_sign_in(pqxx::connection& conn, const sign_in_key& k, double burst) {
  const std::string addr(k.address);
  pqxx::work tx(conn);
  tx.exec(sql::throttles_async_commit);
  if (k.candidate_id != 0) tx.exec_params(sql::sign_in_pair_forget, k.candidate_id, k.kind, addr);
  tx.exec_params(sql::sign_in_address_refund, addr, burst);
  tx.commit();
}

std::int64_t purge_throttles(const std::string& conninfo, std::int64_t now,
                             std::int64_t forget_seconds) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  std::int64_t purged = 0;
  for (const char* statement :
       {sql::throttles_purge, sql::sign_in_pairs_purge, sql::sign_in_addresses_purge}) {
    purged +=
        static_cast<std::int64_t>(tx.exec_params(statement, now, forget_seconds).affected_rows());
  }
  tx.commit();
  return purged;
}

}  // namespace zhiyuan::storage
