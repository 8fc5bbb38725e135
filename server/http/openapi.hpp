#pragma once

#include <span>
#include <string>
#include <string_view>

#include "server/http/router.hpp"

namespace zhiyuan::server {

/// A text compiled into the binary, e.g. one route-doc file (see server/CMakeLists.txt).
struct embedded_text {
  std::string_view name;
  std::string_view text;
};

/// The OpenAPI 3.1 document of every route in `routes`, with the problem+json error responses
/// and their stable codes. Each route is described by `docs`, JSON files of the shape
///
///   {"tag": "filing",
///    "routes": {"POST /api/v1/applications/{batch}": {
///        "summary": "...", "authenticated": true,
///        "query": [{"name", "description"?, "schema"}], "headers": [{"name", "description"}],
///        "request": <JSON Schema>, "response": {"status", "type", "schema"},
///        "errors": [409, 422]}},
///    "schemas": {"Receipt": <JSON Schema>}}
///
/// (path parameters come from the pattern; 400, 404, 405, 408, 413, 431 and 500 are listed for
/// every route). The methods of one path are listed get, post, put, patch, delete. Built once at
/// start-up; throws std::invalid_argument when a route has no doc, a doc has no route, or a doc
/// is malformed, so that routes and docs pair one to one.
std::string build_openapi(const router& routes, std::span<const embedded_text> docs);

}  // namespace zhiyuan::server
