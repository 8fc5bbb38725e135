#include "server/http/listener.hpp"

#include <sys/socket.h>
#include <algorithm>

#include <chrono>
#include <ctime>
#include <random>
#include <unordered_set>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "server/http/log.hpp"
#include "server/http/problem.hpp"

namespace zhiyuan::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t header_limit = 8 * 1024;
constexpr auto sweep_interval = std::chrono::milliseconds(100);
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Per-thread formatting state: the Date header changes once a second, request ids are a
// random per-thread prefix plus a counter, so neither needs a lock or a syscall.
struct thread_clock {
  std::time_t second = 0;
  char date[32] = {};

  std::string_view http_date() {
    std::time_t now = std::time(nullptr);
    if (now != second) {
      second = now;
      std::tm tm{};
      gmtime_r(&now, &tm);
      std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    }
    return date;
  }
};

struct id_source {
  std::uint32_t prefix = std::random_device{}();
  std::uint64_t counter = 0;
  char buf[32] = {};

  std::string_view next() {
    auto r = fmt::format_to_n(buf, sizeof buf, "{:08x}-{:012x}", prefix, ++counter);
    return {buf, r.size};
  }
};

// An X-Request-Id from a client is echoed only if it is short and plain.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// W3C traceparent: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
std::string_view trace_id_of(std::string_view traceparent) {
  if (traceparent.size() < 55 || traceparent[2] != '-' || traceparent[35] != '-') return {};
  std::string_view id = traceparent.substr(3, 32);
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return id;
}

// One chunk of a chunked body: size in hex, the bytes, CRLF.
void append_chunk(std::string& out, std::string_view bytes) {
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", bytes.size());
  out += bytes;
  out += "\r\n";
}

void serialize(std::string& out, const response& res, std::string_view date,
               std::string_view request_id, bool close) {
  out.clear();
  fmt::format_to(std::back_inserter(out),
                 "HTTP/1.1 {} {}\r\nServer: zhiyuan\r\nDate: {}\r\nContent-Type: {}\r\n",
                 res.status, http::obsolete_reason(static_cast<http::status>(res.status)), date,
                 res.content_type);
  if (res.stream) {
    out += "Transfer-Encoding: chunked\r\n";
  } else {
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", res.body.size());
  }
  fmt::format_to(std::back_inserter(out), "X-Request-Id: {}\r\n", request_id);
  for (const auto& [name, value] : res.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!res.stream) {
    out += res.body;
  } else if (!res.body.empty()) {
    append_chunk(out, res.body);
  }
}

// Admin uploads, whose bodies may reach server.upload_limit.
bool is_upload(std::string_view target) {
  return target.starts_with("/api/v1/admin/documents") ||
         target.starts_with("/api/v1/admin/imports/");
}

// The response for a request the parser rejected, or nothing if the stream just ended.
std::optional<core::errc> parse_failure(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return core::errc::headers_too_large;
  if (ec == http::error::body_limit) return core::errc::payload_too_large;
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return core::errc::bad_request;
  }
  return std::nullopt;
}

}  // namespace

/// One thread's share of the server: its io_context, acceptor and connections.
class http_server::worker {
 public:
  explicit worker(http_server& owner) : owner_(owner), acceptor_(io_) {}

  asio::io_context& io() { return io_; }

  void bind(const tcp::endpoint& ep) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.set_option(reuse_port(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  std::uint16_t bound_port() const { return acceptor_.local_endpoint().port(); }

  void start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    asio::co_spawn(io_, sweep_loop(), asio::detached);
  }

  // Runs on this worker's thread. Nothing is cancelled or closed while an operation on it is
  // pending (see sweep_loop): shutting the listening socket down ends the pending accept
  // (EINVAL) and the accept loop closes the acceptor once it returned; idle connections are
  // shut down, which ends their pending read.
  void stop_accepting() {
    beast::error_code ignored;
    accepting_ = false;
    ::shutdown(acceptor_.native_handle(), SHUT_RD);
    for (connection* c : connections_) {
      if (c->idle) c->socket.shutdown(tcp::socket::shutdown_both, ignored);
    }
  }

 private:
  // Deadlines are checked by one sweeper per worker instead of a timer per operation: arming
  // and cancelling a timer twice per request cost more than the request itself (bench/).
  struct connection {
    explicit connection(tcp::socket s) : socket(std::move(s)) {
      beast::error_code ec;
      const auto ep = socket.remote_endpoint(ec);
      if (!ec) peer = ep.address().to_string();
    }
    tcp::socket socket;
    std::string peer;           ///< the client's address, e.g. "127.0.0.1"; empty if unknown
    bool peer_trusted = false;  ///< the TCP peer is a trusted proxy (server.trusted_proxies)
    bool proxied = false;       ///< `peer` came from a PROXY v2 header
    std::string forwarded;      ///< this request's client by X-Forwarded-For
    beast::flat_buffer buffer;
    std::string out;
    response res;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    bool idle = false;
    bool timed_out = false;
  };

  asio::awaitable<void> accept_loop() {
    asio::steady_timer backoff(io_);
    while (accepting_) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (!accepting_ || ec == asio::error::operation_aborted) break;
      if (ec) {
        // Out of descriptors or memory: back off instead of spinning on the error.
        log_event(spdlog::level::warn, "accept_failed", {{"error", ec.message()}});
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(use_tuple);
        continue;
      }
      auto& stats = owner_.stats_;
      if (stats.open_connections.load(std::memory_order_relaxed) >=
          static_cast<std::int64_t>(owner_.settings_.max_connections)) {
        stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
        static constexpr std::string_view busy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
            "Retry-After: 1\r\nConnection: close\r\nContent-Length: 120\r\n\r\n"
            R"({"type":"/problems/unavailable","title":"Service unavailable","status":503,)"
            R"("code":"unavailable","detail":"connection limit reached"})";
        beast::error_code ignored;
        socket.non_blocking(true, ignored);
        socket.write_some(asio::buffer(busy), ignored);
        socket.close(ignored);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      stats.open_connections.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
    beast::error_code ignored;
    acceptor_.close(ignored);  // no accept pending any more
  }

  // Shuts down connections past their deadline; their pending operation ends (end of stream or
  // a broken pipe) and the session sees `timed_out`.
  asio::awaitable<void> sweep_loop() {
    asio::steady_timer tick(io_);
    for (;;) {
      tick.expires_after(sweep_interval);
      auto [ec] = co_await tick.async_wait(use_tuple);
      if (ec) co_return;
      const auto now = std::chrono::steady_clock::now();
      for (connection* c : connections_) {
        if (c->deadline <= now && !c->timed_out) {
          c->timed_out = true;
          // Shut down, neither cancelled nor closed: the kernel ends the pending read or write
          // and the session closes the socket once that operation has returned. Asio 1.81's
          // io_uring backend frees a closed socket's state at once while the kernel still holds
          // the operation, and submits every cancellation (cancel(), or close() with an
          // operation pending) in a recycled ring entry that still carries the user data of its
          // last use: either completion then lands on another socket's operation (a segfault
          // in an accept completion, answers on the wrong connection). bench/RESULTS.md;
          // tests/loadtest/http_connection_test.cpp shows it on the client side.
          beast::error_code ignored;
          c->socket.shutdown(tcp::socket::shutdown_both, ignored);
        }
      }
    }
  }

  using request_parser = http::request_parser<http::string_body>;

  // One connection, read like Beast's advanced server: wait for a request, read its head, admit
  // and read its body, then route, handle and write; repeat while keep-alive holds.
  asio::awaitable<void> session(tcp::socket socket) {
    connection conn(std::move(socket));
    connections_.insert(&conn);
    struct guard {
      worker& w;
      connection& c;
      ~guard() {
        w.connections_.erase(&c);
        w.owner_.stats_.open_connections.fetch_sub(1, std::memory_order_relaxed);
      }
    } on_exit{*this, conn};

    std::optional<request_parser> parser;
    bool open = co_await read_proxy_header(conn);
    while (open) {
      if (!co_await wait_for_request(conn)) break;
      beast::error_code ec = co_await read_head(conn, parser);
      if (!ec && !parser->is_done()) {
        if (!co_await admit_body(conn, *parser)) break;
        ec = co_await read_body(conn, *parser);
      }
      if (ec) {
        co_await end_unread(conn, ec);
        break;
      }
      const bool close = co_await handle(conn, parser->get());
      if (close || conn.timed_out) break;
    }
    beast::error_code ignored;
    conn.socket.shutdown(tcp::socket::shutdown_send, ignored);
    conn.socket.close(ignored);
  }

  // From a trusted proxy (server.trusted_proxies) a connection may start with a PROXY v2
  // header naming the real client (HAProxy send-proxy-v2); from anyone else none is looked
  // for. False when the connection must end (a malformed header, the peer left).
  asio::awaitable<bool> read_proxy_header(connection& conn) {
    conn.peer_trusted =
        !owner_.trusted_proxies_.empty() && owner_.trusted_proxies_.contains(conn.peer);
    if (!conn.peer_trusted) co_return true;
    conn.deadline = std::chrono::steady_clock::now() + owner_.settings_.idle_timeout;
    for (;;) {
      const auto data = conn.buffer.data();
      proxy_header h;
      const auto r =
          parse_proxy_v2({static_cast<const std::uint8_t*>(data.data()), data.size()}, h);
      if (r == proxy_parse::not_proxy) co_return true;
      if (r == proxy_parse::invalid) co_return false;
      if (r == proxy_parse::ok) {
        conn.buffer.consume(h.length);
        if (!h.source.empty()) {
          conn.peer = h.source;
          conn.proxied = true;
        }
        co_return true;
      }
      auto [ec, n] = co_await conn.socket.async_read_some(conn.buffer.prepare(536), use_tuple);
      if (ec) co_return false;
      conn.buffer.commit(n);
    }
  }

  // The request's client: the TCP peer (or the PROXY header's source), or from a trusted
  // proxy without a PROXY header, X-Forwarded-For's rightmost untrusted address.
  std::string_view client_of(connection& conn, const http_request& req) {
    if (!conn.peer_trusted || conn.proxied) return conn.peer;
    const auto it = req.find("X-Forwarded-For");
    if (it == req.end()) return conn.peer;
    conn.forwarded = forwarded_client(it->value(), owner_.trusted_proxies_);
    return conn.forwarded.empty() ? std::string_view(conn.peer) : conn.forwarded;
  }

  // Waits for the first byte of the next request under the idle timeout; once it has started,
  // the whole request must arrive within the read timeout. False when the connection ends: the
  // server drains, or the client left or stayed idle too long.
  asio::awaitable<bool> wait_for_request(connection& conn) {
    if (conn.buffer.size() > 0) co_return true;
    if (owner_.draining()) co_return false;
    conn.idle = true;
    conn.deadline = std::chrono::steady_clock::now() + owner_.settings_.idle_timeout;
    auto [ec, n] = co_await conn.socket.async_read_some(conn.buffer.prepare(8192), use_tuple);
    conn.idle = false;
    if (ec) co_return false;
    conn.buffer.commit(n);
    co_return true;
  }

  // Reads a request's head into a fresh parser and holds the body that follows to its target's
  // limit.
  asio::awaitable<beast::error_code> read_head(connection& conn,
                                               std::optional<request_parser>& parser) {
    const auto& cfg = owner_.settings_;
    conn.deadline = std::chrono::steady_clock::now() + cfg.read_timeout;
    parser.emplace();
    parser->header_limit(header_limit);
    // The head first: admin uploads (documents, imports) get their own, larger body limit;
    // until the target is known the larger one holds (Beast checks Content-Length then).
    parser->body_limit(std::max(cfg.body_limit, cfg.upload_limit));
    parser->eager(false);
    // Most requests are already whole in the buffer: parse them in place and only go back
    // to the socket for the rest of a partial one.
    beast::error_code ec;
    conn.buffer.consume(parser->put(conn.buffer.data(), ec));
    if (ec == http::error::need_more) {
      auto [read_ec, n] =
          co_await http::async_read_header(conn.socket, conn.buffer, *parser, use_tuple);
      ec = read_ec;
    }
    if (!ec && !parser->is_done()) ec = limit_body(*parser);
    co_return ec;
  }

  // Sets the body limit the head's target calls for; a Content-Length past it fails at once.
  beast::error_code limit_body(request_parser& parser) const {
    const std::size_t limit = body_limit_for(parser.get().target());
    parser.body_limit(limit);
    const auto length = parser.content_length();
    if (length && *length > limit) return http::error::body_limit;
    return {};
  }

  std::size_t body_limit_for(std::string_view target) const {
    const auto& cfg = owner_.settings_;
    return is_upload(target) ? cfg.upload_limit : cfg.body_limit;
  }

  // Lets the client send the body it announced; false when the connection ends instead (an
  // upload refused, or the interim answer could not be written).
  asio::awaitable<bool> admit_body(connection& conn, request_parser& parser) {
    const auto& cfg = owner_.settings_;
    const std::size_t limit = body_limit_for(parser.get().target());
    const auto length = parser.content_length();
    if (limit > cfg.body_limit && (!length || *length > cfg.body_limit) && owner_.admit_upload) {
      const std::string_view authorization = parser.get()[http::field::authorization];
      if (const auto refused = co_await owner_.admit_upload(authorization)) {
        co_await refuse(conn, refused->code, refused->detail);
        co_return false;
      }
    }
    // A client that asked to be told first (curl does for large uploads) gets the interim
    // answer now, instead of sending after its own timeout.
    if (conn.buffer.size() == 0 &&
        beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [write_ec, n] = co_await asio::async_write(conn.socket, asio::buffer(go_on), use_tuple);
      if (write_ec) co_return false;
    }
    co_return true;
  }

  // Reads the rest of the body: what the buffer already holds, then the socket if need be.
  asio::awaitable<beast::error_code> read_body(connection& conn, request_parser& parser) {
    parser.eager(true);
    beast::error_code ec;
    if (conn.buffer.size() > 0) conn.buffer.consume(parser.put(conn.buffer.data(), ec));
    if (ec == http::error::need_more || (!ec && !parser.is_done())) {
      auto [read_ec, n] = co_await http::async_read(conn.socket, conn.buffer, parser, use_tuple);
      ec = read_ec;
    }
    co_return ec;
  }

  // A request that could not be read: one the parser rejected gets its problem; a timeout is
  // logged; a stream that just ended needs nothing.
  asio::awaitable<void> end_unread(connection& conn, const beast::error_code& ec) {
    const auto failure = conn.timed_out ? std::nullopt : parse_failure(ec);
    if (failure) {
      co_await refuse(conn, *failure, ec.message());
    } else if (conn.timed_out) {
      log_event(spdlog::level::info, "request_timeout", {{"remote", remote_of(conn)}});
    }
  }

  // Answers a request refused before routing (a bad head, an upload without a session) with a
  // problem; the connection then closes, whatever of the request is still unread.
  asio::awaitable<void> refuse(connection& conn, core::errc code, std::string_view detail) {
    const auto start = std::chrono::steady_clock::now();
    conn.res.reset();
    const std::string_view rid = ids_.next();
    set_problem(conn.res, code, detail, rid, {});
    if (code == core::errc::unauthenticated) {
      conn.res.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
    owner_.stats_.observe(metrics::unmatched, conn.res.status, seconds_since(start));
    bool close = true;
    co_await write(conn, rid, close);
  }

  // Routes and answers one request; returns whether the connection must close.
  // The prelude when it wants the request (http_server::prelude), then the route's handler
  // unless the prelude answered.
  asio::awaitable<void> dispatch(request_context& ctx, const route_spec& route) {
    if (owner_.wants_prelude && owner_.wants_prelude(ctx)) {
      const bool go_on = co_await owner_.prelude(ctx);
      if (!go_on) co_return;
    }
    if (const auto* sync = std::get_if<sync_handler>(&route.handler)) {
      (*sync)(ctx);
    } else {
      co_await std::get<async_handler>(route.handler)(ctx);
    }
  }

  asio::awaitable<bool> handle(connection& conn, const http_request& req) {
    const auto start = std::chrono::steady_clock::now();
    // The request is read: from here its handling is bounded, not its reading.
    conn.deadline = start + owner_.settings_.handler_timeout;
    auto& stats = owner_.stats_;
    stats.in_flight.fetch_add(1, std::memory_order_relaxed);

    std::string_view rid;
    if (auto it = req.find("X-Request-Id"); it != req.end() && acceptable_request_id(it->value())) {
      rid = it->value();
    } else {
      rid = ids_.next();
    }
    std::string_view trace;
    if (auto it = req.find("traceparent"); it != req.end()) trace = trace_id_of(it->value());

    const std::string_view target = req.target();
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

    conn.res.reset();
    request_context ctx{req, path, query, {}, rid, trace, client_of(conn, req), conn.res};
    const route_match m = owner_.routes_.match(req.method(), path);
    std::size_t route_index = metrics::unmatched;
    const route_spec* route =
        m.outcome == route_match::kind::found ? &owner_.routes_.routes()[m.index] : nullptr;
    if (route != nullptr && route->priority == route_priority::browse && owner_.shed_browsing &&
        owner_.shed_browsing()) {
      route_index = m.index;
      owner_.stats_.shed_browsing.fetch_add(1, std::memory_order_relaxed);
      set_problem(conn.res, core::errc::unavailable, "busy with submissions; retry shortly", rid,
                  path, 2);
    } else if (route != nullptr) {
      route_index = m.index;
      ctx.params = m.params;
      try {
        co_await dispatch(ctx, *route);
      } catch (const std::exception& e) {
        // A bug, not a client error: log it with the request id and keep serving.
        log_event(spdlog::level::err, "handler_failed",
                  {{"request_id", rid}, {"trace_id", trace}, {"path", path}, {"error", e.what()}});
        conn.res.reset();
        set_problem(conn.res, core::errc::internal, "", rid, path);
      } catch (...) {
        log_event(spdlog::level::err, "handler_failed",
                  {{"request_id", rid}, {"path", path}, {"error", "unknown exception"}});
        conn.res.reset();
        set_problem(conn.res, core::errc::internal, "", rid, path);
      }
    } else if (m.outcome == route_match::kind::method_not_allowed) {
      set_problem(conn.res, core::errc::method_not_allowed,
                  fmt::format("{} is not allowed here", std::string_view(req.method_string())), rid,
                  path);
      conn.res.headers.emplace_back("Allow", m.allow);
    } else {
      set_problem(conn.res, core::errc::not_found, "no such resource", rid, path);
    }

    bool close = conn.res.close || !req.keep_alive() || owner_.draining();
    // Counted once the response is ready, before it is sent, so that a client that has read
    // it also sees it in /metrics.
    const double elapsed = seconds_since(start);
    stats.observe(route_index, conn.res.status, elapsed);
    stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
    co_await write(conn, rid, close);
    if (access_log_) {
      log_event(spdlog::level::info, "request",
                {{"request_id", rid},
                 {"trace_id", trace},
                 {"method", req.method_string()},
                 {"path", path},
                 {"status", fmt::format("{}", conn.res.status)},
                 {"seconds", fmt::format("{:.6f}", elapsed)}});
    }
    co_return close;
  }

  asio::awaitable<void> write(connection& conn, std::string_view rid, bool& close) {
    serialize(conn.out, conn.res, clock_.http_date(), rid, close);
    conn.deadline = std::chrono::steady_clock::now() + owner_.settings_.read_timeout;
    auto [ec, n] = co_await asio::async_write(conn.socket, asio::buffer(conn.out), use_tuple);
    if (conn.res.stream) {
      // A streamed body: each step's bytes go out as one chunk before the next step runs, so
      // memory holds one chunk however long the body. Every write gets the read timeout.
      std::string chunk;
      stream_step step = ec ? stream_step::failed : stream_step::more;
      while (step == stream_step::more) {
        chunk.clear();
        try {
          step = co_await conn.res.stream(chunk);
        } catch (const std::exception& e) {
          log_event(spdlog::level::err, "stream_failed",
                    {{"request_id", rid}, {"error", e.what()}});
          step = stream_step::failed;
        }
        if (step == stream_step::failed) break;
        conn.out.clear();
        if (!chunk.empty()) append_chunk(conn.out, chunk);
        if (step == stream_step::done) conn.out += "0\r\n\r\n";
        if (conn.out.empty()) continue;
        conn.deadline = std::chrono::steady_clock::now() + owner_.settings_.read_timeout;
        auto [wec, wn] = co_await asio::async_write(conn.socket, asio::buffer(conn.out), use_tuple);
        if (wec) step = stream_step::failed;
      }
      if (step == stream_step::failed) close = true;
      conn.res.stream = nullptr;
    }
  }

  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

  static std::string remote_of(connection& conn) {
    beast::error_code ec;
    auto ep = conn.socket.remote_endpoint(ec);
    return ec ? std::string("?") : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }

 public:
  bool access_log_ = false;

 private:
  http_server& owner_;
  // All socket I/O of a worker happens on its thread; completions from writer threads are
  // posted, which the scheduler still locks for.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  tcp::acceptor acceptor_;
  bool accepting_ = true;  // this worker's thread only
  std::unordered_set<connection*> connections_;
  thread_clock clock_;
  id_source ids_;
};

http_server::http_server(const server_settings& settings, const router& routes, metrics& stats)
    : settings_(settings),
      trusted_proxies_(settings.trusted_proxies),
      routes_(routes),
      stats_(stats) {}

http_server::~http_server() { stop(); }

void http_server::start() {
  unsigned n = settings_.io_threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  tcp::endpoint ep(asio::ip::make_address(settings_.host), settings_.port);
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<worker>(*this);
    w->access_log_ = access_log;
    w->bind(ep);
    // With port 0 the first acceptor picks the port; the others join it via SO_REUSEPORT.
    if (i == 0) ep.port(w->bound_port());
    workers_.push_back(std::move(w));
  }
  port_ = ep.port();
  for (auto& w : workers_) {
    w->start();
    threads_.emplace_back([&io = w->io()] { io.run(); });
  }
}

void http_server::stop_accepting() {
  draining_.store(true, std::memory_order_relaxed);
  for (auto& w : workers_) asio::post(w->io(), [&w = *w] { w.stop_accepting(); });
}

void http_server::stop() {
  for (auto& w : workers_) w->io().stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  workers_.clear();
}

}  // namespace zhiyuan::server
