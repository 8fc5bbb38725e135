#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/catalog.hpp"
#include "core/schedule.hpp"
#include "server/config.hpp"
#include "server/router.hpp"
#include "server/sessions.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/worker_pool.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

/// What the candidate-facing handlers work with. Built by main; shared by every I/O thread.
/// The catalog is swapped atomically when the province publishes a new plan.
struct candidate_api_context {
  std::atomic<std::shared_ptr<const core::catalog>> catalog;
  std::shared_ptr<const storage::candidate_directory> directory;
  core::schedule schedule;
  std::int64_t clock_offset_seconds = 0;
  std::chrono::milliseconds write_deadline{10'000};
  std::chrono::hours session_absolute{8};
  storage::write_path* writes = nullptr;
  storage::worker_pool* auth_pool = nullptr;
  session_table* sessions = nullptr;

  /// The instant every schedule decision uses (system clock plus the configured offset).
  std::int64_t now_seconds() const;
  std::int64_t now_micros() const;
};

/// POST /api/v1/auth/login, POST /api/v1/applications/{batch}, PUT /api/v1/drafts/{batch}.
std::vector<route_spec> candidate_routes(candidate_api_context& ctx);

}  // namespace zhiyuan::server
