// zhiyuan-server as a child process against a real PostgreSQL: every endpoint and every
// limit of the walking skeleton.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "storage/embedded_cluster.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

namespace zhiyuan::test {
namespace {

std::string shared_database_url() {
  storage::embedded_options o;
  o.var_dir = ZHIYUAN_TEST_VAR_DIR;
  return storage::embedded_cluster(o).connection_string();
}

constexpr const char* schedule_file = ZHIYUAN_SOURCE_DIR "/config/schedule.toml";

std::vector<std::string> base_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"--server.port",
                                "0",
                                "--server.io_threads",
                                "2",
                                "--database.url",
                                shared_database_url(),
                                "--server.read_timeout_ms",
                                "700",
                                "--server.idle_timeout_ms",
                                "1500",
                                "--server.drain_delay_ms",
                                "0",
                                "--filing.schedule_file",
                                schedule_file};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

class server_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new server_process(base_args()); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::uint16_t port() { return server_->port(); }
  static server_process* server_;
};
server_process* server_test::server_ = nullptr;

TEST_F(server_test, livez_and_readyz_answer_200) {
  auto live = request(port(), "GET", "/livez");
  EXPECT_EQ(live.status, 200u);
  EXPECT_EQ(live.header("content-type"), "application/json");
  auto ready = request(port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200u) << ready.body;
}

TEST_F(server_test, ping_returns_tiny_json) {
  auto r = request(port(), "GET", "/api/v1/ping");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"pong":true})");
  EXPECT_FALSE(r.header("date").empty());
}

TEST_F(server_test, metrics_are_prometheus_text_and_count_requests) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(request(port(), "GET", "/api/v1/ping").status, 200u);
  auto r = request(port(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("zhiyuan_build_info{"), std::string::npos);
  EXPECT_NE(r.body.find("zhiyuan_http_requests_in_flight 1"), std::string::npos);
  EXPECT_NE(r.body.find("zhiyuan_http_open_connections"), std::string::npos);
  EXPECT_NE(r.body.find("zhiyuan_http_request_duration_seconds_bucket{route=\"GET /api/v1/ping\""),
            std::string::npos);
  const std::string series =
      "zhiyuan_http_requests_total{route=\"GET /api/v1/ping\",status=\"200\"} ";
  auto at = r.body.find(series);
  ASSERT_NE(at, std::string::npos) << r.body;
  EXPECT_GE(std::stoi(r.body.substr(at + series.size())), 3);
}

TEST_F(server_test, openapi_describes_every_endpoint) {
  auto r = request(port(), "GET", "/openapi.json");
  ASSERT_EQ(r.status, 200u);
  simdjson::dom::parser parser;
  auto doc = parser.parse(r.body);
  ASSERT_FALSE(doc.error());
  EXPECT_EQ(std::string_view(doc["openapi"]), "3.1.0");
  for (const char* path : {"/livez", "/readyz", "/metrics", "/openapi.json", "/api/v1/ping"}) {
    EXPECT_FALSE(doc["paths"][path]["get"]["responses"].error()) << path;
  }
  auto codes = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"];
  EXPECT_FALSE(codes.error());
}

TEST_F(server_test, unknown_path_is_problem_404) {
  auto r = request(port(), "GET", "/api/v1/nope", "X-Request-Id: abc-123\r\n");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(r.header("x-request-id"), "abc-123");
  simdjson::dom::parser parser;
  auto doc = parser.parse(r.body);
  ASSERT_FALSE(doc.error());
  EXPECT_EQ(std::string_view(doc["code"]), "not_found");
  EXPECT_EQ(std::string_view(doc["request_id"]), "abc-123");
}

TEST_F(server_test, wrong_method_is_405_with_allow) {
  auto r = request(port(), "DELETE", "/api/v1/ping");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("allow"), "GET");
  EXPECT_NE(r.body.find("\"code\":\"method_not_allowed\""), std::string::npos);
}

TEST_F(server_test, request_ids_are_generated_or_replaced_when_unusable) {
  auto generated = request(port(), "GET", "/livez");
  EXPECT_FALSE(generated.header("x-request-id").empty());
  auto bad = request(port(), "GET", "/livez", "X-Request-Id: has spaces and \"quotes\"\r\n");
  EXPECT_NE(bad.header("x-request-id"), "has spaces and \"quotes\"");
  EXPECT_FALSE(bad.header("x-request-id").empty());
}

TEST_F(server_test, body_over_limit_is_413) {
  raw_connection c(port());
  c.send("POST /api/v1/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413u);
  EXPECT_NE(r->body.find("\"code\":\"payload_too_large\""), std::string::npos);
}

TEST_F(server_test, head_over_8k_is_431) {
  raw_connection c(port());
  c.send("GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431u);
  EXPECT_EQ(r->header("connection"), "close");
}

TEST_F(server_test, head_just_under_8k_is_accepted) {
  raw_connection c(port());
  c.send("GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(7000, 'a') + "\r\n\r\n");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u);
}

TEST_F(server_test, malformed_request_line_is_400) {
  raw_connection c(port());
  c.send("GET/livez\r\n\r\n");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  EXPECT_NE(r->body.find("\"code\":\"bad_request\""), std::string::npos);
  EXPECT_TRUE(c.peer_closed());
}

TEST_F(server_test, client_stalling_mid_header_is_cut_off) {
  raw_connection c(port());
  c.send("GET /livez HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.peer_closed());
  // read_timeout_ms is 700; the socket's own timeout (10 s) would report false instead.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(server_test, idle_keep_alive_connection_is_closed) {
  raw_connection c(port());
  c.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c.read_reply());
  EXPECT_TRUE(c.peer_closed());  // idle_timeout_ms is 1500
}

TEST_F(server_test, keep_alive_serves_many_requests_on_one_connection) {
  raw_connection c(port());
  for (int i = 0; i < 5; ++i) {
    c.send("GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_reply();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200u);
  }
}

TEST_F(server_test, pipelined_requests_are_answered_in_order) {
  raw_connection c(port());
  std::string batch;
  const char* targets[] = {"/api/v1/ping", "/nope", "/livez", "/api/v1/ping"};
  for (int i = 0; i < 4; ++i) {
    batch += std::string("GET ") + targets[i] + " HTTP/1.1\r\nHost: x\r\nX-Request-Id: p" +
             std::to_string(i) + "\r\n\r\n";
  }
  c.send(batch);
  const unsigned expected[] = {200, 404, 200, 200};
  for (int i = 0; i < 4; ++i) {
    auto r = c.read_reply();
    ASSERT_TRUE(r) << i;
    // Appended, not `"p" + std::to_string(i)`: GCC 12 warns falsely (-Wrestrict) on that.
    std::string id = "p";
    id += std::to_string(i);
    EXPECT_EQ(r->header("x-request-id"), id);
    EXPECT_EQ(r->status, expected[i]);
  }
}

TEST_F(server_test, http10_without_keep_alive_closes) {
  raw_connection c(port());
  c.send("GET /livez HTTP/1.0\r\n\r\n");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u);
  EXPECT_TRUE(c.peer_closed());
}

// The listener counts open connections against server.max_connections: each one past the cap
// gets a ready 503 (Retry-After, Connection: close) and is closed; once an admitted connection
// has closed, a new one is admitted again.
TEST(server_limits, connections_over_the_cap_get_503) {
  constexpr int cap = 3;
  // The idle timeout is long enough that no admitted connection is closed by the server
  // meanwhile: only the test's own close frees a place.
  server_process s(base_args({"--server.max_connections", std::to_string(cap),
                              "--server.io_threads", "1", "--server.idle_timeout_ms", "30000"}));
  const std::string livez = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<std::unique_ptr<raw_connection>> admitted;
  for (int i = 0; i < cap; ++i) {
    admitted.push_back(std::make_unique<raw_connection>(s.port()));
    admitted.back()->send(livez);
    auto r = admitted.back()->read_reply();
    ASSERT_TRUE(r) << "connection " << i;
    EXPECT_EQ(r->status, 200u) << "connection " << i;
  }
  for (int extra = 0; extra < 2; ++extra) {
    raw_connection over(s.port());
    auto r = over.read_reply();
    ASSERT_TRUE(r) << "connection " << cap + extra;
    EXPECT_EQ(r->status, 503u);
    EXPECT_FALSE(r->header("retry-after").empty());
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_NE(r->body.find("\"code\":\"unavailable\""), std::string::npos) << r->body;
    EXPECT_TRUE(over.peer_closed());
  }
  // The admitted connections keep working.
  for (auto& c : admitted) {
    c->send(livez);
    auto again = c->read_reply();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200u);
  }
  // One closes. The server notices it asynchronously: ask on another admitted connection until
  // its gauge shows the place free (bounded), then a new connection is admitted.
  admitted.pop_back();
  const std::string gauge = "zhiyuan_http_open_connections " + std::to_string(cap - 1) + "\n";
  std::string metrics;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (metrics.find(gauge) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    admitted.front()->send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    auto m = admitted.front()->read_reply();
    ASSERT_TRUE(m);
    metrics = m->body;
  }
  ASSERT_NE(metrics.find(gauge), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("zhiyuan_http_rejected_connections_total 2\n"), std::string::npos)
      << metrics;
  raw_connection next(s.port());
  next.send(livez);
  auto r = next.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u);
  // And the cap holds again with it.
  raw_connection over(s.port());
  auto refused = over.read_reply();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503u);
}

TEST(server_shutdown, sigterm_turns_readyz_503_then_exits_0) {
  server_process s(base_args({"--server.drain_delay_ms", "3000"}));
  ASSERT_EQ(request(s.port(), "GET", "/readyz").status, 200u);
  raw_connection busy(s.port());  // an open keep-alive connection must not block the exit
  busy.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(busy.read_reply());
  const auto signalled = std::chrono::steady_clock::now();
  s.signal(SIGTERM);
  // During the drain delay the listener still accepts and /readyz says 503. The log line
  // is the signal that the server has seen SIGTERM.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (s.output().find("shutdown_started") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  auto r = request(s.port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 503u) << s.output();
  EXPECT_NE(r.body.find("\"reason\":\"draining\""), std::string::npos) << r.body;
  auto code = s.stop(0, std::chrono::seconds(20));  // signal 0: just wait
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  // The whole delay was held (an interrupted wait once ended it after a few milliseconds).
  EXPECT_GE(std::chrono::steady_clock::now() - signalled, std::chrono::milliseconds(3000));
  EXPECT_TRUE(busy.peer_closed());
  EXPECT_NE(s.output().find("shutdown_finished"), std::string::npos);
}

// A postgresql:// URL works everywhere, /readyz's health probe included (it used to append
// " connect_timeout=2" to the URL, which made every probe fail).
TEST(server_startup, a_postgresql_uri_is_ready) {
  storage::embedded_options o;
  o.var_dir = ZHIYUAN_TEST_VAR_DIR;
  const storage::embedded_cluster cluster(o);
  const std::string uri = "postgresql:///zhiyuan?host=" + cluster.socket_dir().string() +
                          "&user=postgres&application_name=zhiyuan";
  server_process s(base_args({"--database.url", uri}));
  const auto r = request(s.port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 200u) << r.body;
}

// One bad key is the only thing wrong with an otherwise working command line: with a valid value
// the same command line starts, so the refusal is the key's doing. The exit status is the
// configuration error's (2; a start-up failure such as an unreachable database is 1) and the
// message names the key.
TEST(server_startup, bad_configuration_stops_the_start_naming_the_key) {
  struct bad_case {
    std::string key, valid, bad;
  };
  for (const auto& c :
       {bad_case{"server.body_limit", "65536", "1"}, bad_case{"log.level", "info", "loud"}}) {
    SCOPED_TRACE(c.key);
    {
      server_process valid(base_args({"--" + c.key, c.valid}));
      EXPECT_EQ(request(valid.port(), "GET", "/readyz").status, 200u);
    }
    const auto r =
        server_process::run_to_exit(base_args({"--" + c.key, c.bad}), std::chrono::seconds(30));
    EXPECT_FALSE(r.listened) << r.output;
    EXPECT_EQ(r.status, std::optional<int>(2)) << r.output;
    EXPECT_NE(r.output.find("configuration error: " + c.key + ":"), std::string::npos) << r.output;
  }
}

// A second server on a port the first already serves would join its SO_REUSEPORT group and take
// part of its traffic: it must refuse to start, naming the port and the holder, and exit 1, while
// the first keeps serving. Once the first has stopped, the port is free again.
TEST(server_startup, a_second_server_on_a_served_port_refuses_to_start) {
  auto first = std::make_unique<server_process>(base_args());
  const auto port = std::to_string(first->port());
  const auto second =
      server_process::run_to_exit(base_args({"--server.port", port}), std::chrono::seconds(30));
  EXPECT_FALSE(second.listened) << second.output;
  EXPECT_EQ(second.status, std::optional<int>(1)) << second.output;
  EXPECT_NE(second.output.find("port " + port + " is already served by another process"),
            std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("pid "), std::string::npos) << second.output;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(request(first->port(), "GET", "/livez").status, 200u) << "request " << i;
  }
  first.reset();
  server_process again(base_args({"--server.port", port}));
  EXPECT_EQ(request(again.port(), "GET", "/livez").status, 200u);
}

// The embedded default: no database.url. Two servers share one var/; only the one that
// started PostgreSQL stops it.
TEST(embedded_database, second_server_reuses_cluster_and_first_stops_it) {
  namespace fs = std::filesystem;
  const fs::path var = fs::path(ZHIYUAN_TEST_VAR_DIR).parent_path() / "test-var-embedded";
  std::vector<std::string> args = {
      "--server.port",          "0",          "--server.drain_delay_ms",       "0",
      "--database.var_dir",     var.string(), "--database.health_interval_ms", "100",
      "--filing.schedule_file", schedule_file};
  {
    // Make sure no cluster from an earlier, killed run is up: this test owns the directory.
    storage::embedded_options o;
    o.var_dir = var;
    storage::embedded_cluster(o).stop_any();
  }
  server_process first(args);
  ASSERT_EQ(request(first.port(), "GET", "/readyz").status, 200u);
  {
    server_process second(args);
    EXPECT_EQ(request(second.port(), "GET", "/readyz").status, 200u);
    EXPECT_EQ(second.stop(SIGTERM), std::optional<int>(0));
  }
  EXPECT_EQ(request(first.port(), "GET", "/readyz").status, 200u);

  // Stopping the database behind the server's back makes /readyz fail, livez stays up.
  storage::embedded_options o;
  o.var_dir = var;
  storage::embedded_cluster(o).stop_any();
  unsigned status = 200;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (status == 200 && std::chrono::steady_clock::now() < deadline) {
    status = request(first.port(), "GET", "/readyz").status;
  }
  EXPECT_EQ(status, 503u);
  EXPECT_EQ(request(first.port(), "GET", "/livez").status, 200u);
  EXPECT_EQ(first.stop(SIGTERM), std::optional<int>(0));
}

}  // namespace
}  // namespace zhiyuan::test
