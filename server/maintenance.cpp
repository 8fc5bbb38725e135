#include "server/maintenance.hpp"

#include <exception>
#include <memory>

#include <fmt/format.h>

#include "server/log.hpp"

namespace zhiyuan::server {

maintenance::~maintenance() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void maintenance::add(std::string name, std::function<void()> task) {
  tasks_.emplace_back(std::move(name), std::move(task));
}

void maintenance::run_all() {
  for (auto& [name, task] : tasks_) {
    try {
      task();
    } catch (const std::exception& e) {
      log_event(spdlog::level::warn, "maintenance_failed", {{"task", name}, {"error", e.what()}});
    }
  }
}

void maintenance::start() {
  run_all();
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      run_all();
      lock.lock();
    }
  });
}

std::function<void()> drill_purge_task(const core::schedule& schedule,
                                       std::function<std::int64_t()> now,
                                       std::function<std::int64_t()> purge) {
  auto purged = std::make_shared<bool>(false);
  return [&schedule, now = std::move(now), purge = std::move(purge), purged] {
    // An empty drill window (close 0) means no drill this year: nothing to purge.
    if (*purged || schedule.drill.close == 0 || now() < schedule.drill.close) return;
    const std::int64_t rows = purge();
    *purged = true;
    log_event(spdlog::level::info, "drill_purged", {{"rows", fmt::format("{}", rows)}});
  };
}

}  // namespace zhiyuan::server
