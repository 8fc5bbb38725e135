#pragma once

// What the admin API's handlers share (server/admin_api.cpp, server/admin_ops_api.cpp): the
// answer of a job run on a pool thread, request decoding, and `run_admin`, which checks the
// session and the role before a job runs.

#include <charconv>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "core/admin.hpp"
#include "core/batch.hpp"
#include "core/result.hpp"
#include "server/admin/context.hpp"
#include "server/async.hpp"
#include "server/candidate/helpers.hpp"
#include "server/http/message.hpp"
#include "storage/admin_store.hpp"

namespace zhiyuan::server::admin_http {

using core::errc;
namespace dom = simdjson::dom;

// What a job on a pool thread answers: a problem, or a status and body.
struct reply {
  std::optional<core::error> error;
  unsigned status = 200;
  std::string body;
  std::int64_t candidate_id = 0;  ///< a candidate whose sessions must end (password reset)
  unsigned retry_after = 0;       ///< Retry-After of a problem, seconds
  std::string extra_members;      ///< extra members of a problem body (e.g. "errors":[...])
  std::string_view content_type = "application/json";  ///< a static string
  std::vector<std::pair<std::string, std::string>> headers;
};

reply problem(errc e, std::string detail);
/// Writes `r` as the response (a problem, or its status, body, type and headers).
void answer(request_context& ctx, reply& r);

/// The batch named by query parameter `batch` (default 本科批), or nullopt after a 400.
std::optional<core::batch> batch_param(request_context& ctx);
/// The batch of a code such as "undergrad" (a JSON member's value), or nullopt after a 400.
std::optional<core::batch> batch_code(request_context& ctx, std::string_view code);
/// A path parameter that must be a positive integer id; nullopt after a 404.
std::optional<std::int32_t> id_param(request_context& ctx, std::string_view name);
std::string peer_of(const request_context& ctx);

using job = std::function<reply(pqxx::connection&, const storage::admin_actor&)>;

// Which accounts may run a handler's job.
struct gate {
  core::admin_capability need = core::admin_capability::statistics;
  bool before_password_change = false;  ///< allowed while a password change is forced
  bool province = false;                ///< only managers of the province (core::may_run_province)
};

/// Checks the session (in the database: one live session per account, the idle timeout) and
/// the role, then runs `fn` on `pool` (default: the query pool) and writes the answer.
asio::awaitable<void> run_admin(request_context& ctx, admin_api_context& api, gate g, job fn,
                                storage::worker_pool* pool = nullptr);

/// The listener's gate before an admin upload's body is read (http_server::admit_upload): a
/// live session of a province manager, or the problem to answer.
asio::awaitable<std::optional<core::error>> admit_upload(admin_api_context& api,
                                                         std::string_view authorization);

/// A JSON object of string members, for audit details.
std::string audit_detail(std::initializer_list<std::pair<std::string_view, std::string_view>> kv);
/// Audits in the background (refused sign-ins that never reached the database).
void audit_later(admin_api_context& api, storage::audit_entry e);

}  // namespace zhiyuan::server::admin_http
