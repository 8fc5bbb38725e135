#pragma once

// The submitter's receipts file: lines appended by the I/O thread and made durable by a thread
// of their own in groups (write + fdatasync), so the event loop never blocks on the disk.
// `durable()` counts the receipts whose line has reached the disk: only those are "held" by the
// client, and only those count as acknowledged.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace zhiyuan::crash {

class ack_log {
 public:
  /// Opens `path` for appending (creating it, its directory entry made durable); a failure here
  /// or on a later write ends the process with status 2.
  explicit ack_log(const std::string& path);
  ack_log(const ack_log&) = delete;
  ack_log& operator=(const ack_log&) = delete;
  ~ack_log() { close(); }

  /// Queues one line (with its newline) for the disk.
  void append(std::string_view line);

  /// Flushes what is pending and stops the thread.
  void close();

  std::uint64_t durable() const noexcept { return durable_.load(std::memory_order_acquire); }

 private:
  void run();

  int fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;
  std::uint64_t pending_lines_ = 0;
  bool stop_ = false;
  std::atomic<std::uint64_t> durable_{0};
};

/// Prints "zhiyuan-submitter: MESSAGE" on stderr (after flushing stdout) and exits with 2.
[[noreturn]] void die(const std::string& message);

}  // namespace zhiyuan::crash
