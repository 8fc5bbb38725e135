#pragma once

#include <cstdint>

namespace zhiyuan::server {

/// This process's claim on a TCP port number among zhiyuan servers of its network namespace.
///
/// Every I/O thread listens on the port with SO_REUSEPORT, which would also let a second
/// zhiyuan-server (same user) join the group and silently take part of the traffic. The claim
/// is an abstract Unix socket named after the port: bind() on it is atomic, so of two servers
/// starting at once exactly one wins (no probe-then-bind window), and the kernel drops it when
/// the process dies, however it dies (no stale lock file). Abstract names live per network
/// namespace, as TCP ports do.
class port_claim {
 public:
  port_claim() = default;
  port_claim(const port_claim&) = delete;
  port_claim& operator=(const port_claim&) = delete;
  ~port_claim();

  /// Claims `port`, then checks that no other process (one that took no claim: another program,
  /// an older server) has a socket bound to it. Throws std::runtime_error naming the port, and
  /// the holder's pid when known, if either fails.
  void acquire(std::uint16_t port);
  /// Claims `port` only: for a port this process has already bound (chosen by the kernel).
  void acquire_bound(std::uint16_t port);
  void release() noexcept;

 private:
  int fd_ = -1;
};

}  // namespace zhiyuan::server
