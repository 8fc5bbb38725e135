#pragma once

#include <string>

#include "server/router.hpp"

namespace zhiyuan::server {

/// The OpenAPI 3.1 document of every route in `routes`, with the problem+json error
/// responses and their stable codes. Built once at start-up.
std::string build_openapi(const router& routes);

}  // namespace zhiyuan::server
