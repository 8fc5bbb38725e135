#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace zhiyuan::server {

/// Listener and HTTP limits.
struct server_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned io_threads = 0;  ///< 0: one per core
  /// The transport: "auto" (io_uring, or the Asio epoll loop when the kernel refuses a ring),
  /// "uring" (fail without it) or "epoll".
  std::string io = "auto";
  unsigned max_connections = 20000;
  std::size_t body_limit = 64 * 1024;
  /// The body limit of admin uploads (POST /api/v1/admin/documents and .../imports/...).
  std::size_t upload_limit = 16u << 20;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  /// A request read whole may take this long to be answered (a write waits up to
  /// writer.deadline_ms for its COMMIT) before the connection is cut. Must exceed that deadline:
  /// were it read_timeout, a write answered at its deadline would race the cut (HAProxy: 502).
  std::chrono::milliseconds handler_timeout{30'000};
  std::chrono::milliseconds drain_delay{2'000};
  std::chrono::milliseconds shutdown_timeout{15'000};
  /// CIDRs of the proxies whose PROXY v2 header or X-Forwarded-For names the real client
  /// (server/http/client_address.hpp); empty: every TCP peer is the client.
  std::string trusted_proxies;
};

}  // namespace zhiyuan::server
