#include "loadtest/runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "loadtest/client.hpp"
#include "loadtest/faults.hpp"

namespace zhiyuan::loadtest {
namespace {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

steady::duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
}

std::uint64_t micros_between(steady::time_point from, steady::time_point to) {
  const auto d = std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
  return d < 0 ? 0 : static_cast<std::uint64_t>(d);
}

// The think time before an action for a candidate whose pause falls at quantile u in (0, 1].
steady::duration think_pause(const think_time& t, double u) {
  const double ms =
      t.distribution == think_distribution::constant ? t.mean_ms : -t.mean_ms * std::log(u);
  return std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double, std::milli>(ms));
}

// The setup requests (sign-in, pledge, draft version) one arrival needed, and the answer of
// the one that failed: it stands for the action's (its status, body or transport error).
struct setup_tally {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::optional<reply> failure;
  std::optional<steady::time_point> ready_at;  ///< when the sign-in and pledge were answered
};

// One thread of the run: its io_context, client, candidates and tally.
class worker {
 public:
  worker(const scenario& s, const run_options& opt, const std::vector<candidate_account>& accounts,
         unsigned index)
      : s_(s),
        opt_(opt),
        index_(index),
        rng_(s.seed * 0x9e3779b97f4a7c15ULL + index),
        tick_(std::chrono::microseconds(opt.dispatch_tick_us)),
        tally_(s),
        client_(io_, {asio::ip::make_address(opt.host), opt.port},
                {opt.host, opt.connections_per_thread, seconds_to_duration(opt.request_timeout_s),
                 opt.retries}),
        script_(rng_, tally_,
                fmt::format("{:x}", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count())) {
    if (opt.keep_latencies > 0) tally_.keep_latencies(opt.keep_latencies);
    for (std::size_t i = index; i < accounts.size(); i += opt.threads) {
      candidates_.push_back({&accounts[i]});
    }
    double total = 0;
    for (const auto& m : s.mix) total += m.weight;
    double sum = 0;
    think_.fill(s.default_think);
    for (const auto& m : s.mix) {
      sum += m.weight;
      cumulative_.push_back({sum / total, m.what});
      think_[static_cast<std::size_t>(m.what)] = m.think;
    }
  }

  /// The instant the schedule of arrivals counts from (set before run()).
  void start_at(steady::time_point start) {
    start_ = start;
    tally_.start_at(start);
  }

  // Runs the thread's part of the run. Once the run stops, what is still pending (every
  // exchange and Retry-After pause is cut short by then) gets `abandon_after` to finish (see
  // sweep()); what still does not return is then abandoned with the io_context, and the worker
  // must not be destroyed (see the end of loadtest::run()). Plain io_context::run(): in Asio
  // 1.81 a run_for() on io_uring removes its wait's timeout with a ring entry whose stale user
  // data completes another socket's operation (see http_connection::end_pending).
  void run() {
    asio::co_spawn(io_, dispatch(), asio::detached);
    asio::co_spawn(io_, sweep(), asio::detached);
    io_.run();
  }

  /// Requests still pending when the worker gave up on them (see sweep()); 0 normally.
  std::uint64_t abandoned = 0;

  const tally& counts() const noexcept { return tally_; }
  const client& http() const noexcept { return client_; }

 private:
  // Schedules this thread's arrivals (k = index, index + threads, ...) and, after the phases,
  // waits for the answers (at most drain_s) before closing every connection.
  asio::awaitable<void> dispatch() {
    asio::steady_timer timer(io_);
    const auto phases_end = start_ + seconds_to_duration(s_.phases_duration_s());
    const double max_s = s_.max_duration_s > 0 ? s_.max_duration_s : 1e12;
    const auto hard_stop = start_ + seconds_to_duration(max_s);
    std::size_t phase_index = 0;
    unsigned back_to_back = 0;
    for (std::uint64_t k = index_;; k += opt_.threads) {
      const double at = arrival_time(s_.phases, k);
      if (at < 0) break;
      const auto intended = start_ + seconds_to_duration(at);
      if (intended >= phases_end || intended >= hard_stop) break;
      // Arrival times never decrease: the phase index only moves forward.
      const auto& phases = tally_.phases();
      while (phase_index + 1 < phases.size() && at >= phases[phase_index + 1].start_s) {
        ++phase_index;
      }
      // An arrival already due goes at once; otherwise the loop sleeps until it is due, but at
      // least dispatch_tick: a timer wait per arrival costs more CPU than the request itself
      // at high rates, so arrivals closer together than the tick go out together, each at
      // most one tick after its intended time (and measured from it). Every 32 arrivals sent
      // back to back the loop yields, so the requests it spawned make progress meanwhile.
      if (const auto now = steady::now(); intended > now) {
        timer.expires_at(std::max(intended, now + tick_));
        co_await timer.async_wait(use_tuple);
        back_to_back = 0;
      } else if (++back_to_back % 32 == 0) {
        co_await asio::post(io_, asio::use_awaitable);
      }
      const action a = pick_action();
      if (s_.candidates.assignment == candidate_assignment::once &&
          spec_of(a).who != actor::anyone && next_once_ >= candidates_.size()) {
        break;
      }
      tally_.arrival(a, phase_index);
      if (in_flight_ >= opt_.max_in_flight) {
        tally_.dropped(a, phase_index);
        continue;
      }
      asio::co_spawn(io_, handle(a, intended, phase_index), asio::detached);
    }
    const auto drain_end = std::min(steady::now() + seconds_to_duration(s_.drain_s), hard_stop);
    while (in_flight_ > 0 && steady::now() < drain_end) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(use_tuple);
    }
    // Whatever is still in flight is counted as unfinished, not as an error.
    client_.stop();
  }

  // Ends the exchanges that overran the request timeout (see http_connection: one sweep every
  // 50 ms instead of a timer per request) until the run stops; then waits up to
  // `abandon_after` for what is still in flight and stops the io_context if it is not done.
  asio::awaitable<void> sweep() {
    constexpr auto abandon_after = std::chrono::seconds(5);
    asio::steady_timer timer(io_);
    std::optional<steady::time_point> give_up;
    for (;;) {
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(use_tuple);
      const auto now = steady::now();
      if (!client_.stopping()) {
        client_.expire_overdue(now);
        continue;
      }
      if (in_flight_ == 0) co_return;
      if (!give_up) give_up = now + abandon_after;
      if (now >= *give_up) {
        abandoned = in_flight_;
        io_.stop();
        co_return;
      }
    }
  }

  action pick_action() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    for (const auto& [edge, a] : cumulative_) {
      if (u < edge) return a;
    }
    return cumulative_.back().second;
  }

  // An idle candidate of this thread, done thinking before `spec`'s action (and with a form
  // when it needs one), or nullptr.
  candidate_state* take_candidate(const action_spec& spec) {
    if (candidates_.empty()) return nullptr;
    const bool form = spec.who == actor::filer;
    if (s_.candidates.assignment == candidate_assignment::once) {
      // Each candidate once, in order: no think time, it has not acted before.
      while (next_once_ < candidates_.size()) {
        auto& c = candidates_[next_once_++];
        if (!c.busy && (!form || !c.account->groups.empty())) {
          c.busy = true;
          return &c;
        }
      }
      return nullptr;
    }
    const auto now = steady::now();
    const think_time& think = think_[static_cast<std::size_t>(spec.what)];
    std::uniform_int_distribution<std::size_t> pick(0, candidates_.size() - 1);
    for (int attempt = 0; attempt < 32; ++attempt) {
      auto& c = candidates_[pick(rng_)];
      if (c.busy || (form && c.account->groups.empty())) continue;
      if (c.last_answer != steady::time_point{} &&
          now < c.last_answer + think_pause(think, c.think_quantile)) {
        continue;
      }
      c.busy = true;
      return &c;
    }
    return nullptr;
  }

  static void failed(setup_tally& st, reply r) {
    if (!r.stopped) ++st.errors;
    st.failure = std::move(r);
  }

  // One setup request: its answer when 200; otherwise counted as failed and kept as the answer
  // that stands for the action's.
  asio::awaitable<std::optional<reply>> setup_step(request req,
                                                   std::optional<steady::time_point>& first_send,
                                                   setup_tally& st) {
    ++st.requests;
    reply r = co_await client_.exchange(req, first_send);
    if (r.status == 200) co_return r;
    failed(st, std::move(r));
    co_return std::nullopt;
  }

  // What the action needs before its own request (the one place that signs a candidate in);
  // false when a step failed.
  asio::awaitable<bool> ensure(setup need, candidate_state* c,
                               std::optional<steady::time_point>& first_send, setup_tally& st) {
    if (need == setup::none) co_return true;
    if (c->token.empty()) {
      const auto r = co_await setup_step(sign_in_request(*c), first_send, st);
      if (!r) co_return false;
      if (!take_session(script_, *c, *r)) {
        ++st.errors;
        co_return false;
      }
    }
    if (need != setup::session && !c->pledged) {
      if (!co_await setup_step(pledge_request(*c), first_send, st)) co_return false;
      c->pledged = true;
    }
    if (st.requests > 0) st.ready_at = steady::now();
    // The draft's version is needed for If-Match; read once per candidate. The action's own
    // latency runs from ready_at, so this read counts in draft_save's time.
    if (need == setup::draft && c->draft_version < 0) {
      const auto d = co_await setup_step(draft_request(*c), first_send, st);
      if (!d) co_return false;
      const auto version = draft_version(script_, *d);
      if (!version) {
        failed(st, *d);
        co_return false;
      }
      c->draft_version = *version;
    }
    co_return true;
  }

  // Sends one arrival of `a` due at `intended` (in phase `phase`) and records it.
  asio::awaitable<void> handle(action a, steady::time_point intended, std::size_t phase) {
    const action_spec& spec = spec_of(a);
    candidate_state* c = nullptr;
    if (spec.who != actor::anyone) {
      c = take_candidate(spec);
      if (c == nullptr) {
        tally_.no_candidate(a, phase);
        co_return;
      }
    }
    ++in_flight_;
    std::optional<steady::time_point> first_send;
    setup_tally setup;
    reply r;
    bool ok = false;
    const bool ready = co_await ensure(spec.needs, c, first_send, setup);
    if (ready) {
      const std::string key = spec.key != nullptr ? spec.key(script_, *c) : std::string();
      const request req = make_request(spec, script_, c, key);
      r = co_await client_.exchange(req, first_send);
      const bool readable = spec.on_reply == nullptr || spec.on_reply(script_, c, key, r);
      ok = readable && expected_status(spec, r.status);
    }
    if (c != nullptr) {
      // A session the server no longer knows is signed in again next time.
      if (r.status == 401) c->token.clear();
      c->busy = false;
      c->last_answer = steady::now();
      c->think_quantile = 1 - std::uniform_real_distribution<double>(0, 1)(rng_);
    }
    --in_flight_;
    if (!ready && setup.failure) r = std::move(*setup.failure);
    record(a, phase, intended, first_send, setup, r, ok);
  }

  // The action's request is timed from its intended send time, or, when a sign-in or pledge
  // had to go first, from their answer (their own time goes to setup_latency): an endpoint's
  // latency is its own request's. A failed setup counts as the action's error, timed whole.
  void record(action a, std::size_t phase, steady::time_point intended,
              const std::optional<steady::time_point>& first_send, const setup_tally& setup,
              const reply& r, bool ok) {
    tally_.setup(phase, setup.requests, setup.errors);
    if (client_.stopping() || r.stopped) {
      tally_.unfinished(a, phase);
      return;
    }
    const auto done = steady::now();
    const bool late =
        first_send && *first_send - intended > seconds_to_duration(opt_.late_after_ms / 1000);
    if (setup.ready_at) tally_.setup_latency(micros_between(intended, *setup.ready_at));
    const std::uint64_t us =
        micros_between(setup.ready_at ? std::max(intended, *setup.ready_at) : intended, done);
    tally_.answer({a, phase, r.status, r.body, r.transport_error, ok, late, us, done});
  }

  const scenario& s_;
  const run_options& opt_;
  unsigned index_;
  steady::time_point start_;
  // One thread runs this io_context and nothing else touches it: no locking needed.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  std::mt19937_64 rng_;
  steady::duration tick_;
  tally tally_;
  client client_;
  script script_;
  std::vector<std::pair<double, action>> cumulative_;
  std::array<think_time, action_count> think_;
  std::vector<candidate_state> candidates_;
  std::size_t next_once_ = 0;
  std::uint64_t in_flight_ = 0;
};

// User and system CPU time of this process so far (every thread; not the faults' commands).
double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

}  // namespace

double arrival_time(const std::vector<phase>& phases, std::uint64_t k) noexcept {
  double before = 0;  // arrivals due before the current phase
  double offset = 0;  // its start, seconds
  const double n_total = static_cast<double>(k);
  for (const auto& p : phases) {
    const double in_phase = p.expected_requests();
    if (n_total < before + in_phase) {
      // Solve r0 t + (r1 - r0) t^2 / (2 D) = n for t, in the form that stays exact for constant
      // rates (a = 0) and ramps from zero (r0 = 0).
      const double n = n_total - before;
      const double a = (p.rate_to - p.rate_from) / (2 * p.duration_s);
      const double disc = p.rate_from * p.rate_from + 4 * a * n;
      const double root = std::sqrt(std::max(0.0, disc));
      const double denom = p.rate_from + root;
      const double t = denom > 0 ? 2 * n / denom : 0;
      return offset + std::min(t, p.duration_s);
    }
    before += in_phase;
    offset += p.duration_s;
  }
  return -1;
}

run_report run(const scenario& s, const std::vector<candidate_account>& accounts,
               const run_options& opt) {
  if (opt.threads == 0) throw std::runtime_error("threads must be at least 1");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(opt.host, ec);
  if (ec || !address.is_loopback()) {
    throw std::runtime_error("target host must be a loopback address: " + opt.host);
  }
  std::vector<std::unique_ptr<worker>> workers;
  for (unsigned i = 0; i < opt.threads; ++i) {
    workers.push_back(std::make_unique<worker>(s, opt, accounts, i));
  }
  // Every thread starts its clock at the same instant, a little ahead so that all are ready:
  // taken once the workers are built (a worker takes its share of up to 655,000 candidates),
  // or the first arrivals would be late by the building time and counted so.
  const auto start = steady::now() + std::chrono::milliseconds(50);
  run_report r;
  r.started_at = std::chrono::system_clock::now() + std::chrono::milliseconds(50);
  for (auto& w : workers) w->start_at(start);
  const double cpu_before = process_cpu_seconds();
  fault_runner faults(s.faults, start);
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  for (auto& t : threads) t.join();
  r.cpu_s = process_cpu_seconds() - cpu_before;
  for (auto& w : workers) r.abandoned += w->abandoned;
  r.faults = faults.finish();

  r.phases_s = s.phases_duration_s();
  steady::time_point last = start;
  std::vector<const tally*> tallies;
  for (const auto& w : workers) {
    tallies.push_back(&w->counts());
    r.retries += w->http().retries();
    r.stale_retries += w->http().stale_retries();
    last = std::max(last, w->counts().last_answer());
  }
  merge_tallies(tallies, r);
  r.elapsed_s = std::chrono::duration<double>(last - start).count();
  r.offered_rate = r.phases_s > 0 ? static_cast<double>(r.arrivals()) / r.phases_s : 0;
  const double span = std::max(r.phases_s, r.elapsed_s);
  r.achieved_rate = span > 0 ? static_cast<double>(r.sent()) / span : 0;
  // A worker that abandoned operations still owns them through its io_context, which cannot
  // be destroyed safely while the kernel holds them: leave such a worker to the process's exit.
  for (auto& w : workers) {
    if (w->abandoned > 0) (void)w.release();
  }
  return r;
}

}  // namespace zhiyuan::loadtest
