#include "tests/crash/submitter.hpp"

#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/choices.hpp"
#include "loadtest/http_connection.hpp"
#include "loadtest/reconcile.hpp"
#include "province/synthetic_passwords.hpp"
#include "tests/crash/ack_log.hpp"
#include "tests/crash/receipt_check.hpp"

namespace zhiyuan::crash {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using connection = loadtest::http_connection;

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
  submitter(const submit_options& opt, std::vector<target> targets, const form_generator& forms)
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
    if (!login_phase()) return exit_no_sign_in;
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

  // What one job sends: its body and key, and the digest its receipt must name.
  struct submission {
    std::string body;
    std::string key;
    std::string choices_sha256;
  };

  // The job's form (a pure function of candidate and round, so every retry of its key carries
  // the same body); nullopt when it cannot be generated.
  std::optional<submission> prepare(const job& jb) {
    const target& t = *jb.t;
    auto form = forms_.make(t.who, jb.round);
    if (!form) {
      if (stats_.gen_failed++ < 5) {
        fmt::print(stderr, "form generation failed for {}: {}\n", t.exam_no, form.error().detail);
      }
      return std::nullopt;
    }
    submission out;
    out.body = forms_.to_json(*form);
    out.body.pop_back();  // the closing brace: the save password goes in too
    out.body +=
        fmt::format(R"(,"save_password":"{}"}})", loadtest::synthetic_save_password(t.exam_no));
    // A digest no form has makes every receipt a mismatch: the test of this check itself.
    out.choices_sha256 =
        opt_.test_wrong_digest ? std::string(64, '0') : sha256_hex(core::canonical_encoding(*form));
    out.key = fmt::format("{}-r{}", t.exam_no, jb.round);
    return out;
  }

  // When the job's latency counts from: its slot in a paced run (waited for; no coordinated
  // omission), else now.
  asio::awaitable<steady::time_point> start_of(const job& jb) {
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
    co_return started;
  }

  // One submission, retried with the same key and body until an answer is final.
  asio::awaitable<void> submit(connection& c, job jb) {
    target& t = *jb.t;
    const auto sub = prepare(jb);
    if (!sub) co_return;
    const std::string& key = sub->key;
    const std::string path = "/api/v1/applications/" + batch_code_;
    const auto started = co_await start_of(jb);
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
      auto req = make_request(path, sub->body);
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
        on_receipt({t.exam_no, batch_code_, sub->choices_sha256, key}, res.body());
        const auto done = steady::now();
        const auto us = [](steady::duration d) {
          return static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(d).count());
        };
        stats_.latency_us.push_back(us(done - started));
        stats_.service_us.push_back(us(done - sent));
        if (opt_.slow_ms > 0 && done - sent > ms(opt_.slow_ms)) {
          fmt::print(stderr, "slow {} sent_s={:.3f} service_ms={:.1f} latency_ms={:.1f}\n", key,
                     std::chrono::duration<double>(sent - phase_start_).count(),
                     us(done - sent) / 1000.0, us(done - started) / 1000.0);
        }
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

  // A receipt is held (its line goes to the acks file) only when it answers what was sent;
  // any other makes the run fail (exit_receipt_mismatch).
  void on_receipt(const sent_submission& sent, const std::string& body) {
    ++stats_.ok;
    const receipt_check check = check_receipt(body, sent);
    if (check.verdict != receipt_verdict::held) {
      if (stats_.receipt_mismatch++ < 5) fmt::print(stderr, "{}\n", check.problem);
      return;
    }
    // The database keeps the receipt hash (which chains the versions) as the digest.
    acks_->append(loadtest::ack_line(check.receipt) + '\n');
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
    if (!opt_.ready_file.empty()) std::ofstream{opt_.ready_file};
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
    if (stats_.receipt_mismatch > 0) {
      fmt::print(stderr,
                 "zhiyuan-submitter: {} receipt(s) did not answer the submission sent (another "
                 "candidate, batch or form): not held, and the run fails\n",
                 stats_.receipt_mismatch);
      return exit_receipt_mismatch;
    }
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

  const submit_options& opt_;
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

}  // namespace

int run_submitter(const submit_options& opt, std::vector<target> targets,
                  const form_generator& forms) {
  submitter s(opt, std::move(targets), forms);
  return s.run();
}

}  // namespace zhiyuan::crash
