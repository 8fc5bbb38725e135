#pragma once

// What the admin API's handlers share (server/admin/*.cpp): the answer of a job run on a pool
// thread and `run_admin`, which checks the session and the role before a job runs. Requests
// are decoded with the kit (server/http/request.hpp) before the job is queued.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/admin.hpp"
#include "core/result.hpp"
#include "server/admin/context.hpp"
#include "server/async.hpp"
#include "server/http/message.hpp"
#include "storage/admin_store.hpp"

namespace zhiyuan::server::admin_http {

using core::errc;

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
inline reply problem(core::error e) { return {std::move(e)}; }
/// Writes `r` as the response: its error through `fail` (with `WWW-Authenticate` on a 401), or
/// its status, body, type and headers; never cached.
void answer(request_context& ctx, reply& r);

/// The client's address, as audit rows record it.
std::string peer_of(const request_context& ctx);

/// What a JSON member `batch` must hold (worded as query_batch words the query parameter).
inline constexpr std::string_view batch_codes =
    "batch: one of early_undergrad, undergrad, early_vocational, vocational";

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

/// As run_admin for a read that may trail the primary (statistics): the session is checked on
/// the query pool (the check moves its idle timer, a write), then `fn` runs on the replica pool
/// (api.replica; run_admin when there is none).
asio::awaitable<void> run_admin_read(request_context& ctx, admin_api_context& api, gate g, job fn);

/// The listener's gate before an admin upload's body is read (http_server::admit_upload): a
/// live session of a province manager, or the problem to answer.
asio::awaitable<std::optional<core::error>> admit_upload(admin_api_context& api,
                                                         std::string_view authorization);

/// A JSON object of string members, for audit details.
std::string audit_detail(std::initializer_list<std::pair<std::string_view, std::string_view>> kv);
/// Audits in the background (refused sign-ins that never reached the database).
void audit_later(admin_api_context& api, storage::audit_entry e);

}  // namespace zhiyuan::server::admin_http
