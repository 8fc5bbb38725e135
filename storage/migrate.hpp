#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <pqxx/connection>

namespace zhiyuan::storage {

/// One numbered schema migration, embedded into the binary at build time from
/// `storage/migrations/NNNN_name.sql`.
struct migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

/// Every migration shipped with this build, in version order.
std::span<const migration> shipped_migrations();

/// Applies every migration not yet recorded in `schema_migrations`, each in its own
/// transaction together with its record, under an advisory lock so that concurrent
/// processes apply each one exactly once. Returns the versions applied now.
std::vector<int> migrate(pqxx::connection& conn,
                         std::span<const migration> migrations = shipped_migrations());

}  // namespace zhiyuan::storage
