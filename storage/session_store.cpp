#include "storage/session_store.hpp"

#include <pqxx/pqxx>

#include "storage/pg_arrays.hpp"
#include "storage/single_read.hpp"
#include "storage/sql/sessions.hpp"

namespace zhiyuan::storage {

const char* sessions_channel() { return sql::sessions_channel; }

std::optional<stored_session> find_session(pqxx::connection& conn, const token_hash& h,
                                           std::int64_t now, std::int64_t idle_seconds) {
  single_read tx(conn);
  std::string hex;
  append_hex(hex, h);
  const auto r = tx.exec_params(sql::sessions_find, hex, now, idle_seconds);
  if (r.empty()) return std::nullopt;
  stored_session s;
  s.candidate_id = r[0][0].as<std::int64_t>();
  s.hash = h;
  s.expires_at = r[0][1].as<std::int64_t>();
  s.last_seen_at = r[0][2].as<std::int64_t>();
  s.passwords_set = r[0][3].as<bool>();
  s.pledged = r[0][4].as<bool>();
  return s;
}

std::int64_t database_clock_us(pqxx::connection& conn) {
  single_read tx(conn);
  return tx.exec1(sql::sessions_clock_us)[0].as<std::int64_t>();
}

bool parse_token_hex(std::string_view hex, token_hash& out) {
  if (hex.size() != 64) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

std::pair<std::vector<token_hash>, std::int64_t> revoked_since(pqxx::connection& conn,
                                                               std::int64_t cursor_us) {
  // One snapshot for both: the next cursor is not later than what the rows show.
  pqxx::read_transaction tx(conn);
  const auto next = tx.exec1(sql::sessions_clock_us)[0].as<std::int64_t>();
  std::vector<token_hash> out;
  for (const auto& row : tx.exec_params(sql::sessions_revoked_since, cursor_us)) {
    token_hash h;
    if (parse_token_hex(row[0].as<std::string>(), h)) out.push_back(h);
  }
  return {std::move(out), next};
}

std::vector<account_flags> read_account_flags(pqxx::connection& conn,
                                              const std::vector<std::int64_t>& candidates) {
  std::vector<account_flags> out;
  if (candidates.empty()) return out;
  std::string ids;
  open_array(ids);
  for (const auto id : candidates) append_int(ids, id);
  close_array(ids);
  single_read tx(conn);
  for (const auto& row : tx.exec_params(sql::sessions_account_flags, ids)) {
    out.push_back({row[0].as<std::int64_t>(), row[1].as<bool>(), row[2].as<bool>()});
  }
  return out;
}

void touch_sessions(pqxx::connection& conn,
                    const std::vector<std::pair<token_hash, std::int64_t>>& seen) {
  if (seen.empty()) return;
  std::string hashes, times;
  open_array(hashes);
  open_array(times);
  for (const auto& [h, t] : seen) {
    append_hex(hashes, h);
    append_int(times, t);
  }
  close_array(hashes);
  close_array(times);
  pqxx::work tx(conn);
  // An idle timer is a hint, not a promise to anyone: no wait for the WAL flush.
  tx.exec("SET LOCAL synchronous_commit TO off");
  tx.exec_params(sql::sessions_touch, hashes, times);
  tx.commit();
}

session_feed::session_feed(std::string conninfo) : conninfo_(std::move(conninfo)) {}

session_feed::~session_feed() = default;

pqxx::connection& session_feed::connection() {
  if (!conn_ || !conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(conninfo_);
  return *conn_;
}

template <typename F>
auto session_feed::with_connection(F&& f) {
  try {
    return f(connection());
  } catch (const pqxx::broken_connection&) {
    conn_.reset();  // reopened on the next call, perhaps to a new primary
    throw;
  }
}

std::vector<token_hash> session_feed::revocations() {
  std::lock_guard lock(mutex_);
  return with_connection([this](pqxx::connection& c) {
    if (!cursor_us_) {
      cursor_us_ = database_clock_us(c);
      return std::vector<token_hash>{};
    }
    auto [hashes, next] = revoked_since(c, *cursor_us_);
    cursor_us_ = next;
    return std::move(hashes);
  });
}

std::vector<account_flags> session_feed::accounts(const std::vector<std::int64_t>& candidates) {
  if (candidates.empty()) return {};
  std::lock_guard lock(mutex_);
  return with_connection([&](pqxx::connection& c) { return read_account_flags(c, candidates); });
}

void session_feed::touch(const std::vector<std::pair<token_hash, std::int64_t>>& seen) {
  if (seen.empty()) return;
  std::lock_guard lock(mutex_);
  with_connection([&](pqxx::connection& c) { touch_sessions(c, seen); });
}

std::pair<std::int64_t, std::int64_t> session_feed::live_sessions(
    std::int64_t candidate_idle_seconds, std::int64_t admin_idle_seconds) {
  std::lock_guard lock(mutex_);
  return with_connection([&](pqxx::connection& c) {
    single_read tx(c);
    const auto row =
        tx.exec_params1(sql::sessions_live_count, candidate_idle_seconds, admin_idle_seconds);
    return std::pair{row[0].as<std::int64_t>(), row[1].as<std::int64_t>()};
  });
}

}  // namespace zhiyuan::storage
