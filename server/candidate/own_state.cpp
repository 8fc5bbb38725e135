#include "server/candidate/own_state.hpp"

#include "server/http/problem.hpp"

namespace zhiyuan::server {

void busy_reading(request_context& ctx) {
  fail(ctx, core::errc::unavailable, "the server is busy reading; retry shortly", 1);
}

void private_response(request_context& ctx) {
  // A shared computer must not show one candidate's page (revalidated with a version ETag that
  // another candidate's data may share) to the next.
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
  ctx.res.headers.emplace_back("Vary", "Authorization, Cookie");
}

}  // namespace zhiyuan::server
