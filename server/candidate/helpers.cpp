// Legacy, for server/admin until converted (see helpers.hpp): deleted with it.
#include "server/candidate/helpers.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace zhiyuan::server {

std::optional<simdjson::dom::object> json_body(request_context& ctx, simdjson::dom::parser& parser,
                                               std::initializer_list<std::string_view> allowed) {
  if (!is_json(ctx.request)) {
    fail(ctx, core::errc::unsupported_media, "send application/json");
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (parser.parse(ctx.request.body()).get(obj)) {
    fail(ctx, core::errc::invalid_field, "body: a JSON object");
    return std::nullopt;
  }
  for (auto [key, value] : obj) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(ctx, core::errc::invalid_field, fmt::format("{} (unknown member)", key));
      return std::nullopt;
    }
  }
  return obj;
}

std::optional<std::string> string_member(request_context& ctx, simdjson::dom::object& obj,
                                         std::string_view name, std::size_t max_bytes,
                                         bool required) {
  std::string_view v;
  auto member = obj[name];
  if (member.error() == simdjson::NO_SUCH_FIELD && !required) return std::string();
  if (member.get_string().get(v) || v.size() > max_bytes) {
    fail(ctx, core::errc::invalid_field,
         fmt::format("{}: a string of at most {} bytes", name, max_bytes));
    return std::nullopt;
  }
  return std::string(v);
}

std::optional<std::int64_t> if_match_version(const http_request& req) {
  // As if_match (server/http/request.hpp) with the old contract: -2 when malformed.
  const auto v = if_match(req);
  if (!v) return -2;
  return *v;
}

}  // namespace zhiyuan::server
