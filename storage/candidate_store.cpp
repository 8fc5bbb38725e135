#include "storage/candidate_store.hpp"

#include <cstring>

#include <pqxx/pqxx>

#include "storage/single_read.hpp"
#include "storage/sql/candidate.hpp"

namespace zhiyuan::storage {
namespace {

// A bytea column of exactly 32 bytes; throws on anything else (the data would be corrupt).
digest32 digest_of(const pqxx::field& f) {
  const pqxx::binarystring b(f);
  if (b.size() != 32) throw std::runtime_error("stored digest is not 32 bytes");
  digest32 out;
  std::memcpy(out.data(), b.data(), out.size());
  return out;
}

std::vector<favorite_row> favorites_in(pqxx::transaction_base& tx, std::int64_t candidate_id,
                                       int limit) {
  std::vector<favorite_row> out;
  const auto r = tx.exec_params(sql::state_favorites, candidate_id, limit);
  out.reserve(r.size());
  for (const auto& row : r) {
    out.push_back({row[0].as<std::int16_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                   row[3].as<std::int64_t>()});
  }
  return out;
}

std::optional<draft_row> draft_in(pqxx::transaction_base& tx, std::int64_t candidate_id,
                                  std::int16_t batch, bool drill) {
  const auto r = tx.exec_params(sql::state_draft, candidate_id, batch, drill);
  if (r.empty()) return std::nullopt;
  return draft_row{r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>(),
                   r[0][2].as<std::string>()};
}

application_row application_of(const pqxx::row& row) {
  application_row a;
  a.version = row[0].as<std::int64_t>();
  a.accepted_at_us = row[1].as<std::int64_t>();
  a.committed_at_us = row[2].as<std::int64_t>();
  a.receipt_hash = digest_of(row[3]);
  if (!row[4].is_null()) a.prev_hash = digest_of(row[4]);
  a.choices = row[5].as<std::string>();
  return a;
}

}  // namespace

std::vector<favorite_row> load_favorites(pqxx::connection& conn, std::int64_t candidate_id,
                                         int limit) {
  single_read tx(conn);
  return favorites_in(tx, candidate_id, limit);
}

std::optional<draft_row> load_draft(pqxx::connection& conn, std::int64_t candidate_id,
                                    std::int16_t batch, bool drill) {
  single_read tx(conn);
  return draft_in(tx, candidate_id, batch, drill);
}

draft_and_favorites load_draft_and_favorites(pqxx::connection& conn, std::int64_t candidate_id,
                                             std::int16_t batch, bool drill, int favorites_limit) {
  // One snapshot: the draft's version and the favourites it is combined with agree.
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
  draft_and_favorites out;
  out.draft = draft_in(tx, candidate_id, batch, drill);
  out.favorites = favorites_in(tx, candidate_id, favorites_limit);
  return out;
}

std::optional<application_row> load_application(pqxx::connection& conn, std::int64_t candidate_id,
                                                std::int16_t batch, bool drill) {
  single_read tx(conn);
  const auto r = tx.exec_params(sql::state_application, candidate_id, batch, drill);
  if (r.empty()) return std::nullopt;
  return application_of(r[0]);
}

std::vector<application_row> load_application_history(pqxx::connection& conn,
                                                      std::int64_t candidate_id, std::int16_t batch,
                                                      bool drill, std::int64_t before_version,
                                                      int limit) {
  single_read tx(conn);
  const auto r = tx.exec_params(sql::state_application_history, candidate_id, batch, drill,
                                before_version, limit);
  std::vector<application_row> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(application_of(row));
  return out;
}

std::vector<notice_row> load_notices(pqxx::connection& conn, std::int64_t candidate_id,
                                     std::optional<std::int64_t> before, int limit) {
  single_read tx(conn);
  const auto r = tx.exec_params(sql::state_notices, candidate_id, before, limit);
  std::vector<notice_row> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    notice_row n;
    n.id = row[0].as<std::int64_t>();
    n.kind = row[1].as<std::int16_t>();
    if (!row[2].is_null()) n.batch = row[2].as<std::int16_t>();
    n.title = row[3].as<std::string>();
    n.body = row[4].as<std::string>();
    n.created_at_us = row[5].as<std::int64_t>();
    n.read = row[6].as<bool>();
    out.push_back(std::move(n));
  }
  return out;
}

bool mark_notice_read(pqxx::connection& conn, std::int64_t candidate_id, std::int64_t notice_id) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::state_mark_notice_read, candidate_id, notice_id);
  const bool visible = !r.empty() && r[0][0].as<std::int64_t>() > 0;
  tx.commit();
  return visible;
}

std::int64_t purge_drill_data(pqxx::connection& conn, std::int64_t drill_close) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::state_purge_drill, drill_close);
  tx.commit();
  return r[0][0].as<std::int64_t>();
}

std::int64_t purge_drill_data(const std::string& conninfo, std::int64_t drill_close) {
  pqxx::connection conn(conninfo);
  return purge_drill_data(conn, drill_close);
}

std::optional<stored_response> find_stored_response(pqxx::connection& conn,
                                                    std::int64_t candidate_id,
                                                    const std::string& key) {
  single_read tx(conn);
  const auto r = tx.exec_params(sql::state_stored_response, candidate_id, key);
  if (r.empty()) return std::nullopt;
  const pqxx::row row = r[0];
  stored_response out{row[6].as<std::string>(), row[7].as<unsigned>(), row[8].as<std::string>()};
  if (row[9].as<bool>()) {
    // A slim record whose version is gone (purged drill data) has nothing to replay.
    if (row[0].is_null()) return std::nullopt;
    out.receipt = application_of(row);
  }
  return out;
}

}  // namespace zhiyuan::storage
