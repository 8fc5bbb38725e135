// Formal choices (正式志愿): submitted with the save password, answered with a signed receipt
// after COMMIT; read back (current version, history) and exported as CSV. The receipts' public
// key is published here.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.hpp"
#include "core/choices.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/filing/reads.hpp"
#include "server/candidate/filing/render.hpp"
#include "server/candidate/filing/save.hpp"
#include "server/candidate/own_state.hpp"
#include "server/candidate/receipts.hpp"
#include "server/candidate/session.hpp"
#include "server/http/csv.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/candidate_store.hpp"

namespace zhiyuan::server {
namespace {

using core::errc;

constexpr int history_default_limit = 50;
constexpr int history_max_limit = 200;

asio::awaitable<void> submit(request_context& ctx, candidate_api_context& api) {
  return save_choices(ctx, api, core::mode::formal);
}

// The current formal choices of the path's batch, decoded.
struct current_application {
  own_batch own;
  storage::application_row row;
  core::choice_list choices;
};

// nullopt after writing the answer (401, 404 unknown batch or never submitted, 403, 503, 500).
asio::awaitable<std::optional<current_application>> read_current(request_context& ctx,
                                                                 candidate_api_context& api) {
  auto own = own_batch_of(ctx, api);
  if (!own) co_return std::nullopt;
  auto query = [candidate = own->candidate, batch = own->code(),
                drill = own->drill](pqxx::connection& conn) {
    return storage::load_application(conn, candidate, batch, drill);
  };
  auto row = co_await query_own<std::optional<storage::application_row>>(api, std::move(query));
  if (!row) {
    busy_reading(ctx);
    co_return std::nullopt;
  }
  if (!*row) {
    fail(ctx, errc::not_found, "no formal choices submitted for this batch");
    co_return std::nullopt;
  }
  auto choices = stored_choices((*row)->choices);
  if (!choices) {
    fail(ctx, choices.error());
    co_return std::nullopt;
  }
  co_return current_application{std::move(*own), std::move(**row), std::move(*choices)};
}

asio::awaitable<void> get_application(request_context& ctx, candidate_api_context& api) {
  auto cur = co_await read_current(ctx, api);
  if (!cur) co_return;
  private_response(ctx);
  if (not_modified(ctx, std::to_string(cur->row.version))) co_return;
  const auto catalog = api.catalog.load();
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("batch").value(core::to_code(cur->own.b));
  w.key("drill").value(cur->own.drill);
  w.key("version").value(cur->row.version);
  w.key("choices");
  write_choices(w, cur->choices, *catalog);
  w.key("receipt");
  write_stored_receipt(w, api.signer, cur->own.who.exam_number(), cur->own.b, cur->own.drill,
                       cur->row, api.clock_offset_seconds);
  w.end_object();
}

// ------------------------------------------------------------------ history

// Versions older than `before`, newest first; `more` when a next page exists.
struct history_page {
  std::vector<storage::application_row> versions;
  bool more = false;
};

void write_history(json_writer& w, const candidate_api_context& api, const own_batch& own,
                   const core::catalog& cat, const history_page& page,
                   const std::vector<core::choice_list>& choices) {
  w.begin_object();
  w.key("batch").value(core::to_code(own.b));
  w.key("drill").value(own.drill);
  w.key("versions").begin_array();
  for (std::size_t i = 0; i < page.versions.size(); ++i) {
    w.begin_object();
    w.key("version").value(page.versions[i].version);
    w.key("choices");
    write_choices(w, choices[i], cat);
    w.key("receipt");
    write_stored_receipt(w, api.signer, own.who.exam_number(), own.b, own.drill, page.versions[i],
                         api.clock_offset_seconds);
    w.end_object();
  }
  w.end_array();
  if (page.more) {
    w.key("next_before").value(page.versions.back().version);
  } else {
    w.key("next_before").null();
  }
  w.end_object();
}

asio::awaitable<void> get_history(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) co_return;
  const auto b = path_batch(ctx);
  if (!b) co_return fail(ctx, b.error());
  const auto limit = query_int(ctx, "limit", 1, history_max_limit, history_default_limit);
  if (!limit) co_return fail(ctx, limit.error());
  constexpr std::int64_t newest = std::numeric_limits<std::int64_t>::max();
  const auto before = query_int(ctx, "before", 1, newest, newest);
  if (!before) co_return fail(ctx, before.error());
  const auto own = own_batch_of(ctx, api, *session, *b);
  if (!own) co_return;
  // One more than asked: whether there is a next page.
  auto query = [candidate = own->candidate, batch = own->code(), drill = own->drill,
                below = *before, rows = static_cast<int>(*limit) + 1](pqxx::connection& conn) {
    return storage::load_application_history(conn, candidate, batch, drill, below, rows);
  };
  auto versions = co_await query_own<std::vector<storage::application_row>>(api, std::move(query));
  if (!versions) co_return busy_reading(ctx);
  history_page page{std::move(*versions)};
  page.more = page.versions.size() > static_cast<std::size_t>(*limit);
  if (page.more) page.versions.pop_back();
  std::vector<core::choice_list> choices;
  for (const auto& v : page.versions) {
    auto decoded = stored_choices(v.choices);
    if (!decoded) co_return fail(ctx, decoded.error());
    choices.push_back(std::move(*decoded));
  }
  const auto catalog = api.catalog.load();
  json_writer w(ctx.res.body);
  write_history(w, api, *own, *catalog, page, choices);
  private_response(ctx);
}

// ------------------------------------------------------------------ export

// One row per major of each choice (a choice without majors, adjustment only, still gets one).
void write_csv(std::string& out, const core::catalog& cat, const core::choice_list& choices) {
  out = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
  out +=
      "choice,college_code,college_name,group_code,major_code,major_name,accept_adjustment,"
      "special\r\n";
  int position = 0;
  for (const auto& c : choices) {
    ++position;
    const core::major_group* g = cat.find_group(c.group);
    const core::college* college = g ? cat.find_college(g->college_code) : nullptr;
    auto row = [&](const core::major* m) {
      out += std::to_string(position);
      out += ',';
      csv_field(out, g ? std::string_view(g->college_code) : std::string_view(), false);
      out += ',';
      csv_field(out, college ? std::string_view(college->name) : std::string_view(), true);
      out += ',';
      csv_field(out, g ? std::string_view(g->group_code) : std::string_view(), false);
      out += ',';
      csv_field(out, m ? std::string_view(m->code) : std::string_view(), false);
      out += ',';
      csv_field(out, m ? std::string_view(m->name) : std::string_view(), true);
      out += ',';
      out += c.accept_adjustment ? "yes" : "no";
      out += ',';
      out += c.special ? "yes" : "no";
      out += "\r\n";
    };
    if (c.majors.empty()) row(nullptr);
    for (core::major_id m : c.majors) row(find_major(cat, g, m));
  }
}

asio::awaitable<void> export_application(request_context& ctx, candidate_api_context& api) {
  const auto format = query_param(ctx.query, "format");
  if (format.present && (format.malformed || format.value != "csv")) {
    co_return fail(ctx, errc::invalid_field, "format: only csv is supported");
  }
  auto cur = co_await read_current(ctx, api);
  if (!cur) co_return;
  write_csv(ctx.res.body, *api.catalog.load(), cur->choices);
  ctx.res.content_type = "text/csv; charset=utf-8";
  std::string disposition = "attachment; filename=\"zhiyuan-";
  disposition += cur->own.who.exam_number();
  disposition += '-';
  disposition += core::to_code(cur->own.b);
  if (cur->own.drill) disposition += "-drill";
  disposition += '-';
  disposition += std::to_string(cur->row.version);
  disposition += ".csv\"";
  ctx.res.headers.emplace_back("Content-Disposition", std::move(disposition));
  ctx.res.headers.emplace_back("Cache-Control", "private, no-store");
}

// ------------------------------------------------------------------ public key

void get_public_key(request_context& ctx, candidate_api_context& api) {
  json_writer w(ctx.res.body);
  w.begin_object();
  w.key("algorithm").value("Ed25519");
  w.key("key_id").value(api.signer->key_id());
  w.key("public_key").value(api.signer->public_key_base64());
  w.key("public_key_pem").value(api.signer->public_key_pem());
  w.end_object();
  ctx.res.headers.emplace_back("Cache-Control", "public, max-age=300");
}

}  // namespace

std::vector<route_spec> application_routes(candidate_api_context& api) {
  return {
      {http::verb::get, "/api/v1/applications/{batch}", handler_for(api, get_application)},
      {http::verb::post, "/api/v1/applications/{batch}", handler_for(api, submit)},
      {http::verb::get, "/api/v1/applications/{batch}/history", handler_for(api, get_history)},
      {http::verb::get, "/api/v1/applications/{batch}/export",
       handler_for(api, export_application)},
      {http::verb::get, "/api/v1/receipts/public-key", handler_for(api, get_public_key)},
  };
}

}  // namespace zhiyuan::server
