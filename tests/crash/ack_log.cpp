#include "tests/crash/ack_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace zhiyuan::crash {

void die(const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "zhiyuan-submitter: {}\n", message);
  std::exit(2);
}

ack_log::ack_log(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) die(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  // The file's directory entry must survive too.
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  thread_ = std::thread([this] { run(); });
}

void ack_log::append(std::string_view line) {
  {
    std::lock_guard lock(mutex_);
    pending_ += line;
    ++pending_lines_;
  }
  wake_.notify_one();
}

void ack_log::close() {
  {
    std::lock_guard lock(mutex_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  ::close(fd_);
}

void ack_log::run() {
  std::string batch;
  for (;;) {
    std::uint64_t lines = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !pending_.empty(); });
      if (pending_.empty()) return;
      batch.swap(pending_);
      lines = pending_lines_;
      pending_lines_ = 0;
    }
    std::string_view rest = batch;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd_, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die(fmt::format("acks file write failed: {}", std::strerror(errno)));
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fdatasync(fd_) != 0) die(fmt::format("acks fdatasync: {}", std::strerror(errno)));
    durable_.fetch_add(lines, std::memory_order_release);
    batch.clear();
  }
}

}  // namespace zhiyuan::crash
