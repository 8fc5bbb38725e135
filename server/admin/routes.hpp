#pragma once

// The admin API's route tables, one per file that serves them; admin_routes and
// admin_ops_routes (server/admin/context.hpp) put them together.

#include <vector>

#include "server/admin/context.hpp"
#include "server/http/router.hpp"

namespace zhiyuan::server::admin_http {

/// Sign-in, sign-out, the own account and password, accounts in scope (accounts.cpp).
std::vector<route_spec> accounts_routes(admin_api_context& api);
/// Unit statistics, the submission timeline, unfiled lists and exports (statistics.cpp).
std::vector<route_spec> statistics_routes(admin_api_context& api);
/// A candidate's status, unfiled reason and password reset (candidates.cpp).
std::vector<route_spec> candidates_routes(admin_api_context& api);
/// The audit log (audit.cpp).
std::vector<route_spec> audit_routes(admin_api_context& api);
/// Reminders, notices and documents (communications.cpp).
std::vector<route_spec> communications_routes(admin_api_context& api);
/// Incident reports and their events (incidents.cpp).
std::vector<route_spec> incidents_routes(admin_api_context& api);
/// The schedule, imports and the drill reset (province.cpp).
std::vector<route_spec> province_routes(admin_api_context& api);

}  // namespace zhiyuan::server::admin_http
