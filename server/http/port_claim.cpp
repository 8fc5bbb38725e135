#include "server/http/port_claim.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace zhiyuan::server {
namespace {

// The abstract socket's address: a leading NUL, then the name (not NUL-terminated).
socklen_t claim_address(std::uint16_t port, sockaddr_un& a) {
  a = {};
  a.sun_family = AF_UNIX;
  const auto name = fmt::format("zhiyuan-server/tcp/{}", port);
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

// The pid of the process holding the claim, through SO_PEERCRED on a connection to it (0 when
// it cannot be told: the holder may have just exited).
pid_t claim_holder(std::uint16_t port) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return 0;
  sockaddr_un a;
  const auto len = claim_address(port, a);
  ucred cred{};
  socklen_t cred_len = sizeof cred;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0) {
    cred.pid = 0;
  }
  ::close(fd);
  return cred.pid;
}

[[noreturn]] void refuse(std::uint16_t port, const std::string& who) {
  throw std::runtime_error(fmt::format(
      "port {} is already served by another process{}; stop it or choose another server.port", port,
      who));
}

// Whether any socket is bound to the port on any address: a plain bind without SO_REUSEPORT
// (SO_REUSEADDR only passes over TIME_WAIT leftovers) fails if one is.
bool port_is_bound_elsewhere(std::uint16_t port) {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  int zero = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Dual-stack, so that an IPv4-only holder conflicts too.
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  a.sin6_addr = in6addr_any;
  const bool in_use =
      ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return in_use;
}

}  // namespace

port_claim::~port_claim() { release(); }

void port_claim::release() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void port_claim::acquire_bound(std::uint16_t port) {
  release();
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error(fmt::format("port claim: socket: {}", std::strerror(errno)));
  sockaddr_un a;
  const auto len = claim_address(port, a);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0) {
    const int err = errno;
    release();
    if (err != EADDRINUSE) {
      throw std::runtime_error(fmt::format("port claim: bind: {}", std::strerror(err)));
    }
    const pid_t holder = claim_holder(port);
    refuse(port, holder > 0 ? fmt::format(" (zhiyuan-server, pid {})", holder) : "");
  }
  // Listening lets a refused starter learn the holder's pid; nobody is ever accepted.
  ::listen(fd_, 1);
}

void port_claim::acquire(std::uint16_t port) {
  acquire_bound(port);
  if (port_is_bound_elsewhere(port)) {
    release();
    refuse(port, "");
  }
}

}  // namespace zhiyuan::server
