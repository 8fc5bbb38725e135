#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "server/http/message.hpp"

namespace zhiyuan::server {

/// A handler that answers at once, on the I/O thread.
using sync_handler = std::function<void(request_context&)>;
/// A handler that waits for something (a commit, the hashing pool) without blocking.
using async_handler = std::function<boost::asio::awaitable<void>(request_context&)>;

/// How a route fares under load: browsing routes are shed first (503 at once) so that formal
/// submissions keep the capacity; everything else is `normal`.
enum class route_priority : std::uint8_t { normal, browse };

/// One entry of the route table: method + path pattern with `{param}` segments → handler. Its
/// documentation is data beside the registration (server/*/docs/*.json, keyed by
/// "METHOD pattern"), paired one to one by build_openapi.
struct route_spec {
  http::verb method;
  std::string pattern;
  std::variant<sync_handler, async_handler> handler;
  route_priority priority = route_priority::normal;
  /// Whether the route is part of the API contract (/openapi.json, paired with its docs); the
  /// hosted web app's files and CORS preflights are not.
  bool in_contract = true;
};

/// What every answer of a route carries unless its handler chose otherwise:
/// `X-Content-Type-Options: nosniff`, and `Cache-Control: no-store` (`private, no-cache` when
/// the answer has an ETag to revalidate), so that no cache keeps personal data by default.
void secure_defaults(response& res);

namespace detail {
// Runs an awaitable handler, then completes its answer's headers.
template <typename Context, typename Fn>
boost::asio::awaitable<void> run_with_defaults(request_context& ctx, Context& c, Fn fn) {
  co_await fn(ctx, c);
  secure_defaults(ctx.res);
}
}  // namespace detail

/// Binds `fn(request_context&, Context&)` to the context it serves: a sync_handler when `fn`
/// returns void, an async_handler when it returns an awaitable; either completes the answer
/// with secure_defaults. Every route table registers its handlers this way.
template <typename Context, typename Fn>
std::variant<sync_handler, async_handler> handler_for(Context& c, Fn fn) {
  if constexpr (std::is_void_v<std::invoke_result_t<Fn, request_context&, Context&>>) {
    return sync_handler([&c, fn](request_context& ctx) {
      fn(ctx, c);
      secure_defaults(ctx.res);
    });
  } else {
    return async_handler(
        [&c, fn](request_context& ctx) { return detail::run_with_defaults(ctx, c, fn); });
  }
}
/// The same for a context the routes own together (it lives as long as the last of them).
template <typename Context, typename Fn>
std::variant<sync_handler, async_handler> handler_for(std::shared_ptr<Context> c, Fn fn) {
  if constexpr (std::is_void_v<std::invoke_result_t<Fn, request_context&, Context&>>) {
    return sync_handler([c, fn](request_context& ctx) {
      fn(ctx, *c);
      secure_defaults(ctx.res);
    });
  } else {
    // The route holds `c`, and the route table outlives every request.
    return async_handler(
        [c, fn](request_context& ctx) { return detail::run_with_defaults(ctx, *c, fn); });
  }
}

/// The outcome of routing a request.
struct route_match {
  enum class kind { found, not_found, method_not_allowed } outcome = kind::not_found;
  std::size_t index = 0;  ///< into routes(), when found
  route_params params;
  std::string allow;  ///< for method_not_allowed: "GET, POST"
};

/// Immutable after construction; shared by every I/O thread by const reference. A pattern may
/// end in a `{*name}` segment that takes the rest of the path (possibly empty); such a route is
/// a fallback, tried only for paths no other route's pattern matches.
class router {
 public:
  /// Throws std::invalid_argument on a malformed pattern or a duplicate route.
  explicit router(std::vector<route_spec> routes);

  route_match match(http::verb method, std::string_view path) const;
  const std::vector<route_spec>& routes() const noexcept { return routes_; }
  /// A name per route for metrics ("GET /api/v1/ping"), index-aligned with routes().
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  struct segment {
    std::string text;
    bool is_param;
    bool is_rest = false;  ///< `{*name}`: the rest of the path
  };
  static bool match_pattern(const std::vector<segment>& pattern, std::string_view path,
                            route_params& params);

  struct prefix_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  /// The indices of the routes that may match `path`, ascending, into `out`; false when they
  /// are too many for it (or the path is not rooted): every route is a candidate then.
  template <std::size_t N>
  bool candidates(std::string_view path, std::uint32_t (&out)[N], std::size_t& n) const;

  std::vector<route_spec> routes_;
  std::vector<std::vector<segment>> segments_;
  /// Routes by what every path they match starts with: the pattern up to its first parameter
  /// (right after a '/'), or the whole pattern when it has none. A path is looked up by each of
  /// its prefixes ending in '/' and by itself, instead of comparing it with every route.
  std::unordered_map<std::string, std::vector<std::uint32_t>, prefix_hash, std::equal_to<>>
      by_prefix_;
  std::size_t longest_prefix_ = 0;
  std::vector<std::string> names_;
};

}  // namespace zhiyuan::server
