#include "server/maintenance.hpp"

#include <exception>
#include <memory>

#include <fmt/format.h>

#include "server/http/log.hpp"
#include "server/schedule_config.hpp"

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

std::function<void()> drill_purge_task(std::function<core::unix_seconds()> drill_close,
                                       std::function<std::int64_t()> now,
                                       std::function<std::int64_t()> purge) {
  auto purged = std::make_shared<bool>(false);
  return [drill_close = std::move(drill_close), now = std::move(now), purge = std::move(purge),
          purged] {
    // An empty drill window (close 0) means no drill this year: nothing to purge.
    const auto close = drill_close();
    if (*purged || close == 0 || now() < close) return;
    const std::int64_t rows = purge();
    *purged = true;
    log_event(spdlog::level::info, "drill_purged", {{"rows", fmt::format("{}", rows)}});
  };
}

std::function<void()> schedule_refresh_task(schedule_holder& holder,
                                            std::function<std::optional<stored_schedule>()> latest,
                                            std::function<void(bool ok)> reloaded) {
  if (!reloaded) reloaded = [](bool) {};
  return [&holder, latest = std::move(latest), reloaded = std::move(reloaded)] {
    std::optional<stored_schedule> stored;
    try {
      stored = latest();
    } catch (...) {
      reloaded(false);
      throw;  // logged by the maintenance loop
    }
    if (!stored || stored->revision <= holder.revision()) return;
    std::vector<core::schedule_issue> issues;
    auto s = schedule_from_json(stored->document, issues);
    if (!issues.empty()) {
      reloaded(false);
      log_event(spdlog::level::warn, "schedule_revision_skipped",
                {{"revision", fmt::format("{}", stored->revision)},
                 {"field", issues.front().field},
                 {"error", issues.front().message}});
      return;
    }
    if (holder.set(std::move(s), stored->revision)) {
      reloaded(true);
      log_event(spdlog::level::info, "schedule_changed",
                {{"revision", fmt::format("{}", stored->revision)}});
    }
  };
}

}  // namespace zhiyuan::server
