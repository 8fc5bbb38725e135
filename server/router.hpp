#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "server/http.hpp"

namespace zhiyuan::server {

/// A handler that answers at once, on the I/O thread.
using sync_handler = std::function<void(request_context&)>;
/// A handler that waits for something (a commit, the hashing pool) without blocking.
using async_handler = std::function<boost::asio::awaitable<void>(request_context&)>;

/// Documentation of a route, used to build /openapi.json.
struct route_doc {
  std::string summary;
  std::string tag = "system";
  std::string response_schema = R"({"type":"object"})";  ///< JSON Schema of the 2xx body
  std::string response_type = "application/json";
  unsigned success_status = 200;
  /// Browsing routes are shed first under load (503 at once) so that formal submissions keep
  /// the capacity; everything else is `normal`.
  enum class priority : std::uint8_t { normal, browse } load_priority = priority::normal;
  std::vector<unsigned> error_statuses;  ///< problem+json responses besides 4xx/5xx defaults
  /// JSON Schema of the request body (application/json); empty: the route takes no body.
  std::string request_schema;
  /// Query parameters: name, JSON Schema, description.
  struct query_param {
    std::string name;
    std::string schema = R"({"type":"string"})";
    std::string description;
  };
  std::vector<query_param> query;
  /// Request headers the route reads (e.g. Idempotency-Key, If-Match), name → description.
  std::vector<std::pair<std::string, std::string>> headers;
  bool authenticated = false;  ///< needs a candidate session (bearer token or cookie)
};

/// One entry of the route table: method + path pattern with `{param}` segments → handler.
struct route_spec {
  http::verb method;
  std::string pattern;
  std::variant<sync_handler, async_handler> handler;
  route_doc doc;
};

/// The outcome of routing a request.
struct route_match {
  enum class kind { found, not_found, method_not_allowed } outcome = kind::not_found;
  std::size_t index = 0;  ///< into routes(), when found
  route_params params;
  std::string allow;  ///< for method_not_allowed: "GET, POST"
};

/// Immutable after construction; shared by every I/O thread by const reference.
class router {
 public:
  /// Throws std::invalid_argument on a malformed pattern or a duplicate route.
  explicit router(std::vector<route_spec> routes);

  route_match match(http::verb method, std::string_view path) const;
  const std::vector<route_spec>& routes() const noexcept { return routes_; }
  /// A name per route for metrics ("GET /api/v1/ping"), index-aligned with routes().
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  struct segment {
    std::string text;
    bool is_param;
  };
  static bool match_pattern(const std::vector<segment>& pattern, std::string_view path,
                            route_params& params);

  std::vector<route_spec> routes_;
  std::vector<std::vector<segment>> segments_;
  std::vector<std::string> names_;
};

}  // namespace zhiyuan::server
