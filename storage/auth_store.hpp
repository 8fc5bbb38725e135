#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace zhiyuan::storage {

using token_hash = std::array<std::uint8_t, 32>;

/// What sign-in needs to know about a candidate's account.
struct account {
  std::string login_hash;  ///< Argon2id string (libsodium crypto_pwhash_str)
  bool must_set_passwords = true;
  bool pledge_required = true;
};

/// A live session as stored (the token itself is never stored, only its hash).
struct stored_session {
  std::int64_t candidate_id = 0;
  token_hash hash{};
  std::int64_t expires_at = 0;    ///< unix seconds, absolute timeout
  std::int64_t last_seen_at = 0;  ///< unix seconds
};

std::optional<account> find_account(pqxx::connection& conn, std::int64_t candidate_id);

/// Records a new session and the successful login in one transaction.
void insert_session(pqxx::connection& conn, const stored_session& s, const std::string& ip,
                    const std::string& user_agent);

/// Records a failed login attempt.
void record_failed_login(pqxx::connection& conn, std::int64_t candidate_id, const std::string& ip,
                         const std::string& user_agent);

/// Sessions neither revoked nor past their absolute expiry at `now` (unix seconds on the
/// server's filing clock, which stamped them), loaded at start-up so sessions survive a
/// restart.
std::vector<stored_session> load_live_sessions(pqxx::connection& conn, std::int64_t now);
/// The same, opening its own connection.
std::vector<stored_session> load_live_sessions(const std::string& conninfo, std::int64_t now);

}  // namespace zhiyuan::storage
