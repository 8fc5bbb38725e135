#include "storage/admin_store.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "storage/encoding.hpp"
#include "storage/migrate.hpp"
#include "storage/sql/admin.hpp"

namespace zhiyuan::storage {
namespace {

pqxx::binarystring as_bytea(const admin_token_hash& h) {
  return pqxx::binarystring(h.data(), h.size());
}

std::optional<std::string> or_null(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

template <typename T>
std::optional<T> nonzero(T v) {
  if (v == 0) return std::nullopt;
  return v;
}

void audit(pqxx::work& tx, const audit_entry& e) {
  tx.exec_params(sql::admin_audit, e.actor_kind, nonzero(e.actor_id), nonzero(e.unit_id), e.action,
                 or_null(e.target), or_null(e.detail_json), or_null(e.ip));
}

unit_ref unit_of(const pqxx::row& r, int at) {
  return {r[at].as<std::int32_t>(), r[at + 1].as<std::int16_t>(), r[at + 2].as<std::string>(),
          r[at + 3].as<std::string>()};
}

admin_user_row user_of(const pqxx::row& r) {
  admin_user_row u;
  u.admin_id = r[0].as<std::int32_t>();
  u.username = r[1].as<std::string>();
  u.role = r[2].as<std::int16_t>();
  u.unit.id = r[3].as<std::int32_t>();
  u.unit.code = r[4].as<std::string>();
  u.unit.name = r[5].as<std::string>();
  u.disabled = r[6].as<bool>();
  u.must_change_password = r[7].as<bool>();
  u.created_us = r[8].as<std::int64_t>();
  return u;
}

// "1:3:1700000000000000,0:1:..." → fields split by ':' per item.
std::vector<std::vector<std::int64_t>> split_items(const pqxx::field& f) {
  std::vector<std::vector<std::int64_t>> out;
  if (f.is_null()) return out;
  const std::string text = f.as<std::string>();
  std::size_t at = 0;
  while (at <= text.size()) {
    const auto comma = std::min(text.find(',', at), text.size());
    std::vector<std::int64_t> item;
    std::size_t p = at;
    while (p < comma) {
      const auto colon = std::min(text.find(':', p), comma);
      item.push_back(std::stoll(text.substr(p, colon - p)));
      p = colon + 1;
    }
    out.push_back(std::move(item));
    at = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<admin_login_row> find_admin_login(pqxx::connection& conn, const std::string& username,
                                                const std::string& ip,
                                                const std::vector<std::string>& global_networks) {
  pqxx::read_transaction tx(conn);
  const auto r =
      tx.exec_params(sql::admin_find_login, username, or_null(ip), array_literal(global_networks));
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  return admin_login_row{row[0].as<std::int32_t>(), row[1].as<std::string>(),
                         row[2].as<std::int16_t>(), row[3].as<std::int32_t>(),
                         row[4].as<bool>(),         row[5].as<bool>(),
                         row[6].as<bool>()};
}

bool trusted_globally(pqxx::connection& conn, const std::string& ip,
                      const std::vector<std::string>& global_networks) {
  pqxx::read_transaction tx(conn);
  return tx.exec_params1(sql::admin_trusted_global, or_null(ip), array_literal(global_networks))[0]
      .as<bool>();
}

void start_admin_session(pqxx::connection& conn, std::int32_t admin_id, std::int32_t unit_id,
                         const admin_token_hash& h, const std::string& ip) {
  pqxx::work tx(conn);
  tx.exec_params(sql::admin_upsert_session, admin_id, as_bytea(h), or_null(ip));
  audit(tx, {1, admin_id, unit_id, "admin.login", "", "", ip});
  tx.commit();
}

std::optional<admin_actor> touch_admin_session(pqxx::connection& conn, const admin_token_hash& h,
                                               std::int64_t idle_seconds) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::admin_touch_session, as_bytea(h), idle_seconds);
  tx.commit();
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  return admin_actor{row[0].as<std::int32_t>(), row[1].as<std::string>(),
                     row[2].as<std::int16_t>(), row[3].as<std::int32_t>(),
                     row[4].as<std::int16_t>(), row[5].as<std::string>(),
                     row[6].as<std::string>(),  row[7].as<bool>()};
}

void end_admin_session(pqxx::connection& conn, std::int32_t admin_id) {
  pqxx::work tx(conn);
  tx.exec_params(sql::admin_delete_session, admin_id);
  tx.commit();
}

std::string admin_password_hash(pqxx::connection& conn, std::int32_t admin_id) {
  pqxx::read_transaction tx(conn);
  const auto r = tx.exec_params(sql::admin_password_hash, admin_id);
  return r.empty() ? std::string() : r[0][0].as<std::string>();
}

void set_own_admin_password(pqxx::connection& conn, const admin_actor& who, const std::string& hash,
                            const std::string& ip) {
  pqxx::work tx(conn);
  tx.exec_params(sql::admin_set_own_password, who.admin_id, hash);
  audit(tx, {1, who.admin_id, who.unit_id, "admin.password_change", who.username, "", ip});
  tx.commit();
}

std::int32_t bootstrap_admin(pqxx::connection& conn, const std::string& username,
                             const std::string& unit_code, std::int16_t role,
                             const std::string& password_hash) {
  pqxx::work tx(conn);
  const auto r =
      tx.exec_params(sql::admin_bootstrap_user, username, unit_code, role, password_hash);
  if (r.empty()) return 0;
  const auto id = r[0][0].as<std::int32_t>();
  audit(tx, {0, 0, 0, "admin.bootstrap", username, "", ""});
  tx.commit();
  return id;
}

void add_unit_network(pqxx::connection& conn, std::int32_t unit_id, const std::string& network) {
  pqxx::work tx(conn);
  tx.exec_params(sql::admin_add_unit_network, unit_id, network);
  tx.commit();
}

bool add_unit_network(pqxx::connection& conn, const std::string& unit_code,
                      const std::string& network) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::admin_add_unit_code_network, unit_code, network);
  tx.commit();
  return !r.empty();
}

std::int32_t bootstrap_admin(const std::string& conninfo, const std::string& username,
                             const std::string& unit_code, std::int16_t role,
                             const std::string& password_hash) {
  pqxx::connection conn(conninfo);
  migrate(conn);
  return bootstrap_admin(conn, username, unit_code, role, password_hash);
}

bool add_unit_network(const std::string& conninfo, const std::string& unit_code,
                      const std::string& network) {
  pqxx::connection conn(conninfo);
  migrate(conn);
  return add_unit_network(conn, unit_code, network);
}

void append_audit(pqxx::connection& conn, const audit_entry& e) {
  pqxx::work tx(conn);
  audit(tx, e);
  tx.commit();
}

std::vector<audit_row> list_audit(pqxx::connection& conn, std::int32_t actor_unit,
                                  const audit_filter& f) {
  pqxx::read_transaction tx(conn);
  std::vector<audit_row> out;
  const auto rows = tx.exec_params(sql::admin_audit_list, actor_unit, nonzero(f.before_id), f.limit,
                                   nonzero(f.unit_id), nonzero(f.actor_id), or_null(f.action),
                                   nonzero(f.from), nonzero(f.to));
  for (const auto& r : rows) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::int16_t>(),
                   r[3].as<std::int64_t>(0), r[4].as<std::string>(), r[5].as<std::int32_t>(0),
                   r[6].as<std::string>(), r[7].as<std::string>(), r[8].as<std::string>(),
                   r[9].as<std::string>(), r[10].as<std::string>()});
  }
  return out;
}

std::optional<unit_ref> unit_in_scope(pqxx::connection& conn, std::int32_t unit_id,
                                      std::int32_t actor_unit) {
  pqxx::read_transaction tx(conn);
  const auto r = tx.exec_params(sql::admin_unit_in_scope, unit_id, actor_unit);
  if (r.empty()) return std::nullopt;
  return unit_of(r[0], 0);
}

std::optional<unit_ref> unit_code_in_scope(pqxx::connection& conn, const std::string& code,
                                           std::int32_t actor_unit) {
  pqxx::read_transaction tx(conn);
  const auto r = tx.exec_params(sql::admin_unit_code_in_scope, code, actor_unit);
  if (r.empty()) return std::nullopt;
  return unit_of(r[0], 0);
}

void fold_filing_counts(pqxx::connection& conn) {
  pqxx::work tx(conn);
  tx.exec(sql::admin_fold_counts);
  tx.commit();
}

void fold_filing_counts(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  fold_filing_counts(conn);
}

std::vector<unit_stats> load_unit_stats(pqxx::connection& conn, std::int32_t unit_id,
                                        std::int16_t batch, std::int32_t actor_unit) {
  pqxx::read_transaction tx(conn);
  std::vector<unit_stats> out;
  for (const auto& r : tx.exec_params(sql::admin_stats, unit_id, batch, actor_unit)) {
    out.push_back({unit_of(r, 0), r[4].as<std::int64_t>(), r[5].as<std::int64_t>(),
                   r[6].as<std::int64_t>(), r[7].as<std::int64_t>(), r[8].as<std::int64_t>()});
  }
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> load_submission_timeline(
    pqxx::connection& conn, std::int32_t unit_id, std::int16_t batch, std::int32_t actor_unit,
    std::int64_t clock_offset_seconds) {
  pqxx::read_transaction tx(conn);
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& r : tx.exec_params(sql::admin_stats_timeline, unit_id, batch, actor_unit,
                                      clock_offset_seconds)) {
    out.emplace_back(r[0].as<std::int64_t>(), r[1].as<std::int64_t>());
  }
  return out;
}

std::vector<unfiled_row> load_unfiled_page(pqxx::connection& conn, std::int32_t unit_id,
                                           std::int16_t batch, std::int32_t actor_unit,
                                           std::int64_t after, int limit) {
  pqxx::read_transaction tx(conn);
  std::vector<unfiled_row> out;
  const auto rows = tx.exec_params(sql::admin_unfiled, unit_id, batch, actor_unit, after, limit);
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                   r[6].as<std::string>(), r[7].as<std::int64_t>(0), r[8].as<bool>(),
                   r[9].as<std::int16_t>(-1), r[10].as<std::string>()});
  }
  return out;
}

std::optional<admin_candidate_row> load_admin_candidate(pqxx::connection& conn,
                                                        const std::string& exam_no,
                                                        std::int32_t actor_unit) {
  pqxx::read_transaction tx(conn);
  const auto r = tx.exec_params(sql::admin_candidate, exam_no, actor_unit);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  admin_candidate_row c;
  c.candidate_id = row[0].as<std::int64_t>();
  c.exam_no = row[1].as<std::string>();
  c.name = row[2].as<std::string>();
  c.id_number = row[3].as<std::string>();
  c.school_code = row[4].as<std::string>();
  c.school_name = row[5].as<std::string>();
  c.phone = row[6].as<std::string>();
  c.eligible = row[7].as<std::int16_t>();
  c.must_set_passwords = row[8].as<bool>();
  c.last_login_us = row[9].as<std::int64_t>(0);
  c.school_id = row[13].as<std::int32_t>();
  auto status_of = [&c](std::int64_t b) -> admin_candidate_row::batch_status& {
    for (auto& s : c.batches) {
      if (s.batch == b) return s;
    }
    c.batches.push_back({});
    c.batches.back().batch = static_cast<std::int16_t>(b);
    return c.batches.back();
  };
  for (const auto& item : split_items(row[10])) {
    if (item.size() != 3) continue;
    auto& s = status_of(item[0]);
    s.submitted_version = item[1];
    s.submitted_at_us = item[2];
  }
  for (const auto& item : split_items(row[11])) {
    if (item.size() == 2) status_of(item[0]).draft_version = item[1];
  }
  for (const auto& item : split_items(row[12])) {
    if (item.size() == 2) status_of(item[0]).reason = static_cast<std::int16_t>(item[1]);
  }
  return c;
}

std::int64_t put_unfiled_reason(pqxx::connection& conn, const admin_actor& who,
                                const std::string& exam_no, std::int16_t batch, std::int16_t reason,
                                const std::string& note, const std::string& ip) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::admin_put_reason, exam_no, who.unit_id, batch, reason, note,
                                who.admin_id);
  if (r.empty()) return 0;
  audit(tx, {1, who.admin_id, who.unit_id, "candidate.unfiled_reason", exam_no,
             fmt::format(R"({{"batch":"{}","reason":"{}"}})", core::to_code(decode_batch(batch)),
                         core::to_code(*core::unfiled_reason_from_int(reason))),
             ip});
  tx.commit();
  return r[0][0].as<std::int64_t>();
}

std::int64_t reset_candidate_password(pqxx::connection& conn, const admin_actor& who,
                                      const std::string& exam_no, const std::string& hash,
                                      const std::string& ip) {
  pqxx::work tx(conn);
  const auto r = tx.exec_params(sql::admin_reset_candidate_password, exam_no, who.unit_id, hash);
  if (r.empty()) return 0;
  const auto candidate = r[0][0].as<std::int64_t>();
  tx.exec_params(sql::admin_revoke_candidate_sessions, candidate);
  audit(tx, {1, who.admin_id, who.unit_id, "candidate.password_reset", exam_no, "", ip});
  tx.commit();
  return candidate;
}

std::vector<admin_user_row> list_admin_users(pqxx::connection& conn, std::int32_t actor_unit,
                                             std::int32_t after, int limit) {
  pqxx::read_transaction tx(conn);
  std::vector<admin_user_row> out;
  for (const auto& r : tx.exec_params(sql::admin_list_users, actor_unit, after, limit)) {
    out.push_back(user_of(r));
  }
  return out;
}

admin_user_change create_admin_user(pqxx::connection& conn, const admin_actor& who,
                                    const std::string& username, std::int32_t unit_id,
                                    std::int16_t role, const std::string& hash,
                                    const std::string& ip) {
  pqxx::work tx(conn);
  admin_user_change out;
  const auto r =
      tx.exec_params(sql::admin_create_user, username, unit_id, role, hash, who.unit_id, who.role);
  if (r.empty()) {
    if (!tx.exec_params(sql::admin_username_taken, username).empty()) {
      out.result = admin_user_change::outcome::name_taken;
    }
    return out;
  }
  const auto id = r[0][0].as<std::int32_t>();
  audit(tx, {1, who.admin_id, who.unit_id, "admin.user_create", username,
             fmt::format(R"({{"admin_id":{},"role":"{}"}})", id,
                         core::to_code(*core::admin_role_from_int(role))),
             ip});
  // Read back through the scoped list statement: one shape for every account answer.
  for (const auto& row : tx.exec_params(sql::admin_list_users, who.unit_id, id - 1, 1)) {
    out.user = user_of(row);
  }
  tx.commit();
  out.result = admin_user_change::outcome::ok;
  return out;
}

bool admin_user_changeable(pqxx::connection& conn, const admin_actor& who, std::int32_t admin_id) {
  pqxx::read_transaction tx(conn);
  return !tx.exec_params(sql::admin_user_changeable, admin_id, who.unit_id, who.role).empty();
}

admin_user_change update_admin_user(pqxx::connection& conn, const admin_actor& who,
                                    std::int32_t admin_id, std::optional<bool> disabled,
                                    std::optional<std::int16_t> role,
                                    std::optional<std::string> hash, const std::string& ip) {
  pqxx::work tx(conn);
  admin_user_change out;
  const auto r =
      tx.exec_params(sql::admin_update_user, admin_id, who.unit_id, who.role, disabled, role, hash);
  if (r.empty()) return out;
  out.user = user_of(r[0]);
  if ((disabled && *disabled) || hash) tx.exec_params(sql::admin_delete_session, admin_id);
  std::string detail = "{";
  if (disabled) detail += std::string("\"disabled\":") + (*disabled ? "true" : "false");
  if (role) {
    if (detail.size() > 1) detail += ',';
    detail += fmt::format(R"("role":"{}")", core::to_code(*core::admin_role_from_int(*role)));
  }
  if (hash) {
    if (detail.size() > 1) detail += ',';
    detail += "\"password_reset\":true";
  }
  detail += '}';
  audit(tx, {1, who.admin_id, who.unit_id, "admin.user_update", out.user.username, detail, ip});
  tx.commit();
  out.result = admin_user_change::outcome::ok;
  return out;
}

}  // namespace zhiyuan::storage
