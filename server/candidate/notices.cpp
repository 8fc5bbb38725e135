// Notices (通知): announcements and reminders the offices send, newest first, and their read
// marks.

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/batch.hpp"
#include "core/time.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/own_state.hpp"
#include "server/candidate/session.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/candidate_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;

constexpr int notices_default_limit = 50;
constexpr int notices_max_limit = 100;

void write_notice(json_writer& w, const storage::notice_row& n, std::int64_t offset) {
  w.begin_object();
  w.key("id").value(n.id);
  w.key("kind").value(n.kind == 0 ? "announcement" : "reminder");
  if (n.batch && *n.batch >= 0 && *n.batch < static_cast<int>(core::batch_count)) {
    w.key("batch").value(core::to_code(storage::decode_batch(*n.batch)));
  } else {
    w.key("batch").null();
  }
  w.key("title").value(n.title);
  w.key("body").value(n.body);
  w.key("created_at").value(format_db_time(n.created_at_us, offset));
  w.key("read").value(n.read);
  w.end_object();
}

asio::awaitable<void> get_notices(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto limit = query_int(ctx, "limit", 1, notices_max_limit, notices_default_limit);
  if (!limit) co_return fail(ctx, limit.error());
  const auto before_id = query_int(ctx, "before", 1, std::numeric_limits<std::int64_t>::max(), 0);
  if (!before_id) co_return fail(ctx, before_id.error());
  const std::optional<std::int64_t> before =
      *before_id > 0 ? std::optional<std::int64_t>(*before_id) : std::nullopt;
  // One more than asked: whether there is a next page.
  auto query = [candidate = session->candidate_id, before,
                rows = static_cast<int>(*limit) + 1](pqxx::connection& conn) {
    return storage::load_notices(conn, candidate, before, rows);
  };
  auto notices = co_await query_own<std::vector<storage::notice_row>>(api, std::move(query));
  if (!notices) co_return busy_reading(ctx);
  const bool more = notices->size() > static_cast<std::size_t>(*limit);
  if (more) notices->pop_back();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("notices").begin_array();
  for (const auto& n : *notices) write_notice(w, n, api.clock_offset_seconds);
  w.end_array();
  if (more) {
    w.key("next_before").value(notices->back().id);
  } else {
    w.key("next_before").null();
  }
  w.end_object();
  private_response(ctx);
}

asio::awaitable<void> read_notice(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  // Any positive decimal, leading zeros too.
  const auto id = parse_int<std::int64_t>(ctx.params.get("id"));
  if (!id || *id <= 0)
    co_return fail(ctx, errc::invalid_field, "id: a notice id (positive integer)");
  const std::int64_t notice = *id;
  auto query = [candidate = session->candidate_id, notice](pqxx::connection& conn) {
    return storage::mark_notice_read(conn, candidate, notice);
  };
  // Committed by the query before it returns: the answer follows the commit.
  auto visible = co_await query_own<bool>(api, std::move(query));
  if (!visible) co_return busy_reading(ctx);
  if (!*visible) co_return fail(ctx, errc::not_found, "no such notice");
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("id").value(notice);
  w.key("read").value(true);
  w.end_object();
}

}  // namespace

std::vector<route_spec> notice_routes(candidate_api_context& api) {
  return {
      {http::verb::get, "/api/v1/notices", handler_for(api, get_notices), route_priority::browse},
      {http::verb::post, "/api/v1/notices/{id}/read", handler_for(api, read_notice)},
  };
}

}  // namespace zhiyuan::server
