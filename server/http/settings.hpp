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
  std::chrono::milliseconds drain_delay{2'000};
  std::chrono::milliseconds shutdown_timeout{15'000};
};

}  // namespace zhiyuan::server
