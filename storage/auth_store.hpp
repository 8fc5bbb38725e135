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
  std::string save_hash;  ///< empty until set
  std::string exam_no;
  std::string id_number;  ///< for the password rules only; never sent anywhere
};

/// A live session as stored (the token itself is never stored, only its hash).
struct stored_session {
  std::int64_t candidate_id = 0;
  token_hash hash{};
  std::int64_t expires_at = 0;    ///< unix seconds, absolute timeout
  std::int64_t last_seen_at = 0;  ///< unix seconds
  bool passwords_set = true;
  bool pledged = false;
};

/// One sign-in attempt as recorded.
struct login_record {
  std::int64_t at_us = 0;
  std::string ip;
  std::string user_agent;
  std::string outcome;  ///< ok | bad_password
};

/// What GET /api/v1/me shows, as stored. Times are unix µs, 0 when unset.
struct profile_row {
  std::string exam_no;
  std::string name;
  std::string id_number;  ///< masked by the caller before it leaves the server
  std::string school_code;
  std::string school_name;
  std::int64_t household_confirmed_us = 0;
  std::int64_t physical_exam_confirmed_us = 0;
  std::string phone;
  std::string address_json;  ///< empty when unset
  std::int64_t version = 0;
  std::int64_t pledge_us = 0;
  bool must_set_passwords = true;
  /// Per batch (database encoding): current formal version and draft version, 0 when none.
  std::vector<std::pair<std::int16_t, std::int64_t>> submitted;
  std::vector<std::pair<std::int16_t, std::int64_t>> drafted;
  std::int64_t unread_notices = 0;
};

std::optional<account> find_account(pqxx::connection& conn, std::int64_t candidate_id);

/// Records a failed login attempt.
void record_failed_login(pqxx::connection& conn, std::int64_t candidate_id, const std::string& ip,
                         const std::string& user_agent);

/// Stores both new password hashes (Argon2id strings), clears the first-login flag and revokes
/// every other session of the candidate (all but `keep`), in one transaction.
void set_passwords(pqxx::connection& conn, std::int64_t candidate_id, const std::string& login_hash,
                   const std::string& save_hash, const token_hash& keep);

/// Revokes a session; false when it was not live.
bool revoke_session(pqxx::connection& conn, std::int64_t candidate_id, const token_hash& h);

/// The newest `limit` sign-in attempts.
std::vector<login_record> login_history(pqxx::connection& conn, std::int64_t candidate_id,
                                        int limit);

/// The profile of a candidate with the filing status of real (drill = false) or drill rows.
std::optional<profile_row> load_profile(pqxx::connection& conn, std::int64_t candidate_id,
                                        bool drill);

/// Sessions neither revoked nor past their absolute expiry at `now` (unix seconds on the
/// server's filing clock, which stamped them), loaded at start-up so sessions survive a
/// restart.
std::vector<stored_session> load_live_sessions(pqxx::connection& conn, std::int64_t now);
/// The same, opening its own connection.
std::vector<stored_session> load_live_sessions(const std::string& conninfo, std::int64_t now);

}  // namespace zhiyuan::storage
