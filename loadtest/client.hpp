#pragma once

// The load generator's HTTP client for one thread of a run: a pool of keep-alive connections
// (loadtest/http_connection.hpp, swept timeouts) and the exchange of one request over it, with
// the resends a browser makes after a 503 or 429. Everything runs on the thread's io_context.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/verb.hpp>

#include "loadtest/http_connection.hpp"

namespace zhiyuan::loadtest {

/// One request as the generator sends it.
struct request {
  boost::beast::http::verb verb = boost::beast::http::verb::get;
  std::string target;
  std::string body;                  ///< JSON when not empty
  std::string_view token;            ///< Authorization: Bearer, when not empty
  std::string_view idempotency_key;  ///< Idempotency-Key, when not empty
  std::int64_t if_match = -1;        ///< If-Match: "N", when >= 0
};

/// What one exchange gave: a status (0 after a transport error or at the stop) and the body.
struct reply {
  unsigned status = 0;
  std::string body;
  bool stopped = false;         ///< the run stopped before the answer came
  std::string transport_error;  ///< with status 0: what failed
};

struct client_options {
  std::string host;  ///< the Host header
  unsigned max_connections = 512;
  std::chrono::steady_clock::duration timeout{};
  unsigned retries = 2;  ///< resends after a 503 or 429
};

class client {
 public:
  using clock = std::chrono::steady_clock;

  client(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
         client_options options);

  /// Sends `r`, resent (the same request, so the same Idempotency-Key) after a 503 or 429 as a
  /// browser would: after the Retry-After the server gave (1 s without one, at most 5 s), at
  /// most `retries` times; the action's latency includes the waits. `first_send` is set when
  /// the first byte of the first request is about to leave. After stop(), answers `stopped`.
  boost::asio::awaitable<reply> exchange(const request& r,
                                         std::optional<clock::time_point>& first_send);

  /// Ends the exchanges that overran the request timeout (called every few tens of ms).
  void expire_overdue(clock::time_point now);

  /// Cuts everything short: exchanges, waits for a connection, Retry-After pauses.
  void stop();
  bool stopping() const noexcept { return stopping_; }

  std::uint64_t retries() const noexcept { return retries_; }  ///< resends after 503 / 429
  std::uint64_t stale_retries() const;  ///< resends on a new connection (see http_connection)

 private:
  struct waiter {
    boost::asio::steady_timer timer;
    http_connection* conn = nullptr;
  };

  std::string wire(const request& r) const;
  boost::asio::awaitable<http_connection*> acquire();
  void release(http_connection* c);
  boost::asio::awaitable<void> pause_after(const http_connection::response& res);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::endpoint endpoint_;
  client_options options_;
  std::vector<std::unique_ptr<http_connection>> connections_;
  std::vector<http_connection*> idle_;
  std::deque<waiter*> waiters_;
  std::unordered_set<boost::asio::steady_timer*> pauses_;  // Retry-After pauses in progress
  std::uint64_t retries_ = 0;
  bool stopping_ = false;
};

}  // namespace zhiyuan::loadtest
