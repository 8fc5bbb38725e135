#include "server/lifecycle.hpp"

#include <errno.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "server/http/log.hpp"

namespace zhiyuan::server {
namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Waits up to `timeout` for a shutdown signal; returns it, or 0 on timeout. On the io_uring
// transport sigtimedwait returned EINTR at once in nearly every shutdown (53 times in 41 runs;
// this thread created the probe ring), which cut the drain delay to nothing:
// the wait resumes until its deadline.
int wait_signal(std::chrono::milliseconds timeout) {
  const sigset_t set = shutdown_signals();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return 0;
    const timespec ts{static_cast<time_t>(left / 1'000'000'000),
                      static_cast<long>(left % 1'000'000'000)};
    const int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno != EINTR) return 0;  // EAGAIN: the time is up
  }
}

}  // namespace

void block_shutdown_signals() {
  const sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client that goes away mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

int wait_and_drain(http_server& server, system_state& state, const server_settings& settings,
                   const std::vector<std::function<void()>>& flush_hooks) {
  const sigset_t set = shutdown_signals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  // Load balancers see /readyz fail and stop sending new work during the delay. Set before the
  // log line, so whoever reads the line finds /readyz already failing.
  state.draining.store(true);
  log_event(spdlog::level::info, "shutdown_started",
            {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
             {"drain_delay_ms", fmt::format("{}", settings.drain_delay.count())}});
  if (int again = wait_signal(settings.drain_delay); again != 0) {
    log_event(spdlog::level::warn, "drain_delay_cut_short");
  }

  server.stop_accepting();
  const auto deadline = std::chrono::steady_clock::now() + settings.shutdown_timeout;
  while (server.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto left = server.open_connections();
  for (const auto& hook : flush_hooks) hook();
  server.stop();
  log_event(spdlog::level::info, "shutdown_finished",
            {{"connections_dropped", fmt::format("{}", left)}});
  return sig;
}

}  // namespace zhiyuan::server
