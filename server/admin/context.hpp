#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/password.hpp"
#include "server/http/router.hpp"
#include "server/password_hash.hpp"
#include "server/schedule_holder.hpp"
#include "server/sessions.hpp"
#include "storage/worker_pool.hpp"

namespace zhiyuan::server {

class login_guard;

/// What the admin handlers work with (the admission offices' API, /api/v1/admin/...). Built by
/// main; shared by every I/O thread. Admin sessions live in the database only (one row per
/// account), so a new sign-in ends the previous session at once on every server node.
struct admin_api_context {
  storage::worker_pool* queries = nullptr;  ///< session checks and scoped queries
  storage::worker_pool* hashing = nullptr;  ///< Argon2id (sign-in, password changes, resets)
  /// Statistics read from the standby (database.replica_url); null: from `queries`.
  storage::worker_pool* replica = nullptr;
  login_guard* guard = nullptr;                 ///< admin sign-in throttling (its own key space)
  session_table* candidate_sessions = nullptr;  ///< ended after a candidate's password reset
  const core::common_passwords* common_passwords = nullptr;
  std::vector<std::string> trusted_networks;  ///< CIDRs every account may sign in from
  std::int64_t idle_seconds = 15 * 60;
  int export_page_rows = 2000;  ///< rows per database round trip of a streamed export
  std::function<std::int64_t()> now_micros;
  /// The filing clock's offset (server/filing_clock.hpp): every time an answer carries is on it.
  std::int64_t clock_offset_seconds = 0;
  // ---- operations (admin_ops_routes)
  schedule_holder* schedule = nullptr;  ///< the live timetable; a PUT swaps it at once
  /// Reloads the snapshots an applied import changed (candidate/snapshots.hpp); true when they
  /// are current. Runs on a pool thread; never throws.
  std::function<bool()> refresh_snapshots;
  std::int64_t reminder_interval_seconds = 1800;  ///< one reminder per unit and batch per this
  std::size_t document_max_bytes = 4u << 20;      ///< 413 above
  std::size_t import_max_bytes = 8u << 20;        ///< 413 above
  std::size_t import_max_rows = 100'000;          ///< 422 above
};

/// Accounts and sessions, users in scope (server/admin/accounts.cpp), statistics, unfiled lists
/// and exports (statistics.cpp), candidates' status, unfiled reasons, password resets
/// (candidates.cpp) and the audit log (audit.cpp).
std::vector<route_spec> admin_routes(admin_api_context& ctx);

/// Reminders, notices, documents (server/admin/communications.cpp), incidents (incidents.cpp),
/// the schedule, imports and the drill reset (province.cpp).
std::vector<route_spec> admin_ops_routes(admin_api_context& ctx);

/// A random one-time password that passes the password rules: 12 letters and digits with at
/// least one of each, without look-alike characters.
std::string one_time_password();

}  // namespace zhiyuan::server
