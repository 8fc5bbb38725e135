// zhiyuan-hostile-clients: slow and idle clients for bench/hostile_clients.sh (issue 21).
//
//   --slowloris N  N connections that send a request head a line at a time, one line every
//                  --trickle seconds, never finishing it; a connection the server cuts (or
//                  answers: 503 at the connection cap, 408) is opened again, at most once per
//                  connection per second.
//   --idle N       N keep-alive connections that send one GET /livez, read the answer and then
//                  say nothing; opened again when the server closes them.
//
// The connections are opened over --ramp seconds, all to 127.0.0.1:--port, and held for
// --duration seconds; then one JSON line: {"slowloris": {"opened", "cut", "busy", "failed"},
// "idle": {…}} (cut: closed, reset or answered by the server; busy: of those, answered 503;
// failed: a connect, or a send, that failed otherwise).
//
// One thread and one epoll set for all of them: the attacker shares this machine with what it
// measures, and its own CPU (bench/RESULTS.md: Python's asyncio spent a fifth of a CPU on 500
// cuts and reconnects a second, and delayed the server's and PostgreSQL's threads on a 2-CPU VM
// even at SCHED_IDLE) must stay small next to the server's, as a remote attacker's would.
//
// usage: zhiyuan-hostile-clients --port P [--slowloris N] [--idle N] [--trickle 5] [--ramp 5]
//          --duration S
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct options {
  int port = 0;
  int slowloris = 0;
  int idle = 0;
  double trickle_s = 5;
  double ramp_s = 5;
  double duration_s = 0;
};

struct counts {
  long opened = 0;
  long cut = 0;
  long busy = 0;
  long failed = 0;
};

enum class kind : std::uint8_t { slowloris, idle };
enum class phase : std::uint8_t { closed, connecting, open };

struct client {
  kind k = kind::slowloris;
  phase p = phase::closed;
  int fd = -1;
  bool answered = false;  ///< idle: its GET /livez was answered
  unsigned lines = 0;     ///< slowloris: header lines sent after the request line
  std::uint32_t generation = 0;
  clock_type::time_point started{};
};

/// A timer: open or trickle client `index` at `at`, unless its generation moved on.
struct timer {
  clock_type::time_point at;
  std::uint32_t index;
  std::uint32_t generation;
  bool operator>(const timer& o) const { return at > o.at; }
};

class attacker {
 public:
  explicit attacker(const options& o) : opt_(o) {
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<std::uint16_t>(o.port));
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    const int total = o.slowloris + o.idle;
    clients_.resize(static_cast<std::size_t>(total));
    const auto start = clock_type::now();
    stop_ = start + seconds(o.duration_s);
    for (int i = 0; i < total; ++i) {
      clients_[static_cast<std::size_t>(i)].k = i < o.slowloris ? kind::slowloris : kind::idle;
      // Spread the connects over the ramp so that the listen backlog is not the test.
      timers_.push({start + seconds(o.ramp_s * i / total), static_cast<std::uint32_t>(i), 0});
    }
  }

  void run() {
    std::vector<epoll_event> events(256);
    for (;;) {
      const auto now = clock_type::now();
      if (now >= stop_) break;
      fire_due(now);
      const auto next = timers_.empty() ? stop_ : std::min(stop_, timers_.top().at);
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - clock_type::now());
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                                 static_cast<int>(std::max<long>(0, wait.count())));
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i) on_event(events[static_cast<std::size_t>(i)]);
    }
    for (auto& c : clients_) {
      if (c.fd >= 0) ::close(c.fd);
    }
  }

  void report() const {
    const auto one = [](const counts& c) {
      return "{\"opened\": " + std::to_string(c.opened) + ", \"cut\": " + std::to_string(c.cut) +
             ", \"busy\": " + std::to_string(c.busy) + ", \"failed\": " + std::to_string(c.failed) +
             "}";
    };
    std::printf("{\"slowloris\": %s, \"idle\": %s}\n", one(slowloris_).c_str(), one(idle_).c_str());
  }

 private:
  [[noreturn]] static void die(const char* what) {
    std::fprintf(stderr, "zhiyuan-hostile-clients: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
  }
  static clock_type::duration seconds(double s) {
    return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
  }
  counts& tally(const client& c) { return c.k == kind::slowloris ? slowloris_ : idle_; }

  void fire_due(clock_type::time_point now) {
    while (!timers_.empty() && timers_.top().at <= now) {
      const timer t = timers_.top();
      timers_.pop();
      client& c = clients_[t.index];
      if (c.generation != t.generation) continue;
      if (c.p == phase::closed) {
        open(t.index, c, now);
      } else if (c.p == phase::open && c.k == kind::slowloris) {
        char line[32];
        const int n = std::snprintf(line, sizeof line, "X-Slow-%u: a\r\n", c.lines++);
        if (const int err = send_all(c, {line, static_cast<std::size_t>(n)}); err != 0) {
          // Reset by the server (its read timeout) before the reset was read: a cut.
          if (err == ECONNRESET || err == EPIPE) {
            tally(c).cut += 1;
            reopen_later(t.index, c, now);
          } else {
            fail(t.index, c, now);
          }
        } else {
          timers_.push({now + seconds(opt_.trickle_s), t.index, c.generation});
        }
      }
    }
  }

  void open(std::uint32_t index, client& c, clock_type::time_point now) {
    c.started = now;
    c.answered = false;
    c.lines = 0;
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      fail(index, c, now);
      return;
    }
    const int r = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
    if (r < 0 && errno != EINPROGRESS) {
      fail(index, c, now);
      return;
    }
    c.p = phase::connecting;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = index;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) < 0) die("epoll_ctl");
  }

  void on_event(const epoll_event& ev) {
    const std::uint32_t index = ev.data.u32;
    client& c = clients_[index];
    const auto now = clock_type::now();
    if (c.p == phase::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        fail(index, c, now);
        return;
      }
      connected(index, c, now);
      if (c.p != phase::open || !(ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    }
    if (c.p != phase::open) return;
    char buf[4096];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    const std::string_view data(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    if (c.k == kind::idle && n > 0 && !c.answered) {
      // The answer to GET /livez; the connection then stays open until the server closes it.
      c.answered = true;
      if (data.starts_with("HTTP/1.1 503")) idle_.busy += 1;
      return;
    }
    if (c.k == kind::idle && n > 0) return;  // the rest of a long answer
    if (c.k == kind::slowloris && data.starts_with("HTTP/1.1 503")) slowloris_.busy += 1;
    tally(c).cut += 1;  // an answer to a head never finished, or the server closed it
    reopen_later(index, c, now);
  }

  void connected(std::uint32_t index, client& c, clock_type::time_point now) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = index;
    if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev) < 0) die("epoll_ctl");
    c.p = phase::open;
    tally(c).opened += 1;
    const std::string_view first = c.k == kind::slowloris
                                       ? "GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n"
                                       : "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
    if (send_all(c, first) != 0) {
      fail(index, c, now);
      return;
    }
    if (c.k == kind::slowloris) {
      timers_.push({now + seconds(opt_.trickle_s), index, c.generation});
    }
  }

  // A few dozen bytes on a fresh connection: the socket buffer takes them whole or the
  // connection has failed. 0, or the send's errno (EMSGSIZE for a short send).
  static int send_all(const client& c, std::string_view bytes) {
    const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) return errno;
    return n == static_cast<ssize_t>(bytes.size()) ? 0 : EMSGSIZE;
  }

  void fail(std::uint32_t index, client& c, clock_type::time_point now) {
    tally(c).failed += 1;
    reopen_later(index, c, now);
  }

  // Closes the connection and opens it again one second after it was last opened at the
  // earliest; timers set for the closed connection are void (its generation moved on).
  void reopen_later(std::uint32_t index, client& c, clock_type::time_point now) {
    if (c.fd >= 0) ::close(c.fd);  // also takes it out of the epoll set
    c.fd = -1;
    c.p = phase::closed;
    c.generation += 1;
    timers_.push({std::max(now, c.started + 1s), index, c.generation});
  }

  options opt_;
  sockaddr_in addr_{};
  int epoll_ = -1;
  clock_type::time_point stop_;
  std::vector<client> clients_;
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
  counts slowloris_;
  counts idle_;
};

options parse(int argc, char** argv) {
  options o;
  CLI::App app{"zhiyuan-hostile-clients: slow and idle clients (see the head of its source)"};
  app.add_option("--port", o.port, "the server's port on 127.0.0.1")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--slowloris", o.slowloris, "connections trickling a head")
      ->check(CLI::Range(0, 20000));
  app.add_option("--idle", o.idle, "idle keep-alive connections")->check(CLI::Range(0, 20000));
  app.add_option("--trickle", o.trickle_s, "seconds between a slow head's lines")
      ->check(CLI::Range(0.01, 3600.0));
  app.add_option("--ramp", o.ramp_s, "seconds to open the connections over")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--duration", o.duration_s, "seconds to hold them")
      ->required()
      ->check(CLI::Range(0.0, 86400.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (o.slowloris + o.idle > 20000) {
    std::fprintf(stderr, "zhiyuan-hostile-clients: at most 20000 connections\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  attacker a(o);
  a.run();
  a.report();
}
