// zhiyuan-submitter: formal submissions over HTTP as fast as allowed (or at a target rate), with
// every 201 receipt made durable in an acks file, and a reconciler that checks those receipts
// against PostgreSQL. The client half of the crash tests (tests/crash/*.sh) and of
// bench/submit_vs_pgbench.sh.
//
//   zhiyuan-submitter --database-url CONNINFO --port 8080 --acks acks.txt --duration 20
//   zhiyuan-submitter --database-url CONNINFO --port 8080 --acks acks.txt --rate 2000 --rounds 1
//   zhiyuan-submitter --database-url CONNINFO --acks acks.txt --reconcile
//
// Submit mode loads the catalog and the candidate directory from the database, takes the
// candidates who can file 本科批 (eligible, with a non-trivial pool of groups), signs each in
// with its synthetic login password (province/synthetic_passwords.hpp; tokens may be cached in
// --tokens), then submits full forms (tests/crash/forms.hpp) over N keep-alive connections on
// one io_context. Job j is candidate j mod n in round first_round + j / n, under the
// Idempotency-Key "<exam_no>-r<round>"; the body is a pure function of (candidate, round), so
// every retry of a key carries the same body. 503, 429, 409 idempotency_key_in_flight,
// timeouts and connection errors are retried with the same key and body (Retry-After honoured,
// capped), bounded in attempts and time. A 201 receipt counts as acked only once its line is
// fdatasync'ed in the acks file: a line there is a receipt the client holds.
//
// Reconcile mode reads the acks file and prints exactly
//   acked=N present=P lost=L mismatched=M duplicates=D
// and exits 1 when L, M or D is non-zero or the stored chain is inconsistent
// (loadtest/reconcile.hpp has the definitions).

#include <fcntl.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <pqxx/pqxx>

#include "core/choices.hpp"
#include "loadtest/http_connection.hpp"
#include "loadtest/reconcile.hpp"
#include "province/synthetic_passwords.hpp"
#include "server/schedule_config.hpp"
#include "storage/catalog_loader.hpp"
#include "tests/crash/forms.hpp"

namespace zhiyuan::crash {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct options {
  std::string database_url;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string acks;
  std::string tokens;
  std::string schedule_file;
  std::string batch = "undergrad";
  unsigned connections = 64;
  std::size_t candidates = 0;  // 0: all who can file
  std::size_t skip = 0;
  std::size_t min_pool = 8;
  std::uint64_t rounds = 0;  // 0: unlimited
  std::uint64_t first_round = 1;
  double duration = 10;
  std::uint64_t max_requests = 0;  // 0: unlimited
  double rate = 0;                 // 0: as fast as allowed
  unsigned max_attempts = 200;
  unsigned retry_cap_ms = 1000;
  unsigned request_timeout_ms = 15'000;
  double give_up_after = 90;
  double stop_grace = 30;
  bool progress = false;
  bool reconcile = false;
};

[[noreturn]] void die(const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "zhiyuan-submitter: {}\n", message);
  std::exit(2);
}

std::string to_hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, data, n);
  return out;
}

std::string sha256_hex(std::string_view text) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return to_hex(out, sizeof out);
}

// CPU time of this process so far (all threads), for the benchmark's cost per submission.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// ------------------------------------------------------------------------------ acks file

// Receipt lines appended by the I/O thread and made durable by a thread of their own in
// groups (write + fdatasync), so the event loop never blocks on the disk. `durable()` counts
// the receipts whose line has reached the disk: only those are "held" by the client.
class ack_log {
 public:
  explicit ack_log(const std::string& path) {
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
  ack_log(const ack_log&) = delete;
  ack_log& operator=(const ack_log&) = delete;
  ~ack_log() { close(); }

  void append(std::string_view line) {
    {
      std::lock_guard lock(mutex_);
      pending_ += line;
      ++pending_lines_;
    }
    wake_.notify_one();
  }

  /// Flushes what is pending and stops the thread.
  void close() {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
    ::close(fd_);
  }

  std::uint64_t durable() const noexcept { return durable_.load(std::memory_order_acquire); }

 private:
  void run() {
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

  int fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;
  std::uint64_t pending_lines_ = 0;
  bool stop_ = false;
  std::atomic<std::uint64_t> durable_{0};
};

// ------------------------------------------------------------------------------ HTTP client

using connection = loadtest::http_connection;

// ------------------------------------------------------------------------------ submit mode

struct target {
  const storage::candidate_directory::entry* entry = nullptr;
  core::candidate who;
  std::string exam_no;
  std::string token;
  bool busy = false;
};

struct job {
  target* t = nullptr;
  std::uint64_t round = 0;
  std::uint64_t index = 0;  // issue order, for pacing
};

struct counters {
  std::uint64_t jobs = 0;
  std::uint64_t ok = 0;  // 201 received
  std::uint64_t attempts = 0;
  std::uint64_t retries = 0;
  std::uint64_t conn_errors = 0;
  std::uint64_t gave_up = 0;
  std::uint64_t abandoned = 0;
  std::uint64_t failed = 0;  // final non-retryable status
  std::uint64_t receipt_mismatch = 0;
  std::uint64_t relogins = 0;
  std::uint64_t gen_failed = 0;
  std::map<unsigned, std::uint64_t> by_status;
  std::vector<std::uint32_t> latency_us;  // time to receipt of each 201
  std::vector<std::uint32_t> service_us;  // the last attempt's exchange alone, of each 201
};

class submitter {
 public:
  submitter(const options& opt, std::vector<target> targets, const form_generator& forms)
      : opt_(opt),
        forms_(forms),
        targets_(std::move(targets)),
        endpoint_(asio::ip::make_address(opt.host), opt.port),
        signals_(io_, SIGINT, SIGTERM),
        batch_code_(opt.batch) {}

  int run() {
    signals_.async_wait([this](const beast::error_code& ec, int) {
      if (!ec) begin_stop("signal");
    });
    load_tokens();
    if (!login_phase()) return 1;
    save_tokens();
    return submit_phase();
  }

 private:
  // --- common -----------------------------------------------------------------------------

  http::request<http::string_body> make_request(std::string target, std::string body) const {
    http::request<http::string_body> req{http::verb::post, std::move(target), 11};
    req.set(http::field::host, opt_.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "zhiyuan-submitter");
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }

  // How long to wait before attempt `attempt` + 1: Retry-After (seconds) if given, else
  // exponential from 25 ms; capped; with jitter so that retries after a crash spread out.
  ms backoff(unsigned attempt, const http::response<http::string_body>* res) {
    double wait_ms = 25.0 * static_cast<double>(1u << std::min(attempt, 8u));
    if (res != nullptr) {
      if (auto it = res->find(http::field::retry_after); it != res->end()) {
        double s = 0;
        const std::string v(it->value());
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
        if (ec == std::errc{}) wait_ms = s * 1000.0;
      }
    }
    wait_ms = std::min(wait_ms, static_cast<double>(opt_.retry_cap_ms));
    const double jitter = 0.5 + 0.5 * static_cast<double>(randombytes_uniform(1000)) / 1000.0;
    return ms(static_cast<std::int64_t>(wait_ms * jitter) + 1);
  }

  asio::awaitable<void> sleep(ms d) {
    asio::steady_timer timer(io_, d);
    co_await timer.async_wait(use_tuple);
  }

  void begin_stop(std::string_view why) {
    if (stopping_) return;
    stopping_ = true;
    stop_reason_ = why;
    // In-flight jobs may finish (retries included) within the grace period, then are abandoned.
    grace_timer_.emplace(io_, std::chrono::duration_cast<steady::duration>(
                                  std::chrono::duration<double>(opt_.stop_grace)));
    grace_timer_->async_wait([this](const beast::error_code& ec) {
      if (ec) return;
      abandon_ = true;
      for (auto& c : connections_) c->abort();
    });
  }

  // --- sign-in ----------------------------------------------------------------------------

  void load_tokens() {
    if (opt_.tokens.empty()) return;
    std::ifstream in(opt_.tokens);
    std::unordered_map<std::string, std::string> known;
    std::string exam, token;
    while (in >> exam >> token) known[exam] = token;
    for (auto& t : targets_) {
      if (auto it = known.find(t.exam_no); it != known.end()) t.token = it->second;
    }
  }

  void save_tokens() const {
    if (opt_.tokens.empty()) return;
    std::ofstream out(opt_.tokens, std::ios::trunc);
    for (const auto& t : targets_) {
      if (!t.token.empty()) out << t.exam_no << ' ' << t.token << '\n';
    }
  }

  // Signs `t` in on `c`; false when the password is refused or retries ran out.
  asio::awaitable<bool> login(connection& c, target& t) {
    const std::string body = fmt::format(R"({{"exam_no":"{}","password":"{}"}})", t.exam_no,
                                         loadtest::synthetic_login_password(t.exam_no));
    http::response<http::string_body> res;
    const auto started = steady::now();
    for (unsigned attempt = 0; attempt < opt_.max_attempts && !abandon_; ++attempt) {
      auto req = make_request("/api/v1/auth/login", body);
      const auto ec = co_await c.exchange(req, res, ms(opt_.request_timeout_ms));
      if (!ec && res.result_int() == 200) {
        simdjson::padded_string json(res.body());
        simdjson::ondemand::parser parser;
        simdjson::ondemand::document doc;
        std::string_view token;
        if (parser.iterate(json).get(doc) || doc["token"].get_string().get(token)) {
          co_return false;
        }
        t.token = std::string(token);
        // Writes need the filing pledge (accepting it again changes nothing).
        auto pledge = make_request("/api/v1/me/pledge", "");
        pledge.set(http::field::authorization, "Bearer " + t.token);
        const auto pec = co_await c.exchange(pledge, res, ms(opt_.request_timeout_ms));
        co_return !pec && res.result_int() == 200;
      }
      if (!ec && res.result_int() == 401) co_return false;
      if (std::chrono::duration<double>(steady::now() - started).count() > opt_.give_up_after) {
        break;
      }
      co_await sleep(backoff(attempt, ec ? nullptr : &res));
    }
    co_return false;
  }

  bool login_phase() {
    std::vector<target*> pending;
    for (auto& t : targets_) {
      if (t.token.empty()) pending.push_back(&t);
    }
    const auto started = steady::now();
    std::size_t next = 0, failed = 0;
    unsigned running = std::min<unsigned>(opt_.connections, 32);
    for (unsigned i = 0, n = running; i < n; ++i) {
      connections_.push_back(std::make_unique<connection>(io_, endpoint_, std::chrono::seconds(2)));
      asio::co_spawn(
          io_,
          [this, &pending, &next, &failed, &running,
           c = connections_.back().get()]() -> asio::awaitable<void> {
            while (next < pending.size() && !stopping_) {
              target& t = *pending[next++];
              if (!co_await login(*c, t)) ++failed;
            }
            c->close();
            --running;
          },
          asio::detached);
    }
    // The signal wait stays pending, so run until the workers are done, not until idle.
    while (running > 0 && io_.run_one() > 0) {
    }
    if (grace_timer_) grace_timer_->cancel();
    connections_.clear();
    const double s = std::chrono::duration<double>(steady::now() - started).count();
    fmt::print("login: {} signed in ({} cached), {} failed in {:.1f} s\n", pending.size() - failed,
               targets_.size() - pending.size(), failed, s);
    std::fflush(stdout);
    std::erase_if(targets_, [](const target& t) { return t.token.empty(); });
    if (targets_.empty()) {
      fmt::print(stderr, "zhiyuan-submitter: no candidate could sign in\n");
      return false;
    }
    return !stopping_;
  }

  // --- submissions ------------------------------------------------------------------------

  std::optional<job> next_job() {
    if (stopping_) return std::nullopt;
    if (opt_.max_requests != 0 && issued_ >= opt_.max_requests) return std::nullopt;
    const std::uint64_t n = targets_.size();
    // Each worker holds at most one busy candidate and there are fewer workers than
    // candidates, so a free one is always within n steps.
    for (std::uint64_t tries = 0; tries < n; ++tries) {
      const std::uint64_t j = cursor_++;
      if (opt_.rounds != 0 && j >= n * opt_.rounds) return std::nullopt;
      target& t = targets_[j % n];
      if (t.busy) continue;
      t.busy = true;
      return job{&t, opt_.first_round + j / n, issued_++};
    }
    return std::nullopt;
  }

  // One submission, retried with the same key and body until an answer is final.
  asio::awaitable<void> submit(connection& c, job jb) {
    target& t = *jb.t;
    auto form = forms_.make(t.who, jb.round);
    if (!form) {
      if (stats_.gen_failed++ < 5) {
        fmt::print(stderr, "form generation failed for {}: {}\n", t.exam_no, form.error().detail);
      }
      co_return;
    }
    std::string body = forms_.to_json(*form);
    body.pop_back();  // the closing brace: the save password goes in too
    body += fmt::format(R"(,"save_password":"{}"}})", loadtest::synthetic_save_password(t.exam_no));
    const std::string expected_digest = sha256_hex(core::canonical_encoding(*form));
    const std::string key = fmt::format("{}-r{}", t.exam_no, jb.round);
    const std::string path = "/api/v1/applications/" + batch_code_;

    // Paced runs measure from the scheduled instant (no coordinated omission).
    auto started = steady::now();
    if (opt_.rate > 0) {
      const auto slot = phase_start_ + std::chrono::duration_cast<steady::duration>(
                                           std::chrono::duration<double>(jb.index / opt_.rate));
      if (slot > started) {
        asio::steady_timer timer(io_, slot);
        co_await timer.async_wait(use_tuple);
      }
      started = slot;
    }
    ++stats_.jobs;
    http::response<http::string_body> res;
    for (unsigned attempt = 0;; ++attempt) {
      if (abandon_) {
        ++stats_.abandoned;
        co_return;
      }
      if (attempt >= opt_.max_attempts ||
          std::chrono::duration<double>(steady::now() - started).count() > opt_.give_up_after) {
        ++stats_.gave_up;
        fmt::print(stderr, "gave up on {} after {} attempts\n", key, attempt);
        co_return;
      }
      if (attempt > 0) ++stats_.retries;
      ++stats_.attempts;
      auto req = make_request(path, body);
      req.set(http::field::authorization, "Bearer " + t.token);
      req.set("Idempotency-Key", key);
      const auto sent = steady::now();
      const auto ec = co_await c.exchange(req, res, ms(opt_.request_timeout_ms));
      if (ec) {
        ++stats_.conn_errors;
        co_await sleep(backoff(attempt, nullptr));
        continue;
      }
      const unsigned status = res.result_int();
      ++stats_.by_status[status];
      if (status == 201) {
        on_receipt(t, key, expected_digest, res.body());
        const auto done = steady::now();
        const auto us = [](steady::duration d) {
          return static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(d).count());
        };
        stats_.latency_us.push_back(us(done - started));
        stats_.service_us.push_back(us(done - sent));
        co_return;
      }
      const bool in_flight =
          status == 409 && res.body().find("idempotency_key_in_flight") != std::string::npos;
      if (status == 503 || status == 429 || in_flight) {
        co_await sleep(backoff(attempt, &res));
        continue;
      }
      if (status == 401) {
        ++stats_.relogins;
        if (co_await login(c, t)) continue;
      }
      if (stats_.failed++ < 5) {
        fmt::print(stderr, "{} answered {}: {}\n", key, status, res.body().substr(0, 400));
      }
      co_return;
    }
  }

  void on_receipt(const target& t, const std::string& key, const std::string& expected_digest,
                  const std::string& body) {
    ++stats_.ok;
    simdjson::padded_string json(body);
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    std::string_view exam_no, batch, digest, receipt_hash;
    std::int64_t version = 0;
    const bool parsed =
        !parser.iterate(json).get(doc) && !doc["exam_no"].get_string().get(exam_no) &&
        !doc["batch"].get_string().get(batch) && !doc["version"].get_int64().get(version) &&
        !doc["choices_sha256"].get_string().get(digest) &&
        !doc["receipt_hash"].get_string().get(receipt_hash);
    if (!parsed) {
      ++stats_.receipt_mismatch;
      fmt::print(stderr, "unparsable receipt for {}: {}\n", key, body.substr(0, 400));
      return;
    }
    if (exam_no != t.exam_no || batch != batch_code_ || digest != expected_digest) {
      if (stats_.receipt_mismatch++ < 5) {
        fmt::print(stderr, "receipt for {} does not match the request (digest {} expected {})\n",
                   key, digest, expected_digest);
      }
    }
    // The database keeps the receipt hash (which chains the versions) as the digest.
    acks_->append(fmt::format("{} {} {} {} {}\n", exam_no, batch, version, receipt_hash, key));
  }

  asio::awaitable<void> worker(connection& c) {
    while (auto jb = next_job()) {
      co_await submit(c, *jb);
      jb->t->busy = false;
    }
    c.close();
    if (--running_workers_ == 0 && progress_timer_) progress_timer_->cancel();
  }

  void schedule_progress() {
    progress_timer_->expires_after(std::chrono::seconds(1));
    progress_timer_->async_wait([this](const beast::error_code& ec) {
      if (ec) return;
      const double s = std::chrono::duration<double>(steady::now() - phase_start_).count();
      fmt::print(stderr, "[{:6.1f}s] jobs={} ok={} acked={} retries={} conn_errors={}\n", s,
                 stats_.jobs, stats_.ok, acks_->durable(), stats_.retries, stats_.conn_errors);
      schedule_progress();
    });
  }

  int submit_phase() {
    ack_log acks(opt_.acks);
    acks_ = &acks;
    const unsigned workers =
        static_cast<unsigned>(std::min<std::size_t>(opt_.connections, targets_.size()));
    phase_start_ = steady::now();
    phase_cpu_ = cpu_seconds();
    asio::steady_timer duration_timer(io_, std::chrono::duration_cast<steady::duration>(
                                               std::chrono::duration<double>(opt_.duration)));
    duration_timer.async_wait([this](const beast::error_code& ec) {
      if (!ec) begin_stop("duration");
    });
    progress_timer_.emplace(io_);
    if (opt_.progress) schedule_progress();
    running_workers_ = workers;
    for (unsigned i = 0; i < workers; ++i) {
      connections_.push_back(std::make_unique<connection>(io_, endpoint_, std::chrono::seconds(2)));
      asio::co_spawn(io_, worker(*connections_.back()), asio::detached);
    }
    // Runs until every worker is done; then the timers are the only work left.
    while (running_workers_ > 0 && io_.run_one() > 0) {
    }
    const double elapsed = std::chrono::duration<double>(steady::now() - phase_start_).count();
    duration_timer.cancel();
    if (grace_timer_) grace_timer_->cancel();
    progress_timer_->cancel();
    signals_.cancel();
    io_.run();
    acks.close();
    acks_ = nullptr;
    report(elapsed, acks.durable());
    return 0;
  }

  void report(double elapsed, std::uint64_t acked) {
    auto& lat = stats_.latency_us;
    std::sort(lat.begin(), lat.end());
    std::sort(stats_.service_us.begin(), stats_.service_us.end());
    const auto pct_of = [](const std::vector<std::uint32_t>& v, double p) -> double {
      if (v.empty()) return 0;
      const auto i = std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()));
      return v[i] / 1000.0;
    };
    const auto pct = [&](double p) { return pct_of(lat, p); };
    std::string statuses;
    for (const auto& [status, n] : stats_.by_status) {
      statuses += fmt::format("{}{}:{}", statuses.empty() ? "" : ",", status, n);
    }
    fmt::print(
        "submit: candidates={} connections={} target_rate={} elapsed_s={:.2f} stop={}\n"
        "result jobs={} acked={} rate={:.1f} p50_ms={:.2f} p99_ms={:.2f} p999_ms={:.2f} "
        "max_ms={:.2f} service_p50_ms={:.2f} service_p99_ms={:.2f} attempts={} retries={} "
        "conn_errors={} gave_up={} abandoned={} failed={} "
        "receipt_mismatch={} relogins={} gen_failed={} statuses={} cpu_s={:.2f}\n",
        targets_.size(), std::min<std::size_t>(opt_.connections, targets_.size()), opt_.rate,
        elapsed, stop_reason_.empty() ? "done" : stop_reason_, stats_.jobs, acked,
        static_cast<double>(acked) / elapsed, pct(0.50), pct(0.99), pct(0.999),
        lat.empty() ? 0.0 : lat.back() / 1000.0, pct_of(stats_.service_us, 0.50),
        pct_of(stats_.service_us, 0.99), stats_.attempts, stats_.retries, stats_.conn_errors,
        stats_.gave_up, stats_.abandoned, stats_.failed, stats_.receipt_mismatch, stats_.relogins,
        stats_.gen_failed, statuses.empty() ? "-" : statuses, cpu_seconds() - phase_cpu_);
    std::fflush(stdout);
  }

  const options& opt_;
  const form_generator& forms_;
  std::vector<target> targets_;
  asio::io_context io_{1};
  tcp::endpoint endpoint_;
  asio::signal_set signals_;
  std::string batch_code_;
  std::vector<std::unique_ptr<connection>> connections_;
  std::optional<asio::steady_timer> grace_timer_;
  std::optional<asio::steady_timer> progress_timer_;
  ack_log* acks_ = nullptr;
  counters stats_;
  steady::time_point phase_start_;
  double phase_cpu_ = 0;  // CPU seconds used before the submissions started
  std::uint64_t cursor_ = 0;
  std::uint64_t issued_ = 0;
  unsigned running_workers_ = 0;
  bool stopping_ = false;
  bool abandon_ = false;
  std::string stop_reason_;
};

// ------------------------------------------------------------------------------ reconcile mode

// Checks every held receipt against the database (loadtest/reconcile.hpp has the definitions).
// The submitter's forms differ from round to round, so two versions with the same choices mean
// one request was applied twice.
int reconcile(const options& opt) {
  std::vector<core::held_receipt> acks;
  try {
    acks = loadtest::read_acks_file(opt.acks);
  } catch (const std::runtime_error& e) {
    die(e.what());
  }
  pqxx::connection conn(opt.database_url);
  storage::reconcile_options ro;
  ro.distinct_forms = true;
  const auto r = storage::reconcile(conn, acks, ro);
  for (const auto& p : r.problems) fmt::print(stderr, "{}\n", p);
  fmt::print(stderr, "history_rows={} inconsistent={}\n", r.history_rows, r.inconsistent);
  fmt::print("{}\n", r.line());
  return r.ok() ? 0 : 1;
}

// ------------------------------------------------------------------------------ main

int run(int argc, char** argv) {
  CLI::App app{"zhiyuan-submitter: durable formal submissions over HTTP, and their reconciliation"};
  options opt;
  // A later flag overrides an earlier one (scripts append to a common command line).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--database-url", opt.database_url, "libpq conninfo of zhiyuan's database")
      ->required();
  app.add_option("--acks", opt.acks, "receipts file (appended; fdatasync'ed)")->required();
  app.add_flag("--reconcile", opt.reconcile, "check the acks file against the database");
  app.add_option("--host", opt.host, "server address (loopback only)")->capture_default_str();
  app.add_option("--port", opt.port, "server port")->capture_default_str();
  app.add_option("--tokens", opt.tokens, "session token cache (read, then rewritten)");
  app.add_option("--schedule-file", opt.schedule_file,
                 "validate forms against this schedule (inside the batch's formal window); "
                 "default: an always-open window");
  app.add_option("--batch", opt.batch, "batch code")->capture_default_str();
  app.add_option("--connections", opt.connections, "keep-alive connections")
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str();
  app.add_option("--candidates", opt.candidates, "candidates to use (0: all who can file)")
      ->capture_default_str();
  app.add_option("--skip", opt.skip, "skip the first K candidates who can file")
      ->capture_default_str();
  app.add_option("--min-pool", opt.min_pool,
                 "use only candidates with at least this many groups to choose from (so that "
                 "rounds give distinct forms)")
      ->capture_default_str();
  app.add_option("--rounds", opt.rounds, "submissions per candidate at most (0: unlimited)")
      ->capture_default_str();
  app.add_option("--first-round", opt.first_round, "round number of the first submissions")
      ->capture_default_str();
  app.add_option("--duration", opt.duration, "seconds of submitting at most")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-requests", opt.max_requests, "submissions at most (0: unlimited)")
      ->capture_default_str();
  app.add_option("--rate", opt.rate, "target submissions/s (0: as fast as allowed)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-attempts", opt.max_attempts, "attempts per submission at most")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--retry-cap-ms", opt.retry_cap_ms, "longest wait between attempts")
      ->capture_default_str();
  app.add_option("--request-timeout-ms", opt.request_timeout_ms, "per attempt")
      ->capture_default_str();
  app.add_option("--give-up-after", opt.give_up_after, "seconds per submission at most")
      ->capture_default_str();
  app.add_option("--stop-grace", opt.stop_grace,
                 "seconds in-flight submissions may keep retrying after the stop")
      ->capture_default_str();
  app.add_flag("--progress", opt.progress, "a progress line on stderr every second");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (sodium_init() < 0) die("sodium_init failed");
  if (opt.reconcile) return reconcile(opt);

  const auto address = asio::ip::make_address(opt.host);
  if (!address.is_loopback()) die("--host must be a loopback address");
  const auto b = core::parse_batch(opt.batch);
  if (!b) die("unknown batch " + opt.batch);

  const auto data = storage::load_filing_data(opt.database_url);
  core::schedule sched = always_open_schedule(*b);
  if (!opt.schedule_file.empty()) sched = server::load_schedule(opt.schedule_file);
  const core::unix_seconds now = instant_in_formal_window(sched, *b);
  const form_generator forms(data.catalog, *b, sched, now);

  std::vector<target> targets;
  std::size_t skipped = 0;
  for (core::candidate_id id = 0; id < data.directory->id_bound(); ++id) {
    const auto* e = data.directory->find(id);
    if (e == nullptr) continue;
    target t;
    t.entry = e;
    t.who = e->to_core();
    t.exam_no = std::string(e->exam_number());
    t.who.exam_number = t.exam_no;
    if (!forms.can_file(t.who) || forms.pool(t.who).size() < opt.min_pool) continue;
    if (skipped++ < opt.skip) continue;
    targets.push_back(std::move(t));
    if (opt.candidates != 0 && targets.size() >= opt.candidates) break;
  }
  fmt::print("directory: {} candidates, {} used (batch {}, pool >= {} groups)\n",
             data.directory->size(), targets.size(), opt.batch, opt.min_pool);
  std::fflush(stdout);
  if (targets.empty()) die("no candidate can file " + opt.batch);
  submitter s(opt, std::move(targets), forms);
  return s.run();
}

}  // namespace
}  // namespace zhiyuan::crash

int main(int argc, char** argv) {
  // A write to a socket the exchange shut down (or the server reset) fails with EPIPE; Asio
  // 1.81's io_uring send passes no MSG_NOSIGNAL, so the signal would end the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return zhiyuan::crash::run(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "zhiyuan-submitter: error: %s\n", e.what());
    return 2;
  }
}
