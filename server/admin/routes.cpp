#include "server/admin/routes.hpp"

#include <initializer_list>
#include <iterator>

namespace zhiyuan::server {
namespace {

std::vector<route_spec> joined(
    std::initializer_list<std::vector<route_spec> (*)(admin_api_context&)> parts,
    admin_api_context& api) {
  std::vector<route_spec> out;
  for (const auto part : parts) {
    auto routes = part(api);
    out.insert(out.end(), std::make_move_iterator(routes.begin()),
               std::make_move_iterator(routes.end()));
  }
  return out;
}

}  // namespace

std::vector<route_spec> admin_routes(admin_api_context& api) {
  return joined({admin_http::accounts_routes, admin_http::statistics_routes,
                 admin_http::candidates_routes, admin_http::audit_routes},
                api);
}

std::vector<route_spec> admin_ops_routes(admin_api_context& api) {
  return joined({admin_http::communications_routes, admin_http::incidents_routes,
                 admin_http::province_routes},
                api);
}

}  // namespace zhiyuan::server
