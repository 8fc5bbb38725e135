#pragma once

// The node's own metrics beyond the transport's and the write path's (docs/metrics.md):
// sign-ins by outcome, snapshot and timetable reloads, the data each node serves (import ids,
// timetable revision, receipt key), live sessions, readiness and the database probe. Counters
// are bumped lock-free where things happen; the rest is read at scrape time.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "server/http/router.hpp"

namespace zhiyuan::server {

enum class audience : std::uint8_t { candidate, admin };

/// The `outcome` label of zhiyuan_sign_ins_total. `bad_password` includes unknown accounts: the
/// answers are the same by design (no enumeration), and so is the count.
enum class sign_in_outcome : std::uint8_t {
  ok,
  bad_password,
  throttled,
  locked,
  refused,
  unavailable,
  invalid
};

/// The `snapshot` label of zhiyuan_snapshot_reloads_total.
enum class snapshot_kind : std::uint8_t { catalog, candidates, schedule };

struct node_metrics {
  static constexpr std::size_t outcomes = static_cast<std::size_t>(sign_in_outcome::invalid) + 1;

  std::array<std::atomic<std::uint64_t>, 2 * outcomes> sign_ins{};
  std::array<std::atomic<std::uint64_t>, 3 * 2> reloads{};  // [snapshot][ok, failed]
  std::array<std::atomic<std::int64_t>, 3> import_ids{};    // plans, scores, candidates
  std::function<std::int64_t()> schedule_revision;
  /// Live sessions per audience in the database, -1 until first counted.
  std::array<std::atomic<std::int64_t>, 2> sessions_active{-1, -1};
  std::string receipt_key_id;  ///< set before serving
  std::function<bool()> ready;
  std::function<bool()> database_up;

  void signed_in(audience a, sign_in_outcome o) noexcept {
    sign_ins[static_cast<std::size_t>(a) * outcomes + static_cast<std::size_t>(o)].fetch_add(
        1, std::memory_order_relaxed);
  }
  /// Records the newest applied import of each kind the node serves (kinds as
  /// storage::applied_imports names them; others are ignored).
  void serving_imports(const std::map<std::string, std::int64_t>& applied) noexcept {
    constexpr std::array<const char*, 3> names{"plans", "scores", "candidates"};
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (const auto it = applied.find(names[k]); it != applied.end()) {
        import_ids[k].store(it->second, std::memory_order_relaxed);
      }
    }
  }
  void reloaded(snapshot_kind s, bool ok) noexcept {
    reloads[static_cast<std::size_t>(s) * 2 + (ok ? 0 : 1)].fetch_add(1, std::memory_order_relaxed);
  }

  std::string render() const;
};

/// The outcome a sign-in answer tells: 2xx ok, 401 bad_password, 429 throttled (locked when its
/// problem code is account_locked), 403 refused, 503 unavailable, anything else invalid.
sign_in_outcome sign_in_outcome_of(const response& res);

/// Wraps the handler of the route `method pattern` in `table` so that each of its answers is
/// counted in `m` as a sign-in of `who`; throws std::logic_error when there is no such route.
void count_sign_ins(std::vector<route_spec>& table, http::verb method, std::string_view pattern,
                    audience who, node_metrics& m);

}  // namespace zhiyuan::server
