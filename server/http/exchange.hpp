#pragma once

// What both connection loops (the Asio one in listener.cpp, the io_uring one in uring_loop.cpp)
// do with a request once its head and body are read: ids, routing, shedding, the handler, the
// metrics and the access log, and the bytes of the answer. Only reading and writing differ.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "core/errc.hpp"
#include "server/http/client_address.hpp"
#include "server/http/message.hpp"
#include "server/http/metrics.hpp"
#include "server/http/router.hpp"
#include "server/http/settings.hpp"

namespace zhiyuan::server {

using request_parser = http::request_parser<http::string_body>;

inline constexpr std::size_t header_limit = 8 * 1024;
inline constexpr auto sweep_interval = std::chrono::milliseconds(100);

/// The answer to a connection over server.max_connections, written once and closed (with the
/// headers secure_defaults gives every other answer).
inline constexpr std::string_view busy_response =
    "HTTP/1.1 503 Service Unavailable\r\nServer: zhiyuan\r\nContent-Type: "
    "application/problem+json\r\n"
    "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
    "Retry-After: 1\r\nConnection: close\r\nContent-Length: 120\r\n\r\n"
    R"({"type":"/problems/unavailable","title":"Service unavailable","status":503,)"
    R"("code":"unavailable","detail":"connection limit reached"})";
/// The interim answer to `Expect: 100-continue`.
inline constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

/// Per-thread Date header: it changes once a second, so it needs neither a lock nor a syscall.
struct thread_clock {
  std::time_t second = 0;
  char date[32] = {};
  std::string_view http_date();
};

/// Per-thread request ids: a random prefix plus a counter.
struct id_source {
  std::uint32_t prefix;
  std::uint64_t counter = 0;
  id_source();
  /// Writes the next id into `buf` (at least 32 bytes) and returns it.
  std::string_view next(char* buf);
};

/// Who a connection's client is (issue 17): the TCP peer; from a trusted proxy
/// (server.trusted_proxies), the source its PROXY v2 header names at the start of the
/// connection, or else each request's X-Forwarded-For. Both loops keep one per connection.
class client_origin {
 public:
  /// A new connection from `tcp_peer` (e.g. "127.0.0.1"; empty if unknown).
  client_origin(std::string tcp_peer, const network_list& trusted);

  /// The connection may still start with a PROXY v2 header (its peer is trusted and nothing
  /// has been looked at yet).
  bool awaits_proxy_header() const noexcept { return awaiting_; }
  /// Looks for the PROXY v2 header in the connection's first bytes: need_more (receive more and
  /// call again), ok (the first `consumed` bytes are the header), not_proxy (HTTP follows),
  /// invalid (the connection must end). Once it returned other than need_more, it is not asked
  /// again.
  proxy_parse take_proxy_header(std::span<const std::uint8_t> data, std::size_t& consumed);

  /// The client of `req` on this connection; valid until the next call.
  std::string_view client_of(const http_request& req, const network_list& trusted);
  /// The TCP peer or the PROXY header's source.
  const std::string& peer() const noexcept { return peer_; }

 private:
  std::string peer_;
  std::string forwarded_;  ///< this request's client by X-Forwarded-For
  bool trusted_ = false;   ///< the TCP peer is a trusted proxy
  bool proxied_ = false;   ///< peer_ came from a PROXY v2 header
  bool awaiting_ = false;
};

/// What a loop needs of its server to answer requests (all shared, read-only or atomic).
struct exchange_env {
  const server_settings& settings;
  const router& routes;
  metrics& stats;
  const std::function<bool()>& shed_browsing;
  /// http_server::wants_prelude and prelude: a step before a matched route's handler.
  const std::function<bool(const request_context&)>& wants_prelude;
  const std::function<boost::asio::awaitable<bool>(request_context&)>& prelude;
  const network_list& trusted_proxies;
  bool access_log = false;
};

/// One request from routing to its metrics. Not movable: the context points into it.
class exchange {
 public:
  /// Names the request (X-Request-Id or a fresh id, traceparent), takes its client from
  /// `origin`, routes it, sheds a browsing route under load and runs a synchronous handler
  /// that needs no prelude; `pending()` tells whether an asynchronous step remains (the
  /// prelude, an async handler), which the loop runs with run_pending().
  exchange(const exchange_env& env, id_source& ids, const http_request& req, client_origin& origin,
           response& res);
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  /// An asynchronous step is left to await: the prelude (http_server::prelude) and then the
  /// handler, or an async handler alone. Both loops await only through pending()/run_pending().
  bool pending() const noexcept { return pending_ != nullptr; }
  /// Runs it; the handler is skipped when the prelude answered; a prelude or handler that
  /// throws is answered 500 and logged.
  boost::asio::awaitable<void> run_pending();
  /// The same for a loop that ran the step itself and saw it throw.
  void handler_threw(std::exception_ptr e);

  /// Counts the request in the metrics; returns whether the connection must close after it.
  bool finish(bool draining);
  /// Serialises the response head (and body, or its first chunk) at the end of `out`.
  void serialize_into(std::string& out, std::string_view date, bool close) const;
  /// The access-log line, if enabled (after the response went out).
  void log_access() const;

  /// When the connection is cut if the answer is not ready: the request is read, so from here
  /// its handling is bounded (server.handler_timeout), not its reading.
  std::chrono::steady_clock::time_point deadline() const noexcept {
    return start_ + env_.settings.handler_timeout;
  }
  std::string_view request_id() const noexcept { return rid_; }
  const response& res() const noexcept { return ctx_.res; }

 private:
  void run_sync(const sync_handler& h);

  const exchange_env& env_;
  std::chrono::steady_clock::time_point start_;
  char rid_buf_[32] = {};
  std::string_view rid_;
  std::string_view trace_;
  request_context ctx_;
  std::size_t route_index_ = metrics::unmatched;
  const route_spec* pending_ = nullptr;  ///< the route whose handler is still to run
  bool prelude_ = false;                 ///< the prelude runs first
  double elapsed_ = 0;
};

/// Shared bodies (response::shared_body) at least this long are sent from where they are, after
/// the head; shorter ones are copied after it (one piece is cheaper than two).
inline constexpr std::size_t by_reference_min = 2048;
/// The body serialize() leaves to the loop to send by reference after the head (empty: none).
std::string_view body_by_reference(const response& res);

/// Serialises `res` at the end of `out` (head, then the body or its first chunk; a shared body
/// of by_reference_min or more is left out, see body_by_reference).
void serialize(std::string& out, const response& res, std::string_view date,
               std::string_view request_id, bool close);
/// One chunk of a chunked body: size in hex, the bytes, CRLF.
void append_chunk(std::string& out, std::string_view bytes);
/// Admin uploads, whose bodies may reach server.upload_limit.
bool is_upload(std::string_view target);
/// The body limit for a request target.
std::size_t body_limit_for(const server_settings& cfg, std::string_view target);
/// Prepares a fresh parser for the next request's head: header limit, the largest body limit
/// until the target is known, not eager.
void reset_parser(std::optional<request_parser>& parser, const server_settings& cfg);
/// Sets the body limit the head's target calls for; a Content-Length past it fails at once.
boost::beast::error_code limit_body(request_parser& parser, const server_settings& cfg);
/// Whether the head asks for the upload admission hook before its body is read.
bool needs_admission(const request_parser& parser, const server_settings& cfg);
/// The response for a request the parser rejected, or nothing if the stream just ended.
std::optional<core::errc> parse_failure(const boost::beast::error_code& ec);
/// Fills `res` with the problem for a request refused before routing; counts it.
void set_refusal(response& res, metrics& stats, core::errc code, std::string_view detail,
                 std::string_view request_id);
/// Seconds since `t`.
double seconds_since(std::chrono::steady_clock::time_point t);

}  // namespace zhiyuan::server
