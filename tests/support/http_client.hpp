#pragma once

// Blocking HTTP/1.1 client for tests: raw bytes in, parsed responses out, every read
// bounded by a socket timeout so a hung server fails the test instead of hanging it.

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace zhiyuan::test {

struct http_reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  void send(std::string_view bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }

  /// The next response, or nullopt if the server closed the connection (or timed out).
  std::optional<http_reply> read_reply() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    boost::beast::error_code ec;
    // A receive with SO_RCVTIMEO is not restarted after a signal, even with SA_RESTART
    // (signal(7)); the parser and buffer keep their state, so reading again resumes.
    do {
      ec = {};
      http::read(socket_, buffer_, parser, ec);
    } while (ec == boost::asio::error::interrupted);
    if (ec) {
      last_error_ = ec;
      return std::nullopt;
    }
    http_reply r;
    auto& msg = parser.get();
    r.status = msg.result_int();
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = std::move(msg.body());
    return r;
  }

  /// Whether the peer closed the connection: a read returns end-of-file (not a timeout).
  bool peer_closed() {
    const auto ec = read_end();
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }
  /// Reads until the peer ends the connection: eof (closed) or connection_reset (reset).
  boost::beast::error_code read_end() {
    char c;
    boost::beast::error_code ec;
    do {
      ec = {};
      socket_.read_some(boost::asio::buffer(&c, 1), ec);
    } while (ec == boost::asio::error::interrupted);
    return ec;
  }

  boost::beast::error_code last_error() const { return last_error_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  boost::beast::error_code last_error_;
};

/// One request on a fresh connection.
inline http_reply request(std::uint16_t port, std::string_view method, std::string_view target,
                          std::string_view extra_headers = {}, std::string_view body = {}) {
  raw_connection c(port);
  std::string req;
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  req.append(extra_headers);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("Connection: close\r\n\r\n").append(body);
  c.send(req);
  auto r = c.read_reply();
  if (r) return *r;
  http_reply failed;  // status 0; the body says why, for the test's failure message
  failed.body = "no response: " + c.last_error().message();
  return failed;
}

}  // namespace zhiyuan::test
