#pragma once

// A connection's answers on their way out on the native loop: the bytes serialised for it
// (heads, small bodies) and the shared bodies sent by reference after their heads
// (response::shared_body), gathered into one send of several pieces whose buffers stay alive
// until the kernel has taken every byte.

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/body_file.hpp"

namespace zhiyuan::server::uring {

/// A shared body queued after the first `at` bytes of a connection's serialised answers.
struct shared_piece {
  std::size_t at = 0;
  std::string_view bytes;
  std::shared_ptr<const void> keep;
  body_file_ref file;  ///< where the bytes also lie in a file, for sendfile(2)
};

class outgoing {
 public:
  /// Whether a send is under way.
  bool active() const noexcept { return total_ > 0; }
  /// Takes `text` and the shared bodies placed in it (both left empty) as the next send.
  void take(std::string& text, std::vector<shared_piece>& pieces);
  /// Without shared bodies: the bytes left to send (send(2) suffices); else empty.
  std::string_view plain() const noexcept;
  /// With shared bodies: the message for sendmsg(2) of the bytes left to send.
  const msghdr* message();
  /// When a body lies in a file and few pieces are queued: sends what the socket (non-blocking)
  /// takes at once, text by send(2) and file-backed bodies by sendfile(2), which hands the
  /// kernel their pages instead of a copy, and counts it sent. True when every byte went; the
  /// rest, if any, is for the ring.
  bool send_now(int sock);
  /// Counts `n` more bytes as sent; returns true, and lets go of every buffer, when all were.
  bool advance(std::size_t n);

 private:
  std::string text_;
  std::vector<shared_piece> pieces_;
  std::size_t total_ = 0;
  std::size_t sent_ = 0;
  std::vector<iovec> iov_;
  msghdr msg_{};
};

}  // namespace zhiyuan::server::uring
