#pragma once

// One keep-alive HTTP/1.1 client connection on Asio + Beast, shared by the load generator and
// the crash drills' submitter: connects lazily, reconnects after any error.
//
// Timeouts cover a whole exchange (connect, write, read), in one of two ways:
// - timed (the default): the connection arms one timer per exchange;
// - swept: no timer at all; the owner calls expire_if_overdue() every few tens of
//   milliseconds for each of its connections. A timer per exchange (or, as beast::tcp_stream
//   does, per operation) costs more CPU than a small request itself, which matters to a load
//   generator that must not be the bottleneck.
// An exchange that overran its deadline ends with beast::error::timeout.
//
// A kept-alive connection the server closed while it sat idle (its idle timeout) fails only
// when it is used next: when a reused connection ends before any byte of the response arrived
// (end of stream, reset, broken pipe), the request is sent once more on a new connection, as
// browsers do. Servers that answered nothing did nothing with it: zhiyuan reads a request
// whole before acting on it, and writes carry an Idempotency-Key anyway.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace zhiyuan::loadtest {

class http_connection {
 public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;
  using clock = std::chrono::steady_clock;
  enum class timeouts { timed, swept };

  /// `connect_timeout` caps the time a (re)connect may take within an exchange's timeout.
  http_connection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                  clock::duration connect_timeout = clock::duration::max(),
                  timeouts mode = timeouts::timed)
      : socket_(io),
        timer_(io),
        endpoint_(endpoint),
        connect_timeout_(connect_timeout),
        mode_(mode) {}

  /// Sends `req` and reads the response within `timeout`; any error closes the connection.
  boost::asio::awaitable<boost::beast::error_code> exchange(const request& req, response& res,
                                                            clock::duration timeout) {
    serialize(req);
    return exchange(std::string_view(out_), res, timeout);
  }

  /// The same with the request already in wire form (start line, header fields, blank line,
  /// body), which must stay valid until the exchange ends: the load generator writes its
  /// requests itself and saves building a Beast message per request.
  boost::asio::awaitable<boost::beast::error_code> exchange(std::string_view wire, response& res,
                                                            clock::duration timeout) {
    namespace http = boost::beast::http;
    constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    const auto start = clock::now();
    busy_ = true;
    timed_out_ = false;
    aborted_ = false;
    // An operation that completed just as the exchange was cut short (deadline, abort) returns
    // no error; the next one would then run on: stop after every step instead.
    constexpr auto cancelled = boost::asio::error::operation_aborted;
    for (bool reused = open_;; reused = false) {
      if (!open_) {
        arm(start + std::min(timeout, connect_timeout_));
        auto [ec] = co_await socket_.async_connect(endpoint_, use_tuple);
        if (ec || cut()) co_return fail(ec ? ec : cancelled);
        socket_.set_option(boost::asio::ip::tcp::no_delay(true));
        buffer_.clear();
        open_ = true;
      }
      arm(start + timeout);
      auto [wec, wn] = co_await boost::asio::async_write(
          socket_, boost::asio::buffer(wire.data(), wire.size()), use_tuple);
      if (wec || cut()) {
        if (reused && stale(wec)) {
          ++stale_retries_;
          close();
          continue;
        }
        co_return fail(wec ? wec : cancelled);
      }
      res = {};
      auto [rec, rn] = co_await http::async_read(socket_, buffer_, res, use_tuple);
      if (rec || cut()) {
        if (reused && rn == 0 && stale(rec)) {
          ++stale_retries_;
          close();
          continue;
        }
        co_return fail(rec ? rec : cancelled);
      }
      disarm();
      if (!res.keep_alive()) close();
      co_return boost::beast::error_code{};
    }
  }

  /// Requests sent again because a reused connection turned out closed by the server.
  std::uint64_t stale_retries() const noexcept { return stale_retries_; }

  /// Swept mode: cuts short the pending operation of an exchange past its deadline (the
  /// exchange then closes the connection and returns beast::error::timeout). True when it did.
  bool expire_if_overdue(clock::time_point now) {
    if (!busy_ || now < deadline_) return false;
    timed_out_ = true;
    end_pending();
    return true;
  }

  /// Ends the connection: an exchange in progress is cut short (and closes it when its
  /// operation has returned), an idle connection is closed at once.
  void abort() {
    if (busy_) {
      aborted_ = true;
      end_pending();
    } else {
      close();
    }
  }

  /// Closes the connection; only while no operation is pending (else abort()).
  void close() {
    boost::beast::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    open_ = false;
  }

 private:
  // The request's bytes in one reused buffer, sent with one write. Beast's serializer sends the
  // start line and every header field as buffers of their own (one scatter write through a
  // chain of buffer iterators), which costs a load generator more CPU than a small request.
  void serialize(const request& req) {
    const auto append = [this](auto sv) { out_.append(sv.data(), sv.size()); };
    out_.clear();
    append(req.method_string());
    out_ += ' ';
    append(req.target());
    out_ += req.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
    for (const auto& field : req.base()) {
      append(field.name_string());
      out_ += ": ";
      append(field.value());
      out_ += "\r\n";
    }
    out_ += "\r\n";
    out_ += req.body();
  }

  void arm(clock::time_point deadline) {
    deadline_ = deadline;
    if (mode_ != timeouts::timed) return;
    timer_.expires_at(deadline);
    timer_.async_wait([this, generation = ++generation_](const boost::beast::error_code& ec) {
      if (ec || generation != generation_) return;
      expire_if_overdue(clock::now());
    });
  }

  void disarm() {
    busy_ = false;
    if (mode_ == timeouts::timed) {
      ++generation_;
      timer_.cancel();
    }
  }

  // Ends the pending operation of an exchange that is cut short: shutting the socket down makes
  // the kernel complete a pending connect, read or write; the exchange sees cut() and closes the
  // socket after the operation returned. Never cancel() or close() with an operation pending:
  // Asio 1.81's io_uring backend submits the cancellation in a recycled ring entry without
  // clearing the user data it still holds, so the cancellation's completion is delivered to
  // whatever operation last used that entry (another socket's read completes with 0 bytes,
  // ENOENT or another connection's bytes); close() also frees the socket's state while the
  // kernel still holds the operation. tests/loadtest/http_connection_test.cpp fails when this
  // cancels instead. Shutting down a socket still connecting resets it; the kernel's io_uring
  // connect then returns (checked on Linux 6.18). Callers ignore SIGPIPE: Asio 1.81's io_uring
  // send passes no MSG_NOSIGNAL, and a write after the shutdown fails with EPIPE.
  void end_pending() {
    boost::beast::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  }

  bool cut() const noexcept { return timed_out_ || aborted_; }

  // The errors of a connection the server had already closed (not of a timeout of ours).
  bool stale(const boost::beast::error_code& ec) const {
    namespace error = boost::asio::error;
    return !cut() && (ec == boost::beast::http::error::end_of_stream || ec == error::eof ||
                      ec == error::connection_reset || ec == error::broken_pipe);
  }

  boost::beast::error_code fail(boost::beast::error_code ec) {
    const bool timed_out = timed_out_;
    disarm();
    close();
    return timed_out ? boost::beast::error::timeout : ec;
  }

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  clock::duration connect_timeout_;
  timeouts mode_;
  boost::beast::flat_buffer buffer_;
  std::string out_;  // the request being sent
  clock::time_point deadline_{};
  std::uint64_t generation_ = 0;
  std::uint64_t stale_retries_ = 0;
  bool open_ = false;
  bool busy_ = false;
  bool aborted_ = false;
  bool timed_out_ = false;
};

}  // namespace zhiyuan::loadtest
