#pragma once

// Runs zhiyuan-server as a child process for integration tests: starts it with the given
// flags on an ephemeral port, learns the port from its "listening" log line, and stops it
// with a signal, reporting the exit status. Every wait is bounded.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace zhiyuan::test {

class server_process {
 public:
  explicit server_process(std::vector<std::string> args,
                          std::chrono::seconds start_timeout = std::chrono::seconds(60)) {
    spawn(std::move(args));
    if (!wait_listening(start_timeout)) {
      std::string out_text = output();
      stop(SIGKILL);
      throw std::runtime_error("server did not start; output:\n" + out_text);
    }
  }

  /// How a start that must fail ended.
  struct exit_report {
    bool listened = false;      ///< it started after all (and was then killed: status -9)
    std::optional<int> status;  ///< exit code or -signal; nullopt: it did not exit in time
    std::string output;
  };

  /// Runs the server with `args` until it exits by itself (bounded by `timeout`), for starts
  /// that must fail; a server that starts listening instead is killed.
  static exit_report run_to_exit(std::vector<std::string> args, std::chrono::seconds timeout) {
    server_process s(no_wait{});
    s.spawn(std::move(args));
    exit_report r;
    r.listened = s.wait_listening(timeout);
    // Signal 0 only waits: the exit status is the server's own, unless it is still running
    // after the grace period, when stop() kills it and reports nothing.
    r.status = s.stop(r.listened ? SIGKILL : 0, std::chrono::seconds(5));
    r.output = s.output();
    return r;
  }

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process() { stop(SIGKILL); }

  std::uint16_t port() const { return port_; }

  /// Sends `sig` and waits (bounded) for the exit; returns the exit code, or -signal.
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        finish_reader();
        return std::nullopt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    finish_reader();
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_code_;
  }

  /// Sends a signal without waiting.
  void signal(int sig) { kill(pid_, sig); }

  std::string output() {
    std::lock_guard lock(mutex_);
    return output_;
  }

 private:
  struct no_wait {};
  explicit server_process(no_wait) {}

  void spawn(std::vector<std::string> args) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(out[1], STDERR_FILENO);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(ZHIYUAN_SERVER_BIN));
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    fd_ = out[0];
    reader_ = std::thread([this] { read_output(); });
  }

  // Whether the server logged "listening" within `timeout`; false as soon as its output ends.
  bool wait_listening(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    while (port_ == 0 && !eof_ && std::chrono::steady_clock::now() < deadline) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      lock.lock();
    }
    return port_ != 0;
  }

  void read_output() {
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      output_.append(buf, static_cast<std::size_t>(n));
      if (port_ == 0) {
        // Only a whole line: a read may end inside it, and a port cut short is another port.
        const auto at = output_.find("\"event\":\"listening\",\"address\":\"127.0.0.1:");
        if (at != std::string::npos && output_.find('\n', at) != std::string::npos) {
          port_ = std::stoi(output_.substr(output_.find("127.0.0.1:", at) + 10));
        }
      }
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
  }

  void finish_reader() {
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::string output_;
  std::uint16_t port_ = 0;
  bool eof_ = false;
  std::optional<int> exit_code_;
};

}  // namespace zhiyuan::test
