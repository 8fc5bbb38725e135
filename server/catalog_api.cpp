#include "server/candidate_api.hpp"

namespace zhiyuan::server {

std::vector<route_spec> catalog_routes(candidate_api_context&) { return {}; }

}  // namespace zhiyuan::server
