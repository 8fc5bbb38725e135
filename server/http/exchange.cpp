#include "server/http/exchange.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <random>

#include <fmt/format.h>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "server/http/log.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"

namespace zhiyuan::server {
namespace {

using namespace std::string_view_literals;

// An X-Request-Id from a client is echoed only if it is short and plain.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// W3C traceparent: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
std::string_view trace_id_of(std::string_view traceparent) {
  if (traceparent.size() < 55 || traceparent[2] != '-' || traceparent[35] != '-') return {};
  std::string_view id = traceparent.substr(3, 32);
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return id;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view query_of(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

}  // namespace

std::string_view thread_clock::http_date() {
  std::time_t now = std::time(nullptr);
  if (now != second) {
    second = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return date;
}

id_source::id_source() : prefix(std::random_device{}()) {}

std::string_view id_source::next(char* buf) {
  // "<prefix, 8 hex digits>-<counter, at least 12>" by hand: fmt's parse of the format string
  // cost more than the rest of routing a static file (callgrind, bench/RESULTS.md).
  static constexpr char digits[] = "0123456789abcdef";
  const auto hex = [](char* at, std::uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v >>= 4) at[i] = digits[v & 15];
  };
  ++counter;
  int width = 12;
  while (width < 16 && (counter >> (4 * width)) != 0) ++width;
  hex(buf, prefix, 8);
  buf[8] = '-';
  hex(buf + 9, counter, width);
  return {buf, static_cast<std::size_t>(9 + width)};
}

client_origin::client_origin(std::string tcp_peer, const network_list& trusted)
    : peer_(std::move(tcp_peer)), trusted_(!trusted.empty() && trusted.contains(peer_)) {
  awaiting_ = trusted_;
}

proxy_parse client_origin::take_proxy_header(std::span<const std::uint8_t> data,
                                             std::size_t& consumed) {
  consumed = 0;
  proxy_header h;
  const proxy_parse r = parse_proxy_v2(data, h);
  if (r == proxy_parse::need_more) return r;
  awaiting_ = false;
  if (r == proxy_parse::ok) {
    consumed = h.length;
    // LOCAL (the proxy's own health check) names no client: the peer stays the proxy.
    if (!h.source.empty()) {
      peer_ = std::move(h.source);
      proxied_ = true;
    }
  }
  return r;
}

std::string_view client_origin::client_of(const http_request& req, const network_list& trusted) {
  if (!trusted_ || proxied_) return peer_;
  const auto it = req.find("X-Forwarded-For");
  if (it == req.end()) return peer_;
  forwarded_ = forwarded_client(it->value(), trusted);
  return forwarded_.empty() ? std::string_view(peer_) : forwarded_;
}

exchange::exchange(const exchange_env& env, id_source& ids, const http_request& req,
                   client_origin& origin, response& res)
    : env_(env),
      start_(std::chrono::steady_clock::now()),
      ctx_{req,
           path_of(req.target()),
           query_of(req.target()),
           {},
           {},
           {},
           origin.client_of(req, env.trusted_proxies),
           res} {
  env.stats.in_flight.fetch_add(1, std::memory_order_relaxed);
  const std::string_view client_id = header(req, "X-Request-Id");
  rid_ = acceptable_request_id(client_id) ? client_id : ids.next(rid_buf_);
  if (const auto traceparent = header(req, "traceparent"); !traceparent.empty()) {
    trace_ = trace_id_of(traceparent);
  }
  ctx_.request_id = rid_;
  ctx_.trace_id = trace_;
  res.reset();

  const std::string_view path = ctx_.path;
  const route_match m = env.routes.match(req.method(), path);
  const route_spec* route =
      m.outcome == route_match::kind::found ? &env.routes.routes()[m.index] : nullptr;
  if (route != nullptr && route->priority == route_priority::browse && env.shed_browsing &&
      env.shed_browsing()) {
    route_index_ = m.index;
    env.stats.shed_browsing.fetch_add(1, std::memory_order_relaxed);
    set_problem(res, core::errc::unavailable, "busy with submissions; retry shortly", rid_, path,
                2);
  } else if (route != nullptr) {
    route_index_ = m.index;
    ctx_.params = m.params;
    try {
      prelude_ = env.wants_prelude && env.wants_prelude(ctx_);
    } catch (...) {
      handler_threw(std::current_exception());
      return;
    }
    const auto* sync = std::get_if<sync_handler>(&route->handler);
    if (sync != nullptr && !prelude_) {
      run_sync(*sync);
    } else {
      pending_ = route;
    }
  } else if (m.outcome == route_match::kind::method_not_allowed) {
    set_problem(res, core::errc::method_not_allowed,
                fmt::format("{} is not allowed here", std::string_view(req.method_string())), rid_,
                path);
    res.headers.emplace_back("Allow", m.allow);
  } else {
    set_problem(res, core::errc::not_found, "no such resource", rid_, path);
  }
}

void exchange::run_sync(const sync_handler& h) {
  try {
    h(ctx_);
  } catch (...) {
    handler_threw(std::current_exception());
  }
}

boost::asio::awaitable<void> exchange::run_pending() {
  const route_spec* route = std::exchange(pending_, nullptr);
  try {
    if (std::exchange(prelude_, false)) {
      // False: the prelude has answered in ctx_.res (e.g. the session is unknown).
      const bool go_on = co_await env_.prelude(ctx_);
      if (!go_on) co_return;
    }
    if (const auto* sync = std::get_if<sync_handler>(&route->handler)) {
      (*sync)(ctx_);
    } else {
      co_await std::get<async_handler>(route->handler)(ctx_);
    }
  } catch (...) {
    handler_threw(std::current_exception());
  }
}

void exchange::handler_threw(std::exception_ptr e) {
  pending_ = nullptr;
  prelude_ = false;
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    what = x.what();
  } catch (...) {
  }
  // A bug, not a client error: log it with the request id and keep serving.
  log_event(spdlog::level::err, "handler_failed",
            {{"request_id", rid_}, {"trace_id", trace_}, {"path", ctx_.path}, {"error", what}});
  ctx_.res.reset();
  set_problem(ctx_.res, core::errc::internal, "", rid_, ctx_.path);
}

bool exchange::finish(bool draining) {
  // Counted once the response is ready, before it is sent, so that a client that has read it
  // also sees it in /metrics.
  elapsed_ = seconds_since(start_);
  env_.stats.observe(route_index_, ctx_.res.status, elapsed_);
  env_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
  return ctx_.res.close || !ctx_.request.keep_alive() || draining;
}

void exchange::serialize_into(std::string& out, std::string_view date, bool close) const {
  serialize(out, ctx_.res, date, rid_, close);
}

void exchange::log_access() const {
  if (!env_.access_log) return;
  log_event(spdlog::level::info, "request",
            {{"request_id", rid_},
             {"trace_id", trace_},
             {"method", ctx_.request.method_string()},
             {"path", ctx_.path},
             {"status", fmt::format("{}", ctx_.res.status)},
             {"seconds", fmt::format("{:.6f}", elapsed_)}});
}

void append_chunk(std::string& out, std::string_view bytes) {
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", bytes.size());
  out += bytes;
  out += "\r\n";
}

void serialize(std::string& out, const response& res, std::string_view date,
               std::string_view request_id, bool close) {
  // Plain appends: fmt's back-inserter buffer cost more than the rest of the head (perf,
  // bench/RESULTS.md 2026-12-07), and `out` keeps its capacity from one answer to the next.
  const auto number = [&out](std::size_t n) {
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
  };
  out += "HTTP/1.1 "sv;
  number(res.status);
  out += ' ';
  out += std::string_view(http::obsolete_reason(static_cast<http::status>(res.status)));
  out += "\r\nServer: zhiyuan\r\nDate: "sv;
  out += date;
  out += "\r\nContent-Type: "sv;
  out += res.content_type;
  if (res.stream) {
    out += "\r\nTransfer-Encoding: chunked\r\n"sv;
  } else {
    out += "\r\nContent-Length: "sv;
    number(res.body_bytes().size());
    out += "\r\n"sv;
  }
  out += "X-Request-Id: "sv;
  out += request_id;
  out += "\r\n"sv;
  for (const auto& [name, value] : res.headers) {
    out += name;
    out += ": "sv;
    out += value;
    out += "\r\n"sv;
  }
  out += res.head_lines;
  if (close) out += "Connection: close\r\n"sv;
  out += "\r\n"sv;
  if (!res.stream) {
    out += res.body;
    // A short shared body is cheaper copied than sent as a separate piece.
    if (body_by_reference(res).empty()) out += res.shared_body;
  } else if (!res.body.empty()) {
    append_chunk(out, res.body);
  }
}

std::string_view body_by_reference(const response& res) {
  return res.stream || res.shared_body.size() < by_reference_min ? std::string_view()
                                                                 : res.shared_body;
}

bool is_upload(std::string_view target) {
  return target.starts_with("/api/v1/admin/documents") ||
         target.starts_with("/api/v1/admin/imports/");
}

std::size_t body_limit_for(const server_settings& cfg, std::string_view target) {
  return is_upload(target) ? cfg.upload_limit : cfg.body_limit;
}

void reset_parser(std::optional<request_parser>& parser, const server_settings& cfg) {
  parser.emplace();
  parser->header_limit(header_limit);
  // The head first: admin uploads (documents, imports) get their own, larger body limit; until
  // the target is known the larger one holds (Beast checks Content-Length then).
  parser->body_limit(std::max(cfg.body_limit, cfg.upload_limit));
  parser->eager(false);
}

boost::beast::error_code limit_body(request_parser& parser, const server_settings& cfg) {
  const std::size_t limit = body_limit_for(cfg, parser.get().target());
  parser.body_limit(limit);
  const auto length = parser.content_length();
  if (length && *length > limit) return http::error::body_limit;
  return {};
}

bool needs_admission(const request_parser& parser, const server_settings& cfg) {
  const std::size_t limit = body_limit_for(cfg, parser.get().target());
  const auto length = parser.content_length();
  return limit > cfg.body_limit && (!length || *length > cfg.body_limit);
}

std::optional<core::errc> parse_failure(const boost::beast::error_code& ec) {
  if (ec == http::error::header_limit) return core::errc::headers_too_large;
  if (ec == http::error::body_limit) return core::errc::payload_too_large;
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return core::errc::bad_request;
  }
  return std::nullopt;
}

void set_refusal(response& res, metrics& stats, core::errc code, std::string_view detail,
                 std::string_view request_id) {
  const auto start = std::chrono::steady_clock::now();
  res.reset();
  set_problem(res, code, detail, request_id, {});
  if (code == core::errc::unauthenticated) res.headers.emplace_back("WWW-Authenticate", "Bearer");
  stats.observe(metrics::unmatched, res.status, seconds_since(start));
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace zhiyuan::server
