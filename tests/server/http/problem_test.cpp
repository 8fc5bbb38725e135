#include "server/http/problem.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>

namespace zhiyuan::server {
namespace {

using core::errc;

TEST(problem, statuses_follow_http_semantics) {
  EXPECT_EQ(http_status(errc::bad_request), 400u);
  EXPECT_EQ(http_status(errc::invalid_field), 400u);
  EXPECT_EQ(http_status(errc::unauthenticated), 401u);
  EXPECT_EQ(http_status(errc::forbidden), 403u);
  EXPECT_EQ(http_status(errc::not_found), 404u);
  EXPECT_EQ(http_status(errc::method_not_allowed), 405u);
  EXPECT_EQ(http_status(errc::timeout), 408u);
  EXPECT_EQ(http_status(errc::conflict), 409u);
  EXPECT_EQ(http_status(errc::precondition_failed), 412u);
  EXPECT_EQ(http_status(errc::payload_too_large), 413u);
  EXPECT_EQ(http_status(errc::unsupported_media), 415u);
  EXPECT_EQ(http_status(errc::validation_failed), 422u);
  EXPECT_EQ(http_status(errc::precondition_required), 428u);
  EXPECT_EQ(http_status(errc::too_many_requests), 429u);
  EXPECT_EQ(http_status(errc::headers_too_large), 431u);
  EXPECT_EQ(http_status(errc::already_submitted), 409u);
  EXPECT_EQ(http_status(errc::not_eligible), 422u);
  EXPECT_EQ(http_status(errc::internal), 500u);
  EXPECT_EQ(http_status(errc::unavailable), 503u);
}

TEST(problem, codes_are_unique) {
  std::set<std::string_view> seen;
  for (int i = 0; i <= static_cast<int>(errc::internal); ++i) {
    auto code = core::to_code(static_cast<errc>(i));
    EXPECT_TRUE(seen.insert(code).second) << code;
  }
}

TEST(problem, body_is_rfc9457_json_with_code_and_request_id) {
  response res;
  set_problem(res, errc::not_found, "no such \"group\"", "req-1", "/api/v1/plans/9");
  EXPECT_EQ(res.status, 404u);
  EXPECT_EQ(res.content_type, "application/problem+json");
  simdjson::dom::parser parser;
  auto doc = parser.parse(res.body);
  ASSERT_FALSE(doc.error()) << res.body;
  EXPECT_EQ(std::string_view(doc["type"]), "/problems/not_found");
  EXPECT_EQ(std::string_view(doc["code"]), "not_found");
  EXPECT_EQ(int64_t(doc["status"]), 404);
  EXPECT_EQ(std::string_view(doc["request_id"]), "req-1");
  EXPECT_EQ(std::string_view(doc["detail"]), "no such \"group\"");
  EXPECT_EQ(std::string_view(doc["instance"]), "/api/v1/plans/9");
}

TEST(problem, extra_members_stay_valid_json) {
  response res;
  set_problem(res, errc::validation_failed, "", "r", "/x", 0, R"("violations":[{"code":"x"}])");
  simdjson::dom::parser parser;
  auto doc = parser.parse(res.body);
  ASSERT_FALSE(doc.error()) << res.body;
  EXPECT_EQ(simdjson::dom::array(doc["violations"]).size(), 1u);
}

TEST(problem, overload_answers_carry_retry_after) {
  response res;
  set_problem(res, errc::unavailable, "busy", "r", "/x");
  ASSERT_EQ(res.headers.size(), 3u);
  EXPECT_EQ(res.headers[0].first, "Retry-After");
  response slow;
  set_problem(slow, errc::too_many_requests, "", "r", "/x", 30);
  ASSERT_EQ(slow.headers.size(), 3u);
  EXPECT_EQ(slow.headers[0].second, "30");
}

// Every problem, the transport's own included, is kept out of caches and from type sniffing;
// headers a handler set already are not repeated.
TEST(problem, every_problem_carries_nosniff_and_no_store_once) {
  response plain;
  set_problem(plain, errc::not_found, "", "r", "/x");
  ASSERT_EQ(plain.headers.size(), 2u);
  EXPECT_EQ(plain.headers[0],
            (std::pair<std::string, std::string>{"X-Content-Type-Options", "nosniff"}));
  EXPECT_EQ(plain.headers[1], (std::pair<std::string, std::string>{"Cache-Control", "no-store"}));
  response again;
  again.headers.emplace_back("Cache-Control", "no-store");
  set_problem(again, errc::bad_request, "", "r", "/x");
  EXPECT_EQ(again.headers.size(), 2u);
}

}  // namespace
}  // namespace zhiyuan::server
