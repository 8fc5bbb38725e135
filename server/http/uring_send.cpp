#include "server/http/uring_send.hpp"

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
