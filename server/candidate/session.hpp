#pragma once

// Who is asking: the candidate behind a request's session, whether they may write, and whether
// the drill (模拟演练) is running.

#include <cstdint>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "server/candidate/context.hpp"
#include "server/http/message.hpp"
#include "server/sessions.hpp"
#include "storage/catalog_loader.hpp"

namespace zhiyuan::server {

/// The signed-in candidate of a request.
struct session_info {
  std::int64_t candidate_id = 0;
  token_digest token{};  ///< SHA-256 of the presented token (the session's key)
  bool passwords_set = true;
  bool pledged = false;
};

/// The session behind the request's bearer token or cookie, or nullopt after writing a 401
/// (with `WWW-Authenticate: Bearer`).
std::optional<session_info> authenticate(request_context& ctx, candidate_api_context& api);

/// For http_server::wants_prelude: whether the request (not an office's, /api/v1/admin/)
/// presents a candidate token this node can answer for neither way from memory.
bool needs_session_lookup(const request_context& ctx, const candidate_api_context& api);

/// For http_server::prelude: loads the token's session from the database (the fleet's truth)
/// into this node's cache, or remembers briefly that it is none, on the read pool; then the
/// handler authenticates from memory as usual. False after answering 503 when the database
/// could not say (a 401 would sign a valid session out).
boost::asio::awaitable<bool> look_up_session(request_context& ctx, candidate_api_context& api);

/// Whether the candidate may write (passwords set, pledge accepted); otherwise writes the 403
/// (passwords_required / pledge_required) and returns false.
bool may_write(request_context& ctx, const session_info& s);

/// Whether the drill (模拟演练) is running now: writes and reads of drafts and formal choices
/// then use the drill's storage.
bool drilling(const candidate_api_context& api);

/// A copy of the candidate's directory entry, or forbidden ("not a registered candidate") when
/// the directory no longer lists them.
core::result<storage::candidate_directory::entry> registered(const candidate_api_context& api,
                                                             std::int64_t candidate);

}  // namespace zhiyuan::server
