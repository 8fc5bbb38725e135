#pragma once

// Durable writes of the candidate API: a new operation for the write path, its outcome as the
// HTTP answer, and the rule findings ("violations") that problem bodies and drafts carry.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/validation.hpp"
#include "server/async.hpp"
#include "server/candidate/context.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/message.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

/// A write of `kind` by `candidate`, accepted now: a server-generated Idempotency-Key (every
/// keyed write carries one, see generated_key), the request's hash and the write deadline.
std::unique_ptr<storage::write_op> new_write_op(const request_context& ctx,
                                                const candidate_api_context& api,
                                                storage::write_args args, std::int64_t candidate);

/// Turns the write path's outcome into the HTTP response: the stored status and body when the
/// write is final (committed, replayed, version conflict), else the matching problem (409 key in
/// flight, 422 key reused, 503 with Retry-After when overloaded, stopping or not committed in
/// time). A committed draft gets its version as ETag.
void answer_write(request_context& ctx, const write_outcome& out);

/// Every finding with its position and both messages, as a JSON array.
void write_violations(json_writer& w, const std::vector<core::finding>& findings);
/// The same as the member `"violations":[...]` (for problem bodies).
std::string violations_json(const std::vector<core::finding>& findings);

}  // namespace zhiyuan::server
