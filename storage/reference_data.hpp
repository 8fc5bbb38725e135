#pragma once

#include <memory>
#include <string>

#include <pqxx/connection>

namespace zhiyuan::storage {

/// Reference data the catalog endpoints serve from memory: historical minimum scores and ranks
/// per group, the score tables (一分一段) per year and track, control lines. Immutable after
/// loading; swapped atomically with the catalog.
struct reference_data {
  // TODO(catalog API): filled in by the catalog endpoints' work.
};

std::shared_ptr<const reference_data> load_reference_data(pqxx::connection& conn);
std::shared_ptr<const reference_data> load_reference_data(const std::string& conninfo);

}  // namespace zhiyuan::storage
