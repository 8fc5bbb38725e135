// Favourites (收藏): colleges and major groups a candidate marks while browsing, each in a
// category (冲, 稳, 保 or the candidate's own). Read from the `reads` pool; changed through the
// durable write path and answered only after COMMIT.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/schedule.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "server/candidate/bodies.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/own_state.hpp"
#include "server/candidate/session.hpp"
#include "server/candidate/write_answer.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/candidate_store.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;

// Limits of a candidate's favourites. The cap is checked against committed data before the
// write is queued, so one candidate racing their own requests can pass it by at most the number
// of favourite writes they have in flight; reads are bounded by `favorites_read_limit` anyway
// (own_state.hpp).
constexpr std::size_t max_favorites = 200;
constexpr std::size_t max_categories = 10;
constexpr std::size_t max_category_chars = 16;
constexpr std::array<std::string_view, 3> default_categories = {"冲", "稳", "保"};

// ------------------------------------------------------------------ decoding

// The favourite of the path: kind ("college" → 0, "group" → 1) and the stored target (a college
// code, or a group id in canonical decimal).
struct favorite_target {
  std::int16_t kind = 0;
  std::string target;
  core::group_id group = 0;  ///< kind 1
};

core::result<favorite_target> path_favorite(const request_context& ctx) {
  const std::string_view kind = ctx.params.get("kind");
  const std::string_view id = ctx.params.get("id");
  if (kind == "college") {
    // College codes are short printable ASCII (院校代号); anything else names no college.
    const bool ok = !id.empty() && id.size() <= 32 &&
                    std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (!ok) return core::failure(errc::invalid_field, "id: a college code");
    return favorite_target{0, std::string(id), 0};
  }
  if (kind == "group") {
    // Any positive decimal, leading zeros too: the stored target is canonical.
    const auto g = parse_int<std::int64_t>(id);
    if (!g || *g <= 0)
      return core::failure(errc::invalid_field, "id: a group id (positive integer)");
    return favorite_target{1, std::to_string(*g), *g};
  }
  return core::failure(errc::invalid_field, "kind: college or group");
}

// A category name: non-empty and not blank, at most 16 characters of valid UTF-8 (no overlong
// forms, surrogates or code points past U+10FFFF), no control characters (C0, DEL, C1).
bool valid_category(std::string_view s) {
  std::size_t chars = 0;
  bool blank = true;
  const bool ok = core::for_each_code_point(s, [&](std::uint32_t cp) {
    if (core::is_control(cp)) return false;
    if (cp != ' ' && cp != 0x3000) blank = false;  // ASCII and ideographic space
    return ++chars <= max_category_chars;
  });
  return ok && !blank;
}

// ------------------------------------------------------------------ rules

// Where the schedule allows favourites. They belong to no batch, so they are allowed while ANY
// batch allows action::favourite (assisted, formal, special or supplementary phase): with the
// 2023 timetable that is from assisted filing's opening until the last batch closes, so a
// candidate can still mark vocational groups after 本科批 has closed. The refusal names
// 本科批's reason, the batch most candidates file.
core::result<void> favourites_open(const candidate_api_context& api) {
  const std::int64_t now = api.now_seconds();
  for (core::batch b : core::all_batches) {
    if (core::decide(*api.schedule.get(), b, core::action::favourite, now).allowed()) return {};
  }
  const auto d =
      core::decide(*api.schedule.get(), core::batch::undergrad, core::action::favourite, now);
  std::string detail = "favourites cannot be changed now: ";
  detail += core::to_code(d.reason);
  return core::failure(errc::window_closed, std::move(detail));
}

// Whether the target is published in the current plan.
core::result<void> in_plan(const candidate_api_context& api, const favorite_target& t) {
  const auto catalog = api.catalog.load();
  if (t.kind == 0) {
    if (catalog->find_college(t.target) == nullptr) {
      return core::failure(errc::not_found, "no such college in the plan");
    }
  } else if (catalog->find_group(t.group) == nullptr) {
    return core::failure(errc::not_found, "no such group in the plan");
  }
  return {};
}

// Defaults first, then the candidate's own names in order of first use.
std::vector<std::string> categories_of(const std::vector<storage::favorite_row>& items) {
  std::vector<std::string> out(default_categories.begin(), default_categories.end());
  for (const auto& f : items) {
    if (std::find(out.begin(), out.end(), f.category) == out.end()) out.push_back(f.category);
  }
  return out;
}

// One list-level finding of these endpoints' own rules, in the violations format.
std::string limit_violation(std::string_view code, std::string_view zh, std::string_view en) {
  std::string out = "\"violations\":";
  json_writer w(out);
  w.begin_array().begin_object();
  w.key("code").value(code);
  w.key("choice").value(-1);
  w.key("major").value(-1);
  w.key("message_zh").value(zh);
  w.key("message_en").value(en);
  w.end_object().end_array();
  return out;
}

// Whether the committed favourites, changed by this one, stay within the caps; otherwise
// answers the 400 with the finding and returns false.
bool within_limits(request_context& ctx, std::vector<storage::favorite_row> items,
                   const favorite_target& t, const std::string& category) {
  bool present = false;
  for (auto& f : items) {
    if (f.kind == t.kind && f.target == t.target) {
      present = true;
      f.category = category;
    }
  }
  if (!present) {
    if (items.size() >= max_favorites) {
      fail(ctx, errc::validation_failed,
           fmt::format("at most {} favourites; remove some first", max_favorites), 0,
           limit_violation("too_many_favorites", "收藏已达上限，请先删除部分收藏",
                           "Too many favourites; remove some first"));
      return false;
    }
    items.push_back({t.kind, t.target, category, 0});
  }
  if (categories_of(items).size() > max_categories) {
    fail(ctx, errc::validation_failed,
         fmt::format("category: at most {} categories (冲, 稳, 保 and your own)", max_categories),
         0, limit_violation("too_many_categories", "收藏分类已达上限", "Too many categories"));
    return false;
  }
  return true;
}

// ------------------------------------------------------------------ answers

// The display name of a favourite from the catalog; empty when it is no longer published.
std::string display_name(const core::catalog& cat, std::int16_t kind, const std::string& target,
                         const core::major_group** group_out) {
  *group_out = nullptr;
  if (kind == 0) {
    const core::college* c = cat.find_college(target);
    return c != nullptr ? c->name : std::string();
  }
  const auto id = parse_id(target);
  const core::major_group* g = id ? cat.find_group(*id) : nullptr;
  if (g == nullptr) return {};
  *group_out = g;
  const core::college* c = cat.find_college(g->college_code);
  std::string name = c != nullptr ? c->name : g->college_code;
  name += " 专业组";
  name += g->group_code;
  return name;
}

void write_favorite(json_writer& w, const core::catalog& cat, const storage::favorite_row& f,
                    std::int64_t offset) {
  const core::major_group* g = nullptr;
  const std::string name = display_name(cat, f.kind, f.target, &g);
  w.begin_object();
  w.key("kind").value(f.kind == 0 ? "college" : "group");
  w.key("id").value(f.target);
  w.key("category").value(f.category);
  w.key("created_at").value(format_db_time(f.created_at_us, offset));
  if (name.empty()) {
    w.key("name").null();
  } else {
    w.key("name").value(name);
  }
  if (g != nullptr) {
    w.key("college_code").value(g->college_code);
    w.key("group_code").value(g->group_code);
    w.key("batch").value(core::to_code(g->b));
  }
  w.end_object();
}

// A favourite's response, stored with the idempotency record (runs on the writer thread). A
// removal's `op.render_context` is a bool: whether the favourite was there.
void render_favorite(const storage::write_op& op, unsigned& status, std::string& body) {
  status = 200;
  body.clear();
  json_writer w(body);
  w.begin_object();
  const auto& f = *storage::args_as<storage::favorite_args>(op);
  w.key("kind").value(f.kind == 0 ? "college" : "group");
  w.key("id").value(f.target);
  if (const auto* put = std::get_if<storage::favorite_put_args>(&op.args)) {
    w.key("category").value(put->category);
  } else {
    w.key("deleted").value(*static_cast<const bool*>(op.render_context));
  }
  w.end_object();
}

// ------------------------------------------------------------------ handlers

asio::awaitable<std::optional<std::vector<storage::favorite_row>>> load_favorites(
    candidate_api_context& api, std::int64_t candidate) {
  auto query = [candidate](pqxx::connection& conn) {
    return storage::load_favorites(conn, candidate, favorites_read_limit);
  };
  co_return co_await query_own<std::vector<storage::favorite_row>>(api, std::move(query));
}

asio::awaitable<void> get_favorites(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto items = co_await load_favorites(api, session->candidate_id);
  if (!items) co_return busy_reading(ctx);
  const auto catalog = api.catalog.load();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("categories").begin_array();
  for (const auto& c : categories_of(*items)) w.value(c);
  w.end_array();
  w.key("max_categories").value(static_cast<std::int64_t>(max_categories));
  w.key("max_items").value(static_cast<std::int64_t>(max_favorites));
  w.key("items").begin_array();
  for (const auto& f : *items) write_favorite(w, *catalog, f, api.clock_offset_seconds);
  w.end_array();
  w.end_object();
  private_response(ctx);
}

asio::awaitable<void> put_favorite(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session || !may_write(ctx, *session)) co_return;
  auto target = path_favorite(ctx);
  if (!target) co_return fail(ctx, target.error());
  auto body = parse_category(ctx);
  if (!body) co_return fail(ctx, body.error());
  if (auto open = favourites_open(api); !open) co_return fail(ctx, open.error());
  if (auto known = in_plan(api, *target); !known) co_return fail(ctx, known.error());
  // The caps are checked against what is committed.
  auto items = co_await load_favorites(api, session->candidate_id);
  if (!items) co_return busy_reading(ctx);
  if (!within_limits(ctx, std::move(*items), *target, body->category)) co_return;

  storage::favorite_put_args put;
  put.kind = target->kind;
  put.target = std::move(target->target);
  put.category = std::move(body->category);
  auto op = new_write_op(ctx, api, std::move(put), session->candidate_id);
  op->render = &render_favorite;
  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
}

asio::awaitable<void> delete_favorite(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session || !may_write(ctx, *session)) co_return;
  auto target = path_favorite(ctx);
  if (!target) co_return fail(ctx, target.error());
  if (auto open = favourites_open(api); !open) co_return fail(ctx, open.error());
  // Removing works for targets no longer in the plan. The answer says whether a favourite was
  // there to remove (committed data, read before the write), so a retry stays harmless and
  // truthful: `"deleted": false` the second time.
  auto items = co_await load_favorites(api, session->candidate_id);
  if (!items) co_return busy_reading(ctx);
  const bool present = std::any_of(items->begin(), items->end(), [&](const auto& f) {
    return f.kind == target->kind && f.target == target->target;
  });
  storage::favorite_delete_args del;
  del.kind = target->kind;
  del.target = std::move(target->target);
  auto op = new_write_op(ctx, api, std::move(del), session->candidate_id);
  op->render = &render_favorite;
  op->render_context = &present;  // lives until the write is done
  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
}

}  // namespace

core::result<category_body> parse_category(const request_context& ctx) {
  return json_fields<category_body>(ctx)
      .custom("category", true,
              [](category_body& b, simdjson::dom::element v) -> std::optional<core::error> {
                std::string_view s;
                if (v.get_string().get(s) || !valid_category(s)) {
                  return core::error{errc::invalid_field,
                                     "category: 1-16 characters, not blank, no control characters"};
                }
                b.category = std::string(s);
                return std::nullopt;
              })
      .done();
}

std::vector<route_spec> favorite_routes(candidate_api_context& api) {
  return {
      {http::verb::get, "/api/v1/favorites", handler_for(api, get_favorites)},
      {http::verb::put, "/api/v1/favorites/{kind}/{id}", handler_for(api, put_favorite)},
      {http::verb::delete_, "/api/v1/favorites/{kind}/{id}", handler_for(api, delete_favorite)},
  };
}

}  // namespace zhiyuan::server
