// Drafts (草稿): one per batch, saved as often as the candidate likes while the batch allows
// it, read back with what still stands between the draft and a valid submission, and filled
// from the candidate's favourite groups.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.hpp"
#include "core/choices.hpp"
#include "core/schedule.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/filing/reads.hpp"
#include "server/candidate/filing/render.hpp"
#include "server/candidate/filing/save.hpp"
#include "server/candidate/own_state.hpp"
#include "server/candidate/session.hpp"
#include "server/candidate/write_answer.hpp"
#include "server/digest.hpp"
#include "server/filing_clock.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/candidate_store.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;

core::mode draft_mode(bool drill) { return drill ? core::mode::drill_draft : core::mode::draft; }

asio::awaitable<void> get_draft(request_context& ctx, candidate_api_context& api) {
  const auto own = own_batch_of(ctx, api);
  if (!own) co_return;
  auto query = [candidate = own->candidate, batch = own->code(),
                drill = own->drill](pqxx::connection& conn) {
    return storage::load_draft(conn, candidate, batch, drill);
  };
  auto draft = co_await query_own<std::optional<storage::draft_row>>(api, std::move(query));
  if (!draft) co_return busy_reading(ctx);
  const std::int64_t version = *draft ? (*draft)->version : 0;
  private_response(ctx);
  if (not_modified(ctx, std::to_string(version))) co_return;

  auto choices = *draft ? stored_choices((*draft)->choices) : core::choice_list();
  if (!choices) co_return fail(ctx, choices.error());
  const auto catalog = api.catalog.load();
  std::vector<core::finding> findings;
  core::validate(own->who.to_core(), own->b, *choices, *catalog, *api.schedule.get(),
                 api.now_seconds(), draft_mode(own->drill), findings);
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("batch").value(core::to_code(own->b));
  w.key("drill").value(own->drill);
  w.key("version").value(version);
  if (*draft) {
    w.key("updated_at").value(format_db_time((*draft)->updated_at_us, api.clock_offset_seconds));
  } else {
    w.key("updated_at").null();
  }
  w.key("choices");
  write_choices(w, *choices, *catalog);
  w.key("violations");
  write_violations(w, findings);
  w.end_object();
}

asio::awaitable<void> save_draft(request_context& ctx, candidate_api_context& api) {
  return save_choices(ctx, api, core::mode::draft);
}

// ------------------------------------------------------------ import-favorites

// Appends the favourite groups of batch `b` not yet in `choices`, in favourite order, up to the
// batch's ordinary and special-type slots.
import_summary append_favourites(core::choice_list& choices,
                                 const std::vector<storage::favorite_row>& favorites,
                                 const core::catalog& cat, core::batch b) {
  const core::batch_limits limits = core::default_batch_limits()[core::index_of(b)];
  import_summary out;
  out.max_groups = limits.max_groups;
  int ordinary = 0, special = 0;
  for (const auto& c : choices) ++(c.special ? special : ordinary);
  for (const auto& f : favorites) {
    if (f.kind != 1) continue;
    const auto id = parse_id(f.target);
    const core::major_group* g = id ? cat.find_group(*id) : nullptr;
    if (g == nullptr || g->b != b) continue;
    const bool in_draft =
        std::any_of(choices.begin(), choices.end(),
                    [&](const core::group_choice& c) { return c.group == g->id; });
    if (in_draft) continue;
    int& used = g->special_type ? special : ordinary;
    const int cap = g->special_type ? limits.special_slots : limits.max_groups;
    if (used >= cap) {
      out.left_out.push_back(g->id);
      continue;
    }
    ++used;
    choices.push_back({g->id, {}, true, g->special_type});
    out.imported.push_back(g->id);
  }
  return out;
}

// Whether the schedule lets drafts of the batch be saved now.
core::result<void> drafts_open(const candidate_api_context& api, const own_batch& own) {
  const core::action action = own.drill ? core::action::drill_save_draft : core::action::save_draft;
  const auto d = core::decide(*api.schedule.get(), own.b, action, api.now_seconds());
  if (d.allowed()) return {};
  std::string detail = "drafts of this batch cannot be saved now: ";
  detail += core::to_code(d.reason);
  return core::failure(errc::window_closed, std::move(detail));
}

asio::awaitable<void> import_favorites(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto b = path_batch(ctx);
  if (!b) co_return fail(ctx, b.error());
  if (!may_write(ctx, *session)) co_return;
  const auto base = if_match(ctx.request);
  if (!base) co_return fail(ctx, base.error());
  const auto own = own_batch_of(ctx, api, *session, *b);
  if (!own) co_return;
  if (auto open = drafts_open(api, *own); !open) co_return fail(ctx, open.error());

  auto query = [candidate = own->candidate, batch = own->code(),
                drill = own->drill](pqxx::connection& conn) {
    return storage::load_draft_and_favorites(conn, candidate, batch, drill, favorites_read_limit);
  };
  auto state = co_await query_own<storage::draft_and_favorites>(api, std::move(query));
  if (!state) co_return busy_reading(ctx);
  auto choices = state->draft ? stored_choices(state->draft->choices) : core::choice_list();
  if (!choices) co_return fail(ctx, choices.error());
  const auto catalog = api.catalog.load();
  // What the import did is reported with the receipt once it is durable (render_draft).
  draft_notes notes;
  notes.clock_offset_seconds = api.clock_offset_seconds;
  notes.import = append_favourites(*choices, state->favorites, *catalog, own->b);

  const std::int64_t accepted_us = api.now_micros();
  core::validate(own->who.to_core(), own->b, *choices, *catalog, *api.schedule.get(),
                 accepted_us / 1'000'000, draft_mode(own->drill), notes.findings);
  // As a PUT of the same draft: a window finding refuses the save.
  if (const core::finding* closed = window_finding(notes.findings)) {
    co_return fail(ctx, errc::window_closed, core::message_en(*closed), 0,
                   violations_json({*closed}));
  }
  auto op = choices_write(api, storage::op_kind::save_draft, own->who, own->b, own->drill, *choices,
                          accepted_us);
  op->idempotency_key = generated_key();
  op->request_hash = request_hash(ctx);
  storage::args_as<storage::choices_args>(*op)->base_version =
      base->value_or(state->draft ? state->draft->version : 0);
  op->render = &render_draft;
  op->render_context = &notes;
  auto out = co_await submit_write(*api.writes, std::move(op));
  answer_write(ctx, out);
}

}  // namespace

std::vector<route_spec> draft_routes(candidate_api_context& api) {
  return {
      {http::verb::get, "/api/v1/drafts/{batch}", handler_for(api, get_draft)},
      {http::verb::put, "/api/v1/drafts/{batch}", handler_for(api, save_draft)},
      {http::verb::post, "/api/v1/drafts/{batch}/import-favorites",
       handler_for(api, import_favorites)},
  };
}

}  // namespace zhiyuan::server
