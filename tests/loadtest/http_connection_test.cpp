#include "loadtest/http_connection.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <csignal>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

// The connection's timeouts on whatever reactor this build uses (io_uring by default). Asio
// 1.81's io_uring backend sends a cancellation with the user data a recycled submission slot
// still holds, so once the 16,384-entry ring has wrapped, cancelling one socket's operation
// completes another socket's pending operation with a made-up result (bench/RESULTS.md,
// "zhiyuan-loadtest"). Here exchanges time out by the hundred while other connections keep
// exchanging well past a wrap of the ring; none of them may see an error or a wrong answer.

namespace zhiyuan::loadtest {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Answers every request whose target starts with /fast with its target as the body; leaves
// the others unanswered (their clients time out). It never cancels or closes a socket with an
// operation pending: a connection ends when the client's side does.
asio::awaitable<void> serve(tcp::socket socket) {
  asio::streambuf in;
  std::string out;
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(socket, in, "\r\n\r\n", use_tuple);
    if (ec) break;
    std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n);
    in.consume(n);
    const auto from = head.find(' ') + 1;
    const std::string target = head.substr(from, head.find(' ', from) - from);
    if (!target.starts_with("/fast")) continue;
    out = fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", target.size(), target);
    auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(out), use_tuple);
    if (wec) break;
  }
  boost::system::error_code ignored;
  socket.close(ignored);
}

asio::awaitable<void> accept_all(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) break;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

std::string wire(const std::string& target) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: test\r\n\r\n", target);
}

struct tally {
  int fast_ok = 0;
  std::vector<std::string> fast_failures;
  int slow_timeouts = 0;
  std::vector<std::string> slow_failures;
  int fast_running = 0;
};

// What the clients share. The run ends by itself: once every client has left its loop (the
// slow ones stop when the last fast one is done) the last to leave closes the connections
// (idle by then) and shuts the listening socket down; the server's reads end with the clients'
// sockets. Nothing is left pending when the sockets are destroyed (which would submit
// cancellations too).
struct run_state {
  asio::io_context& io;
  tcp::acceptor& acceptor;
  asio::steady_timer& guard;
  std::vector<std::unique_ptr<http_connection>>& connections;
  int clients_running = 0;
  tally t;
};

void client_done(run_state& run) {
  if (--run.clients_running > 0) return;
  for (auto& c : run.connections) c->close();
  ::shutdown(run.acceptor.native_handle(), SHUT_RD);
  run.guard.cancel();
}

asio::awaitable<void> fast_client(run_state& run, http_connection& c, int id, int exchanges) {
  tally& t = run.t;
  http_connection::response res;
  for (int i = 0; i < exchanges; ++i) {
    const std::string target = fmt::format("/fast/{}/{}", id, i);
    const std::string request = wire(target);
    const auto ec = co_await c.exchange(request, res, std::chrono::seconds(10));
    if (ec) {
      t.fast_failures.push_back(fmt::format("{}: {}", target, ec.message()));
    } else if (res.body() != target) {
      t.fast_failures.push_back(fmt::format("{}: answered '{}'", target, res.body()));
    } else {
      ++t.fast_ok;
    }
  }
  --t.fast_running;
  client_done(run);
}

asio::awaitable<void> slow_client(run_state& run, http_connection& c, int id) {
  tally& t = run.t;
  http_connection::response res;  // never filled: the server does not answer /slow
  for (int i = 0; t.fast_running > 0; ++i) {
    const std::string request = wire(fmt::format("/slow/{}/{}", id, i));
    const auto ec = co_await c.exchange(request, res, std::chrono::milliseconds(1));
    if (ec == boost::beast::error::timeout) {
      ++t.slow_timeouts;
    } else {
      t.slow_failures.push_back(fmt::format("slow {}/{}: {}", id, i, ec.message()));
    }
  }
  client_done(run);
}

TEST(http_connection, timeouts_never_disturb_other_connections) {
  std::signal(SIGPIPE, SIG_IGN);  // as zhiyuan-loadtest does (see http_connection::end_pending)
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  asio::co_spawn(io, accept_all(acceptor), asio::detached);
  // Bounded even if an exchange hangs. Not io.run_for(): in Asio 1.81 its wait on io_uring
  // submits a timeout removal with the same stale user data (see runner.cpp, worker::run).
  asio::steady_timer guard(io);
  guard.expires_after(std::chrono::seconds(60 * ZHIYUAN_TEST_TIME_SCALE));
  guard.async_wait([&io](boost::system::error_code ec) {
    if (!ec) io.stop();
  });

  // 8 x 4,000 exchanges: each takes at least two ring entries (the client's read, the
  // server's read), so the ring wraps about four times.
  constexpr int fast_connections = 8;
  constexpr int exchanges = 4'000;
  constexpr int slow_connections = 4;
  std::vector<std::unique_ptr<http_connection>> connections;
  run_state run{io, acceptor, guard, connections, fast_connections + slow_connections, {}};
  tally& t = run.t;
  t.fast_running = fast_connections;
  for (int i = 0; i < fast_connections + slow_connections; ++i) {
    connections.push_back(std::make_unique<http_connection>(io, acceptor.local_endpoint()));
    if (i < fast_connections) {
      asio::co_spawn(io, fast_client(run, *connections.back(), i, exchanges), asio::detached);
    } else {
      asio::co_spawn(io, slow_client(run, *connections.back(), i), asio::detached);
    }
  }
  io.run();

  EXPECT_EQ(t.fast_running, 0) << "exchanges did not finish";
  EXPECT_EQ(t.fast_ok, fast_connections * exchanges);
  for (std::size_t i = 0; i < t.fast_failures.size() && i < 10; ++i) {
    ADD_FAILURE() << t.fast_failures[i];
  }
  EXPECT_EQ(t.fast_failures.size(), 0u);
  EXPECT_EQ(t.slow_failures.size(), 0u) << (t.slow_failures.empty() ? "" : t.slow_failures[0]);
  // The slow side must have timed out often for the check above to mean anything.
  EXPECT_GE(t.slow_timeouts, 100);
}

}  // namespace
}  // namespace zhiyuan::loadtest
