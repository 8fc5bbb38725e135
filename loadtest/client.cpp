#include "loadtest/client.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

namespace zhiyuan::loadtest {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

client::client(asio::io_context& io, asio::ip::tcp::endpoint endpoint, client_options options)
    : io_(io), endpoint_(endpoint), options_(std::move(options)) {}

// The request in wire form, written here (one string instead of a Beast message per request:
// the generator's CPU per request is what it is measured by).
std::string client::wire(const request& r) const {
  std::string req;
  req.reserve(160 + r.target.size() + r.token.size() + r.body.size());
  const auto method = http::to_string(r.verb);
  req.append(method.data(), method.size());
  req += ' ';
  req += r.target;
  req += " HTTP/1.1\r\nHost: ";
  req += options_.host;
  req += "\r\nUser-Agent: zhiyuan-loadtest\r\n";
  if (!r.token.empty()) {
    req += "Authorization: Bearer ";
    req += r.token;
    req += "\r\n";
  }
  if (!r.idempotency_key.empty()) {
    req += "Idempotency-Key: ";
    req += r.idempotency_key;
    req += "\r\n";
  }
  if (r.if_match >= 0) {
    req += "If-Match: \"";
    req += std::to_string(r.if_match);
    req += "\"\r\n";
  }
  if (!r.body.empty()) req += "Content-Type: application/json\r\n";
  // A body, or a method that has one (an empty POST or PUT says so: Content-Length: 0).
  if (!r.body.empty() || r.verb == http::verb::post || r.verb == http::verb::put ||
      r.verb == http::verb::patch) {
    req += "Content-Length: ";
    req += std::to_string(r.body.size());
    req += "\r\n";
  }
  req += "\r\n";
  req += r.body;
  return req;
}

asio::awaitable<reply> client::exchange(const request& r,
                                        std::optional<clock::time_point>& first_send) {
  reply out;
  const std::string req = wire(r);
  for (unsigned attempt = 0;; ++attempt) {
    if (stopping_) {
      out.stopped = true;
      co_return out;
    }
    http_connection* c = co_await acquire();
    if (c == nullptr || stopping_) {
      if (c != nullptr) release(c);
      out.stopped = true;
      co_return out;
    }
    if (!first_send) first_send = clock::now();
    http_connection::response res;
    const auto ec = co_await c->exchange(req, res, options_.timeout);
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
    if ((out.status != 503 && out.status != 429) || attempt >= options_.retries) co_return out;
    ++retries_;
    co_await pause_after(res);
    if (stopping_) co_return out;
  }
}

// The Retry-After pause before a resend: the server's seconds (1 without one, at most 5), cut
// short at the stop (like the exchanges), so that the stop need not wait it out.
asio::awaitable<void> client::pause_after(const http_connection::response& res) {
  unsigned wait_s = 1;
  if (const auto it = res.find(http::field::retry_after); it != res.end()) {
    const auto v = it->value();
    unsigned parsed = 0;
    const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), parsed);
    if (err == std::errc() && end == v.data() + v.size()) wait_s = std::min(parsed, 5U);
  }
  asio::steady_timer pause(io_, std::chrono::seconds(wait_s));
  pauses_.insert(&pause);
  co_await pause.async_wait(use_tuple);
  pauses_.erase(&pause);
}

asio::awaitable<http_connection*> client::acquire() {
  if (!idle_.empty()) {
    http_connection* c = idle_.back();
    idle_.pop_back();
    co_return c;
  }
  if (connections_.size() < options_.max_connections) {
    connections_.push_back(std::make_unique<http_connection>(io_, endpoint_, clock::duration::max(),
                                                             http_connection::timeouts::swept));
    co_return connections_.back().get();
  }
  waiter w{asio::steady_timer(io_, clock::time_point::max())};
  waiters_.push_back(&w);
  co_await w.timer.async_wait(use_tuple);
  co_return w.conn;
}

void client::release(http_connection* c) {
  if (!waiters_.empty()) {
    waiter* w = waiters_.front();
    waiters_.pop_front();
    w->conn = c;
    w->timer.cancel();
    return;
  }
  idle_.push_back(c);
}

void client::expire_overdue(clock::time_point now) {
  for (auto& c : connections_) c->expire_if_overdue(now);
}

void client::stop() {
  stopping_ = true;
  for (auto& c : connections_) c->abort();
  for (auto* w : waiters_) w->timer.cancel();
  waiters_.clear();
  for (auto* p : pauses_) p->cancel();
}

std::uint64_t client::stale_retries() const {
  std::uint64_t n = 0;
  for (const auto& c : connections_) n += c->stale_retries();
  return n;
}

}  // namespace zhiyuan::loadtest
