#include "storage/notification_listener.hpp"

#include <algorithm>

#include <pqxx/pqxx>

#include "storage/database.hpp"

namespace zhiyuan::storage {
namespace {

class receiver : public pqxx::notification_receiver {
 public:
  receiver(pqxx::connection_base& c, const std::string& channel,
           const notification_listener::notify_fn& fn)
      : pqxx::notification_receiver(c, channel), fn_(fn) {}
  void operator()(const std::string& payload, int) override { fn_(payload); }

 private:
  const notification_listener::notify_fn& fn_;
};

}  // namespace

notification_listener::notification_listener(std::string conninfo, std::string channel,
                                             notify_fn on_notify,
                                             std::function<void()> on_connected)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      on_connected_(std::move(on_connected)) {
  thread_ = std::thread([this] { run(); });
}

notification_listener::~notification_listener() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool notification_listener::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void notification_listener::listen_once() {
  // Keepalives notice a primary that vanished without closing the socket (a killed host).
  pqxx::connection conn(with_parameter(
      with_parameter(with_parameter(conninfo_, "connect_timeout", "3"), "keepalives_idle", "5"),
      "keepalives_interval", "2"));
  receiver r(conn, channel_, on_notify_);
  connected_.store(true, std::memory_order_relaxed);
  connections_.fetch_add(1, std::memory_order_relaxed);
  if (on_connected_) on_connected_();
  // Wakes at least every 200 ms to notice a stop.
  while (!stopping()) conn.await_notification(0, 200'000);
}

void notification_listener::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping()) {
    try {
      listen_once();
    } catch (const std::exception&) {
      // Broken or refused: retry below, slower each time until it works again.
    }
    const bool was_connected = connected_.exchange(false, std::memory_order_relaxed);
    if (was_connected) backoff = std::chrono::milliseconds(100);
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, backoff, [this] { return stopping_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace zhiyuan::storage
