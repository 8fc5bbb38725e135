#include "loadtest/runner.hpp"

#include "loadtest/http_connection.hpp"

#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace zhiyuan::loadtest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

steady::duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
}

std::uint64_t micros_between(steady::time_point from, steady::time_point to) {
  const auto d = std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
  return d < 0 ? 0 : static_cast<std::uint64_t>(d);
}

using connection = loadtest::http_connection;

// A candidate as one thread sees it: its session and whether it is in use.
struct candidate_state {
  const candidate_account* account = nullptr;
  std::string token;
  bool pledged = false;
  bool busy = false;
  std::uint64_t submissions = 0;
  std::int64_t draft_version = -1;  // -1: not known, read it before saving
  steady::time_point last_answer{};
  double think_quantile = 1;  // drawn after each answer: where this pause falls in the distribution
};

// What one exchange gave: a status (0 after a transport error or at the stop) and the body.
struct reply {
  unsigned status = 0;
  std::string body;
  bool stopped = false;         // the run stopped before the answer came
  std::string transport_error;  // with status 0: what failed
};

// The setup requests (sign-in, pledge, draft version) one arrival needed, and the answer of
// the one that failed: it stands for the action's (its status, body or transport error).
struct setup_tally {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::optional<reply> failure;
  std::optional<steady::time_point> ready_at;  ///< when the last setup request was answered
};

struct second_bucket {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  std::array<std::uint64_t, action_count> by_action{};
  std::unique_ptr<histogram> latency;
};

// The statuses that count as success for each action. receipt_view may find no application
// yet (404), plans pages may be unchanged (304).
bool expected_status(action a, unsigned status) {
  switch (a) {
    case action::login:
    case action::schedule:
    case action::ping:
      return status == 200;
    case action::plans_browse:
    case action::plans_page:
      return status == 200 || status == 304;
    case action::submit:
      return status == 201 || status == 200;
    case action::receipt_view:
      return status == 200 || status == 404;
    case action::logout:
      return status == 204 || status == 200;
    case action::scores:
    case action::favorite_put:
    case action::draft_save:
      return status == 200 || status == 201;
  }
  return false;
}

// Every action but the schedule and ping acts as a signed-in candidate (the plans need a
// session too).
bool needs_candidate(action a) { return a != action::schedule && a != action::ping; }

// Actions about the candidate's own groups or forms take only candidates who can file.
bool needs_form(action a) {
  return a == action::submit || a == action::scores || a == action::favorite_put ||
         a == action::draft_save;
}

// The think time before an action for a candidate whose pause falls at quantile u in (0, 1].
steady::duration think_pause(const think_time& t, double u) {
  const double ms =
      t.distribution == think_distribution::constant ? t.mean_ms : -t.mean_ms * std::log(u);
  return std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double, std::milli>(ms));
}

// The string member `key` of a JSON object, "" when absent, null or unparsable.
std::string json_string(simdjson::ondemand::parser& parser, const std::string& body,
                        std::string_view key) {
  simdjson::padded_string json(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) return {};
  std::string_view out;
  if (doc[key].get_string().get(out)) return {};
  return std::string(out);
}

// The integer member `key` of a JSON object, nullopt when absent or not an integer.
std::optional<std::int64_t> json_int(simdjson::ondemand::parser& parser, const std::string& body,
                                     std::string_view key) {
  simdjson::padded_string json(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) return std::nullopt;
  std::int64_t out = 0;
  if (doc[key].get_int64().get(out)) return std::nullopt;
  return out;
}

// One thread of the run: its io_context, connections, candidates and statistics.
class worker {
 public:
  worker(const scenario& s, const run_options& opt, const std::vector<candidate_account>& accounts,
         unsigned index)
      : s_(s),
        opt_(opt),
        index_(index),
        endpoint_(asio::ip::make_address(opt.host), opt.port),
        rng_(s.seed * 0x9e3779b97f4a7c15ULL + index),
        timeout_(seconds_to_duration(opt.request_timeout_s)),
        tick_(std::chrono::microseconds(opt.dispatch_tick_us)),
        run_id_(fmt::format("{:x}", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count())) {
    for (std::size_t i = index; i < accounts.size(); i += opt.threads) {
      candidates_.push_back({&accounts[i]});
    }
    double offset = 0;
    for (const auto& p : s.phases) {
      phase_report r;
      r.name = p.name;
      r.start_s = offset;
      r.duration_s = p.duration_s;
      r.rate_from = p.rate_from;
      r.rate_to = p.rate_to;
      phases.push_back(std::move(r));
      offset += p.duration_s;
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
  void start_at(steady::time_point start) { start_ = start; }

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

  std::uint64_t stale_retries() const {
    std::uint64_t n = 0;
    for (const auto& c : connections_) n += c->stale_retries();
    return n;
  }

  std::array<action_stats, action_count> stats;
  std::vector<second_bucket> seconds;
  std::uint64_t setup_requests = 0;
  histogram setup_latency;  // see run_report::setup_latency
  std::uint64_t setup_errors = 0;
  std::uint64_t pages_followed = 0;
  std::uint64_t unreadable_receipts = 0;
  std::uint64_t foreign_receipts = 0;
  std::uint64_t retries = 0;
  std::vector<phase_report> phases;
  std::vector<core::held_receipt> acks;
  steady::time_point last_answer{};

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
      if (s_.candidates.assignment == candidate_assignment::once && needs_candidate(a) &&
          next_once_ >= candidates_.size()) {
        break;
      }
      const auto index = static_cast<std::size_t>(a);
      ++stats[index].arrivals;
      ++phases[phase_index].actions[index].arrivals;
      if (in_flight_ >= opt_.max_in_flight) {
        ++stats[index].dropped;
        ++phases[phase_index].actions[index].dropped;
        continue;
      }
      auto request = handle(a, intended, phase_index);
      asio::co_spawn(io_, std::move(request), asio::detached);
    }
    const auto drain_end = std::min(steady::now() + seconds_to_duration(s_.drain_s), hard_stop);
    while (in_flight_ > 0 && steady::now() < drain_end) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(use_tuple);
    }
    // Whatever is still in flight is counted as unfinished, not as an error.
    stopping_ = true;
    for (auto& c : connections_) c->abort();
    for (auto* w : waiters_) w->timer.cancel();
    waiters_.clear();
    for (auto* p : pauses_) p->cancel();
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
      if (!stopping_) {
        for (auto& c : connections_) c->expire_if_overdue(now);
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

  // An idle candidate of this thread, done thinking before `a` (and with a form when `a` needs
  // one), or nullptr.
  candidate_state* take_candidate(action a) {
    if (candidates_.empty()) return nullptr;
    const bool form = needs_form(a);
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
    const think_time& think = think_[static_cast<std::size_t>(a)];
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

  std::int64_t any_group(const candidate_state& c) {
    const auto& groups = c.account->groups;
    std::uniform_int_distribution<std::size_t> pick(0, groups.size() - 1);
    return groups[pick(rng_)];
  }

  // --- connections ------------------------------------------------------------------------

  struct waiter {
    asio::steady_timer timer;
    connection* conn = nullptr;
  };

  asio::awaitable<connection*> acquire() {
    if (!idle_.empty()) {
      connection* c = idle_.back();
      idle_.pop_back();
      co_return c;
    }
    if (connections_.size() < opt_.connections_per_thread) {
      connections_.push_back(std::make_unique<connection>(io_, endpoint_, steady::duration::max(),
                                                          connection::timeouts::swept));
      co_return connections_.back().get();
    }
    waiter w{asio::steady_timer(io_, steady::time_point::max())};
    waiters_.push_back(&w);
    co_await w.timer.async_wait(use_tuple);
    co_return w.conn;
  }

  void release(connection* c) {
    if (!waiters_.empty()) {
      waiter* w = waiters_.front();
      waiters_.pop_front();
      w->conn = c;
      w->timer.cancel();
      return;
    }
    idle_.push_back(c);
  }

  // One request, retried (same request, so the same Idempotency-Key) after a 503 or 429 as a
  // browser would: after the Retry-After the server gave (1 s without one, at most 5 s), at most
  // opt_.retries times. The action's latency includes the waits.
  asio::awaitable<reply> exchange(http::verb verb, std::string target, std::string body,
                                  const std::string& token, std::string_view idempotency_key,
                                  std::optional<steady::time_point>& first_send,
                                  std::int64_t if_match = -1) {
    reply out;
    // The request in wire form, written here (one string instead of a Beast message per
    // request: the generator's CPU per request is what it is measured by).
    std::string req;
    req.reserve(160 + target.size() + token.size() + body.size());
    const auto method = http::to_string(verb);
    req.append(method.data(), method.size());
    req += ' ';
    req += target;
    req += " HTTP/1.1\r\nHost: ";
    req += opt_.host;
    req += "\r\nUser-Agent: zhiyuan-loadtest\r\n";
    if (!token.empty()) {
      req += "Authorization: Bearer ";
      req += token;
      req += "\r\n";
    }
    if (!idempotency_key.empty()) {
      req += "Idempotency-Key: ";
      req += idempotency_key;
      req += "\r\n";
    }
    if (if_match >= 0) {
      req += "If-Match: \"";
      req += std::to_string(if_match);
      req += "\"\r\n";
    }
    if (!body.empty()) req += "Content-Type: application/json\r\n";
    // A body, or a method that has one (an empty POST or PUT says so: Content-Length: 0).
    if (!body.empty() || verb == http::verb::post || verb == http::verb::put ||
        verb == http::verb::patch) {
      req += "Content-Length: ";
      req += std::to_string(body.size());
      req += "\r\n";
    }
    req += "\r\n";
    req += body;
    for (unsigned attempt = 0;; ++attempt) {
      if (stopping_) {
        out.stopped = true;
        co_return out;
      }
      connection* c = co_await acquire();
      if (c == nullptr || stopping_) {
        if (c != nullptr) release(c);
        out.stopped = true;
        co_return out;
      }
      if (!first_send) first_send = steady::now();
      http::response<http::string_body> res;
      const auto ec = co_await c->exchange(req, res, timeout_);
      release(c);
      if (stopping_) {
        out.stopped = true;
        co_return out;
      }
      out = {};
      if (ec) {
        out.transport_error = ec.message();
        co_return out;
      }
      out.status = res.result_int();
      out.body = std::move(res.body());
      if ((out.status != 503 && out.status != 429) || attempt >= opt_.retries) co_return out;
      ++retries;
      unsigned wait_s = 1;
      if (const auto it = res.find(http::field::retry_after); it != res.end()) {
        const auto v = it->value();
        unsigned parsed = 0;
        const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), parsed);
        if (err == std::errc() && end == v.data() + v.size()) wait_s = std::min(parsed, 5U);
      }
      // Cut short at the stop (like the exchanges), so that the stop need not wait it out.
      asio::steady_timer pause(io_, std::chrono::seconds(wait_s));
      pauses_.insert(&pause);
      co_await pause.async_wait(use_tuple);
      pauses_.erase(&pause);
      if (stopping_) co_return out;
    }
  }

  // A sign-in and a pledge that an action needs first; false when either failed.
  asio::awaitable<bool> ensure_session(candidate_state& c, bool pledge,
                                       std::optional<steady::time_point>& first_send,
                                       setup_tally& setup) {
    if (c.token.empty()) {
      ++setup.requests;
      const auto r = co_await exchange(http::verb::post, "/api/v1/auth/login", login_body(c), "",
                                       "", first_send);
      if (r.status != 200) {
        if (!r.stopped) ++setup.errors;
        setup.failure = r;
        co_return false;
      }
      c.token = json_string(parser_, r.body, "token");
      c.pledged = false;
      if (c.token.empty()) {
        ++setup.errors;
        co_return false;
      }
    }
    if (pledge && !c.pledged) {
      ++setup.requests;
      const auto r =
          co_await exchange(http::verb::post, "/api/v1/me/pledge", "", c.token, "", first_send);
      if (r.status != 200) {
        if (!r.stopped) ++setup.errors;
        setup.failure = r;
        co_return false;
      }
      c.pledged = true;
    }
    if (setup.requests > 0) setup.ready_at = steady::now();
    co_return true;
  }

  static std::string login_body(const candidate_state& c) {
    return fmt::format(R"({{"exam_no":"{}","password":"{}"}})", c.account->exam_no,
                       c.account->login_password);
  }

  void remember_page_token(const std::string& body) {
    std::string next = json_string(parser_, body, "next_page_token");
    if (next.empty()) return;
    // A few recent tokens are enough to browse onwards from.
    if (page_tokens_.size() >= 64) page_tokens_.pop_front();
    page_tokens_.push_back(std::move(next));
  }

  // Keeps the receipt of an acknowledged formal submission for reconciliation; false when the
  // body lacks the version or the receipt hash.
  bool keep_receipt(const candidate_state& c, const std::string& key, const std::string& body) {
    simdjson::padded_string json(body);
    simdjson::ondemand::document doc;
    std::int64_t version = 0;
    std::string_view exam_no, batch, hash;
    if (parser_.iterate(json).get(doc) || doc["exam_no"].get_string().get(exam_no) ||
        doc["batch"].get_string().get(batch) || doc["version"].get_int64().get(version) ||
        doc["receipt_hash"].get_string().get(hash)) {
      return false;
    }
    if (exam_no != c.account->exam_no || batch != "undergrad") {
      // A receipt for someone else's request: never acceptable, reported on its own.
      ++foreign_receipts;
      return false;
    }
    acks.push_back({c.account->exam_no, core::batch::undergrad, version, std::string(hash), key});
    return true;
  }

  // Sends one arrival of `a` due at `intended` (in phase `phase_index`) and records it.
  asio::awaitable<void> handle(action a, steady::time_point intended, std::size_t phase_index) {
    auto& st = stats[static_cast<std::size_t>(a)];
    auto& ph = phases[phase_index];
    auto& pst = ph.actions[static_cast<std::size_t>(a)];
    candidate_state* c = nullptr;
    if (needs_candidate(a)) {
      c = take_candidate(a);
      if (c == nullptr) {
        ++st.no_candidate;
        ++pst.no_candidate;
        co_return;
      }
    }
    ++in_flight_;
    std::optional<steady::time_point> first_send;
    reply r;
    bool setup_failed = false;
    bool unreadable = false;
    setup_tally setup;
    switch (a) {
      case action::login:
        r = co_await exchange(http::verb::post, "/api/v1/auth/login", login_body(*c), "", "",
                              first_send);
        if (r.status == 200) {
          c->token = json_string(parser_, r.body, "token");
          c->pledged = false;
        }
        break;
      case action::schedule:
        r = co_await exchange(http::verb::get, "/api/v1/schedule", "", "", "", first_send);
        break;
      case action::ping:
        r = co_await exchange(http::verb::get, "/api/v1/ping", "", "", "", first_send);
        break;
      case action::plans_browse:
        if (!co_await ensure_session(*c, false, first_send, setup)) {
          setup_failed = true;
          break;
        }
        r = co_await exchange(http::verb::get, "/api/v1/plans?batch=undergrad", "", c->token, "",
                              first_send);
        if (r.status == 200) remember_page_token(r.body);
        break;
      case action::plans_page: {
        if (!co_await ensure_session(*c, false, first_send, setup)) {
          setup_failed = true;
          break;
        }
        std::string target = "/api/v1/plans?batch=undergrad";
        if (!page_tokens_.empty()) {
          std::uniform_int_distribution<std::size_t> pick(0, page_tokens_.size() - 1);
          target += "&page_token=";
          target += page_tokens_[pick(rng_)];
          ++pages_followed;
        }
        r = co_await exchange(http::verb::get, std::move(target), "", c->token, "", first_send);
        if (r.status == 200) remember_page_token(r.body);
        break;
      }
      case action::submit: {
        if (!co_await ensure_session(*c, true, first_send, setup)) {
          setup_failed = true;
          break;
        }
        const std::string key =
            fmt::format("lt-{}-{}-{}", run_id_, c->account->exam_no, ++c->submissions);
        r = co_await exchange(http::verb::post, "/api/v1/applications/undergrad",
                              c->account->submit_body, c->token, key, first_send);
        if ((r.status == 201 || r.status == 200) && !keep_receipt(*c, key, r.body)) {
          unreadable = true;
          ++unreadable_receipts;
        }
        break;
      }
      case action::receipt_view:
        if (!co_await ensure_session(*c, false, first_send, setup)) {
          setup_failed = true;
          break;
        }
        r = co_await exchange(http::verb::get, "/api/v1/applications/undergrad", "", c->token, "",
                              first_send);
        break;
      case action::logout:
        if (!co_await ensure_session(*c, false, first_send, setup)) {
          setup_failed = true;
          break;
        }
        r = co_await exchange(http::verb::post, "/api/v1/auth/logout", "", c->token, "",
                              first_send);
        c->token.clear();
        c->pledged = false;
        break;
      case action::scores: {
        if (!co_await ensure_session(*c, false, first_send, setup)) {
          setup_failed = true;
          break;
        }
        std::string target = "/api/v1/scores?group=";
        target += std::to_string(any_group(*c));
        r = co_await exchange(http::verb::get, std::move(target), "", c->token, "", first_send);
        break;
      }
      case action::favorite_put: {
        if (!co_await ensure_session(*c, true, first_send, setup)) {
          setup_failed = true;
          break;
        }
        std::string target = "/api/v1/favorites/group/";
        target += std::to_string(any_group(*c));
        // One of the default categories 冲, 稳, 保.
        static constexpr std::array<std::string_view, 3> categories = {
            R"({"category":"冲"})", R"({"category":"稳"})", R"({"category":"保"})"};
        std::uniform_int_distribution<std::size_t> pick(0, categories.size() - 1);
        r = co_await exchange(http::verb::put, std::move(target),
                              std::string(categories[pick(rng_)]), c->token, "", first_send);
        break;
      }
      case action::draft_save: {
        if (!co_await ensure_session(*c, true, first_send, setup)) {
          setup_failed = true;
          break;
        }
        if (c->draft_version < 0) {
          // The draft's version is needed for If-Match; read it once per candidate.
          ++setup.requests;
          const auto d = co_await exchange(http::verb::get, "/api/v1/drafts/undergrad", "",
                                           c->token, "", first_send);
          const auto version =
              d.status == 200 ? json_int(parser_, d.body, "version") : std::nullopt;
          if (!version) {
            if (!d.stopped) ++setup.errors;
            setup.failure = d;
            setup_failed = true;
            break;
          }
          c->draft_version = *version;
        }
        r = co_await exchange(http::verb::put, "/api/v1/drafts/undergrad", c->account->draft_body,
                              c->token, "", first_send, c->draft_version);
        const auto saved = r.status == 200 || r.status == 201 ? json_int(parser_, r.body, "version")
                                                              : std::nullopt;
        c->draft_version = saved ? *saved : -1;
        break;
      }
    }
    if (c != nullptr) {
      // A session the server no longer knows is signed in again next time.
      if (r.status == 401) c->token.clear();
      c->busy = false;
      c->last_answer = steady::now();
      c->think_quantile = 1 - std::uniform_real_distribution<double>(0, 1)(rng_);
    }
    --in_flight_;
    if (setup_failed && setup.failure) r = std::move(*setup.failure);
    setup_requests += setup.requests;
    setup_errors += setup.errors;
    ph.setup_requests += setup.requests;
    ph.setup_errors += setup.errors;
    if (stopping_ || r.stopped) {
      ++st.unfinished;
      ++pst.unfinished;
      co_return;
    }
    const auto done = steady::now();
    last_answer = std::max(last_answer, done);
    const bool late =
        first_send && *first_send - intended > seconds_to_duration(opt_.late_after_ms / 1000);
    const bool ok = !setup_failed && !unreadable && expected_status(a, r.status);
    // The action's request is timed from its intended send time, or, when a sign-in or pledge
    // had to go first, from their answer (their own time goes to setup_latency): an endpoint's
    // latency is its own request's. A failed setup counts as the action's error, timed whole.
    if (setup.ready_at) setup_latency.record(micros_between(intended, *setup.ready_at));
    const std::uint64_t us =
        micros_between(setup.ready_at ? std::max(intended, *setup.ready_at) : intended, done);
    if (!ok && r.status != 0 && st.samples.size() < 8) {
      // What the server said, for the report: the first two unexpected answers of each status.
      const std::string prefix = fmt::format("{} ", r.status);
      if (std::count_if(st.samples.begin(), st.samples.end(),
                        [&](const std::string& x) { return x.starts_with(prefix); }) < 2) {
        st.samples.push_back(prefix + r.body.substr(0, 300));
      }
    }
    for (action_stats* target : {&st, &pst}) {
      ++target->sent;
      if (late) ++target->late;
      ++target->by_status[r.status];
      if (!r.transport_error.empty()) ++target->transport_errors[r.transport_error];
      if (!ok) ++target->errors;
      target->latency.record(us);
    }
    ph.overall.record(us);
    const auto second = static_cast<std::size_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(done - start_).count()));
    if (seconds.size() <= second) seconds.resize(second + 1);
    auto& b = seconds[second];
    if (!b.latency) b.latency = std::make_unique<histogram>(2);
    ++b.count;
    ++b.by_action[static_cast<std::size_t>(a)];
    if (!ok) ++b.errors;
    b.latency->record(us);
  }

  const scenario& s_;
  const run_options& opt_;
  unsigned index_;
  steady::time_point start_;
  // One thread runs this io_context and nothing else touches it: no locking needed.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  tcp::endpoint endpoint_;
  std::mt19937_64 rng_;
  steady::duration timeout_;
  steady::duration tick_;
  std::string run_id_;
  std::vector<std::pair<double, action>> cumulative_;
  std::array<think_time, action_count> think_;
  std::vector<candidate_state> candidates_;
  std::size_t next_once_ = 0;
  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<connection*> idle_;
  std::deque<waiter*> waiters_;
  std::unordered_set<asio::steady_timer*> pauses_;  // Retry-After pauses in progress
  std::deque<std::string> page_tokens_;
  simdjson::ondemand::parser parser_;
  std::uint64_t in_flight_ = 0;
  bool stopping_ = false;
};

}  // namespace

void action_stats::merge(const action_stats& o) {
  latency.merge(o.latency);
  arrivals += o.arrivals;
  sent += o.sent;
  errors += o.errors;
  late += o.late;
  no_candidate += o.no_candidate;
  dropped += o.dropped;
  unfinished += o.unfinished;
  for (const auto& [status, n] : o.by_status) by_status[status] += n;
  for (const auto& [what, n] : o.transport_errors) transport_errors[what] += n;
  for (const auto& sample : o.samples) {
    if (samples.size() < 8) samples.push_back(sample);
  }
}

std::uint64_t run_report::arrivals() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.arrivals;
  return n;
}
std::uint64_t run_report::sent() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.sent;
  return n;
}
std::uint64_t run_report::errors() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.errors;
  return n;
}
std::uint64_t run_report::late() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.late;
  return n;
}
std::uint64_t run_report::dropped() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.dropped;
  return n;
}

std::uint64_t phase_report::arrivals() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.arrivals;
  return n;
}
std::uint64_t phase_report::sent() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.sent;
  return n;
}
std::uint64_t phase_report::errors() const noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.errors;
  return n;
}
double phase_report::offered_rate() const noexcept {
  return duration_s > 0 ? static_cast<double>(arrivals()) / duration_s : 0;
}
double phase_report::achieved_rate() const noexcept {
  return duration_s > 0 ? static_cast<double>(sent()) / duration_s : 0;
}

namespace {

// User and system CPU time of this process so far (every thread; not the faults' commands).
double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// Runs the faults at their seconds from `start`, each by /bin/sh -c, one after the other, until
// `done` is set; those whose second has not come by then are not run.
class fault_runner {
 public:
  fault_runner(std::vector<fault> faults, steady::time_point start)
      : faults_(std::move(faults)), start_(start) {
    std::stable_sort(faults_.begin(), faults_.end(),
                     [](const fault& a, const fault& b) { return a.at_s < b.at_s; });
    if (!faults_.empty()) thread_ = std::thread([this] { run(); });
  }
  fault_runner(const fault_runner&) = delete;
  fault_runner& operator=(const fault_runner&) = delete;
  ~fault_runner() { finish(); }

  /// Stops waiting for the next fault (one already running finishes) and returns what ran.
  std::vector<fault_report> finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    return std::move(reports_);
  }

 private:
  void run() {
    for (const auto& f : faults_) {
      {
        std::unique_lock lock(mutex_);
        if (wake_.wait_until(lock, start_ + seconds_to_duration(f.at_s), [this] { return done_; }))
          return;
      }
      fault_report r;
      r.at_s = f.at_s;
      r.command = f.command;
      const auto began = steady::now();
      r.started_s = std::chrono::duration<double>(began - start_).count();
      std::fprintf(stderr, "zhiyuan-loadtest: fault at %.1fs: %s\n", r.started_s,
                   f.command.c_str());
      const int status = std::system(f.command.c_str());
      if (status == -1) {
        r.exit_status = -1;
      } else if (WIFEXITED(status)) {
        r.exit_status = WEXITSTATUS(status);
      } else if (WIFSIGNALED(status)) {
        r.exit_status = 128 + WTERMSIG(status);
      }
      r.seconds = std::chrono::duration<double>(steady::now() - began).count();
      reports_.push_back(std::move(r));
    }
  }

  std::vector<fault> faults_;
  steady::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::vector<fault_report> reports_;
  std::thread thread_;
};

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
  r.phases = workers.front()->phases;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const auto& w = workers[i];
    for (std::size_t a = 0; a < action_count; ++a) r.actions[a].merge(w->stats[a]);
    r.setup_requests += w->setup_requests;
    r.setup_latency.merge(w->setup_latency);
    r.setup_errors += w->setup_errors;
    r.pages_followed += w->pages_followed;
    r.unreadable_receipts += w->unreadable_receipts;
    r.foreign_receipts += w->foreign_receipts;
    r.retries += w->retries;
    r.stale_retries += w->stale_retries();
    r.acks.insert(r.acks.end(), w->acks.begin(), w->acks.end());
    last = std::max(last, w->last_answer);
    if (i == 0) continue;
    for (std::size_t p = 0; p < r.phases.size(); ++p) {
      auto& into = r.phases[p];
      const auto& from = w->phases[p];
      for (std::size_t a = 0; a < action_count; ++a) into.actions[a].merge(from.actions[a]);
      into.overall.merge(from.overall);
      into.setup_requests += from.setup_requests;
      into.setup_errors += from.setup_errors;
    }
  }
  for (const auto& a : r.actions) r.overall.merge(a.latency);
  r.elapsed_s = std::chrono::duration<double>(last - start).count();
  r.offered_rate = r.phases_s > 0 ? static_cast<double>(r.arrivals()) / r.phases_s : 0;
  const double span = std::max(r.phases_s, r.elapsed_s);
  r.achieved_rate = span > 0 ? static_cast<double>(r.sent()) / span : 0;

  std::size_t seconds = 0;
  for (const auto& w : workers) seconds = std::max(seconds, w->seconds.size());
  histogram merged(2);
  for (std::size_t i = 0; i < seconds; ++i) {
    second_sample out;
    merged.reset();
    for (const auto& w : workers) {
      if (i >= w->seconds.size() || !w->seconds[i].latency) continue;
      out.count += w->seconds[i].count;
      out.errors += w->seconds[i].errors;
      merged.merge(*w->seconds[i].latency);
    }
    for (const auto& w : workers) {
      if (i >= w->seconds.size()) continue;
      for (std::size_t a = 0; a < action_count; ++a) out.by_action[a] += w->seconds[i].by_action[a];
    }
    out.p50_ms = static_cast<double>(merged.value_at_percentile(50)) / 1000;
    out.p99_ms = static_cast<double>(merged.value_at_percentile(99)) / 1000;
    r.per_second.push_back(out);
  }
  // A worker that abandoned operations still owns them through its io_context, which cannot
  // be destroyed safely while the kernel holds them: leave such a worker to the process's exit.
  for (auto& w : workers) {
    if (w->abandoned > 0) (void)w.release();
  }
  return r;
}

namespace {

// The scenario's thresholds over one set of statistics (a run's, or a phase's).
std::vector<threshold_result> evaluate(const thresholds& limits,
                                       const std::array<action_stats, action_count>& actions,
                                       const histogram& overall, std::uint64_t setup_requests,
                                       std::uint64_t setup_errors, double offered,
                                       double achieved) {
  std::vector<threshold_result> out;
  for (const auto& t : limits.latency) {
    const histogram& h =
        t.endpoint ? actions[static_cast<std::size_t>(*t.endpoint)].latency : overall;
    const double ms = static_cast<double>(h.value_at_percentile(t.percentile)) / 1000;
    out.push_back({t.key, ms, t.max_ms, false, ms <= t.max_ms});
  }
  if (limits.max_error_rate) {
    std::uint64_t sent = setup_requests, failed = setup_errors;
    for (const auto& a : actions) {
      // A dropped arrival was due and never sent: it failed as surely as a 503 would have.
      sent += a.sent + a.dropped;
      failed += a.errors + a.dropped;
    }
    const double rate = sent > 0 ? static_cast<double>(failed) / static_cast<double>(sent) : 0;
    out.push_back(
        {"error_rate", rate, *limits.max_error_rate, false, rate <= *limits.max_error_rate});
  }
  if (limits.min_achieved_ratio) {
    const double ratio = offered > 0 ? achieved / offered : 1;
    out.push_back({"min_achieved_ratio", ratio, *limits.min_achieved_ratio, true,
                   ratio >= *limits.min_achieved_ratio});
  }
  return out;
}

}  // namespace

std::vector<threshold_result> check_thresholds(const scenario& s, const run_report& r) {
  return evaluate(s.limits, r.actions, r.overall, r.setup_requests, r.setup_errors, r.offered_rate,
                  r.achieved_rate);
}

std::vector<threshold_result> check_thresholds(const scenario& s, const phase_report& p) {
  return evaluate(s.limits, p.actions, p.overall, p.setup_requests, p.setup_errors,
                  p.offered_rate(), p.achieved_rate());
}

std::optional<knee_result> find_knee(const scenario& s, const run_report& r) {
  if (!s.knee) return std::nullopt;
  knee_result k;
  k.threshold = s.knee->threshold;
  for (std::size_t i = 0; i < r.phases.size(); ++i) {
    // A phase nobody was sent in (the run stopped before it) tells nothing.
    if (r.phases[i].arrivals() == 0) break;
    const auto checks = check_thresholds(s, r.phases[i]);
    const auto it = std::find_if(checks.begin(), checks.end(),
                                 [&](const threshold_result& c) { return c.key == k.threshold; });
    if (it == checks.end()) break;
    if (!it->ok) {
      k.first_broken = i;
      k.at_break = *it;
      break;
    }
    k.last_held = i;
    k.knee_rps = r.phases[i].rate_to;
  }
  return k;
}

}  // namespace zhiyuan::loadtest
