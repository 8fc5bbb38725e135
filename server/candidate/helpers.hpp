#pragma once

// Small pieces every candidate-facing handler uses: reading headers, query parameters and the
// session, answering with problems, ETags and timestamps. No handler logic lives here.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <initializer_list>

#include <simdjson.h>

#include "core/errc.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "server/async.hpp"
#include "server/candidate/context.hpp"
#include "server/digest.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/message.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/sessions.hpp"

namespace zhiyuan::server {

/// The body as a JSON object parsed by `parser` (which must outlive the object), or nullopt
/// after writing the 415/400. Every member must be one of `allowed`; an unknown one is named.
std::optional<simdjson::dom::object> json_body(request_context& ctx, simdjson::dom::parser& parser,
                                               std::initializer_list<std::string_view> allowed);
/// A string member of at most `max_bytes`; nullopt after a 400 naming it. Missing and not
/// required: "".
std::optional<std::string> string_member(request_context& ctx, simdjson::dom::object& obj,
                                         std::string_view name, std::size_t max_bytes,
                                         bool required = true);

/// The signed-in candidate of a request.
struct session_info {
  std::int64_t candidate_id = 0;
  token_digest token{};  ///< SHA-256 of the presented token (the session's key)
  bool passwords_set = true;
  bool pledged = false;
};

/// The session behind the request's bearer token or cookie, or nullopt after writing a 401.
std::optional<session_info> authenticate(request_context& ctx, candidate_api_context& api);

/// Whether the candidate may write (passwords set, pledge accepted); otherwise writes the 403
/// (passwords_required / pledge_required) and returns false.
bool may_write(request_context& ctx, const session_info& s);

/// Whether the drill (模拟演练) is running now: writes and reads of drafts and formal choices
/// then use the drill's storage.
bool drilling(const candidate_api_context& api);

/// Parses If-Match: "\"3\"" or "3" → 3. nullopt when absent; -2 when malformed.
std::optional<std::int64_t> if_match_version(const http_request& req);

/// Turns the write path's outcome into the HTTP response: the stored status and body when the
/// write is final (committed, replayed, version conflict), else the matching problem (409 key in
/// flight, 422 key reused, 503 with Retry-After when overloaded, stopping or not committed in
/// time). A committed draft gets its version as ETag.
void answer_write(request_context& ctx, const write_outcome& out);

/// Every finding with its position and both messages, as a JSON array.
void write_violations(json_writer& w, const std::vector<core::finding>& findings);
/// The same as the member `"violations":[...]` (for problem bodies).
std::string violations_json(const std::vector<core::finding>& findings);

/// The response stored with a draft's or a formal submission's idempotency record, rendered on
/// the writer thread before COMMIT: a submission's signed receipt (201; `op.render_context` is
/// the receipt_signer), a draft's version (200), or the 412/409 of a stale base version.
void render_receipt(const storage::write_op& op, unsigned& status, std::string& body);

}  // namespace zhiyuan::server
