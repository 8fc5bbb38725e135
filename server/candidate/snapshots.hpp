#pragma once

// The node's in-memory snapshots (catalog and reference data, the candidate directory) kept in
// step with the imports applied in the database, whichever node applied them.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "server/candidate/context.hpp"
#include "server/node_metrics.hpp"

namespace zhiyuan::server {

/// Reloads what an applied import changed: plans or scores → the catalog and reference data,
/// candidates → the directory (units are read from the database per request). Each snapshot is
/// swapped atomically: a request in flight finishes with the snapshot it holds.
class snapshot_refresher {
 public:
  /// `seen`: the newest applied import of each kind read before the snapshots were loaded.
  /// The imports applied are read from `conninfo` (the primary); the snapshots are loaded from
  /// `replica_conninfo` (database.replica_url, or the primary too) once it shows the same imports.
  /// `stats` (optional) counts reloads and shows the imports served.
  snapshot_refresher(std::string conninfo, std::string replica_conninfo, candidate_api_context& api,
                     std::map<std::string, std::int64_t> seen, node_metrics* stats = nullptr);

  /// Reloads what the imports applied since the last call changed; true when every snapshot is
  /// current. Serialized; a failure is logged and retried at the next call.
  bool refresh();

 private:
  // Where the snapshots are loaded from: the replica once it has replayed `applied`, else
  // the primary.
  const std::string& source_for(const std::map<std::string, std::int64_t>& applied) const;

  std::string conninfo_;
  std::string replica_conninfo_;
  candidate_api_context& api_;
  std::mutex mutex_;
  std::map<std::string, std::int64_t> seen_;  // under mutex_
  node_metrics* stats_;
};

}  // namespace zhiyuan::server
