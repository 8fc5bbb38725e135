// The audit log as the managers read it: who read, exported or changed what, when and from
// where, inside their subtree, newest first. The log is append-only (storage and the database
// role see to it); this is its only reader.
#include "core/admin.hpp"
#include "server/admin/encode.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/admin_store.hpp"

namespace zhiyuan::server::admin_http {
namespace {

constexpr int list_page_rows = 200;

// The filters of the query; an absent or empty parameter filters nothing. The unit is its
// code (resolved in the job); `from` and `to` are on the filing clock, the log's times on the
// database's.
struct audit_query {
  std::string unit;
  storage::audit_filter filter;
};

core::result<audit_query> decode_filter(const request_context& ctx, std::int64_t offset) {
  audit_query q;
  storage::audit_filter& f = q.filter;
  auto unit = query_text(ctx, "unit", 32);
  if (!unit || (!unit->empty() && !unit_code_of(*unit))) {
    return core::failure(core::errc::invalid_field, "unit: a unit code");
  }
  q.unit = std::move(*unit);
  const auto actor = query_positive(ctx, "actor");
  if (!actor) return core::failure(actor.error());
  const auto before = query_positive(ctx, "page_token");
  if (!before) return core::failure(before.error());
  const auto from = query_time(ctx, "from");
  if (!from) return core::failure(from.error());
  const auto to = query_time(ctx, "to");
  if (!to) return core::failure(to.error());
  auto action = query_text(ctx, "action", 64);
  if (!action) {
    return core::failure(core::errc::invalid_field,
                         "action: an action name such as unfiled.export");
  }
  f.actor_id = actor->value_or(0);
  f.before_id = before->value_or(0);
  f.from = *from ? **from - offset : 0;
  f.to = *to ? **to - offset : 0;
  f.action = std::move(*action);
  f.limit = list_page_rows;
  return q;
}

void write_entry(json_writer& w, const storage::audit_row& e, std::int64_t offset) {
  w.begin_object();
  w.key("id").value(e.audit_id);
  w.key("at").value(format_db_time(e.at_us, offset));
  w.key("actor_kind")
      .value(e.actor_kind == 1   ? "admin"
             : e.actor_kind == 2 ? "candidate"
                                 : "system");
  w.key("actor_id");
  if (e.actor_id != 0) {
    w.value(e.actor_id);
  } else {
    w.null();
  }
  w.key("actor").value(e.actor_name);
  w.key("unit").value(e.unit_code);
  w.key("action").value(e.action);
  w.key("target").value(e.target);
  w.key("detail");
  if (e.detail_json.empty()) {
    w.null();
  } else {
    w.raw(e.detail_json);
  }
  w.key("ip").value(e.ip);
  w.end_object();
}

asio::awaitable<void> audit(request_context& ctx, admin_api_context& api) {
  const std::int64_t offset = api.clock_offset_seconds;
  auto q = decode_filter(ctx, offset);
  if (!q) co_return fail(ctx, q.error());
  job fn = [q = std::move(*q), offset](pqxx::connection& conn, const storage::admin_actor& who) {
    storage::audit_filter f = q.filter;
    std::vector<storage::audit_row> rows;
    // A filter on a unit outside the subtree finds nothing, as every filter does.
    const auto unit =
        q.unit.empty() ? std::nullopt : storage::unit_code_in_scope(conn, q.unit, who.unit_id);
    if (q.unit.empty() || unit) {
      f.unit_id = unit ? unit->id : 0;
      rows = storage::list_audit(conn, who.unit_id, f);
    }
    return page_of("entries", rows, f.limit, &storage::audit_row::audit_id,
                   [offset](json_writer& w, const auto& e) { write_entry(w, e, offset); });
  };
  co_await run_admin(ctx, api, {core::admin_capability::manage_accounts}, std::move(fn));
}

}  // namespace

std::vector<route_spec> audit_routes(admin_api_context& api) {
  return {
      {http::verb::get, "/api/v1/admin/audit", handler_for(api, audit)},
  };
}

}  // namespace zhiyuan::server::admin_http
