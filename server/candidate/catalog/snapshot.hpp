#pragma once

// What the catalog handlers serve from: the catalog and reference snapshots under one tag, an
// index of groups by college, and the cache of the responses serialized from them. Rebuilt when
// main swaps the catalog or the reference data.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/catalog.hpp"
#include "server/candidate/catalog/response_cache.hpp"
#include "server/candidate/context.hpp"
#include "server/http/message.hpp"
#include "server/shared_slot.hpp"
#include "storage/reference_data.hpp"

namespace zhiyuan::server {

/// One catalog and reference snapshot with what is derived from it.
struct catalog_snapshot {
  std::shared_ptr<const core::catalog> cat;
  std::shared_ptr<const storage::reference_data> ref;
  std::uint64_t tag = 0;  ///< changes with either snapshot
  std::string tag_hex;
  std::unordered_map<std::string_view, std::vector<const core::major_group*>> by_college;
  mutable response_cache cache;

  /// The ETag of the response cached under `key`: the snapshot's tag and the key's hash.
  std::string etag_of(std::string_view key) const;
  /// Answers with freshly serialized bytes and keeps them for the next request with `key`.
  void answer_and_cache(request_context& ctx, std::string_view key, std::string&& body) const;
};

/// Holds the current snapshot; shared by the catalog routes.
class catalog_state {
 public:
  explicit catalog_state(candidate_api_context& api) : api_(api) {}

  /// The snapshot of the catalog and reference data main holds now (rebuilt once per swap).
  std::shared_ptr<const catalog_snapshot> current();

  candidate_api_context& api() { return api_; }

 private:
  candidate_api_context& api_;
  std::mutex rebuild_;
  shared_slot<const catalog_snapshot> snap_;
};

/// Appends "name=<length>:value;" to a cache key, so that no two different requests share one.
void key_part(std::string& key, std::string_view name, std::string_view value);

}  // namespace zhiyuan::server
