#pragma once

// The web app's room: the files of server.web_root (the app and /docs) with their caching,
// and what every answer carries for browsers: security headers and, for the origins of
// server.cors_origins, CORS (with preflights).

#include <string>
#include <vector>

#include "server/http/router.hpp"
#include "server/web/static_site.hpp"

namespace zhiyuan::server::web {

struct web_context {
  static_site site;
  std::vector<std::string> cors_origins;  ///< exact origins ("https://app.example.cn")
};

/// `GET /{*path}`: a file of the site, else index.html for the app's routes (never for /api/
/// or for a path that names a file, which are 404). Outside the contract.
std::vector<route_spec> web_routes(const web_context& web);

/// Wraps every route's handler so that its answer carries the security headers and, for an
/// allowed Origin, the CORS headers; with origins configured, adds an `OPTIONS` preflight route
/// for every pattern of the table (outside the contract). Call on the whole table.
void add_browser_headers(std::vector<route_spec>& table, const web_context& web);

/// Splits server.cors_origins ("a, b"); throws std::invalid_argument for an entry that is not
/// "scheme://host[:port]".
std::vector<std::string> parse_origins(const std::string& list);

}  // namespace zhiyuan::server::web
