#include "server/http/listener.hpp"

#include <sys/socket.h>
#include <algorithm>

#include <array>
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

#include "server/http/exchange.hpp"
#include "server/http/log.hpp"
#include "server/http/problem.hpp"

namespace zhiyuan::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

/// One thread's share of the server: its io_context, acceptor and connections.
class http_server::worker {
 public:
  explicit worker(http_server& owner)
      : owner_(owner), env_(owner.exchange_environment()), acceptor_(io_) {}

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
    connection(tcp::socket s, const network_list& trusted)
        : socket(std::move(s)), origin(peer_of(socket), trusted) {}
    static std::string peer_of(const tcp::socket& socket) {
      beast::error_code ec;
      const auto ep = socket.remote_endpoint(ec);
      return ec ? std::string() : ep.address().to_string();
    }
    tcp::socket socket;
    client_origin origin;  ///< the client's address: TCP peer, PROXY header, X-Forwarded-For
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
        beast::error_code ignored;
        socket.non_blocking(true, ignored);
        socket.write_some(asio::buffer(busy_response), ignored);
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
    for (;;) {
      sweep_.expires_at(next_sweep_);
      auto [ec] = co_await sweep_.async_wait(use_tuple);
      if (ec && !sweep_moved_) co_return;
      sweep_moved_ = false;
      const auto now = std::chrono::steady_clock::now();
      if (now < next_sweep_) continue;
      next_sweep_ = now + sweep_interval;
      for (connection* c : connections_) {
        if (c->deadline > now && !c->timed_out) next_sweep_ = std::min(next_sweep_, c->deadline);
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

  // One connection, read like Beast's advanced server: wait for a request, read its head, admit
  // and read its body, then route, handle and write; repeat while keep-alive holds.
  asio::awaitable<void> session(tcp::socket socket) {
    connection conn(std::move(socket), owner_.trusted_proxies_);
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
    if (!conn.origin.awaits_proxy_header()) co_return true;
    conn.deadline = std::chrono::steady_clock::now() + owner_.settings_.idle_timeout;
    for (;;) {
      const auto data = conn.buffer.data();
      std::size_t consumed = 0;
      const auto r = conn.origin.take_proxy_header(
          {static_cast<const std::uint8_t*>(data.data()), data.size()}, consumed);
      conn.buffer.consume(consumed);
      if (r != proxy_parse::need_more) co_return r != proxy_parse::invalid;
      auto [ec, n] = co_await conn.socket.async_read_some(conn.buffer.prepare(536), use_tuple);
      if (ec) co_return false;
      conn.buffer.commit(n);
    }
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
    reset_parser(parser, cfg);
    // Most requests are already whole in the buffer: parse them in place and only go back
    // to the socket for the rest of a partial one.
    beast::error_code ec;
    conn.buffer.consume(parser->put(conn.buffer.data(), ec));
    if (ec == http::error::need_more) {
      auto [read_ec, n] =
          co_await http::async_read_header(conn.socket, conn.buffer, *parser, use_tuple);
      ec = read_ec;
    }
    if (!ec && !parser->is_done()) ec = limit_body(*parser, cfg);
    co_return ec;
  }

  // Lets the client send the body it announced; false when the connection ends instead (an
  // upload refused, or the interim answer could not be written).
  asio::awaitable<bool> admit_body(connection& conn, request_parser& parser) {
    if (owner_.admit_upload && needs_admission(parser, owner_.settings_)) {
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
      auto [write_ec, n] =
          co_await asio::async_write(conn.socket, asio::buffer(continue_response), use_tuple);
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
    char rid_buf[32];
    const std::string_view rid = ids_.next(rid_buf);
    set_refusal(conn.res, owner_.stats_, code, detail, rid);
    bool close = true;
    conn.out.clear();
    serialize(conn.out, conn.res, clock_.http_date(), rid, close);
    co_await write(conn, close);
  }

  // Routes and answers one request; returns whether the connection must close.
  asio::awaitable<bool> handle(connection& conn, const http_request& req) {
    exchange ex(env_, ids_, req, conn.origin, conn.res);
    conn.deadline = ex.deadline();
    // A handler deadline before the next sweep (a short server.handler_timeout) moves the sweep
    // so the cut comes on time; with the usual seconds-long timeouts this never happens.
    if (conn.deadline < next_sweep_) {
      next_sweep_ = conn.deadline;
      sweep_moved_ = true;
      sweep_.cancel();
    }
    if (ex.pending()) co_await ex.run_pending();
    bool close = ex.finish(owner_.draining());
    conn.out.clear();
    ex.serialize_into(conn.out, clock_.http_date(), close);
    co_await write(conn, close, ex.request_id());
    ex.log_access();
    co_return close;
  }

  // Writes conn.out, then the rest of a streamed body; `close` is set when the stream failed.
  asio::awaitable<void> write(connection& conn, bool& close, std::string_view rid = {}) {
    conn.deadline = std::chrono::steady_clock::now() + owner_.settings_.read_timeout;
    // A shared body goes out from its own buffer after the head, in the same writev.
    const std::array<asio::const_buffer, 2> pieces{asio::buffer(conn.out),
                                                   asio::buffer(body_by_reference(conn.res))};
    auto [ec, n] = co_await asio::async_write(conn.socket, pieces, use_tuple);
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

  static std::string remote_of(connection& conn) {
    beast::error_code ec;
    auto ep = conn.socket.remote_endpoint(ec);
    return ec ? std::string("?") : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }

  http_server& owner_;
  exchange_env env_;
  // Declared before io_, so destroyed after it: destroying io_ destroys the coroutines still
  // pending at stop(), and a session's end erases it from connections_.
  std::unordered_set<connection*> connections_;
  // All socket I/O of a worker happens on its thread; completions from writer threads are
  // posted, which the scheduler still locks for.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  tcp::acceptor acceptor_;
  bool accepting_ = true;  // this worker's thread only
  asio::steady_timer sweep_{io_};
  std::chrono::steady_clock::time_point next_sweep_ =
      std::chrono::steady_clock::now() + sweep_interval;
  bool sweep_moved_ = false;
  thread_clock clock_;
  id_source ids_;
};

http_server::http_server(const server_settings& settings, const router& routes, metrics& stats)
    : settings_(settings),
      trusted_proxies_(settings.trusted_proxies),
      routes_(routes),
      stats_(stats) {}

http_server::~http_server() { stop(); }

exchange_env http_server::exchange_environment() const {
  return {settings_,     routes_, stats_,           shed_browsing,
          wants_prelude, prelude, trusted_proxies_, access_log};
}

void http_server::start() {
  unsigned n = settings_.io_threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  tcp::endpoint ep(asio::ip::make_address(settings_.host), settings_.port);
  // A chosen port is claimed before any listener joins it; a kernel-chosen one (port 0) is new
  // to every process, and is claimed once known so that nobody joins it later.
  if (settings_.port != 0) claim_.acquire(settings_.port);
  if (use_uring()) {
    start_uring(ep, n);
    if (settings_.port == 0) claim_.acquire_bound(port_);
    return;
  }
  transport_ = "epoll";
  stats_.transport = "epoll";
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<worker>(*this);
    w->bind(ep);
    // With port 0 the first acceptor picks the port; the others join it via SO_REUSEPORT.
    if (i == 0) ep.port(w->bound_port());
    workers_.push_back(std::move(w));
  }
  port_ = ep.port();
  if (settings_.port == 0) claim_.acquire_bound(port_);
  for (auto& w : workers_) {
    w->start();
    threads_.emplace_back([&io = w->io()] { io.run(); });
  }
}

void http_server::stop_accepting() {
  draining_.store(true, std::memory_order_relaxed);
  for (auto& w : workers_) asio::post(w->io(), [&w = *w] { w.stop_accepting(); });
  stop_accepting_uring();
}

void http_server::stop() {
  stop_uring();
  for (auto& w : workers_) w->io().stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  workers_.clear();
  claim_.release();
}

}  // namespace zhiyuan::server
