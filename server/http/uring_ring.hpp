#pragma once

// The io_uring pieces of the native transport that know nothing of HTTP: a ring set up the way
// bench/uring_ping_matrix.sh found fastest, its provided-buffer ring, the completion tags and
// the wake-up a foreign thread uses after posting to a ring thread's io_context.

#include <liburing.h>
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

namespace zhiyuan::server::uring {

/// What a completion belongs to. user_data = {op:8, generation:24, slot:32}: a completion for a
/// connection slot reused since (a stale generation) is recognised and dropped.
enum class op : std::uint8_t { accept = 1, recv, send, wake, cancel, reactor };

struct tag {
  op kind{};
  std::uint32_t generation = 0;  ///< 24 bits are kept
  std::uint32_t slot = 0;
};

constexpr std::uint64_t pack(tag t) {
  return (static_cast<std::uint64_t>(t.kind) << 56) |
         (static_cast<std::uint64_t>(t.generation & 0xffffffu) << 32) | t.slot;
}
constexpr tag unpack(std::uint64_t data) {
  return {static_cast<op>(data >> 56), static_cast<std::uint32_t>((data >> 32) & 0xffffffu),
          static_cast<std::uint32_t>(data & 0xffffffffu)};
}

/// A ring for one I/O thread, created on it: SINGLE_ISSUER|DEFER_TASKRUN (completions run only
/// when this thread waits, no interrupt while it works), else COOP_TASKRUN (kernels before 6.1);
/// its fd registered; one provided-buffer ring for multishot receives.
class ring {
 public:
  static constexpr unsigned buffer_count = 256;
  static constexpr unsigned buffer_size = 4096;
  static constexpr int buffer_group = 0;

  ring() = default;
  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ~ring();

  /// Sets the ring up with `buffers` receive buffers (a power of two); on failure returns why
  /// (the call that failed and its errno text) and leaves nothing behind.
  std::optional<std::string> init(unsigned buffers = buffer_count);

  io_uring* get() noexcept { return &ring_; }
  /// A submission entry; submits what is queued first when the queue is full.
  io_uring_sqe* sqe();
  /// The bytes of provided buffer `id`.
  char* buffer(unsigned id) noexcept {
    return memory_ + static_cast<std::size_t>(id) * buffer_size;
  }
  /// Hands buffer `id` back to the kernel.
  void recycle(unsigned id) noexcept;
  /// Whether the kernel accepted DEFER_TASKRUN (else COOP_TASKRUN).
  bool deferred() const noexcept { return deferred_; }

 private:
  io_uring ring_{};
  bool ready_ = false;
  bool deferred_ = false;
  unsigned buffers_ = 0;
  io_uring_buf_ring* buf_ring_ = nullptr;
  char* memory_ = nullptr;
};

/// Why io_uring cannot serve here (nullopt: it can): creates a ring like a worker's, with its
/// buffer ring, and checks the operations the loop uses. Test hook: ZHIYUAN_URING_PROBE_FAIL=1
/// makes it fail as a kernel with io_uring disabled would.
std::optional<std::string> probe();

/// The epoll descriptor of `io`'s reactor (Asio's epoll_reactor, the only one this build
/// uses): it polls readable when one of `io`'s timers is due (its timerfd is in the set) or a
/// descriptor `io` waits on is ready, so a ring that polls it runs io_context::poll() on time.
int reactor_fd(boost::asio::io_context& io);

/// A listening TCP socket on `address` with SO_REUSEPORT (one per I/O thread); throws
/// std::system_error naming the call that failed.
int listen_on(const sockaddr* address, socklen_t length);
/// The port socket `fd` is bound to.
std::uint16_t local_port(int fd);
/// The address of the peer of connected socket `fd` as text; empty if unknown.
std::string peer_address(int fd);

/// The wake-up of a ring thread: a foreign thread that posted to its io_context writes the
/// eventfd the ring reads (once until the ring has seen it); the ring thread itself only notes
/// that its io_context has work.
struct waker {
  int fd = -1;
  std::thread::id loop_thread;
  std::atomic<bool> pending{false};
  bool poll_needed = false;  ///< the ring thread only
  /// The ring thread is in io_context::poll(), which runs what it posts before returning: no
  /// further poll (and its epoll_wait) is needed for that.
  bool polling = false;

  void notify() noexcept;
};

/// An io_context executor that wakes its ring thread after every execute(): a coroutine of an
/// async handler resumed by a worker pool's post() is run at once, not at the ring's next
/// timeout (io_context::poll() alone interrupts nothing).
template <typename Inner>
class waking_executor {
 public:
  waking_executor(Inner inner, waker* w) noexcept : inner_(std::move(inner)), waker_(w) {}

  template <typename F>
  void execute(F&& f) const {
    inner_.execute(std::forward<F>(f));
    waker_->notify();
  }
  // Properties are forwarded through Asio's customisation points: the io_context executor's own
  // query and require members are private to them.
  template <typename Property>
  auto query(const Property& p) const
      -> decltype(boost::asio::query(std::declval<const Inner&>(), p)) {
    return boost::asio::query(inner_, p);
  }
  template <typename Property>
  auto require(const Property& p) const -> waking_executor<
      std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), p))>> {
    return {boost::asio::require(inner_, p), waker_};
  }
  friend bool operator==(const waking_executor& a, const waking_executor& b) noexcept {
    return a.inner_ == b.inner_ && a.waker_ == b.waker_;
  }
  friend bool operator!=(const waking_executor& a, const waking_executor& b) noexcept {
    return !(a == b);
  }

 private:
  Inner inner_;
  waker* waker_;
};

}  // namespace zhiyuan::server::uring
