#pragma once

// One keep-alive HTTP/1.1 client connection on Asio + Beast, shared by the load generator and
// the crash drills' submitter: connects lazily, reconnects after any error.

#include <algorithm>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace zhiyuan::loadtest {

class http_connection {
 public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;

  /// `connect_timeout` caps the time a (re)connect may take within an exchange's timeout.
  http_connection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                  std::chrono::steady_clock::duration connect_timeout =
                      std::chrono::steady_clock::duration::max())
      : stream_(io), endpoint_(endpoint), connect_timeout_(connect_timeout) {}

  /// Sends `req` and reads the response within `timeout`; any error closes the connection.
  boost::asio::awaitable<boost::beast::error_code> exchange(
      request& req, response& res, std::chrono::steady_clock::duration timeout) {
    namespace http = boost::beast::http;
    constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    if (!open_) {
      stream_.expires_after(std::min(timeout, connect_timeout_));
      auto [ec] = co_await stream_.async_connect(endpoint_, use_tuple);
      if (ec) {
        close();
        co_return ec;
      }
      stream_.socket().set_option(boost::asio::ip::tcp::no_delay(true));
      buffer_.clear();
      open_ = true;
    }
    stream_.expires_after(timeout);
    auto [wec, wn] = co_await http::async_write(stream_, req, use_tuple);
    if (wec) {
      close();
      co_return wec;
    }
    res = {};
    auto [rec, rn] = co_await http::async_read(stream_, buffer_, res, use_tuple);
    if (rec) {
      close();
      co_return rec;
    }
    if (!res.keep_alive()) close();
    co_return boost::beast::error_code{};
  }

  void close() {
    boost::beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    open_ = false;
  }

 private:
  boost::beast::tcp_stream stream_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::chrono::steady_clock::duration connect_timeout_;
  boost::beast::flat_buffer buffer_;
  bool open_ = false;
};

}  // namespace zhiyuan::loadtest
