#pragma once

// The admission offices' data: accounts and sessions, scoped statistics and lists, candidates'
// filing status, unfiled reasons, password resets and the audit log. Every query that reads or
// changes scoped data takes the acting admin's unit and filters by it in SQL.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace zhiyuan::storage {

/// What admin sign-in needs to know about an account.
struct admin_login_row {
  std::int32_t admin_id = 0;
  std::string password_hash;
  std::int16_t role = 0;
  std::int32_t unit_id = 0;
  bool must_change_password = true;
  bool disabled = false;
  bool trusted_network = false;  ///< the address may sign in to this account
};

/// The account behind a live admin session.
struct admin_actor {
  std::int32_t admin_id = 0;
  std::string username;
  std::int16_t role = 0;
  std::int32_t unit_id = 0;
  std::int16_t unit_level = 0;
  std::string unit_code;
  std::string unit_name;
  bool must_change_password = true;
};

/// One audit row to append. `detail_json` is a JSON object's text or empty; `ip` may be empty.
struct audit_entry {
  std::int16_t actor_kind = 1;  ///< 0 system, 1 admin, 2 candidate
  std::int64_t actor_id = 0;    ///< 0: none
  std::int32_t unit_id = 0;     ///< 0: none
  std::string action;
  std::string target;
  std::string detail_json;
  std::string ip;
};

struct unit_ref {
  std::int32_t id = 0;
  std::int16_t level = 0;
  std::string code;
  std::string name;
};

/// Counts of one unit for one batch, over candidates eligible for it.
struct unit_stats {
  unit_ref unit;
  std::int64_t eligible = 0;
  std::int64_t logged_in = 0;
  std::int64_t drafted = 0;
  std::int64_t submitted = 0;
  std::int64_t drafted_submitted = 0;
};

/// One eligible candidate without a real formal submission. `id_number` is raw: mask it.
struct unfiled_row {
  std::int64_t candidate_id = 0;
  std::string exam_no;
  std::string name;
  std::string id_number;
  std::string school_code;
  std::string school_name;
  std::string phone;
  std::int64_t last_login_us = 0;  ///< 0: never
  bool has_draft = false;
  std::int16_t reason = -1;  ///< -1: none recorded
  std::string note;
};

/// A candidate's filing status as an office sees it (never the choices).
struct admin_candidate_row {
  std::int64_t candidate_id = 0;
  std::string exam_no;
  std::string name;
  std::string id_number;  ///< raw: mask it
  std::string school_code;
  std::string school_name;
  std::int32_t school_id = 0;
  std::string phone;  ///< raw: mask it
  std::int16_t eligible = 0;
  bool must_set_passwords = false;
  std::int64_t last_login_us = 0;
  struct batch_status {
    std::int16_t batch = 0;
    std::int64_t submitted_version = 0;
    std::int64_t submitted_at_us = 0;
    std::int64_t draft_version = 0;
    std::int16_t reason = -1;
  };
  std::vector<batch_status> batches;  ///< only batches with any row
};

/// An admin account as listed.
struct admin_user_row {
  std::int32_t admin_id = 0;
  std::string username;
  std::int16_t role = 0;
  unit_ref unit;
  bool disabled = false;
  bool must_change_password = true;
  std::int64_t created_us = 0;
};

struct audit_row {
  std::int64_t audit_id = 0;
  std::int64_t at_us = 0;
  std::int16_t actor_kind = 0;
  std::int64_t actor_id = 0;
  std::string actor_name;
  std::int32_t unit_id = 0;
  std::string unit_code;
  std::string action;
  std::string target;
  std::string detail_json;
  std::string ip;
};

/// Filters of the audit list; 0 / empty: any.
struct audit_filter {
  std::int32_t unit_id = 0;
  std::int64_t actor_id = 0;
  std::string action;
  std::int64_t from = 0;  ///< unix seconds, inclusive
  std::int64_t to = 0;    ///< unix seconds, exclusive
  std::int64_t before_id = 0;
  int limit = 100;
};

using admin_token_hash = std::array<std::uint8_t, 32>;

// ---- accounts and sessions

/// The account named `username` with whether `ip` may sign in to it (global networks
/// `global_networks`, e.g. {"127.0.0.0/8"}, or the networks of its unit and above).
std::optional<admin_login_row> find_admin_login(pqxx::connection& conn, const std::string& username,
                                                const std::string& ip,
                                                const std::vector<std::string>& global_networks);
/// Whether `ip` lies inside one of `global_networks`.
bool trusted_globally(pqxx::connection& conn, const std::string& ip,
                      const std::vector<std::string>& global_networks);
/// Makes `h` the account's only live session (replacing any other) and audits the sign-in, in
/// one transaction.
void start_admin_session(pqxx::connection& conn, std::int32_t admin_id, std::int32_t unit_id,
                         const admin_token_hash& h, const std::string& ip);
/// The account of session `h` if it was used within `idle_seconds`; refreshes its idle timer.
std::optional<admin_actor> touch_admin_session(pqxx::connection& conn, const admin_token_hash& h,
                                               std::int64_t idle_seconds);
/// Ends the account's session.
void end_admin_session(pqxx::connection& conn, std::int32_t admin_id);
/// The account's password hash (empty when unknown).
std::string admin_password_hash(pqxx::connection& conn, std::int32_t admin_id);
/// Stores the account's own new password (clears the forced change) and audits it.
void set_own_admin_password(pqxx::connection& conn, const admin_actor& who, const std::string& hash,
                            const std::string& ip);
/// Creates an account without scope checks (the first province manager); returns its id, or 0
/// when the unit code is unknown. Throws on a duplicate name.
std::int32_t bootstrap_admin(pqxx::connection& conn, const std::string& username,
                             const std::string& unit_code, std::int16_t role,
                             const std::string& password_hash);
/// The same, opening its own connection after applying pending migrations (zhiyuan-admin).
std::int32_t bootstrap_admin(const std::string& conninfo, const std::string& username,
                             const std::string& unit_code, std::int16_t role,
                             const std::string& password_hash);
/// Lets `network` (CIDR) sign in to the accounts of unit `unit_id` and below.
void add_unit_network(pqxx::connection& conn, std::int32_t unit_id, const std::string& network);
/// The same by unit code; false when no unit has that code (or the network was listed).
bool add_unit_network(pqxx::connection& conn, const std::string& unit_code,
                      const std::string& network);
/// The same, opening its own connection (zhiyuan-admin).
bool add_unit_network(const std::string& conninfo, const std::string& unit_code,
                      const std::string& network);

// ---- audit

/// Appends one row in its own transaction.
void append_audit(pqxx::connection& conn, const audit_entry& e);
/// Rows inside the actor's unit, newest first.
std::vector<audit_row> list_audit(pqxx::connection& conn, std::int32_t actor_unit,
                                  const audit_filter& f);

// ---- units and statistics

std::optional<unit_ref> unit_in_scope(pqxx::connection& conn, std::int32_t unit_id,
                                      std::int32_t actor_unit);
std::optional<unit_ref> unit_code_in_scope(pqxx::connection& conn, const std::string& code,
                                           std::int32_t actor_unit);
/// Moves pending counter deltas into the counts (skipped while another fold runs).
void fold_filing_counts(pqxx::connection& conn);
/// The same, opening its own connection (housekeeping).
void fold_filing_counts(const std::string& conninfo);
/// The unit's statistics first, then each direct child's; empty when out of scope.
std::vector<unit_stats> load_unit_stats(pqxx::connection& conn, std::int32_t unit_id,
                                        std::int16_t batch, std::int32_t actor_unit);
/// Real formal submissions per hour of the filing clock (commit times plus
/// `clock_offset_seconds`): (hour as unix seconds on that clock, count).
std::vector<std::pair<std::int64_t, std::int64_t>> load_submission_timeline(
    pqxx::connection& conn, std::int32_t unit_id, std::int16_t batch, std::int32_t actor_unit,
    std::int64_t clock_offset_seconds);
/// One page of the unfiled list after candidate `after`.
std::vector<unfiled_row> load_unfiled_page(pqxx::connection& conn, std::int32_t unit_id,
                                           std::int16_t batch, std::int32_t actor_unit,
                                           std::int64_t after, int limit);

// ---- candidates

std::optional<admin_candidate_row> load_admin_candidate(pqxx::connection& conn,
                                                        const std::string& exam_no,
                                                        std::int32_t actor_unit);
/// Records the reason (and audits it, one transaction); the candidate's id, or 0 when the
/// candidate is out of scope.
std::int64_t put_unfiled_reason(pqxx::connection& conn, const admin_actor& who,
                                const std::string& exam_no, std::int16_t batch, std::int16_t reason,
                                const std::string& note, const std::string& ip);
/// Sets a one-time login password (hash), forces new passwords at next sign-in, ends the
/// candidate's sessions and audits it, in one transaction; the candidate's id, or 0 when out
/// of scope.
std::int64_t reset_candidate_password(pqxx::connection& conn, const admin_actor& who,
                                      const std::string& exam_no, const std::string& hash,
                                      const std::string& ip);

// ---- accounts in scope

std::vector<admin_user_row> list_admin_users(pqxx::connection& conn, std::int32_t actor_unit,
                                             std::int32_t after, int limit);
/// Whether `admin_id` is an account the actor may change (update_admin_user's rule), so that
/// a password is hashed only for one.
bool admin_user_changeable(pqxx::connection& conn, const admin_actor& who, std::int32_t admin_id);
/// The outcome of creating or changing an account.
struct admin_user_change {
  enum class outcome { ok, out_of_scope, name_taken } result = outcome::out_of_scope;
  admin_user_row user;
};
/// Creates an account in `unit_id` (inside the actor's unit, role at most the actor's) and
/// audits it.
admin_user_change create_admin_user(pqxx::connection& conn, const admin_actor& who,
                                    const std::string& username, std::int32_t unit_id,
                                    std::int16_t role, const std::string& hash,
                                    const std::string& ip);
/// Changes an account inside the actor's unit: disabled, role, password hash (each optional);
/// a disabled account or a reset password ends its session. Audited.
admin_user_change update_admin_user(pqxx::connection& conn, const admin_actor& who,
                                    std::int32_t admin_id, std::optional<bool> disabled,
                                    std::optional<std::int16_t> role,
                                    std::optional<std::string> hash, const std::string& ip);

}  // namespace zhiyuan::storage
