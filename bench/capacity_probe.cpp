// zhiyuan-capacity-probe: a fixed reference workload for bench/capacity_check.sh (issue 22).
//
// Every --period-ms it wakes and does one unit of fixed work in two parts, each timed on its own
// (CLOCK_THREAD_CPUTIME_ID): --near-steps dependent loads and stores through a random cycle over
// a --near-kib buffer (fits the core's L2: cheap unless another process evicted it since the last
// unit), then --far-steps through a --far-kib one (beyond L2: the shared cache and memory). That
// is memory-touching work like a request's walk over the server's tables and buffers after
// another process had the CPU. Its CPU per unit moves with what the machine shares with other
// processes (caches, the host's cores): the capacity model divides every window's CPU by it, so
// that a slower machine state scales calibration and validation alike.
//
// After each unit it rewrites one line at the start of --out: "units near_ns far_ns total_ns
// checksum", total_ns the process's whole CPU so far (CLOCK_PROCESS_CPUTIME_ID: the walks plus
// each wake-up's and sleep's kernel path, what a woken server thread pays too), the checksum the
// sum of the four, so that a reader rejects a line read half-written. Runs until killed or for
// --seconds.
//
// usage: zhiyuan-capacity-probe --out FILE [--period-ms 20] [--near-steps 2000]
//          [--near-kib 1024] [--far-steps 500] [--far-kib 16384] [--seconds 3600]
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct options {
  std::string out;
  long period_ms = 20;
  long near_steps = 2000;
  long near_kib = 1024;
  long far_steps = 500;
  long far_kib = 16384;
  long seconds = 3600;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "zhiyuan-capacity-probe: %s\n", what);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  CLI::App app{"zhiyuan-capacity-probe: a fixed reference workload (see the head of its source)"};
  app.add_option("--out", o.out, "the file whose first line is rewritten after each unit")
      ->required();
  app.add_option("--period-ms", o.period_ms, "one unit every this many ms")
      ->check(CLI::Range(1, 1000));
  app.add_option("--near-steps", o.near_steps, "steps through the near buffer per unit")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--near-kib", o.near_kib, "the near buffer (fits L2)")
      ->check(CLI::Range(4, 1 << 20));
  app.add_option("--far-steps", o.far_steps, "steps through the far buffer per unit")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--far-kib", o.far_kib, "the far buffer (beyond L2)")
      ->check(CLI::Range(4, 1 << 20));
  app.add_option("--seconds", o.seconds, "stop after this long")->check(CLI::Range(1, 86400));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e) == 0 ? 0 : 2);
  }
  return o;
}

// One cache line: the index of the next line in the cycle and a counter the walk writes.
struct alignas(64) line {
  std::uint32_t next;
  std::uint32_t touched;
};

// A single random cycle through every line (Sattolo's shuffle, fixed seed: the same walk in
// every run), so each load depends on the one before and no prefetcher guesses it.
std::vector<line> make_cycle(long kib) {
  const auto lines = static_cast<std::size_t>(kib) * 1024 / sizeof(line);
  std::vector<std::uint32_t> order(lines);
  for (std::size_t i = 0; i < lines; ++i) order[i] = static_cast<std::uint32_t>(i);
  std::mt19937 rng(22);
  for (std::size_t i = lines - 1; i > 0; --i) {
    std::swap(order[i], order[std::uniform_int_distribution<std::size_t>(0, i - 1)(rng)]);
  }
  std::vector<line> cycle(lines);
  for (std::size_t i = 0; i < lines; ++i) cycle[order[i]].next = order[(i + 1) % lines];
  return cycle;
}

std::int64_t nanos(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

// One walk of `steps` along the cycle from `at`; returns its CPU time in ns and moves `at`.
std::uint64_t walk(std::vector<line>& cycle, std::uint32_t& at, long steps) {
  const std::int64_t begin = nanos(CLOCK_THREAD_CPUTIME_ID);
  for (long s = 0; s < steps; ++s) {
    cycle[at].touched += 1;
    at = cycle[at].next;
  }
  return static_cast<std::uint64_t>(nanos(CLOCK_THREAD_CPUTIME_ID) - begin);
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  std::vector<line> near = make_cycle(o.near_kib);
  std::vector<line> far = make_cycle(o.far_kib);
  const int fd = open(o.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("cannot open --out");
  std::uint64_t units = 0;
  std::uint64_t near_ns = 0;
  std::uint64_t far_ns = 0;
  std::uint32_t near_at = 0;
  std::uint32_t far_at = 0;
  const std::int64_t period = o.period_ms * 1000000;
  const std::int64_t stop = nanos(CLOCK_MONOTONIC) + std::int64_t{o.seconds} * 1000000000;
  std::int64_t wake = nanos(CLOCK_MONOTONIC);
  while (wake < stop) {
    near_ns += walk(near, near_at, o.near_steps);
    far_ns += walk(far, far_at, o.far_steps);
    ++units;
    const auto total_ns = static_cast<std::uint64_t>(nanos(CLOCK_PROCESS_CPUTIME_ID));
    char text[112];
    const int n = std::snprintf(
        text, sizeof text, "%20llu %20llu %20llu %20llu %20llu\n",
        static_cast<unsigned long long>(units), static_cast<unsigned long long>(near_ns),
        static_cast<unsigned long long>(far_ns), static_cast<unsigned long long>(total_ns),
        static_cast<unsigned long long>(units + near_ns + far_ns + total_ns));
    if (pwrite(fd, text, static_cast<std::size_t>(n), 0) != n) die("cannot write --out");
    // The next wake-up on the period's grid; a late unit skips the missed ones (no bursts).
    wake += period;
    const std::int64_t now = nanos(CLOCK_MONOTONIC);
    if (wake < now) wake = now + period - (now - wake) % period;
    const timespec until{static_cast<time_t>(wake / 1000000000),
                         static_cast<long>(wake % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
    }
  }
  close(fd);
  return near[near_at].touched + far[far_at].touched == 0 ? 1 : 0;  // keeps the stores observable
}
