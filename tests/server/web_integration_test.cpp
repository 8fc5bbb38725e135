// The hosted web app (server/web/): files from server.web_root with their caching, the
// precompressed variant the client accepts, the app's routes falling back to index.html (never
// an API path), security headers on every answer and CORS for the configured origins only.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {
namespace {

namespace fs = std::filesystem;

const char* const allowed_origin = "http://app.example:5173";

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// A built app as the web build leaves it: a hashed bundle with .br and .gz beside it. One
// directory per process: ctest -j2 runs two of this suite's tests at once.
fs::path site_root() {
  return fs::path(ZHIYUAN_TEST_VAR_DIR) / ("web-root-" + std::to_string(getpid()));
}

std::string make_site() {
  const fs::path root = site_root();
  fs::remove_all(root);
  write_file(root / "index.html", "<!doctype html><html lang=\"zh-CN\"><title>志愿</title>");
  write_file(root / "assets/app-3fa9c1d2e4.js", "console.log('identity')");
  write_file(root / "assets/app-3fa9c1d2e4.js.br", "BROTLI-BYTES");
  write_file(root / "assets/app-3fa9c1d2e4.js.gz", "GZIP-BYTES");
  write_file(root / "docs/index.html", "<!doctype html><title>API</title>");
  return root.string();
}

class web_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(start_server(
        0, {"--server.web_root", make_site(), "--server.cors_origins", allowed_origin}));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    fs::remove_all(site_root());
  }
  static std::uint16_t port() { return server_->port(); }
  static server_process* server_;
};
server_process* web_test::server_ = nullptr;

TEST_F(web_test, hashed_assets_are_immutable_and_precompressed_as_accepted) {
  const std::string js = "/assets/app-3fa9c1d2e4.js";
  auto br = request(port(), "GET", js, "Accept-Encoding: gzip, br\r\n");
  ASSERT_EQ(br.status, 200u);
  EXPECT_EQ(br.body, "BROTLI-BYTES");
  EXPECT_EQ(br.header("content-encoding"), "br");
  EXPECT_EQ(br.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(br.header("vary"), "Accept-Encoding, Origin");
  EXPECT_EQ(br.header("content-type"), "text/javascript; charset=utf-8");
  // Not a page: nothing may load from it or frame it.
  EXPECT_EQ(br.header("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
  auto gz = request(port(), "GET", js, "Accept-Encoding: br;q=0, gzip\r\n");
  EXPECT_EQ(gz.body, "GZIP-BYTES");
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  auto plain = request(port(), "GET", js);
  EXPECT_EQ(plain.body, "console.log('identity')");
  EXPECT_TRUE(plain.header("content-encoding").empty());
  // One ETag for the file whatever its encoding; a match is a 304 without a body.
  EXPECT_EQ(plain.header("etag"), br.header("etag"));
  ASSERT_FALSE(plain.header("etag").empty());
  auto again = request(port(), "GET", js, "If-None-Match: " + plain.header("etag") + "\r\n");
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(web_test, app_routes_fall_back_to_index_html_but_api_paths_and_files_do_not) {
  const auto index = request(port(), "GET", "/");
  ASSERT_EQ(index.status, 200u);
  EXPECT_NE(index.body.find("lang=\"zh-CN\""), std::string::npos);
  EXPECT_EQ(index.header("cache-control"), "no-cache");
  EXPECT_NE(index.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  const auto route = request(port(), "GET", "/me/draft/undergrad");
  EXPECT_EQ(route.status, 200u);
  EXPECT_EQ(route.body, index.body);
  EXPECT_EQ(route.header("cache-control"), "no-cache");
  EXPECT_EQ(request(port(), "GET", "/api/v1/nope").status, 404u);
  EXPECT_EQ(request(port(), "GET", "/api/v1/nope").header("content-type"),
            "application/problem+json");
  EXPECT_EQ(request(port(), "GET", "/assets/missing-3fa9c1d2e4.js").status, 404u);
  EXPECT_EQ(request(port(), "GET", "/../etc/passwd").status, 404u);
  // /docs is the API reference's own page; the API itself still answers.
  EXPECT_NE(request(port(), "GET", "/docs").body.find("<title>API</title>"), std::string::npos);
  EXPECT_EQ(request(port(), "GET", "/api/v1/ping").status, 200u);
  // A known API path with another method is still 405, not the app.
  EXPECT_EQ(request(port(), "GET", "/api/v1/auth/login").status, 405u);
}

TEST_F(web_test, every_answer_carries_the_security_headers) {
  for (const char* path : {"/", "/me", "/api/v1/ping", "/api/v1/schedule", "/openapi.json"}) {
    const auto r = request(port(), "GET", path);
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << path;
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << path;
    const std::string csp = r.header("content-security-policy");
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << path;
  }
}

TEST_F(web_test, cors_answers_configured_origins_only_with_correct_preflights) {
  const std::string from_app = std::string("Origin: ") + allowed_origin + "\r\n";
  const auto ok = request(port(), "GET", "/api/v1/schedule", from_app);
  EXPECT_EQ(ok.header("access-control-allow-origin"), allowed_origin);
  EXPECT_NE(ok.header("access-control-expose-headers").find("ETag"), std::string::npos);
  const auto other = request(port(), "GET", "/api/v1/schedule", "Origin: http://evil.example\r\n");
  EXPECT_EQ(other.status, 200u);
  EXPECT_TRUE(other.header("access-control-allow-origin").empty());

  auto pre = request(port(), "OPTIONS", "/api/v1/drafts/undergrad",
                     from_app +
                         "Access-Control-Request-Method: PUT\r\n"
                         "Access-Control-Request-Headers: if-match, content-type\r\n");
  ASSERT_EQ(pre.status, 204u) << pre.body;
  EXPECT_EQ(pre.header("access-control-allow-origin"), allowed_origin);
  EXPECT_NE(pre.header("access-control-allow-methods").find("PUT"), std::string::npos);
  EXPECT_NE(pre.header("access-control-allow-headers").find("If-Match"), std::string::npos);
  EXPECT_NE(pre.header("access-control-allow-headers").find("Idempotency-Key"), std::string::npos);
  EXPECT_FALSE(pre.header("access-control-max-age").empty());
  // A method the path does not have, or an origin not configured: refused, without CORS.
  EXPECT_EQ(request(port(), "OPTIONS", "/api/v1/drafts/undergrad",
                    from_app + "Access-Control-Request-Method: DELETE\r\n")
                .status,
            405u);
  auto evil = request(port(), "OPTIONS", "/api/v1/drafts/undergrad",
                      "Origin: http://evil.example\r\nAccess-Control-Request-Method: PUT\r\n");
  EXPECT_EQ(evil.status, 403u);
  EXPECT_TRUE(evil.header("access-control-allow-origin").empty());
}

TEST(web_config, a_malformed_origin_stops_the_start_naming_the_key) {
  const auto r = server_process::run_to_exit(
      server_args(0, {"--server.cors_origins", "app.example"}), std::chrono::seconds(60));
  EXPECT_FALSE(r.listened);
  EXPECT_NE(r.output.find("server.cors_origins"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace zhiyuan::test
