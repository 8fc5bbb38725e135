#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/result.hpp"
#include "server/http/client_address.hpp"
#include "server/http/metrics.hpp"
#include "server/http/port_claim.hpp"
#include "server/http/router.hpp"
#include "server/http/settings.hpp"

namespace zhiyuan::server {

struct exchange_env;

/// The HTTP/1.1 server: one loop per thread, each with its own SO_REUSEPORT listener, its own
/// connections and no shared mutable state but atomics (Seastar/h2o style). The loop is the
/// native io_uring one (uring_loop.cpp) or Asio's on epoll (listener.cpp), by server.io.
class http_server {
 public:
  http_server(const server_settings& settings, const router& routes, metrics& stats);
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;
  ~http_server();

  /// Claims the port (refused if another process serves it: port_claim.hpp), binds every
  /// acceptor (throws std::system_error or std::runtime_error on failure) and starts the threads.
  void start();
  /// The bound port (useful with port 0).
  std::uint16_t port() const noexcept { return port_; }

  /// Closes the acceptors; idle keep-alive connections are closed, busy ones close after
  /// their current response.
  void stop_accepting();
  /// Connections still open.
  std::int64_t open_connections() const noexcept { return stats_.open_connections.load(); }
  /// Stops every io_context and joins the threads; connections still open are dropped.
  void stop();

  /// Log one line per request (set before start()).
  bool access_log = false;
  /// Asked before a `browse` route runs; true sheds it with 503 + Retry-After (set before
  /// start(); called from every I/O thread, so it must be cheap and thread-safe).
  std::function<bool()> shed_browsing;
  /// Asked after the head of an admin upload whose body may exceed server.body_limit, before
  /// the body is read: nullopt admits it, an error refuses it at once (the connection closes
  /// unread), so nobody without a session makes the server take server.upload_limit bytes.
  /// Gets the Authorization header.
  std::function<boost::asio::awaitable<std::optional<core::error>>(std::string_view)> admit_upload;

  /// The transport in use once started: "uring" or "epoll" (server.io).
  std::string_view transport() const noexcept { return transport_; }

  /// An asynchronous step before a matched route's handler, for what a synchronous handler
  /// needs but must not wait for on an I/O thread (e.g. loading a session this node does not
  /// cache). `wants_prelude` is asked for every matched request (from every I/O thread: cheap
  /// and thread-safe); when true, `prelude` is awaited first and the handler runs only if it
  /// returns true (false: the prelude has answered in ctx.res). Set both before start().
  std::function<bool(const request_context&)> wants_prelude;
  std::function<boost::asio::awaitable<bool>(request_context&)> prelude;

  /// Whether the server is draining (set by stop_accepting).
  bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }

 private:
  class worker;
  class uring_worker;

  // The io_uring side, in uring_loop.cpp (where uring_worker is complete).
  struct uring_worker_deleter {
    void operator()(uring_worker* w) const noexcept;
  };
  // What both loops answer requests with (exchange.hpp), once the hooks are set.
  exchange_env exchange_environment() const;
  bool use_uring();
  void start_uring(boost::asio::ip::tcp::endpoint ep, unsigned n);
  void stop_accepting_uring();
  void stop_uring();

  const server_settings& settings_;
  const network_list trusted_proxies_;
  const router& routes_;
  metrics& stats_;
  std::atomic<bool> draining_{false};
  std::uint16_t port_ = 0;
  port_claim claim_;
  std::string_view transport_ = "epoll";
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::unique_ptr<uring_worker, uring_worker_deleter>> uring_workers_;
  std::vector<std::thread> threads_;
};

}  // namespace zhiyuan::server
