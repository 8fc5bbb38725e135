// The sign-in outcome read from an answer, the counting wrapper around a route, and the node's
// metrics text.
#include "server/node_metrics.hpp"

#include <gtest/gtest.h>

#include "server/http/problem.hpp"

namespace zhiyuan::server {
namespace {

response answered(unsigned status, core::errc e) {
  response res;
  set_problem(res, e, "", "r", "/api/v1/auth/login", 0, {});
  res.status = status;
  return res;
}

TEST(node_metrics, sign_in_outcomes_follow_the_answer) {
  response ok;
  ok.status = 200;
  EXPECT_EQ(sign_in_outcome_of(ok), sign_in_outcome::ok);
  EXPECT_EQ(sign_in_outcome_of(answered(401, core::errc::unauthenticated)),
            sign_in_outcome::bad_password);
  EXPECT_EQ(sign_in_outcome_of(answered(429, core::errc::account_locked)), sign_in_outcome::locked);
  EXPECT_EQ(sign_in_outcome_of(answered(429, core::errc::too_many_requests)),
            sign_in_outcome::throttled);
  EXPECT_EQ(sign_in_outcome_of(answered(403, core::errc::forbidden)), sign_in_outcome::refused);
  EXPECT_EQ(sign_in_outcome_of(answered(503, core::errc::unavailable)),
            sign_in_outcome::unavailable);
  EXPECT_EQ(sign_in_outcome_of(answered(400, core::errc::invalid_field)), sign_in_outcome::invalid);
}

TEST(node_metrics, the_wrapped_route_counts_each_answer) {
  node_metrics m;
  std::vector<route_spec> table;
  table.push_back({http::verb::post, "/login",
                   sync_handler([](request_context& ctx) { ctx.res.status = 401; })});
  count_sign_ins(table, http::verb::post, "/login", audience::admin, m);
  EXPECT_THROW(count_sign_ins(table, http::verb::post, "/nope", audience::admin, m),
               std::logic_error);
  http_request req;
  response res;
  request_context ctx{req, "/login", "", {}, "", "", "", res};
  std::get<sync_handler>(table[0].handler)(ctx);
  std::get<sync_handler>(table[0].handler)(ctx);
  const auto text = m.render();
  EXPECT_NE(text.find("zhiyuan_sign_ins_total{audience=\"admin\",outcome=\"bad_password\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("zhiyuan_sign_ins_total{audience=\"candidate\",outcome=\"bad_password\"} 0\n"),
      std::string::npos);
  // Not counted yet: no series rather than a made-up zero.
  EXPECT_EQ(text.find("zhiyuan_sessions_active"), std::string::npos);
  m.reloaded(snapshot_kind::schedule, false);
  EXPECT_NE(m.render().find(
                "zhiyuan_snapshot_reloads_total{snapshot=\"schedule\",outcome=\"failed\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace zhiyuan::server
