// The audit log as the managers read it: who read, exported or changed what, when and from
// where, inside their subtree, newest first. The log is append-only (storage and the database
// role see to it); this is its only reader.
#include "core/admin.hpp"
#include "core/time.hpp"
#include "server/admin/encode.hpp"
#include "server/admin/gate.hpp"
#include "server/admin/routes.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/admin_store.hpp"

namespace zhiyuan::server::admin_http {
namespace {

constexpr int list_page_rows = 200;

// The filters of the query; an absent or empty parameter filters nothing.
core::result<storage::audit_filter> decode_filter(const request_context& ctx) {
  storage::audit_filter f;
  const auto unit = query_positive(ctx, "unit", INT32_MAX);
  if (!unit) return core::failure(unit.error());
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
  f.unit_id = static_cast<std::int32_t>(unit->value_or(0));
  f.actor_id = actor->value_or(0);
  f.before_id = before->value_or(0);
  f.from = from->value_or(0);
  f.to = to->value_or(0);
  f.action = std::move(*action);
  f.limit = list_page_rows;
  return f;
}

void write_entry(json_writer& w, const storage::audit_row& e) {
  w.begin_object();
  w.key("id").value(e.audit_id);
  w.key("at").value(core::format_utc_micros(e.at_us));
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
  const auto f = decode_filter(ctx);
  if (!f) co_return fail(ctx, f.error());
  job fn = [f = *f](pqxx::connection& conn, const storage::admin_actor& who) {
    return page_of("entries", storage::list_audit(conn, who.unit_id, f), f.limit,
                   &storage::audit_row::audit_id, write_entry);
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
