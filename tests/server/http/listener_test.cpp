// The HTTP server in-process with a test route table: the catch-all turns a handler's
// exception into a logged 500 and the connection and process keep serving; async handlers
// complete on the connection's executor. Every test runs on both transports (server.io).
#include "server/http/listener.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/support/http_client.hpp"

namespace zhiyuan::server {
namespace {

namespace asio = boost::asio;

std::vector<route_spec> test_routes() {
  std::vector<route_spec> r;
  r.push_back({http::verb::get,
               "/boom",
               sync_handler([](request_context&) { throw std::runtime_error("bug in handler"); }),
               {}});
  r.push_back({http::verb::get,
               "/ok",
               sync_handler([](request_context& ctx) { ctx.res.body = "{}"; }),
               {}});
  r.push_back({http::verb::get, "/browse",
               sync_handler([](request_context& ctx) { ctx.res.body = "{}"; }),
               route_priority::browse});
  r.push_back({http::verb::get,
               "/later/{n}",
               async_handler([](request_context& ctx) -> asio::awaitable<void> {
                 // Hop through the executor once, as a commit completion would.
                 co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
                 ctx.res.body = std::string("{\"n\":") + std::string(ctx.params.get("n")) + "}";
               }),
               {}});
  r.push_back({http::verb::get,
               "/async-boom",
               async_handler([](request_context&) -> asio::awaitable<void> {
                 co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
                 throw std::logic_error("async bug");
               }),
               {}});
  r.push_back({http::verb::get,
               "/slow",
               async_handler([](request_context& ctx) -> asio::awaitable<void> {
                 asio::steady_timer t(co_await asio::this_coro::executor,
                                      std::chrono::milliseconds(600));
                 co_await t.async_wait(asio::use_awaitable);
                 ctx.res.body = "{}";
               }),
               {}});
  return r;
}

class listener_test : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    settings_.port = 0;
    settings_.io_threads = 2;
    settings_.io = GetParam();
    server_ = std::make_unique<http_server>(settings_, routes_, stats_);
    server_->shed_browsing = [this] { return overloaded_.load(); };
    server_->start();
    ASSERT_EQ(server_->transport(), std::string_view(GetParam()));
  }
  void TearDown() override { server_->stop(); }

  server_settings settings_;
  std::atomic<bool> overloaded_{false};
  router routes_{test_routes()};
  metrics stats_{routes_.names()};
  std::unique_ptr<http_server> server_;
};

TEST_P(listener_test, handler_exception_is_500_and_connection_keeps_serving) {
  test::raw_connection c(server_->port());
  c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  auto boom = c.read_reply();
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500u);
  EXPECT_NE(boom->body.find("\"code\":\"internal\""), std::string::npos);
  EXPECT_EQ(boom->body.find("bug in handler"), std::string::npos);  // no internals leak
  c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  auto ok = c.read_reply();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200u);
}

TEST_P(listener_test, async_handlers_answer_and_their_exceptions_are_caught) {
  test::raw_connection c(server_->port());
  c.send("GET /later/7 HTTP/1.1\r\nHost: x\r\n\r\nGET /async-boom HTTP/1.1\r\nHost: x\r\n\r\n");
  auto first = c.read_reply();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "{\"n\":7}");
  auto second = c.read_reply();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 500u);
}

TEST_P(listener_test, metrics_record_routes_and_statuses) {
  for (const char* t : {"/ok", "/ok", "/boom", "/missing"}) {
    test::request(server_->port(), "GET", t);
  }
  const std::string text = stats_.render();
  EXPECT_NE(text.find("zhiyuan_http_requests_total{route=\"GET /ok\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("zhiyuan_http_requests_total{route=\"GET /boom\",status=\"500\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("zhiyuan_http_requests_total{route=\"unmatched\",status=\"404\"} 1"),
            std::string::npos);
}

TEST_P(listener_test, browsing_is_shed_under_load_and_other_routes_are_not) {
  EXPECT_EQ(test::request(server_->port(), "GET", "/browse").status, 200u);
  overloaded_ = true;
  auto shed = test::request(server_->port(), "GET", "/browse");
  EXPECT_EQ(shed.status, 503u);
  EXPECT_FALSE(shed.header("retry-after").empty());
  // The transport answers it without the route's handler: it still carries the security headers.
  EXPECT_EQ(shed.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(shed.header("cache-control"), "no-store");
  EXPECT_EQ(test::request(server_->port(), "GET", "/ok").status, 200u);  // normal priority
  overloaded_ = false;
  EXPECT_EQ(test::request(server_->port(), "GET", "/browse").status, 200u);
  EXPECT_NE(stats_.render().find("zhiyuan_http_shed_browsing_total 1"), std::string::npos);
}

TEST_P(listener_test, stop_accepting_refuses_new_connections) {
  test::raw_connection idle(server_->port());
  idle.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(idle.read_reply());
  server_->stop_accepting();
  EXPECT_TRUE(idle.peer_closed());  // idle keep-alive connections are closed at once
  EXPECT_TRUE(server_->draining());
}

INSTANTIATE_TEST_SUITE_P(transports, listener_test, ::testing::Values("uring", "epoll"),
                         [](const auto& info) { return std::string(info.param); });

// Settings and hooks a test sets before the server starts, on both transports.
class listener_hooks : public ::testing::TestWithParam<const char*> {};

// A handler slower than read_timeout is answered: the read timeout bounds the reading of a
// request, server.handler_timeout its handling (a write waits up to writer.deadline_ms).
TEST_P(listener_hooks, handling_is_bounded_by_the_handler_timeout_not_the_read_timeout) {
  server_settings settings;
  settings.port = 0;
  settings.io = GetParam();
  settings.io_threads = 1;
  settings.read_timeout = std::chrono::milliseconds(200);
  settings.handler_timeout = std::chrono::milliseconds(5'000);
  router routes{test_routes()};
  metrics stats{routes.names()};
  http_server server(settings, routes, stats);
  server.start();
  ASSERT_EQ(server.transport(), std::string_view(GetParam()));
  const auto r = test::request(server.port(), "GET", "/slow");
  EXPECT_EQ(r.status, 200u);
  server.stop();
}

// The prelude runs before the handler when it wants the request; answering, it skips the
// handler.
TEST_P(listener_hooks, runs_the_prelude_before_the_handler_and_it_may_answer_instead) {
  server_settings settings;
  settings.port = 0;
  settings.io = GetParam();
  settings.io_threads = 1;
  router routes{test_routes()};
  metrics stats{routes.names()};
  http_server server(settings, routes, stats);
  std::atomic<int> preludes{0};
  server.wants_prelude = [](const request_context& ctx) { return ctx.path != "/ok"; };
  server.prelude = [&preludes](request_context& ctx) -> asio::awaitable<bool> {
    ++preludes;
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (ctx.path != "/later/1") co_return true;
    ctx.res.status = 503;
    ctx.res.body = "{}";
    co_return false;
  };
  server.start();
  ASSERT_EQ(server.transport(), std::string_view(GetParam()));
  EXPECT_EQ(test::request(server.port(), "GET", "/ok").body, "{}");
  EXPECT_EQ(preludes.load(), 0);
  EXPECT_EQ(test::request(server.port(), "GET", "/later/2").body, "{\"n\":2}");
  EXPECT_EQ(test::request(server.port(), "GET", "/later/1").status, 503u);
  // A synchronous handler waits for the prelude too.
  EXPECT_EQ(test::request(server.port(), "GET", "/browse").body, "{}");
  EXPECT_EQ(preludes.load(), 3);
  server.stop();
}

INSTANTIATE_TEST_SUITE_P(transports, listener_hooks, ::testing::Values("uring", "epoll"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace zhiyuan::server
