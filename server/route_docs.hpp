#pragma once

#include <span>

#include "server/http/openapi.hpp"

namespace zhiyuan::server {

/// The documentation of every route (server/{candidate,admin,http}/docs/*.json), compiled in;
/// build_openapi pairs it with the route table.
std::span<const embedded_text> route_docs();

}  // namespace zhiyuan::server
