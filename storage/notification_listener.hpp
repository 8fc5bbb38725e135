#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace zhiyuan::storage {

/// LISTENs on one PostgreSQL channel on a dedicated connection and thread, and hands every
/// payload to `on_notify` (on that thread). A broken connection (restart, failover) is
/// reopened with backoff (100 ms doubling to 5 s); `on_connected` runs after each (re)connect,
/// so the owner can catch up on what was announced while nobody listened.
class notification_listener {
 public:
  using notify_fn = std::function<void(std::string_view payload)>;

  notification_listener(std::string conninfo, std::string channel, notify_fn on_notify,
                        std::function<void()> on_connected);
  notification_listener(const notification_listener&) = delete;
  notification_listener& operator=(const notification_listener&) = delete;
  ~notification_listener();

  /// Whether the listening connection is up.
  bool connected() const noexcept { return connected_.load(std::memory_order_relaxed); }
  /// Connections made so far (reconnects show as > 1).
  unsigned connections() const noexcept { return connections_.load(std::memory_order_relaxed); }

 private:
  void run();
  void listen_once();
  bool stopping() const;

  std::string conninfo_;
  std::string channel_;
  notify_fn on_notify_;
  std::function<void()> on_connected_;
  std::atomic<bool> connected_{false};
  std::atomic<unsigned> connections_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zhiyuan::storage
