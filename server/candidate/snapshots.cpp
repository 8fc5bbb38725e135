#include "server/candidate/snapshots.hpp"

#include <exception>

#include <fmt/format.h>

#include "server/http/log.hpp"
#include "storage/admin_ops_store.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/reference_data.hpp"

namespace zhiyuan::server {

snapshot_refresher::snapshot_refresher(std::string conninfo, std::string replica_conninfo,
                                       candidate_api_context& api,
                                       std::map<std::string, std::int64_t> seen,
                                       node_metrics* stats)
    : conninfo_(std::move(conninfo)),
      replica_conninfo_(std::move(replica_conninfo)),
      api_(api),
      seen_(std::move(seen)),
      stats_(stats) {
  if (stats_ != nullptr) stats_->serving_imports(seen_);
}

const std::string& snapshot_refresher::source_for(
    const std::map<std::string, std::int64_t>& applied) const {
  if (replica_conninfo_ == conninfo_) return conninfo_;
  try {
    // A standby that has not replayed the import yet would load the old data as new.
    if (storage::applied_imports(replica_conninfo_) == applied) return replica_conninfo_;
  } catch (const std::exception& e) {
    log_event(spdlog::level::warn, "replica_unreachable", {{"error", e.what()}});
  }
  return conninfo_;
}

bool snapshot_refresher::refresh() {
  std::lock_guard lock(mutex_);
  bool catalog = false, candidates = false;
  const auto count = [&](bool ok) {
    if (stats_ == nullptr) return;
    if (catalog) stats_->reloaded(snapshot_kind::catalog, ok);
    if (candidates) stats_->reloaded(snapshot_kind::candidates, ok);
  };
  try {
    const auto applied = storage::applied_imports(conninfo_);
    auto newer = [&](const char* kind) {
      const auto it = applied.find(kind);
      if (it == applied.end()) return false;
      const auto seen = seen_.find(kind);
      return seen == seen_.end() || seen->second < it->second;
    };
    catalog = newer("plans") || newer("scores");
    candidates = newer("candidates");
    if (catalog || candidates) {
      const std::string& source = source_for(applied);
      if (catalog) {
        api_.catalog.store(storage::load_catalog(source));
        api_.reference.store(storage::load_reference_data(source));
      }
      if (candidates) api_.directory.store(storage::load_directory(source));
      log_event(spdlog::level::info, "snapshots_reloaded",
                {{"catalog", catalog ? "true" : "false"},
                 {"candidates", candidates ? "true" : "false"},
                 {"from", &source == &conninfo_ ? "primary" : "replica"}});
    }
    seen_ = applied;
    count(true);
    if (stats_ != nullptr) stats_->serving_imports(seen_);
    return true;
  } catch (const std::exception& e) {
    log_event(spdlog::level::warn, "snapshots_reload_failed", {{"error", e.what()}});
    count(false);
    return false;
  }
}

}  // namespace zhiyuan::server
