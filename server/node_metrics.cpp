#include "server/node_metrics.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace zhiyuan::server {
namespace {

constexpr std::array<const char*, 2> audience_names{"candidate", "admin"};
constexpr std::array<const char*, node_metrics::outcomes> outcome_names{
    "ok", "bad_password", "throttled", "locked", "refused", "unavailable", "invalid"};
constexpr std::array<const char*, 3> snapshot_names{"catalog", "candidates", "schedule"};
constexpr std::array<const char*, 3> import_names{"plans", "scores", "candidates"};  // as stored

void head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

boost::asio::awaitable<void> counted(request_context& ctx, const async_handler& inner, audience who,
                                     node_metrics& m) {
  co_await inner(ctx);
  m.signed_in(who, sign_in_outcome_of(ctx.res));
}

}  // namespace

std::string node_metrics::render() const {
  std::string out;
  out.reserve(4096);
  const auto load = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  head(out, "zhiyuan_sign_ins_total", "counter", "Sign-in attempts by audience and outcome.");
  for (std::size_t a = 0; a < audience_names.size(); ++a) {
    for (std::size_t o = 0; o < outcomes; ++o) {
      out += fmt::format("zhiyuan_sign_ins_total{{audience=\"{}\",outcome=\"{}\"}} {}\n",
                         audience_names[a], outcome_names[o], load(sign_ins[a * outcomes + o]));
    }
  }
  head(out, "zhiyuan_snapshot_reloads_total", "counter",
       "Reloads of an in-memory snapshot after a newer import or timetable was seen.");
  for (std::size_t s = 0; s < snapshot_names.size(); ++s) {
    out += fmt::format(
        "zhiyuan_snapshot_reloads_total{{snapshot=\"{0}\",outcome=\"ok\"}} {1}\n"
        "zhiyuan_snapshot_reloads_total{{snapshot=\"{0}\",outcome=\"failed\"}} {2}\n",
        snapshot_names[s], load(reloads[s * 2]), load(reloads[s * 2 + 1]));
  }
  head(out, "zhiyuan_snapshot_import_id", "gauge",
       "The applied import whose data the node serves.");
  for (std::size_t k = 0; k < import_names.size(); ++k) {
    out += fmt::format("zhiyuan_snapshot_import_id{{kind=\"{}\"}} {}\n", import_names[k],
                       load(import_ids[k]));
  }
  head(out, "zhiyuan_schedule_revision", "gauge",
       "Revision of the stored filing timetable the node applies (0: the file's).");
  out += fmt::format("zhiyuan_schedule_revision {}\n", schedule_revision ? schedule_revision() : 0);
  if (load(sessions_active[0]) >= 0) {
    head(out, "zhiyuan_sessions_active", "gauge", "Live sessions in the database (the fleet's).");
    for (std::size_t a = 0; a < audience_names.size(); ++a) {
      out += fmt::format("zhiyuan_sessions_active{{audience=\"{}\"}} {}\n", audience_names[a],
                         load(sessions_active[a]));
    }
  }
  head(out, "zhiyuan_receipt_key_info", "gauge", "The key the node signs receipts with; always 1.");
  out += fmt::format("zhiyuan_receipt_key_info{{key_id=\"{}\"}} 1\n", receipt_key_id);
  head(out, "zhiyuan_ready", "gauge", "1 when /readyz answers 200, else 0.");
  out += fmt::format("zhiyuan_ready {}\n", ready && ready() ? 1 : 0);
  head(out, "zhiyuan_database_up", "gauge",
       "1 when the last health probe reached a writable PostgreSQL, else 0.");
  out += fmt::format("zhiyuan_database_up {}\n", database_up && database_up() ? 1 : 0);
  return out;
}

sign_in_outcome sign_in_outcome_of(const response& res) {
  if (res.status >= 200 && res.status < 300) return sign_in_outcome::ok;
  switch (res.status) {
    case 401:
      return sign_in_outcome::bad_password;
    case 403:
      return sign_in_outcome::refused;
    case 429:
      // Both refusals answer 429; the problem's code tells a lock from the throttle.
      return res.body.find(R"("code":"account_locked")") != std::string::npos
                 ? sign_in_outcome::locked
                 : sign_in_outcome::throttled;
    case 503:
      return sign_in_outcome::unavailable;
    default:
      return sign_in_outcome::invalid;
  }
}

void count_sign_ins(std::vector<route_spec>& table, http::verb method, std::string_view pattern,
                    audience who, node_metrics& m) {
  for (auto& r : table) {
    if (r.method != method || r.pattern != pattern) continue;
    if (auto* sync = std::get_if<sync_handler>(&r.handler)) {
      r.handler = sync_handler([inner = std::move(*sync), who, &m](request_context& ctx) {
        inner(ctx);
        m.signed_in(who, sign_in_outcome_of(ctx.res));
      });
    } else {
      // The closure (and so `inner`) lives in the route table as long as the server.
      r.handler = async_handler([inner = std::get<async_handler>(std::move(r.handler)), who,
                                 &m](request_context& ctx) { return counted(ctx, inner, who, m); });
    }
    return;
  }
  throw std::logic_error(
      fmt::format("count_sign_ins: no route {} {}", http::to_string(method), pattern));
}

}  // namespace zhiyuan::server
