#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/http/body_file.hpp"

namespace zhiyuan::server {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;

/// What a body stream did on one step (see response::stream).
enum class stream_step : std::uint8_t { more, done, failed };

/// What a handler produces; the session serialises it into the connection's reused buffer.
struct response {
  unsigned status = 200;
  std::string_view content_type = "application/json";
  std::string body;
  /// A body shared with a cache instead of `body` (then empty): immutable bytes the loops send
  /// from where they are, not copied into the response, keeping `keep` alive until sent. A null
  /// `keep` means the bytes outlive the server (the web app's files).
  std::string_view shared_body;
  std::shared_ptr<const void> keep;
  /// Where `shared_body` also lies in a file (body_file.hpp), for sendfile(2); fd -1: nowhere.
  body_file_ref shared_file;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers
  /// Header lines serialised in advance ("Name: value\r\n" each), sent after `headers`, whose
  /// bytes outlive the answer (a static file's, server/web/). Whoever sets them includes every
  /// header secure_defaults and the web room would add: those leave such an answer alone.
  std::string_view head_lines;
  bool close = false;  ///< send Connection: close and end the connection
  /// A body too large to hold (e.g. a province-wide export): when set, the session sends the
  /// head and `body` (if any), then calls `stream` until it stops, sending what each call
  /// appended to its argument as one chunk (Transfer-Encoding: chunked). `failed` ends the
  /// connection without the last chunk, so the client sees the body is incomplete.
  std::function<boost::asio::awaitable<stream_step>(std::string& chunk)> stream;

  void reset() {
    status = 200;
    content_type = "application/json";
    body.clear();
    shared_body = {};
    keep.reset();
    shared_file = {};
    headers.clear();
    head_lines = {};
    close = false;
    stream = nullptr;
  }
  /// Answers with `bytes`, shared and never copied.
  void share_body(std::shared_ptr<const std::string> bytes) {
    shared_body = *bytes;
    keep = std::move(bytes);
  }
  /// Answers with a stored body, shared and never copied (sent from its file where it has one).
  void share_body(std::shared_ptr<const stored_body> stored) {
    shared_body = stored->bytes;
    shared_file = stored->file;
    keep = std::move(stored);
  }
  /// The body, whichever way it is held.
  std::string_view body_bytes() const noexcept {
    return shared_body.empty() ? std::string_view(body) : shared_body;
  }
};

/// `{name}` segments of the matched route pattern, by position.
struct route_params {
  static constexpr std::size_t max = 4;
  std::array<std::pair<std::string_view, std::string_view>, max> items{};
  std::size_t size = 0;

  /// The value of a parameter, or empty if the route has no such parameter.
  std::string_view get(std::string_view name) const {
    for (std::size_t i = 0; i < size; ++i) {
      if (items[i].first == name) return items[i].second;
    }
    return {};
  }
};

/// Everything a handler may look at and the response it fills in.
struct request_context {
  const http_request& request;
  std::string_view path;   ///< without the query string
  std::string_view query;  ///< after '?', may be empty
  route_params params;
  std::string_view request_id;
  std::string_view trace_id;  ///< from traceparent, empty if none
  std::string_view peer;      ///< the client's IP address as text; empty if unknown
  response& res;
  /// The handlers' digest of the presented credential, computed once per request by whichever
  /// step needs it first (the prelude's check or the handler): `digest_checked` says whether
  /// it was computed, `digest` holds it when the credential had the expected shape.
  mutable bool digest_checked = false;
  mutable std::optional<std::array<std::uint8_t, 32>> digest;
};

}  // namespace zhiyuan::server
