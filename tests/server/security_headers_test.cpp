// Every route of the API contract (as /openapi.json lists it), called once: each answer, success
// or problem, carries `X-Content-Type-Options: nosniff` and a Cache-Control, the answers of
// authenticated routes one that keeps them out of shared caches (no-store or private), and no
// header names a server version. Reads go with a signed-in candidate's or manager's token;
// writes go without one (a 401 or 4xx must carry the headers too, and nothing is changed).
// Candidate pick_case(640).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cctype>
#include <chrono>
#include <pqxx/pqxx>

#include "tests/support/admin_fixture.hpp"

namespace zhiyuan::test {
namespace {

// The pattern with each `{name}` segment replaced by a plausible value.
std::string fill(std::string pattern, const std::map<std::string, std::string>& values) {
  for (auto open = pattern.find('{'); open != std::string::npos; open = pattern.find('{')) {
    const auto close = pattern.find('}', open);
    const std::string name = pattern.substr(open + 1, close - open - 1);
    const auto it = values.find(name);
    pattern.replace(open, close - open + 1, it == values.end() ? "1" : it->second);
  }
  return pattern;
}

bool has_digit(const std::string& s) {
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

TEST(security_headers, every_route_answers_nosniff_a_cache_policy_and_no_version) {
  server_process server(
      server_args(offset_to(formal_open_instant), {"--admin.login_ip_per_minute", "100000"}));
  pqxx::connection conn(database_url());
  const auto c = pick_case(640);
  std::string school, province;
  {
    pqxx::work tx(conn);
    auto r = tx.exec_params1(
        "SELECT s.code, (SELECT p.code FROM units p WHERE p.parent_id IS NULL ORDER BY p.id"
        " LIMIT 1) FROM candidates c JOIN units s ON s.id = c.school_id WHERE c.exam_no = $1",
        c.exam_no);
    tx.commit();
    school = r[0].as<std::string>();
    province = r[1].as<std::string>();
  }
  const std::string tag = run_unique_tag();
  auto manager = make_admin_account(conn, province, core::admin_role::manager, "headers.m." + tag);
  const std::string admin = bearer(admin_login(server.port(), manager));
  const std::string cand = bearer(ready_session(server.port(), c.exam_no));
  const std::map<std::string, std::string> values = {
      {"exam_no", c.exam_no}, {"batch", "undergrad"}, {"unit", school}, {"kind", "group"}};

  auto spec = request(server.port(), "GET", "/openapi.json");
  ASSERT_EQ(spec.status, 200u);
  simdjson::dom::parser p;
  simdjson::dom::object paths;
  ASSERT_FALSE(p.parse(spec.body)["paths"].get(paths));
  int routes = 0;
  for (auto [path, methods] : paths) {
    for (auto [method_lower, op] : simdjson::dom::object(methods)) {
      std::string method(method_lower);
      for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      const bool authenticated = !op["security"].error();
      const bool read = method == "GET";
      const std::string target = fill(std::string(path), values);
      std::string headers;
      if (read) headers = target.starts_with("/api/v1/admin/") ? admin : cand;
      const auto r = request(server.port(), method, target, headers, "");
      const std::string name = method + " " + std::string(path) + " → " + std::to_string(r.status);
      ++routes;
      EXPECT_NE(r.status, 0u) << name << ": " << r.body;
      EXPECT_LT(r.status, 500u) << name << ": " << r.body;
      EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << name;
      const std::string cache = r.header("cache-control");
      EXPECT_FALSE(cache.empty()) << name;
      if (authenticated) {
        EXPECT_TRUE(cache.find("no-store") != std::string::npos ||
                    cache.find("private") != std::string::npos)
            << name << ": Cache-Control " << cache;
      }
      EXPECT_FALSE(has_digit(r.header("server"))) << name << ": Server " << r.header("server");
      EXPECT_EQ(r.header("x-powered-by"), "") << name;
    }
  }
  std::printf("security headers: %d routes checked\n", routes);
  EXPECT_GE(routes, 60);
}

// The answers the transport builds itself, before or instead of any route's handler: a request it
// cannot parse (400), a head too large (431), a body too large (413), no such path (404), a wrong
// method (405), and a connection over server.max_connections (503). Each carries nosniff,
// Cache-Control: no-store and a Server header without a version.
TEST(security_headers, answers_built_by_the_transport_carry_them_too) {
  constexpr int cap = 2;
  server_process server(
      server_args(offset_to(formal_open_instant),
                  {"--server.max_connections", std::to_string(cap), "--server.io_threads", "1",
                   "--server.idle_timeout_ms", "30000"}));
  struct raw_case {
    std::string name, bytes;
    unsigned status;
  };
  const std::vector<raw_case> cases = {
      {"malformed request line", "GET/livez\r\n\r\n", 400},
      {"head over 8 KiB",
       "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n", 431},
      {"body over the limit",
       "POST /api/v1/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", 413},
      {"no such path", "GET /api/v1/no/such/thing HTTP/1.1\r\nHost: x\r\n\r\n", 404},
      {"wrong method", "DELETE /livez HTTP/1.1\r\nHost: x\r\n\r\n", 405},
  };
  const auto check = [](const http_reply& r, const std::string& name) {
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << name;
    EXPECT_EQ(r.header("cache-control"), "no-store") << name;
    EXPECT_EQ(r.header("server"), "zhiyuan") << name;
    EXPECT_EQ(r.header("x-powered-by"), "") << name;
  };
  for (const auto& c : cases) {
    raw_connection conn(server.port());
    conn.send(c.bytes);
    const auto r = conn.read_reply();
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, c.status) << c.name << ": " << r->body;
    check(*r, c.name);
  }
  // Fill the connection cap with answered keep-alive connections; the next one is refused.
  std::vector<std::unique_ptr<raw_connection>> admitted;
  for (int i = 0; i < cap; ++i) {
    admitted.push_back(std::make_unique<raw_connection>(server.port()));
    admitted.back()->send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = admitted.back()->read_reply();
    ASSERT_TRUE(r) << "connection " << i;
    ASSERT_EQ(r->status, 200u) << "connection " << i;
  }
  raw_connection over(server.port());
  const auto busy = over.read_reply();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503u);
  EXPECT_FALSE(busy->header("retry-after").empty());
  check(*busy, "over max_connections");
}

}  // namespace
}  // namespace zhiyuan::test
