#pragma once

// ---------------------------------------------------------------------------------------------
// Legacy, for server/admin until converted: the three decoders below are what the admin
// handlers still call. The candidate API uses the request-decoding kit (server/http/request.hpp)
// and never includes this file; it is deleted once server/admin/ uses the kit too.
// ---------------------------------------------------------------------------------------------

// The includes are the ones the admin handlers have relied on through this file.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
/// Parses If-Match: "\"3\"" or "3" → 3. nullopt when absent; -2 when malformed.
std::optional<std::int64_t> if_match_version(const http_request& req);

}  // namespace zhiyuan::server
