#include "server/http/body_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace zhiyuan::server {
namespace {

std::int64_t page_round(std::int64_t n) {
  static const std::int64_t page = ::sysconf(_SC_PAGESIZE) > 0 ? ::sysconf(_SC_PAGESIZE) : 65536;
  return (n + page - 1) / page * page;
}

bool write_all(int fd, std::string_view bytes, std::int64_t offset) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
    offset += n;
  }
  return true;
}

}  // namespace

stored_body::~stored_body() {
  if (arena && file.fd >= 0) arena->release(file.offset, bytes.size());
}

std::shared_ptr<body_arena> body_arena::create(const char* name) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  return std::shared_ptr<body_arena>(new body_arena(fd));
}

body_arena::~body_arena() { ::close(fd_); }

body_file_ref body_arena::mirror(std::string_view bytes) {
  std::int64_t offset = 0;
  {
    std::lock_guard lock(mutex_);
    offset = end_;
    end_ += page_round(static_cast<std::int64_t>(bytes.size()));
  }
  // Each body has its own pages: the write needs no lock.
  if (!write_all(fd_, bytes, offset)) {
    release(offset, bytes.size());
    return {};
  }
  return {fd_, offset};
}

std::shared_ptr<const stored_body> body_arena::store(std::string bytes) {
  auto body = std::make_shared<stored_body>();
  body->bytes = std::move(bytes);
  body->file = mirror(body->bytes);
  if (body->file.fd >= 0) body->arena = shared_from_this();
  return body;
}

void body_arena::release(std::int64_t offset, std::size_t size) {
  // Whole pages only: a partial one would be zeroed, and no body shares a page with another.
  ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
              page_round(static_cast<std::int64_t>(size)));
}

std::shared_ptr<const stored_body> store_body(const std::shared_ptr<body_arena>& arena,
                                              std::string bytes) {
  if (arena) return arena->store(std::move(bytes));
  auto body = std::make_shared<stored_body>();
  body->bytes = std::move(bytes);
  return body;
}

}  // namespace zhiyuan::server
