#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/password.hpp"
#include "core/schedule.hpp"
#include "server/config.hpp"
#include "server/http/router.hpp"
#include "server/popularity.hpp"
#include "server/schedule_holder.hpp"
#include "server/sessions.hpp"
#include "server/shared_slot.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/reference_data.hpp"
#include "storage/worker_pool.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

class login_guard;
class fleet_login_guard;
class receipt_signer;

/// What the candidate-facing handlers work with. Built by main; shared by every I/O thread.
/// The catalog is swapped atomically when the province publishes a new plan.
struct candidate_api_context {
  shared_slot<const core::catalog> catalog;
  /// Historical scores, score tables and control lines; swapped with the catalog.
  shared_slot<const storage::reference_data> reference;
  /// Who may file what; swapped atomically by a candidates import (read with `candidate`).
  shared_slot<const storage::candidate_directory> directory;
  /// The timetable: one snapshot per request (`schedule.get()`); swapped live by the admin API.
  schedule_holder schedule;
  std::int64_t clock_offset_seconds = 0;
  std::chrono::milliseconds write_deadline{10'000};
  std::chrono::hours session_absolute{8};
  storage::write_path* writes = nullptr;
  storage::worker_pool* auth_pool = nullptr;  ///< Argon2id and sign-in queries
  storage::worker_pool* reads = nullptr;      ///< queries of a candidate's own state
  session_table* sessions = nullptr;
  login_guard* guard = nullptr;                    ///< sign-in throttling, this node's memory
  const fleet_login_guard* fleet_guard = nullptr;  ///< sign-in throttling, the fleet's (or none)
  const receipt_signer* signer = nullptr;          ///< Ed25519 key of the receipts
  const core::common_passwords* common_passwords = nullptr;
  shared_popularity* popularity = nullptr;  ///< who chose which group (committed data)
  /// How long a session remembers a verified save password.
  std::chrono::seconds save_password_memo{600};

  /// A copy of the candidate's directory entry (copies stay valid when an import swaps the
  /// directory), or nullopt when the candidate is not registered.
  std::optional<storage::candidate_directory::entry> candidate(core::candidate_id id) const;
  std::optional<storage::candidate_directory::entry> candidate_by_exam_no(
      std::string_view exam_no) const;

  /// The instant every schedule decision uses (system clock plus the configured offset).
  std::int64_t now_seconds() const;
  std::int64_t now_micros() const;
};

/// Every route of the candidate API (the groups below).
std::vector<route_spec> candidate_routes(candidate_api_context& ctx);

/// Sign-in, logout, passwords, pledge, login history, profile, confirmations, contact
/// (server/candidate/account.cpp).
std::vector<route_spec> account_routes(candidate_api_context& ctx);
/// Schedule, plans, colleges, scores, score table, rank, suggestions, popularity
/// (server/candidate/catalog/handlers.cpp).
std::vector<route_spec> catalog_routes(candidate_api_context& ctx);
/// Favourites: list, put, delete (server/candidate/favorites.cpp).
std::vector<route_spec> favorite_routes(candidate_api_context& ctx);
/// Notices: list, mark read (server/candidate/notices.cpp).
std::vector<route_spec> notice_routes(candidate_api_context& ctx);
/// Drafts: read, save, import favourites (server/candidate/filing/drafts.cpp).
std::vector<route_spec> draft_routes(candidate_api_context& ctx);
/// Formal choices: submit, read, history, CSV export; the receipts' public key
/// (server/candidate/filing/applications.cpp).
std::vector<route_spec> application_routes(candidate_api_context& ctx);

}  // namespace zhiyuan::server
