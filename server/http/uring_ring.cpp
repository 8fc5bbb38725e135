#include "server/http/uring_ring.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <system_error>
#include <type_traits>

#include <fmt/format.h>
#include <boost/asio/detail/reactor.hpp>

namespace zhiyuan::server::uring {
namespace {

std::string failed(std::string_view call, int negative_errno) {
  return fmt::format("{}: {}", call, std::strerror(-negative_errno));
}

// Asio keeps its reactor's descriptor private and offers no accessor. An explicit
// instantiation may name a private member ([temp.spec.general]), which lets reactor_fd() read it.
using reactor_type = boost::asio::detail::epoll_reactor;
static_assert(std::is_same_v<boost::asio::detail::reactor, reactor_type>,
              "reactor_fd() expects Asio's epoll reactor");

int& epoll_fd_of(reactor_type& r);

template <int reactor_type::*Member>
struct expose_epoll_fd {
  friend int& epoll_fd_of(reactor_type& r) { return r.*Member; }
};
template struct expose_epoll_fd<&reactor_type::epoll_fd_>;

}  // namespace

int reactor_fd(boost::asio::io_context& io) {
  return epoll_fd_of(boost::asio::use_service<reactor_type>(io));
}

ring::~ring() {
  if (ready_) {
    if (buf_ring_ != nullptr) io_uring_unregister_buf_ring(&ring_, buffer_group);
    io_uring_queue_exit(&ring_);
  }
  std::free(buf_ring_);
  std::free(memory_);
}

std::optional<std::string> ring::init(unsigned buffers) {
  if (const char* f = std::getenv("ZHIYUAN_URING_PROBE_FAIL"); f != nullptr && *f == '1') {
    return failed("io_uring_queue_init_params (ZHIYUAN_URING_PROBE_FAIL)", -EPERM);
  }
  io_uring_params params{};
  // SQ 256 entries, CQ 2048: multishot receives post many completions per submission.
  constexpr unsigned common = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  params.flags = common | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  params.cq_entries = 2048;
  int e = io_uring_queue_init_params(256, &ring_, &params);
  deferred_ = e == 0;
  if (e == -EINVAL) {
    // Before 6.1: no DEFER_TASKRUN; COOP_TASKRUN still spares the interrupt while we work.
    params = {};
    params.flags = common | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    params.cq_entries = 2048;
    e = io_uring_queue_init_params(256, &ring_, &params);
  }
  if (e != 0) return failed("io_uring_queue_init_params", e);
  ready_ = true;
  io_uring_register_ring_fd(&ring_);  // an optimisation only: failure is fine

  buffers_ = buffers;
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, sizeof(io_uring_buf) * buffers) != 0) {
    return failed("posix_memalign", -ENOMEM);
  }
  buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(buf_ring_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
  reg.ring_entries = buffers;
  reg.bgid = buffer_group;
  if (e = io_uring_register_buf_ring(&ring_, &reg, 0); e != 0) {
    std::free(buf_ring_);
    buf_ring_ = nullptr;
    return failed("io_uring_register_buf_ring", e);
  }
  memory_ = static_cast<char*>(std::aligned_alloc(4096, std::size_t{buffers} * buffer_size));
  if (memory_ == nullptr) return failed("aligned_alloc", -ENOMEM);
  for (unsigned i = 0; i < buffers; ++i) {
    io_uring_buf_ring_add(buf_ring_, buffer(i), buffer_size, i, io_uring_buf_ring_mask(buffers),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(buffers));
  return std::nullopt;
}

io_uring_sqe* ring::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s == nullptr) {
    // The submission queue is full: hand it to the kernel and take a fresh entry.
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void ring::recycle(unsigned id) noexcept {
  io_uring_buf_ring_add(buf_ring_, buffer(id), buffer_size, static_cast<unsigned short>(id),
                        io_uring_buf_ring_mask(buffers_), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

std::optional<std::string> probe() {
  auto r = std::make_unique<ring>();
  if (auto why = r->init()) return why;
  std::unique_ptr<io_uring_probe, void (*)(io_uring_probe*)> p(io_uring_get_probe_ring(r->get()),
                                                               io_uring_free_probe);
  if (!p) return std::string("io_uring_get_probe_ring failed");
  for (int code : {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_SENDMSG,
                   IORING_OP_READ, IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL}) {
    if (!io_uring_opcode_supported(p.get(), code)) {
      return fmt::format("io_uring opcode {} not supported", code);
    }
  }
  return std::nullopt;
}

int listen_on(const sockaddr* address, socklen_t length) {
  const auto fail = [](const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  };
  const int fd = ::socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, address, length) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    fail("bind/listen");
  }
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(a).sin_port
                                      : reinterpret_cast<sockaddr_in6&>(a).sin6_port);
}

std::string peer_address(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw =
      a.ss_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
  if (inet_ntop(a.ss_family, raw, text, sizeof text) == nullptr) return {};
  return text;
}

void waker::notify() noexcept {
  if (std::this_thread::get_id() == loop_thread) {
    if (!polling) poll_needed = true;
    return;
  }
  // One write until the ring has read it: a burst of posts costs one wake-up.
  if (!pending.exchange(true, std::memory_order_acq_rel)) eventfd_write(fd, 1);
}

}  // namespace zhiyuan::server::uring
