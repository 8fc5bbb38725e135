#pragma once

// The fleet's shared sessions in PostgreSQL (issue 17): a node looks up a token it does not
// know, catches up on revocations it may have missed, and writes idle timers back in batches.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/connection>

#include "storage/auth_store.hpp"

namespace zhiyuan::storage {

/// The notification channel of session changes (migration 0015 lists its payloads).
const char* sessions_channel();

/// The live session of token hash `h` at `now` (unix seconds), not idle for `idle_seconds`.
std::optional<stored_session> find_session(pqxx::connection& conn, const token_hash& h,
                                           std::int64_t now, std::int64_t idle_seconds);

/// The database's clock (µs): the cursor of the first catch-up.
std::int64_t database_clock_us(pqxx::connection& conn);

/// Hashes of the sessions revoked since `cursor_us` (with overlap), and the next cursor.
std::pair<std::vector<token_hash>, std::int64_t> revoked_since(pqxx::connection& conn,
                                                               std::int64_t cursor_us);

/// A candidate's account state as sessions carry it.
struct account_flags {
  std::int64_t candidate_id = 0;
  bool passwords_set = true;
  bool pledged = false;
};

/// The account state of `candidates` (those that exist).
std::vector<account_flags> read_account_flags(pqxx::connection& conn,
                                              const std::vector<std::int64_t>& candidates);

/// Moves the stored idle timers forward: (token hash, last seen unix seconds).
void touch_sessions(pqxx::connection& conn,
                    const std::vector<std::pair<token_hash, std::int64_t>>& seen);

/// A node's own connection for keeping its session cache in step with the fleet: catch-up
/// reads of revocations and idle-timer write-backs. Thread-safe (one mutex); the connection
/// is (re)opened on demand, and a call on a broken one throws after dropping it.
class session_feed {
 public:
  explicit session_feed(std::string conninfo);
  ~session_feed();

  /// Sessions revoked since the previous call (the first call: since the first call, which
  /// only sets the cursor and returns nothing).
  std::vector<token_hash> revocations();
  /// The account state of `candidates` (read_account_flags).
  std::vector<account_flags> accounts(const std::vector<std::int64_t>& candidates);
  /// Moves the stored idle timers forward (touch_sessions).
  void touch(const std::vector<std::pair<token_hash, std::int64_t>>& seen);
  /// Live sessions in the database: {candidates, admins}, idle timeouts in seconds.
  std::pair<std::int64_t, std::int64_t> live_sessions(std::int64_t candidate_idle_seconds,
                                                      std::int64_t admin_idle_seconds);

 private:
  pqxx::connection& connection();
  template <typename F>
  auto with_connection(F&& f);

  std::string conninfo_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> conn_;
  std::optional<std::int64_t> cursor_us_;
};

/// Parses 64 hex digits; false when `hex` is not exactly that.
bool parse_token_hex(std::string_view hex, token_hash& out);

}  // namespace zhiyuan::storage
