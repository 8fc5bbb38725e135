// The candidate's own state: favourites, drafts (read, import favourites), formal choices (read,
// history, CSV export) and notices. Reads run on the `reads` pool; writes of favourites and
// drafts go through the durable write path and are answered only after COMMIT.

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/batch.hpp"
#include "core/choices.hpp"
#include "core/schedule.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "server/async.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/helpers.hpp"
#include "server/candidate/receipts.hpp"
#include "server/http/csv.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "storage/candidate_store.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;

// Limits of a candidate's favourites. The cap is checked against committed data before the
// write is queued, so one candidate racing their own requests can pass it by at most the number
// of favourite writes they have in flight; reads are bounded by `favorites_read_limit` anyway.
constexpr std::size_t max_favorites = 200;
constexpr std::size_t max_categories = 10;
constexpr std::size_t max_category_chars = 16;
constexpr int favorites_read_limit = 1000;
constexpr std::array<std::string_view, 3> default_categories = {"冲", "稳", "保"};

constexpr int notices_default_limit = 50;
constexpr int notices_max_limit = 100;
constexpr int history_default_limit = 50;
constexpr int history_max_limit = 200;

// ---------------------------------------------------------------- helpers

// A candidate's own data: never stored by a browser or a shared cache, so that a shared computer
// cannot show one candidate's page (revalidated with a version ETag that another candidate's
// data may share) to the next.
void private_response(request_context& ctx) {
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
  ctx.res.headers.emplace_back("Vary", "Authorization, Cookie");
}

std::optional<std::int64_t> parse_positive(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

void unavailable(request_context& ctx) {
  fail(ctx, errc::unavailable, "the server is busy reading; retry shortly", 1);
}

// The signed-in candidate's directory entry, or nullopt after writing a 403.
std::optional<storage::candidate_directory::entry> registered(request_context& ctx,
                                                              candidate_api_context& api,
                                                              std::int64_t candidate) {
  auto who = api.candidate(candidate);
  if (!who) fail(ctx, errc::forbidden, "not a registered candidate");
  return who;
}

// The batch of the path, or nullopt after writing a 404 (as PUT /api/v1/drafts/{batch}).
std::optional<core::batch> path_batch(request_context& ctx) {
  auto b = core::parse_batch(ctx.params.get("batch"));
  if (!b) fail(ctx, errc::not_found, "no such batch");
  return b;
}

// The query parameter `name` as an integer in [lo, hi] (absent: `fallback`), or nullopt after
// writing a 400 naming it.
std::optional<std::int64_t> bounded_query(request_context& ctx, std::string_view name,
                                          std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
  const auto q = query_param(ctx.query, name);
  if (!q.present) return fallback;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(q.value.data(), q.value.data() + q.value.size(), v);
  if (q.malformed || q.value.empty() || ec != std::errc{} || p != q.value.data() + q.value.size() ||
      v < lo || v > hi) {
    fail(ctx, errc::invalid_field, fmt::format("{}: an integer from {} to {}", name, lo, hi));
    return std::nullopt;
  }
  return v;
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

// Where the schedule allows favourites. They belong to no batch, so they are allowed while ANY
// batch allows action::favourite (assisted, formal, special or supplementary phase): with the
// 2023 timetable that is from assisted filing's opening until the last batch closes, so a
// candidate can still mark vocational groups after 本科批 has closed. The refusal names
// 本科批's reason, the batch most candidates file.
bool favourites_open(request_context& ctx, const candidate_api_context& api) {
  const std::int64_t now = api.now_seconds();
  for (core::batch b : core::all_batches) {
    if (core::decide(*api.schedule.get(), b, core::action::favourite, now).allowed()) return true;
  }
  const auto d =
      core::decide(*api.schedule.get(), core::batch::undergrad, core::action::favourite, now);
  std::string detail = "favourites cannot be changed now: ";
  detail += core::to_code(d.reason);
  fail(ctx, errc::window_closed, detail);
  return false;
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

// Choices as the client sent them: group id, major CODES as published (null for a major the
// group does not have), adjustment and special flags; plus the college and group codes.
void write_choices(json_writer& w, const core::choice_list& choices, const core::catalog& cat) {
  w.begin_array();
  for (const auto& c : choices) {
    const core::major_group* g = cat.find_group(c.group);
    w.begin_object();
    w.key("group").value(c.group);
    w.key("majors").begin_array();
    for (core::major_id m : c.majors) {
      const core::major* found = nullptr;
      if (g != nullptr) {
        for (const auto& x : cat.majors_of(*g)) {
          if (x.id == m) found = &x;
        }
      }
      if (found != nullptr) {
        w.value(found->code);
      } else {
        w.null();
      }
    }
    w.end_array();
    w.key("accept_adjustment").value(c.accept_adjustment);
    w.key("special").value(c.special);
    if (g != nullptr) {
      w.key("college_code").value(g->college_code);
      w.key("group_code").value(g->group_code);
    } else {
      w.key("college_code").null();
      w.key("group_code").null();
    }
    w.end_object();
  }
  w.end_array();
}

// ----------------------------------------------------------------- writes

// A favourite's response, stored with the idempotency record (runs on the writer thread).
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
    w.key("deleted").value(true);
  }
  w.end_object();
}

std::unique_ptr<storage::write_op> new_op(request_context& ctx, const candidate_api_context& api,
                                          storage::write_args args, std::int64_t candidate) {
  auto op = std::make_unique<storage::write_op>();
  op->args = std::move(args);
  op->candidate_id = candidate;
  op->idempotency_key = generated_key();
  op->request_hash = request_hash(ctx);
  op->accepted_at_us = api.now_micros();
  op->deadline = std::chrono::steady_clock::now() + api.write_deadline;
  return op;
}

// ------------------------------------------------------------- favourites

// The favourite of the path: kind ("college" → 0, "group" → 1) and the stored target (a group
// id in canonical decimal). nullopt after writing a 400 naming the bad part.
struct favorite_target {
  std::int16_t kind = 0;
  std::string target;
};

std::optional<favorite_target> path_favorite(request_context& ctx) {
  const std::string_view kind = ctx.params.get("kind");
  const std::string_view id = ctx.params.get("id");
  favorite_target t;
  if (kind == "college") {
    t.kind = 0;
    // College codes are short printable ASCII (院校代号); anything else names no college.
    const bool ok = !id.empty() && id.size() <= 32 &&
                    std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (!ok) {
      fail(ctx, errc::invalid_field, "id: a college code");
      return std::nullopt;
    }
    t.target = id;
  } else if (kind == "group") {
    t.kind = 1;
    const auto g = parse_positive(id);
    if (!g) {
      fail(ctx, errc::invalid_field, "id: a group id (positive integer)");
      return std::nullopt;
    }
    t.target = std::to_string(*g);
  } else {
    fail(ctx, errc::invalid_field, "kind: college or group");
    return std::nullopt;
  }
  return t;
}

// The display name of a favourite from the catalog; empty when it is no longer published.
std::string display_name(const core::catalog& cat, std::int16_t kind, const std::string& target,
                         const core::major_group** group_out) {
  *group_out = nullptr;
  if (kind == 0) {
    const core::college* c = cat.find_college(target);
    return c != nullptr ? c->name : std::string();
  }
  const auto id = parse_positive(target);
  const core::major_group* g = id ? cat.find_group(*id) : nullptr;
  if (g == nullptr) return {};
  *group_out = g;
  const core::college* c = cat.find_college(g->college_code);
  std::string name = c != nullptr ? c->name : g->college_code;
  name += " 专业组";
  name += g->group_code;
  return name;
}

// Defaults first, then the candidate's own names in order of first use.
std::vector<std::string> categories_of(const std::vector<storage::favorite_row>& items) {
  std::vector<std::string> out(default_categories.begin(), default_categories.end());
  for (const auto& f : items) {
    if (std::find(out.begin(), out.end(), f.category) == out.end()) out.push_back(f.category);
  }
  return out;
}

asio::awaitable<void> get_favorites(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const std::int64_t candidate = session->candidate_id;
  auto job = [candidate](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_favorites(*conn, candidate, favorites_read_limit);
  };
  auto items = co_await run_on<std::vector<storage::favorite_row>>(*api.reads, std::move(job));
  if (!items) {
    unavailable(ctx);
    co_return;
  }
  const auto catalog = api.catalog.load();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("categories").begin_array();
  for (const auto& c : categories_of(*items)) w.value(c);
  w.end_array();
  w.key("max_categories").value(static_cast<std::int64_t>(max_categories));
  w.key("max_items").value(static_cast<std::int64_t>(max_favorites));
  w.key("items").begin_array();
  for (const auto& f : *items) {
    const core::major_group* g = nullptr;
    const std::string name = display_name(*catalog, f.kind, f.target, &g);
    w.begin_object();
    w.key("kind").value(f.kind == 0 ? "college" : "group");
    w.key("id").value(f.target);
    w.key("category").value(f.category);
    w.key("created_at").value(core::format_utc_micros(f.created_at_us));
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
  w.end_array();
  w.end_object();
  private_response(ctx);
}

// {"category": "..."}: the only member. The DOM parser checks the whole body (no trailing bytes).
std::optional<std::string> parse_category(request_context& ctx) {
  if (!is_json(ctx.request)) {
    fail(ctx, errc::unsupported_media, "send application/json");
    return std::nullopt;
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(ctx.request.body()).get(obj)) {
    fail(ctx, errc::invalid_field, "body: a JSON object {\"category\": \"...\"}");
    return std::nullopt;
  }
  std::optional<std::string> category;
  for (auto [key, value] : obj) {
    if (key != "category") {
      fail(ctx, errc::invalid_field, fmt::format("{} (unknown member)", key));
      return std::nullopt;
    }
    std::string_view v;
    if (value.get_string().get(v) || !valid_category(v)) {
      fail(ctx, errc::invalid_field, "category: 1-16 characters, not blank, no control characters");
      return std::nullopt;
    }
    category.emplace(v);
  }
  if (!category) {
    fail(ctx, errc::invalid_field, "category: missing");
    return std::nullopt;
  }
  return category;
}

asio::awaitable<void> put_favorite(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session || !may_write(ctx, *session)) co_return;
  const std::int64_t candidate = session->candidate_id;
  auto target = path_favorite(ctx);
  if (!target) co_return;
  auto category = parse_category(ctx);
  if (!category) co_return;
  if (!favourites_open(ctx, api)) co_return;
  {
    const auto catalog = api.catalog.load();
    const auto group = parse_positive(target->target);
    const bool exists = target->kind == 0 ? catalog->find_college(target->target) != nullptr
                                          : group && catalog->find_group(*group) != nullptr;
    if (!exists) {
      fail(ctx, errc::not_found,
           target->kind == 0 ? "no such college in the plan" : "no such group in the plan");
      co_return;
    }
  }

  // The caps are checked against what is committed.
  auto job = [candidate](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_favorites(*conn, candidate, favorites_read_limit);
  };
  auto items = co_await run_on<std::vector<storage::favorite_row>>(*api.reads, std::move(job));
  if (!items) {
    unavailable(ctx);
    co_return;
  }
  bool present = false;
  std::vector<storage::favorite_row> after;
  after.reserve(items->size() + 1);
  for (auto& f : *items) {
    if (f.kind == target->kind && f.target == target->target) {
      present = true;
      f.category = *category;
    }
    after.push_back(std::move(f));
  }
  if (!present) {
    if (after.size() >= max_favorites) {
      fail(ctx, errc::validation_failed,
           fmt::format("at most {} favourites; remove some first", max_favorites), 0,
           limit_violation("too_many_favorites", "收藏已达上限，请先删除部分收藏",
                           "Too many favourites; remove some first"));
      co_return;
    }
    after.push_back({target->kind, target->target, *category, 0});
  }
  if (categories_of(after).size() > max_categories) {
    fail(ctx, errc::validation_failed,
         fmt::format("category: at most {} categories (冲, 稳, 保 and your own)", max_categories),
         0, limit_violation("too_many_categories", "收藏分类已达上限", "Too many categories"));
    co_return;
  }

  storage::favorite_put_args put;
  put.kind = target->kind;
  put.target = std::move(target->target);
  put.category = std::move(*category);
  auto op = new_op(ctx, api, std::move(put), candidate);
  op->render = &render_favorite;
  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
}

asio::awaitable<void> delete_favorite(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session || !may_write(ctx, *session)) co_return;
  auto target = path_favorite(ctx);
  if (!target) co_return;
  if (!favourites_open(ctx, api)) co_return;
  // Removing works for targets no longer in the plan, and for absent favourites.
  storage::favorite_delete_args del;
  del.kind = target->kind;
  del.target = std::move(target->target);
  auto op = new_op(ctx, api, std::move(del), session->candidate_id);
  op->render = &render_favorite;
  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
}

// ----------------------------------------------------------------- drafts

asio::awaitable<void> get_draft(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto b = path_batch(ctx);
  if (!b) co_return;
  const auto who = registered(ctx, api, session->candidate_id);
  if (!who) co_return;
  const bool drill = drilling(api);
  const std::int64_t candidate = session->candidate_id;
  const std::int16_t batch = storage::encode_batch(*b);
  auto job = [candidate, batch, drill](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_draft(*conn, candidate, batch, drill);
  };
  auto draft = co_await run_on<std::optional<storage::draft_row>>(*api.reads, std::move(job));
  if (!draft) {
    unavailable(ctx);
    co_return;
  }
  const std::int64_t version = *draft ? (*draft)->version : 0;
  private_response(ctx);
  if (not_modified(ctx, std::to_string(version))) co_return;

  core::choice_list choices;
  if (*draft) {
    auto decoded = core::decode_canonical((*draft)->choices);
    if (!decoded) {
      fail(ctx, errc::internal, "");
      co_return;
    }
    choices = std::move(*decoded);
  }
  const auto catalog = api.catalog.load();
  std::vector<core::finding> findings;
  core::validate(who->to_core(), *b, choices, *catalog, *api.schedule.get(), api.now_seconds(),
                 drill ? core::mode::drill_draft : core::mode::draft, findings);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("batch").value(core::to_code(*b));
  w.key("drill").value(drill);
  w.key("version").value(version);
  if (*draft) {
    w.key("updated_at").value(core::format_utc_micros((*draft)->updated_at_us));
  } else {
    w.key("updated_at").null();
  }
  w.key("choices");
  write_choices(w, choices, *catalog);
  w.key("violations");
  write_violations(w, findings);
  w.end_object();
}

asio::awaitable<void> import_favorites(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto b = path_batch(ctx);
  if (!b) co_return;
  if (!may_write(ctx, *session)) co_return;
  const auto if_match = if_match_version(ctx.request);
  if (if_match && *if_match < 0) {
    fail(ctx, errc::invalid_field, "If-Match: a version such as \"3\"");
    co_return;
  }
  const auto who = registered(ctx, api, session->candidate_id);
  if (!who) co_return;
  const bool drill = drilling(api);
  const core::action action = drill ? core::action::drill_save_draft : core::action::save_draft;
  if (const auto d = core::decide(*api.schedule.get(), *b, action, api.now_seconds());
      !d.allowed()) {
    std::string detail = "drafts of this batch cannot be saved now: ";
    detail += core::to_code(d.reason);
    fail(ctx, errc::window_closed, detail);
    co_return;
  }

  const std::int64_t candidate = session->candidate_id;
  const std::int16_t batch = storage::encode_batch(*b);
  auto job = [candidate, batch, drill](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_draft_and_favorites(*conn, candidate, batch, drill, favorites_read_limit);
  };
  auto state = co_await run_on<storage::draft_and_favorites>(*api.reads, std::move(job));
  if (!state) {
    unavailable(ctx);
    co_return;
  }
  core::choice_list choices;
  if (state->draft) {
    auto decoded = core::decode_canonical(state->draft->choices);
    if (!decoded) {
      fail(ctx, errc::internal, "");
      co_return;
    }
    choices = std::move(*decoded);
  }

  // Append favourite groups of this batch not yet in the draft, in favourite order, up to the
  // batch's ordinary and special-type slots.
  const auto catalog = api.catalog.load();
  const core::batch_limits limits = core::default_batch_limits()[core::index_of(*b)];
  int ordinary = 0, special = 0;
  for (const auto& c : choices) ++(c.special ? special : ordinary);
  std::vector<core::group_id> imported, left_out;
  for (const auto& f : state->favorites) {
    if (f.kind != 1) continue;
    const auto id = parse_positive(f.target);
    const core::major_group* g = id ? catalog->find_group(*id) : nullptr;
    if (g == nullptr || g->b != *b) continue;
    const bool in_draft =
        std::any_of(choices.begin(), choices.end(),
                    [&](const core::group_choice& c) { return c.group == g->id; });
    if (in_draft) continue;
    int& used = g->special_type ? special : ordinary;
    const int cap = g->special_type ? limits.special_slots : limits.max_groups;
    if (used >= cap) {
      left_out.push_back(g->id);
      continue;
    }
    ++used;
    choices.push_back({g->id, {}, true, g->special_type});
    imported.push_back(g->id);
  }

  const std::int64_t accepted_us = api.now_micros();
  std::vector<core::finding> findings;
  core::validate(who->to_core(), *b, choices, *catalog, *api.schedule.get(),
                 accepted_us / 1'000'000, drill ? core::mode::drill_draft : core::mode::draft,
                 findings);
  for (const auto& f : findings) {
    // As a PUT of the same draft: a window finding refuses the save.
    if (core::to_code(f.code).find("window") != std::string_view::npos) {
      std::string extra = "\"violations\":";
      json_writer vw(extra);
      write_violations(vw, {f});
      fail(ctx, errc::window_closed, core::message_en(f), 0, extra);
      co_return;
    }
  }

  storage::draft_args d;
  d.batch = batch;
  d.drill = drill;
  d.base_version = if_match ? *if_match : (state->draft ? state->draft->version : 0);
  core::append_canonical(choices, d.choices);
  d.choices_sha256 = sha256_of(d.choices);
  d.exam_no = who->exam_number();
  auto op = new_op(ctx, api, std::move(d), candidate);
  op->accepted_at_us = accepted_us;
  op->render = &render_receipt;

  // What the import did, appended to the receipt once it is durable.
  std::string extra;
  {
    json_writer w(extra);
    w.key("imported").begin_array();
    for (auto id : imported) w.value(id);
    w.end_array();
    w.key("not_imported_over_limit").begin_array();
    for (auto id : left_out) w.value(id);
    w.end_array();
    w.key("limit_reached").value(!left_out.empty());
    w.key("max_groups").value(limits.max_groups);
    w.key("violations");
    write_violations(w, findings);
  }
  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
  if (out.admitted == storage::admit::ok && ctx.res.status == 200 && ctx.res.body.size() > 2) {
    ctx.res.body.pop_back();
    ctx.res.body += ',';
    ctx.res.body += extra;
    ctx.res.body += '}';
  }
}

// ------------------------------------------------------- formal choices

// The receipt of a stored version (signed when the server has its key).
void write_receipt(json_writer& w, const candidate_api_context& api, std::string_view exam_no,
                   core::batch b, bool drill, const storage::application_row& a) {
  receipt_view v;
  v.exam_no = exam_no;
  v.b = b;
  v.drill = drill;
  v.version = a.version;
  v.accepted_at_us = a.accepted_at_us;
  v.committed_at_us = a.committed_at_us;
  v.choices_sha256 = sha256_of(a.choices);
  v.receipt_hash = a.receipt_hash;
  v.prev_hash = a.prev_hash;
  w.begin_object();
  if (api.signer != nullptr) {
    write_receipt_members(w, v, *api.signer);
  } else {
    // No signing key configured: the verifiable members without a signature.
    w.key("exam_no").value(exam_no);
    w.key("batch").value(core::to_code(b));
    w.key("drill").value(drill);
    w.key("version").value(a.version);
    w.key("accepted_at").value(core::format_utc_micros(a.accepted_at_us));
    w.key("committed_at").value(core::format_utc_micros(a.committed_at_us));
    w.key("choices_sha256").value(hex(v.choices_sha256.data(), v.choices_sha256.size()));
    if (a.prev_hash) {
      w.key("prev_hash").value(hex(a.prev_hash->data(), a.prev_hash->size()));
    } else {
      w.key("prev_hash").null();
    }
    w.key("receipt_hash").value(hex(a.receipt_hash.data(), a.receipt_hash.size()));
    w.key("canonical").value(canonical_receipt_of(v));
  }
  w.end_object();
}

// The current formal choices of the path's batch, decoded; nullopt after writing the answer
// (404 never submitted, 503, 500).
struct current_application {
  storage::application_row row;
  core::choice_list choices;
  core::batch b = core::batch::undergrad;
  bool drill = false;
  std::optional<storage::candidate_directory::entry> who;
};

asio::awaitable<std::optional<current_application>> read_current(request_context& ctx,
                                                                 candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return std::nullopt;
  const auto b = path_batch(ctx);
  if (!b) co_return std::nullopt;
  const auto who = registered(ctx, api, session->candidate_id);
  if (!who) co_return std::nullopt;
  const bool drill = drilling(api);
  const std::int64_t candidate = session->candidate_id;
  const std::int16_t batch = storage::encode_batch(*b);
  auto job = [candidate, batch, drill](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_application(*conn, candidate, batch, drill);
  };
  auto row = co_await run_on<std::optional<storage::application_row>>(*api.reads, std::move(job));
  if (!row) {
    unavailable(ctx);
    co_return std::nullopt;
  }
  if (!*row) {
    fail(ctx, errc::not_found, "no formal choices submitted for this batch");
    co_return std::nullopt;
  }
  auto decoded = core::decode_canonical((*row)->choices);
  if (!decoded) {
    fail(ctx, errc::internal, "");
    co_return std::nullopt;
  }
  co_return current_application{std::move(**row), std::move(*decoded), *b, drill, who};
}

asio::awaitable<void> get_application(request_context& ctx, candidate_api_context& api) {
  auto cur = co_await read_current(ctx, api);
  if (!cur) co_return;
  private_response(ctx);
  if (not_modified(ctx, std::to_string(cur->row.version))) co_return;
  const auto catalog = api.catalog.load();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("batch").value(core::to_code(cur->b));
  w.key("drill").value(cur->drill);
  w.key("version").value(cur->row.version);
  w.key("choices");
  write_choices(w, cur->choices, *catalog);
  w.key("receipt");
  write_receipt(w, api, cur->who->exam_number(), cur->b, cur->drill, cur->row);
  w.end_object();
}

asio::awaitable<void> get_history(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto b = path_batch(ctx);
  if (!b) co_return;
  const auto limit = bounded_query(ctx, "limit", 1, history_max_limit, history_default_limit);
  if (!limit) co_return;
  const auto before = bounded_query(ctx, "before", 1, std::numeric_limits<std::int64_t>::max(),
                                    std::numeric_limits<std::int64_t>::max());
  if (!before) co_return;
  const auto who = registered(ctx, api, session->candidate_id);
  if (!who) co_return;
  const bool drill = drilling(api);
  const std::int64_t candidate = session->candidate_id;
  const std::int16_t batch = storage::encode_batch(*b);
  // One more than asked: whether there is a next page.
  const int rows = static_cast<int>(*limit) + 1;
  const std::int64_t below = *before;
  auto job = [candidate, batch, drill, below, rows](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_application_history(*conn, candidate, batch, drill, below, rows);
  };
  auto versions =
      co_await run_on<std::vector<storage::application_row>>(*api.reads, std::move(job));
  if (!versions) {
    unavailable(ctx);
    co_return;
  }
  const bool more = versions->size() > static_cast<std::size_t>(*limit);
  if (more) versions->pop_back();
  const auto catalog = api.catalog.load();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("batch").value(core::to_code(*b));
  w.key("drill").value(drill);
  w.key("versions").begin_array();
  for (const auto& v : *versions) {
    auto decoded = core::decode_canonical(v.choices);
    if (!decoded) {
      ctx.res.body.clear();
      fail(ctx, errc::internal, "");
      co_return;
    }
    w.begin_object();
    w.key("version").value(v.version);
    w.key("choices");
    write_choices(w, *decoded, *catalog);
    w.key("receipt");
    write_receipt(w, api, who->exam_number(), *b, drill, v);
    w.end_object();
  }
  w.end_array();
  if (more) {
    w.key("next_before").value(versions->back().version);
  } else {
    w.key("next_before").null();
  }
  w.end_object();
  private_response(ctx);
}

asio::awaitable<void> export_application(request_context& ctx, candidate_api_context& api) {
  const auto format = query_param(ctx.query, "format");
  if (format.present && (format.malformed || format.value != "csv")) {
    fail(ctx, errc::invalid_field, "format: only csv is supported");
    co_return;
  }
  auto cur = co_await read_current(ctx, api);
  if (!cur) co_return;
  const auto catalog = api.catalog.load();
  std::string& out = ctx.res.body;
  out = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
  out +=
      "choice,college_code,college_name,group_code,major_code,major_name,accept_adjustment,"
      "special\r\n";
  int position = 0;
  for (const auto& c : cur->choices) {
    ++position;
    const core::major_group* g = catalog->find_group(c.group);
    const core::college* college = g ? catalog->find_college(g->college_code) : nullptr;
    auto row = [&](std::string_view code, std::string_view name) {
      out += std::to_string(position);
      out += ',';
      csv_field(out, g ? std::string_view(g->college_code) : std::string_view(), false);
      out += ',';
      csv_field(out, college ? std::string_view(college->name) : std::string_view(), true);
      out += ',';
      csv_field(out, g ? std::string_view(g->group_code) : std::string_view(), false);
      out += ',';
      csv_field(out, code, false);
      out += ',';
      csv_field(out, name, true);
      out += ',';
      out += c.accept_adjustment ? "yes" : "no";
      out += ',';
      out += c.special ? "yes" : "no";
      out += "\r\n";
    };
    // A choice without majors (adjustment only) still gets its row.
    if (c.majors.empty()) row({}, {});
    for (core::major_id m : c.majors) {
      const core::major* found = nullptr;
      if (g != nullptr) {
        for (const auto& x : catalog->majors_of(*g)) {
          if (x.id == m) found = &x;
        }
      }
      row(found ? std::string_view(found->code) : std::string_view(),
          found ? std::string_view(found->name) : std::string_view());
    }
  }
  ctx.res.content_type = "text/csv; charset=utf-8";
  std::string disposition = "attachment; filename=\"zhiyuan-";
  disposition += cur->who->exam_number();
  disposition += '-';
  disposition += core::to_code(cur->b);
  if (cur->drill) disposition += "-drill";
  disposition += '-';
  disposition += std::to_string(cur->row.version);
  disposition += ".csv\"";
  ctx.res.headers.emplace_back("Content-Disposition", std::move(disposition));
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

// ---------------------------------------------------------------- notices

asio::awaitable<void> get_notices(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto limit = bounded_query(ctx, "limit", 1, notices_max_limit, notices_default_limit);
  if (!limit) co_return;
  const auto before_q =
      bounded_query(ctx, "before", 1, std::numeric_limits<std::int64_t>::max(), 0);
  if (!before_q) co_return;
  const std::optional<std::int64_t> before =
      *before_q > 0 ? std::optional<std::int64_t>(*before_q) : std::nullopt;
  const std::int64_t candidate = session->candidate_id;
  const int rows = static_cast<int>(*limit) + 1;
  auto job = [candidate, before, rows](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::load_notices(*conn, candidate, before, rows);
  };
  auto notices = co_await run_on<std::vector<storage::notice_row>>(*api.reads, std::move(job));
  if (!notices) {
    unavailable(ctx);
    co_return;
  }
  const bool more = notices->size() > static_cast<std::size_t>(*limit);
  if (more) notices->pop_back();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("notices").begin_array();
  for (const auto& n : *notices) {
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
    w.key("created_at").value(core::format_utc_micros(n.created_at_us));
    w.key("read").value(n.read);
    w.end_object();
  }
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
  const auto id = parse_positive(ctx.params.get("id"));
  if (!id) {
    fail(ctx, errc::invalid_field, "id: a notice id (positive integer)");
    co_return;
  }
  const std::int64_t candidate = session->candidate_id;
  const std::int64_t notice = *id;
  auto job = [candidate, notice](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return storage::mark_notice_read(*conn, candidate, notice);
  };
  // Committed by the job before it returns: the answer follows the commit.
  auto visible = co_await run_on<bool>(*api.reads, std::move(job));
  if (!visible) {
    unavailable(ctx);
    co_return;
  }
  if (!*visible) {
    fail(ctx, errc::not_found, "no such notice");
    co_return;
  }
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("id").value(notice);
  w.key("read").value(true);
  w.end_object();
}

}  // namespace

std::vector<route_spec> state_routes(candidate_api_context& api) {
  return {
      {http::verb::get, "/api/v1/favorites", handler_for(api, get_favorites)},
      {http::verb::put, "/api/v1/favorites/{kind}/{id}", handler_for(api, put_favorite)},
      {http::verb::delete_, "/api/v1/favorites/{kind}/{id}", handler_for(api, delete_favorite)},
      {http::verb::get, "/api/v1/drafts/{batch}", handler_for(api, get_draft)},
      {http::verb::post, "/api/v1/drafts/{batch}/import-favorites",
       handler_for(api, import_favorites)},
      {http::verb::get, "/api/v1/applications/{batch}", handler_for(api, get_application)},
      {http::verb::get, "/api/v1/applications/{batch}/history", handler_for(api, get_history)},
      {http::verb::get, "/api/v1/applications/{batch}/export",
       handler_for(api, export_application)},
      {http::verb::get, "/api/v1/notices", handler_for(api, get_notices), route_priority::browse},
      {http::verb::post, "/api/v1/notices/{id}/read", handler_for(api, read_notice)},
  };
}

}  // namespace zhiyuan::server
