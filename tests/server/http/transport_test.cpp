// The connection loops' own behaviour, on both transports (server.io = uring and epoll): the
// io_uring completion tags, pipelining in order across waiting handlers, a request split at
// every byte, the head and body limits, 100-continue and upload admission, timeouts, the
// connection limit, shared bodies sent by reference, handler timers and timeouts on time, streamed
// bodies, many completions posted from a foreign thread and the client named by a trusted proxy
// (PROXY v2, X-Forwarded-For).
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/http/body_file.hpp"
#include "server/http/listener.hpp"
#include "server/http/uring_ring.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/no_io_uring.hpp"

namespace zhiyuan::server {
namespace {

namespace asio = boost::asio;

TEST(uring_tag, packs_op_generation_and_slot) {
  const uring::tag t{uring::op::send, 0xabcdef, 0xfffffffe};
  const uring::tag u = uring::unpack(uring::pack(t));
  EXPECT_EQ(u.kind, uring::op::send);
  EXPECT_EQ(u.generation, 0xabcdefu);
  EXPECT_EQ(u.slot, 0xfffffffeu);
  // Only 24 bits of the generation are kept: a wrapped generation still compares equal.
  EXPECT_EQ(uring::unpack(uring::pack({uring::op::recv, 0x1000001, 3})).generation, 1u);
}

// A multishot receive that finds no free buffer ends with ENOBUFS; once buffers are returned, a
// re-armed receive gets the rest, in order.
TEST(uring_ring, multishot_receive_ends_with_enobufs_and_resumes_after_recycling) {
  uring::ring r;
  ASSERT_FALSE(r.init(2));
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::string sent(uring::ring::buffer_size * 2 + 1000, '\0');
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(write(fds[1], sent.data(), sent.size()), static_cast<ssize_t>(sent.size()));
  std::string got;
  bool saw_enobufs = false;
  for (int round = 0; round < 4 && got.size() < sent.size(); ++round) {
    io_uring_sqe* sqe = r.sqe();
    io_uring_prep_recv_multishot(sqe, fds[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = uring::ring::buffer_group;
    bool more = true;
    std::vector<unsigned> used;
    while (more && got.size() < sent.size()) {
      io_uring_cqe* cqe = nullptr;
      ASSERT_GE(io_uring_submit_and_wait(r.get(), 1), 0);
      ASSERT_EQ(io_uring_peek_cqe(r.get(), &cqe), 0);
      more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      if (cqe->res == -ENOBUFS) saw_enobufs = true;
      if (cqe->res > 0) {
        const unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        got.append(r.buffer(id), cqe->res);
        used.push_back(id);
      }
      io_uring_cqe_seen(r.get(), cqe);
    }
    for (unsigned id : used) r.recycle(id);
  }
  EXPECT_TRUE(saw_enobufs);
  EXPECT_EQ(got, sent);
  close(fds[0]);
  close(fds[1]);
}

// In a child process whose io_uring_setup(2) fails with EPERM (a seccomp filter): auto falls
// back to epoll and serves, uring refuses to start. Exit code: 0 when both held.
int fallback_in_child() {
  if (!test::forbid_io_uring()) return 10;
  std::vector<route_spec> r;
  r.push_back({http::verb::get,
               "/ok",
               sync_handler([](request_context& ctx) { ctx.res.body = std::string("1"); }),
               {}});
  router routes(std::move(r));
  metrics stats(routes.names());
  server_settings settings;
  settings.port = 0;
  settings.io_threads = 1;
  settings.io = "auto";
  {
    http_server s(settings, routes, stats);
    s.start();
    if (s.transport() != "epoll") return 11;
    if (test::request(s.port(), "GET", "/ok").body != "1") return 12;
    if (stats.render().find("io=\"epoll\"") == std::string::npos) return 13;
    s.stop();
  }
  settings.io = "uring";
  http_server refusing(settings, routes, stats);
  try {
    refusing.start();
    return 14;
  } catch (const std::runtime_error&) {
    return 0;
  }
}

TEST(uring_fallback, auto_serves_on_epoll_when_the_kernel_refuses_a_ring) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(fallback_in_child());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no filter, 11: not epoll, 12: no answer, "
                                       "13: metrics, 14: uring started";
}

// A thread that runs jobs and posts their completions back, like the worker pools.
class foreign_thread {
 public:
  foreign_thread() : thread_([this] { run(); }) {}
  ~foreign_thread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }
  void push(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

asio::awaitable<void> on_foreign_thread(foreign_thread& t) {
  auto ex = co_await asio::this_coro::executor;
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&t, ex](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        t.push([h, ex] { asio::post(ex, [h] { (*h)(); }); });
      },
      asio::use_awaitable);
}

// 300 kB, more than a socket takes at once: the send of a shared body resumes mid-piece.
std::shared_ptr<const std::string> shared_bytes() {
  static const auto bytes = [] {
    std::string b(300'000, '\0');
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>('a' + i % 23);
    return std::make_shared<const std::string>(std::move(b));
  }();
  return bytes;
}

// The same bytes kept in a memory file: the native loop sends them with sendfile(2).
std::shared_ptr<const stored_body> stored_bytes() {
  static const auto arena = body_arena::create("transport-test");
  static const auto body = store_body(arena, *shared_bytes());
  return body;
}

std::vector<route_spec> routes_on(foreign_thread& pool) {
  std::vector<route_spec> r;
  r.push_back({http::verb::get,
               "/ok",
               sync_handler([](request_context& ctx) {
                 ctx.res.body = std::string("{\"peer\":\"") + std::string(ctx.peer) + "\"}";
               }),
               {}});
  r.push_back({http::verb::post,
               "/echo",
               sync_handler([](request_context& ctx) { ctx.res.body = ctx.request.body(); }),
               {}});
  r.push_back({http::verb::get,
               "/pool/{n}",
               async_handler([&pool](request_context& ctx) -> asio::awaitable<void> {
                 co_await on_foreign_thread(pool);
                 ctx.res.body = std::string(ctx.params.get("n"));
               }),
               {}});
  // A large body shared with a cache: sent by reference after its head, never copied.
  r.push_back({http::verb::get,
               "/shared",
               sync_handler([](request_context& ctx) { ctx.res.share_body(shared_bytes()); }),
               {}});
  r.push_back({http::verb::get,
               "/stored",
               sync_handler([](request_context& ctx) { ctx.res.share_body(stored_bytes()); }),
               {}});
  // Waits on a timer of the loop's io_context for {ms} milliseconds.
  r.push_back({http::verb::get,
               "/wait/{ms}",
               async_handler([](request_context& ctx) -> asio::awaitable<void> {
                 asio::steady_timer t(
                     co_await asio::this_coro::executor,
                     std::chrono::milliseconds(std::stoi(std::string(ctx.params.get("ms")))));
                 co_await t.async_wait(asio::use_awaitable);
                 ctx.res.body = "waited";
               }),
               {}});
  r.push_back({http::verb::get,
               "/stream",
               sync_handler([](request_context& ctx) {
                 ctx.res.body = "[";
                 auto left = std::make_shared<int>(3);
                 ctx.res.stream = [left](std::string& chunk) -> asio::awaitable<stream_step> {
                   chunk = std::to_string(*left);
                   co_return --*left == 0 ? stream_step::done : stream_step::more;
                 };
               }),
               {}});
  r.push_back({http::verb::post,
               "/api/v1/admin/documents",
               sync_handler([](request_context& ctx) {
                 ctx.res.body = std::to_string(ctx.request.body().size());
               }),
               {}});
  return r;
}

class transport_test : public ::testing::TestWithParam<const char*> {
 protected:
  void start(void (*adjust)(server_settings&) = nullptr) {
    settings_.port = 0;
    settings_.io_threads = 1;
    settings_.io = GetParam();
    settings_.body_limit = 1024;
    settings_.upload_limit = 64 * 1024;
    if (adjust != nullptr) adjust(settings_);
    server_ = std::make_unique<http_server>(settings_, routes_, stats_);
    server_->admit_upload =
        [](std::string_view authorization) -> asio::awaitable<std::optional<core::error>> {
      if (authorization == "Bearer ok") co_return std::nullopt;
      co_return core::error{core::errc::unauthenticated, "no session"};
    };
    server_->start();
    ASSERT_EQ(server_->transport(), std::string_view(GetParam()));
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::uint16_t port() const { return server_->port(); }

  foreign_thread pool_;
  server_settings settings_;
  router routes_{routes_on(pool_)};
  metrics stats_{routes_.names()};
  std::unique_ptr<http_server> server_;
};

TEST_P(transport_test, pipelined_requests_are_answered_in_order_across_waiting_handlers) {
  start();
  test::raw_connection c(port());
  std::string batch;
  for (int i = 0; i < 40; ++i) {
    batch += i % 3 == 0 ? "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
                        : "GET /pool/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  c.send(batch);
  for (int i = 0; i < 40; ++i) {
    auto r = c.read_reply();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, i % 3 == 0 ? "{\"peer\":\"127.0.0.1\"}" : std::to_string(i));
  }
}

// Shared bodies go out by reference between the heads and small bodies of a pipelined batch,
// every byte in its place; the cache's buffer is not held once they are sent.
TEST_P(transport_test, shared_bodies_are_sent_in_order_within_a_pipelined_batch) {
  start();
  const auto bytes = shared_bytes();
  test::raw_connection c(port());
  std::string batch;
  for (int i = 0; i < 6; ++i) {
    batch += i % 2 == 0 ? "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
                        : "GET /shared HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  c.send(batch);
  for (int i = 0; i < 6; ++i) {
    auto r = c.read_reply();
    ASSERT_TRUE(r) << i;
    if (i % 2 == 0) {
      EXPECT_EQ(r->body, "{\"peer\":\"127.0.0.1\"}") << i;
    } else {
      EXPECT_TRUE(r->body == *bytes) << i << ": " << r->body.size() << " bytes";
    }
  }
  c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c.read_reply());
  EXPECT_EQ(bytes.use_count(), 2);  // this test's and shared_bytes()'s own
}

// More shared bodies pipelined than one sendmsg may carry (IOV_MAX is 1024 pieces): all arrive.
TEST_P(transport_test, more_shared_bodies_than_one_send_can_carry_all_arrive) {
  start();
  const auto bytes = shared_bytes();
  test::raw_connection c(port());
  std::string batch;
  for (int i = 0; i < 1200; ++i) batch += "GET /shared HTTP/1.1\r\nHost: x\r\n\r\n";
  c.send(batch);
  for (int i = 0; i < 1200; ++i) {
    auto r = c.read_reply();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->body.size(), bytes->size()) << i;
  }
}

// Bodies kept in a memory file go out by sendfile(2), more than the socket takes at once, in
// their place between the heads and bodies of a pipelined batch.
TEST_P(transport_test, bodies_from_a_memory_file_arrive_whole_and_in_order) {
  start();
  const auto stored = stored_bytes();
  ASSERT_GE(stored->file.fd, 0);
  test::raw_connection c(port());
  for (int round = 0; round < 2; ++round) {
    std::string batch;
    for (int i = 0; i < 5; ++i) {
      batch += i % 2 == 0 ? "GET /stored HTTP/1.1\r\nHost: x\r\n\r\n"
                          : "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    c.send(batch);
    for (int i = 0; i < 5; ++i) {
      auto r = c.read_reply();
      ASSERT_TRUE(r) << round << "/" << i;
      if (i % 2 == 0) {
        EXPECT_TRUE(r->body == stored->bytes) << i << ": " << r->body.size() << " bytes";
      } else {
        EXPECT_EQ(r->body, "{\"peer\":\"127.0.0.1\"}") << i;
      }
    }
  }
}

// A client that asks for file-backed bodies and reads nothing fills its socket: the loop does
// not wait for it (the socket is non-blocking), another client is answered meanwhile, and the
// stalled one gets every byte once it reads.
TEST_P(transport_test, a_client_that_does_not_read_stalls_only_itself) {
  start();
  const auto stored = stored_bytes();
  test::raw_connection stalled(port());
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += "GET /stored HTTP/1.1\r\nHost: x\r\n\r\n";
  stalled.send(batch);
  test::raw_connection other(port());
  other.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = other.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (int i = 0; i < 20; ++i) {
    auto s = stalled.read_reply();
    ASSERT_TRUE(s) << i;
    ASSERT_TRUE(s->body == stored->bytes) << i;
  }
}

TEST_P(transport_test, a_request_split_at_every_byte_is_answered) {
  start();
  const std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  test::raw_connection c(port());
  for (std::size_t cut = 1; cut < req.size(); ++cut) {
    c.send(req.substr(0, cut));
    c.send(req.substr(cut));
    auto r = c.read_reply();
    ASSERT_TRUE(r) << cut;
    EXPECT_EQ(r->body, "hello") << cut;
  }
}

TEST_P(transport_test, head_and_body_limits_answer_431_and_413_and_close) {
  start();
  test::raw_connection big_head(port());
  big_head.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  auto r = big_head.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431u);
  EXPECT_TRUE(big_head.peer_closed());

  test::raw_connection big_body(port());
  big_body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n");
  r = big_body.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413u);
  EXPECT_TRUE(big_body.peer_closed());
}

TEST_P(transport_test, expect_100_continue_gets_the_interim_answer_before_the_body) {
  start();
  test::raw_connection c(port());
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  auto interim = c.read_reply();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100u);
  c.send("abc");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "abc");
}

TEST_P(transport_test, uploads_are_admitted_or_refused_before_their_body) {
  start();
  const std::string body(20000, 'x');
  test::raw_connection refused(port());
  refused.send("POST /api/v1/admin/documents HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n");
  auto r = refused.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401u);
  EXPECT_TRUE(refused.peer_closed());

  test::raw_connection admitted(port());
  admitted.send(
      "POST /api/v1/admin/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Content-Length: 20000\r\n\r\n" +
      body);
  r = admitted.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "20000");
}

TEST_P(transport_test, idle_and_read_timeouts_close_the_connection) {
  start([](server_settings& s) {
    s.idle_timeout = std::chrono::milliseconds(200);
    s.read_timeout = std::chrono::milliseconds(200);
  });
  test::raw_connection idle(port());
  EXPECT_EQ(idle.read_end(), asio::error::eof);  // an idle keep-alive connection is closed
  test::raw_connection partial(port());
  partial.send("GET /ok HTTP/1.1\r\nHo");
  // A request that does not arrive in time is reset on io_uring (no FIN exchange, no TIME_WAIT:
  // cheaper under slowloris); the epoll fallback closes it.
  const boost::system::error_code expected =
      std::string_view(GetParam()) == "uring"
          ? boost::system::error_code(asio::error::connection_reset)
          : boost::system::error_code(asio::error::eof);
  EXPECT_EQ(partial.read_end(), expected);
}

// A handler's timer wakes the loop when it is due: ten 2 ms waits in a row take tens of
// milliseconds, not the ten sweep intervals (100 ms each) a loop that polled its io_context only
// at its sweeps took.
TEST_P(transport_test, handler_timers_fire_on_time) {
  start();
  test::raw_connection c(port());
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    c.send("GET /wait/2 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_reply();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, "waited");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(500));
}

// server.handler_timeout cuts a handler that overruns at its deadline, not at the next sweep:
// five 10 ms timeouts in a row end within tens of milliseconds each, not sweep_interval each.
TEST_P(transport_test, a_short_handler_timeout_cuts_on_time) {
  start([](server_settings& s) { s.handler_timeout = std::chrono::milliseconds(10); });
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    test::raw_connection c(port());
    c.send("GET /wait/300 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_FALSE(c.read_reply()) << i;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(250));
}

TEST_P(transport_test, connections_over_the_limit_get_503) {
  start([](server_settings& s) { s.max_connections = 1; });
  test::raw_connection first(port());
  first.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(first.read_reply());
  test::raw_connection second(port());
  auto r = second.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503u);
}

TEST_P(transport_test, streamed_bodies_arrive_whole_and_the_connection_keeps_serving) {
  start();
  test::raw_connection c(port());
  c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->body, "[321");
  auto next = c.read_reply();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200u);
}

TEST_P(transport_test, ten_thousand_foreign_thread_completions_are_all_answered) {
  start();
  constexpr int connections = 50;
  constexpr int per_connection = 200;
  std::vector<std::unique_ptr<test::raw_connection>> conns;
  for (int i = 0; i < connections; ++i) {
    conns.push_back(std::make_unique<test::raw_connection>(port()));
    std::string batch;
    for (int j = 0; j < per_connection; ++j) {
      batch += "GET /pool/" + std::to_string(j) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    conns.back()->send(batch);
  }
  int answered = 0;
  for (auto& c : conns) {
    for (int j = 0; j < per_connection; ++j) {
      auto r = c->read_reply();
      ASSERT_TRUE(r);
      ASSERT_EQ(r->body, std::to_string(j));
      ++answered;
    }
  }
  EXPECT_EQ(answered, connections * per_connection);
  EXPECT_EQ(stats_.in_flight.load(), 0);
}

// From a trusted proxy the PROXY v2 header at the start of a connection names the client of its
// every request (read before the parser sees a byte, even when it arrives in pieces); without
// one, X-Forwarded-For's rightmost untrusted address; a malformed header ends the connection.
TEST_P(transport_test, a_trusted_proxy_names_the_client_by_proxy_v2_or_x_forwarded_for) {
  start([](server_settings& s) { s.trusted_proxies = "127.0.0.1/32"; });
  // TCP over IPv4 from 203.0.113.7:40000 to 127.0.0.1:8080.
  const unsigned char h[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                             0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 203,  0,    113,  7,
                             127,  0,    0,    1,    0x9C, 0x40, 0x1F, 0x90};
  const std::string header(reinterpret_cast<const char*>(h), sizeof h);
  const std::string get = "GET /ok HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.9\r\n\r\n";
  test::raw_connection proxied(port());
  proxied.send(header.substr(0, 10));
  proxied.send(header.substr(10) + get);
  for (int i = 0; i < 2; ++i) {
    auto r = proxied.read_reply();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, "{\"peer\":\"203.0.113.7\"}");
    if (i == 0) proxied.send(get);
  }
  test::raw_connection forwarded(port());
  forwarded.send(
      "GET /ok HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.1, 198.51.100.23\r\n\r\n");
  auto r = forwarded.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"peer\":\"198.51.100.23\"}");
  test::raw_connection malformed(port());
  malformed.send(header.substr(0, 12) + std::string(16, '\x7f') + get);
  EXPECT_FALSE(malformed.read_reply());
}

INSTANTIATE_TEST_SUITE_P(transports, transport_test, ::testing::Values("uring", "epoll"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace zhiyuan::server
