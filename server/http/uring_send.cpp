#include "server/http/uring_send.hpp"

#include <sys/sendfile.h>

#include <algorithm>

namespace zhiyuan::server::uring {

void outgoing::take(std::string& text, std::vector<shared_piece>& pieces) {
  text_.swap(text);
  text.clear();
  pieces_.swap(pieces);
  pieces.clear();
  total_ = text_.size();
  for (const auto& p : pieces_) total_ += p.bytes.size();
  sent_ = 0;
}

std::string_view outgoing::plain() const noexcept {
  if (!pieces_.empty()) return {};
  return std::string_view(text_).substr(sent_);
}

const msghdr* outgoing::message() {
  // The pieces in order, from the first byte not sent yet (a short send resumes mid-piece).
  iov_.clear();
  std::size_t skip = sent_;
  const auto add = [&](const char* data, std::size_t size) {
    if (skip >= size) {
      skip -= size;
      return;
    }
    iov_.push_back({const_cast<char*>(data + skip), size - skip});
    skip = 0;
  };
  std::size_t from = 0;
  for (const auto& p : pieces_) {
    add(text_.data() + from, p.at - from);
    add(p.bytes.data(), p.bytes.size());
    from = p.at;
  }
  add(text_.data() + from, text_.size() - from);
  msg_ = {};
  msg_.msg_iov = iov_.data();
  msg_.msg_iovlen = iov_.size();
  return &msg_;
}

bool outgoing::send_now(int sock) {
  // Past a few pieces one sendmsg through the ring costs less than a call per piece.
  constexpr std::size_t max_pieces = 4;
  if (sent_ != 0 || pieces_.empty() || pieces_.size() > max_pieces ||
      std::none_of(pieces_.begin(), pieces_.end(), [](const auto& p) { return p.file.fd >= 0; })) {
    return false;
  }
  // MSG_MORE holds a head back until its body follows, so both leave in one segment.
  const auto text = [&](std::size_t from, std::size_t to, bool last) {
    if (from == to) return true;
    const ssize_t n = ::send(sock, text_.data() + from, to - from,
                             MSG_DONTWAIT | MSG_NOSIGNAL | (last ? 0 : MSG_MORE));
    if (n > 0) sent_ += static_cast<std::size_t>(n);
    return n == static_cast<ssize_t>(to - from);
  };
  std::size_t from = 0;
  for (const auto& p : pieces_) {
    if (!text(from, p.at, false)) return false;
    from = p.at;
    ssize_t n = 0;
    if (p.file.fd >= 0) {
      off_t offset = p.file.offset;
      n = ::sendfile(sock, p.file.fd, &offset, p.bytes.size());
    } else {
      // MSG_MORE only when bytes follow: on the last piece it would hold them back (cork).
      const bool last = &p == &pieces_.back() && p.at == text_.size();
      n = ::send(sock, p.bytes.data(), p.bytes.size(),
                 MSG_DONTWAIT | MSG_NOSIGNAL | (last ? 0 : MSG_MORE));
    }
    if (n > 0) sent_ += static_cast<std::size_t>(n);
    if (n != static_cast<ssize_t>(p.bytes.size())) return false;
  }
  if (!text(from, text_.size(), true)) return false;
  return advance(0);
}

bool outgoing::advance(std::size_t n) {
  sent_ += n;
  if (sent_ < total_) return false;
  text_.clear();
  pieces_.clear();
  total_ = 0;
  sent_ = 0;
  return true;
}

}  // namespace zhiyuan::server::uring
