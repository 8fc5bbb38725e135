#include "storage/reference_data.hpp"

#include <pqxx/pqxx>

namespace zhiyuan::storage {

std::shared_ptr<const reference_data> load_reference_data(pqxx::connection&) {
  return std::make_shared<const reference_data>();
}

std::shared_ptr<const reference_data> load_reference_data(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  return load_reference_data(conn);
}

}  // namespace zhiyuan::storage
