// The catalog (read-mostly) part of the candidate API: schedule, plans, colleges, historical
// scores, score tables, rank, suggestions and popularity. Everything is served from memory:
// the catalog and reference snapshots, the candidate directory and the popularity index.
// Handlers run on the I/O thread (sync_handler) and never touch the database.
//
// Non-personal responses are serialized once per snapshot and kept, bytes and ETag, in a
// bounded cache keyed by the normalized request (snapshot.hpp); pages that depend on the
// candidate (fits_me=true) are keyed by the candidate's profile key (track, category,
// electives, eligibility), which few combinations share.
//
// "This year" is the filing schedule's year (api.schedule): the server files that year's
// applications, and the reference data holds that year's score table plus the earlier years.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/batch.hpp"
#include "core/plan_filter.hpp"
#include "core/schedule.hpp"
#include "core/score_table.hpp"
#include "core/time.hpp"
#include "server/candidate/catalog/encoders.hpp"
#include "server/candidate/catalog/page_token.hpp"
#include "server/candidate/catalog/snapshot.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/session.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;

constexpr std::size_t default_page_size = 20;
constexpr std::size_t max_page_size = 100;
constexpr std::size_t max_text_bytes = 64;   // q, region
constexpr std::size_t max_code_bytes = 32;   // college codes
constexpr std::size_t per_class_limit = 50;  // suggestions

// --------------------------------------------------------------- handlers

void get_schedule(request_context& ctx, candidate_api_context& api) {
  const auto held = api.schedule.get();
  const core::schedule& s = *held;
  const std::int64_t now = api.now_seconds();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("year").value(s.year);
  w.key("server_time").value(core::format_rfc3339(now));
  w.key("drill");
  write_window(w, s.drill);
  w.key("drill_active").value(s.drill.contains(now));
  w.key("assisted_open").value(core::format_rfc3339(s.assisted_open));
  w.key("confirm_deadline").value(core::format_rfc3339(s.confirm_deadline));
  w.key("batches").begin_array();
  for (core::batch b : core::all_batches) {
    const core::batch_schedule& bs = s.of(b);
    const core::decision submit = core::decide(s, b, core::action::submit, now);
    w.begin_object();
    w.key("batch").value(core::to_code(b));
    w.key("name_zh").value(core::name_zh(b));
    w.key("phase").value(core::to_code(core::phase_at(s, b, now)));
    // Published plans and scores are browsable whenever they are loaded; the schedule governs
    // writes only, so the answer says what may be written.
    w.key("may_favorite").value(core::decide(s, b, core::action::favourite, now).allowed());
    w.key("may_submit").value(submit.allowed());
    w.key("next_submit_open");
    if (submit.next_open) {
      w.value(core::format_rfc3339(*submit.next_open));
    } else {
      w.null();
    }
    w.key("formal");
    write_window(w, bs.formal);
    w.key("special");
    if (bs.special) {
      write_window(w, *bs.special);
    } else {
      w.null();
    }
    w.key("supplementary").begin_array();
    for (const core::supplementary_round& r : s.supplementary) {
      if (r.batches.contains(b)) write_window(w, r.when);
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "no-store");
}

// The filters and the page of GET /api/v1/plans.
struct plans_query {
  std::optional<core::batch> b;
  std::optional<core::track> trk;
  std::string college, region, text;
  bool fits = false;  ///< only groups the candidate may file
  std::size_t page_size = default_page_size;
  std::string token;
};

core::result<plans_query> parse_plans_query(const request_context& ctx) {
  plans_query q;
  auto b = query_batch(ctx);
  if (!b) return core::failure(b.error());
  q.b = *b;
  auto trk = query_track(ctx);
  if (!trk) return core::failure(trk.error());
  q.trk = *trk;
  for (auto [name, max, out] : {std::tuple{"college", max_code_bytes, &q.college},
                                std::tuple{"region", max_text_bytes, &q.region},
                                std::tuple{"q", max_text_bytes, &q.text}}) {
    auto text = query_text(ctx, name, max);
    if (!text) return core::failure(text.error());
    *out = std::move(*text);
  }
  auto fits = query_text(ctx, "fits_me", 8);
  if (!fits) return core::failure(fits.error());
  if (!fits->empty() && *fits != "true" && *fits != "false") {
    return core::failure(errc::invalid_field, "fits_me: true or false");
  }
  q.fits = *fits == "true";
  auto size = query_positive(ctx, "page_size", max_page_size);
  if (!size) return core::failure(size.error());
  q.page_size = static_cast<std::size_t>(size->value_or(default_page_size));
  auto token = query_text(ctx, "page_token", 64);
  if (!token) return core::failure(token.error());
  q.token = std::move(*token);
  return q;
}

// One page of groups, with the token of the next.
std::string plans_page(const catalog_snapshot& snap, const core::plan_page& page,
                       std::size_t page_size, std::uint64_t filter_hash) {
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("total").value(static_cast<std::int64_t>(page.total));
  w.key("page_size").value(static_cast<std::int64_t>(page_size));
  w.key("next_page_token");
  if (page.more && !page.groups.empty()) {
    w.value(encode_page_token(snap.tag, filter_hash, page.groups.back()->id));
  } else {
    w.null();
  }
  w.key("groups").begin_array();
  for (const core::major_group* g : page.groups) write_group(w, *snap.cat, *g);
  w.end_array();
  w.end_object();
  return body;
}

void get_plans(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  const auto q = parse_plans_query(ctx);
  if (!q) return fail(ctx, q.error());
  core::candidate who;
  if (q->fits) {
    const auto e = registered(api, session->candidate_id);
    if (!e) return fail(ctx, e.error());
    who = e->to_core();
  }

  const auto snap = state.current();
  // The filters in one normalized string: the page token's check and the cache key's stem.
  thread_local std::string key;
  key.clear();
  key += "plans?";
  key_part(key, "b", q->b ? core::to_code(*q->b) : "");
  key_part(key, "t", q->trk ? core::to_code(*q->trk) : "");
  key_part(key, "c", q->college);
  key_part(key, "r", q->region);
  key_part(key, "q", q->text);
  key_part(key, "f", q->fits ? std::to_string(core::profile_key(who)) : "");
  const std::uint64_t filter_hash = core::fnv1a(key);
  std::optional<core::group_id> after;
  if (!q->token.empty()) {
    after = decode_page_token(q->token, snap->tag, filter_hash);
    if (!after) {
      return fail(
          ctx, errc::invalid_field,
          "page_token: not issued for this query and catalog snapshot; start again without it");
    }
  }
  key_part(key, "n", std::to_string(q->page_size));
  key_part(key, "a", after ? std::to_string(*after) : "");
  if (snap->cache.serve(key, ctx)) return;

  core::plan_filter f;
  f.b = q->b;
  f.trk = q->trk;
  f.college = q->college;
  f.region = q->region;
  f.text = q->text;
  f.fits = q->fits ? &who : nullptr;
  const auto page = core::select_plans(*snap->cat, f, after, q->page_size);
  if (!page) return fail(ctx, errc::invalid_field, "page_token: does not point into this result");
  snap->answer_and_cache(ctx, key, plans_page(*snap, *page, q->page_size, filter_hash));
}

// The group of the path's {group_id}: a malformed id is a 400 naming it, an unknown one a 404.
core::result<const core::major_group*> path_group(const request_context& ctx,
                                                  const catalog_snapshot& s) {
  const auto id = parse_id(ctx.params.get("group_id"));
  if (!id) return core::failure(errc::invalid_field, "group_id: a positive integer");
  const core::major_group* g = s.cat->find_group(*id);
  if (g == nullptr) return core::failure(errc::not_found, "no such major group");
  return g;
}

void get_plan(request_context& ctx, catalog_state& state) {
  if (!authenticate(ctx, state.api())) return;
  const auto snap = state.current();
  const auto g = path_group(ctx, *snap);
  if (!g) return fail(ctx, g.error());
  thread_local std::string key;
  key.clear();
  key += "plan/";
  key += std::to_string((*g)->id);
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  write_group(w, *snap->cat, **g);
  snap->answer_and_cache(ctx, key, std::move(body));
}

void get_college(request_context& ctx, catalog_state& state) {
  if (!authenticate(ctx, state.api())) return;
  const auto snap = state.current();
  const std::string_view code = ctx.params.get("code");
  const core::college* c = code.size() <= max_code_bytes ? snap->cat->find_college(code) : nullptr;
  if (c == nullptr) return fail(ctx, errc::not_found, "no such college");
  thread_local std::string key;
  key.clear();
  key += "college/";
  key += c->code;
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("college");
  write_college(w, *c);
  w.key("batches").begin_array();
  const auto it = snap->by_college.find(c->code);
  for (core::batch b : core::all_batches) {
    bool open = false;
    if (it != snap->by_college.end()) {
      // by_college lists the groups in catalog order: each batch's groups are contiguous.
      for (const core::major_group* g : it->second) {
        if (g->b != b) continue;
        if (!open) {
          w.begin_object();
          w.key("batch").value(core::to_code(b));
          w.key("groups").begin_array();
          open = true;
        }
        write_group(w, *snap->cat, *g);
      }
    }
    if (open) w.end_array().end_object();
  }
  w.end_array();
  w.end_object();
  snap->answer_and_cache(ctx, key, std::move(body));
}

// The groups of GET /api/v1/scores: one group, or every group of a college.
core::result<std::vector<const core::major_group*>> scored_groups(
    const catalog_snapshot& snap, const std::string& college, std::optional<std::int64_t> group) {
  if (group) {
    const core::major_group* g = snap.cat->find_group(*group);
    if (g == nullptr) return core::failure(errc::not_found, "no such major group");
    return std::vector<const core::major_group*>{g};
  }
  if (snap.cat->find_college(college) == nullptr) {
    return core::failure(errc::not_found, "no such college");
  }
  const auto it = snap.by_college.find(college);
  return it != snap.by_college.end() ? it->second : std::vector<const core::major_group*>();
}

void get_scores(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  if (!authenticate(ctx, api)) return;
  const auto college = query_text(ctx, "college", max_code_bytes);
  if (!college) return fail(ctx, college.error());
  const auto group = query_positive(ctx, "group");
  if (!group) return fail(ctx, group.error());
  if (college->empty() != group->has_value()) {
    return fail(ctx, errc::invalid_field, "college, group: give exactly one of them");
  }
  const auto snap = state.current();
  const auto groups = scored_groups(*snap, *college, *group);
  if (!groups) return fail(ctx, groups.error());
  const int this_year = api.schedule.get()->year;
  thread_local std::string key;
  key.clear();
  key += "scores?";
  key_part(key, "y", std::to_string(this_year));
  key_part(key, "c", *college);
  key_part(key, "g", *group ? std::to_string(**group) : "");
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("this_year").value(this_year);
  w.key("groups").begin_array();
  for (const core::major_group* g : *groups) write_score_history(w, *snap, this_year, *g);
  w.end_array();
  w.end_object();
  snap->answer_and_cache(ctx, key, std::move(body));
}

void get_score_table(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  const auto asked = query_track(ctx);
  if (!asked) return fail(ctx, asked.error());
  core::track trk = core::track::physics;
  if (*asked) {
    trk = **asked;
  } else {
    // The candidate's own track.
    const auto e = registered(api, session->candidate_id);
    if (!e) return fail(ctx, e.error());
    trk = e->trk;
  }
  const auto snap = state.current();
  const int year = api.schedule.get()->year;
  const core::score_table* table = snap->ref->table(year, trk);
  if (table == nullptr) {
    return fail(ctx, errc::not_found,
                fmt::format("no score table of {} for track {}", year, core::to_code(trk)));
  }
  thread_local std::string key;
  key.clear();
  key += "score-table?";
  key_part(key, "y", std::to_string(year));
  key_part(key, "t", core::to_code(trk));
  if (snap->cache.serve(key, ctx)) return;
  std::string body;
  json_writer w(body);
  w.begin_object();
  w.key("year").value(year);
  w.key("track").value(core::to_code(trk));
  w.key("total").value(table->total());
  w.key("rows").begin_array();
  // From the top score down; scores nobody reached are left out.
  for (int s = core::max_score; s >= 0; --s) {
    const int n = table->count_at(s);
    if (n == 0) continue;
    w.begin_object();
    w.key("score").value(s);
    w.key("count").value(n);
    w.key("cumulative").value(table->rank(s));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  snap->answer_and_cache(ctx, key, std::move(body));
}

void get_my_rank(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  const auto e = registered(api, session->candidate_id);
  if (!e) return fail(ctx, e.error());
  if (e->rank <= 0) return fail(ctx, errc::not_found, "no exam score on record for this candidate");
  const auto snap = state.current();
  const int year = api.schedule.get()->year;
  const core::score_table* table = snap->ref->table(year, e->trk);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("year").value(year);
  w.key("track").value(core::to_code(e->trk));
  w.key("score").value(static_cast<int>(e->score));
  w.key("rank").value(e->rank);
  if (table != nullptr) {
    w.key("tie").begin_object();
    w.key("best_rank").value(table->best_rank(e->score));
    w.key("worst_rank").value(table->rank(e->score));
    w.key("count").value(table->count_at(e->score));
    w.end_object();
    w.key("total").value(table->total());
  } else {
    w.key("tie").null();
    w.key("total").null();
  }
  w.key("equivalent_scores").begin_array();
  for (int y : snap->ref->table_years(e->trk)) {
    if (y >= year || table == nullptr) continue;
    const core::score_table* then = snap->ref->table(y, e->trk);
    w.begin_object();
    w.key("year").value(y);
    w.key("score");
    // equivalent_score maps this year's score to the earlier year's.
    if (auto s = core::equivalent_score(*table, e->score, *then)) {
      w.value(*s);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

void get_suggestions(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  const auto b = query_required_batch(ctx);
  if (!b) return fail(ctx, b.error());
  const auto e = registered(api, session->candidate_id);
  if (!e) return fail(ctx, e.error());
  const auto snap = state.current();
  const int this_year = api.schedule.get()->year;
  const core::candidate who = e->to_core();
  const storage::reference_data& ref = *snap->ref;
  const core::history_lookup history = [&ref, this_year](const core::major_group& g) {
    std::array<int, 3> ranks{};
    std::size_t n = 0;
    for (const auto& h : ref.history_of(g.id)) {
      if (h.year >= this_year) continue;
      if (n == ranks.size()) break;
      ranks[n++] = h.min_rank;
    }
    return ranks;
  };
  const auto lists = core::suggest(who, snap->cat->groups_in(*b), history, per_class_limit);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("batch").value(core::to_code(*b));
  w.key("rank").value(who.rank);
  w.key("order").value(
      "closest first: ascending |rank - average historical minimum rank| / average, then "
      "group id");
  w.key("limit_per_class").value(static_cast<std::int64_t>(per_class_limit));
  for (core::fit f : {core::fit::reach, core::fit::match, core::fit::safe}) {
    const auto k = static_cast<std::size_t>(f);
    w.key(core::to_code(f)).begin_object();
    w.key("total").value(static_cast<std::int64_t>(lists.totals[k]));
    w.key("groups").begin_array();
    for (const core::suggestion& s : lists.lists[k]) {
      const core::major_group& g = *s.group;
      const core::college* c = snap->cat->find_college(g.college_code);
      w.begin_object();
      w.key("group_id").value(g.id);
      w.key("college_code").value(g.college_code);
      w.key("college_name").value(c ? std::string_view(c->name) : std::string_view());
      w.key("group_code").value(g.group_code);
      w.key("special_type").value(g.special_type);
      w.key("average_min_rank").value(static_cast<std::int64_t>(s.average_min_rank + 0.5));
      w.key("min_ranks").begin_array();
      for (int r : s.min_ranks) {
        if (r > 0) {
          w.value(r);
        } else {
          w.null();
        }
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

void get_popularity(request_context& ctx, catalog_state& state) {
  candidate_api_context& api = state.api();
  const auto session = authenticate(ctx, api);
  if (!session) return;
  const auto snap = state.current();
  const auto group = path_group(ctx, *snap);
  if (!group) return fail(ctx, group.error());
  const core::major_group* g = *group;
  const auto e = registered(api, session->candidate_id);
  if (!e) return fail(ctx, e.error());
  if (api.popularity == nullptr) {
    return fail(ctx, errc::unavailable, "popularity is not available on this server", 5);
  }
  const auto st = api.popularity->stats(g->id, e->score);
  const auto mine = api.popularity->position_of(e->id, g->b, g->id);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("group_id").value(g->id);
  w.key("batch").value(core::to_code(g->b));
  w.key("first_choice").value(st.first_choice);
  w.key("any_position").value(st.any_position);
  w.key("my_score").value(static_cast<int>(e->score));
  w.key("my_rank").value(st.rank());
  w.key("higher").value(st.higher);
  w.key("tied").value(st.tied);
  w.key("my_position");
  if (mine) {
    w.value(*mine);
  } else {
    w.null();
  }
  w.key("as_of").value(core::format_utc_micros(api.now_micros()));
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

}  // namespace

std::vector<route_spec> catalog_routes(candidate_api_context& api) {
  // The catalog state (snapshot, response cache) lives as long as the routes that use it.
  auto state = std::make_shared<catalog_state>(api);
  return {
      {http::verb::get, "/api/v1/schedule", handler_for(api, get_schedule), route_priority::browse},
      {http::verb::get, "/api/v1/plans", handler_for(state, get_plans), route_priority::browse},
      {http::verb::get, "/api/v1/plans/{group_id}", handler_for(state, get_plan),
       route_priority::browse},
      {http::verb::get, "/api/v1/plans/{group_id}/popularity", handler_for(state, get_popularity),
       route_priority::browse},
      {http::verb::get, "/api/v1/colleges/{code}", handler_for(state, get_college),
       route_priority::browse},
      {http::verb::get, "/api/v1/scores", handler_for(state, get_scores), route_priority::browse},
      {http::verb::get, "/api/v1/score-table", handler_for(state, get_score_table),
       route_priority::browse},
      {http::verb::get, "/api/v1/me/rank", handler_for(state, get_my_rank), route_priority::browse},
      {http::verb::get, "/api/v1/suggestions", handler_for(state, get_suggestions),
       route_priority::browse},
  };
}

}  // namespace zhiyuan::server
