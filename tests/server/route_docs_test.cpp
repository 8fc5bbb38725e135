// Every route of the server has exactly one documentation entry (server/*/docs/*.json) and every
// entry a route: the pairing build_openapi checks at start-up, checked here without a server.
#include "server/route_docs.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "server/admin/context.hpp"
#include "server/candidate/context.hpp"
#include "server/http/openapi.hpp"
#include "server/http/system_routes.hpp"

namespace zhiyuan::server {
namespace {

std::vector<route_spec> every_route(system_state& state, candidate_api_context& candidate,
                                    admin_api_context& admin) {
  auto r = system_routes(state);
  for (auto& x : candidate_routes(candidate)) r.push_back(std::move(x));
  for (auto& x : admin_routes(admin)) r.push_back(std::move(x));
  for (auto& x : admin_ops_routes(admin)) r.push_back(std::move(x));
  return r;
}

TEST(route_docs, every_route_is_documented_once) {
  system_state state;
  candidate_api_context candidate;
  admin_api_context admin;
  const router routes(every_route(state, candidate, admin));
  const std::string doc = build_openapi(routes, route_docs());
  for (const auto& name : routes.names()) {
    EXPECT_NE(doc.find("\"operationId\":\"" + name + "\""), std::string::npos) << name;
  }
}

TEST(route_docs, an_undocumented_route_stops_the_start) {
  system_state state;
  auto table = system_routes(state);
  table.push_back({http::verb::get, "/api/v1/nowhere", handler_for(state, [](auto&, auto&) {})});
  const router routes(std::move(table));
  try {
    build_openapi(routes, route_docs());
    FAIL() << "accepted a route without docs";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("routes without docs: [GET /api/v1/nowhere]"),
              std::string::npos)
        << e.what();
  }
}

TEST(route_docs, a_doc_without_its_route_stops_the_start) {
  system_state state;
  const router routes(system_routes(state));
  // The system routes alone leave every candidate and admin doc without a route.
  try {
    build_openapi(routes, route_docs());
    FAIL() << "accepted docs without routes";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("POST /api/v1/applications/{batch}"), std::string::npos)
        << e.what();
  }
}

TEST(route_docs, a_malformed_doc_names_its_file) {
  system_state state;
  const router routes(system_routes(state));
  const embedded_text bad[] = {{"x.json", R"({"tag":"system","routes":{"GET /livez":{}}})"}};
  try {
    build_openapi(routes, bad);
    FAIL() << "accepted a doc without a summary";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x.json: GET /livez: no summary"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace zhiyuan::server
