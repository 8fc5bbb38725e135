#include "server/web/routes.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>

#include "server/config.hpp"
#include "server/http/problem.hpp"

namespace zhiyuan::server::web {
namespace {

// The app loads only its own files: no inline script, no other origin, never framed.
constexpr std::string_view app_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";
// The API reference's renderer sets styles inline; its scripts are still its own files only.
constexpr std::string_view docs_policy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
// JSON answers are never documents to render.
constexpr std::string_view api_policy = "default-src 'none'; frame-ancestors 'none'";

constexpr std::string_view allowed_request_headers =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id, "
    "traceparent";
constexpr std::string_view exposed_headers = "ETag, Retry-After, X-Request-Id, Location";

// ASCII case folding (header names are ASCII): std::tolower's locale lookup ran per character
// of every header of every answer.
bool has_header(const response& res, std::string_view name) {
  const auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return std::any_of(res.headers.begin(), res.headers.end(), [&](const auto& h) {
    return std::equal(h.first.begin(), h.first.end(), name.begin(), name.end(),
                      [&fold](char a, char b) { return fold(a) == fold(b); });
  });
}

// Whether the client accepts `coding` ("br", "gzip"): listed, and not with q=0.
bool accepts(std::string_view header, std::string_view coding) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto semi = item.find(';');
    std::string_view name = item.substr(0, semi);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != coding) continue;
    if (semi == std::string_view::npos) return true;
    const std::string_view params = item.substr(semi + 1);
    const auto q = params.find("q=");
    if (q == std::string_view::npos) return true;
    const std::string_view value = params.substr(q + 2);
    return !(value.starts_with("0") && value.find_first_of("123456789") == std::string_view::npos);
  }
  return false;
}

std::string_view header_of(const request_context& ctx, std::string_view name) {
  const auto it = ctx.request.find(boost::beast::string_view(name.data(), name.size()));
  return it == ctx.request.end() ? std::string_view() : std::string_view(it->value());
}

void answer_file(request_context& ctx, const static_file& f, bool fallback) {
  auto& res = ctx.res;
  res.content_type = f.content_type;
  res.headers.emplace_back("ETag", f.etag);
  // The app's routes answer with index.html, which is never cached without revalidation.
  res.headers.emplace_back("Cache-Control", fallback ? "no-cache" : std::string(f.cache));
  res.headers.emplace_back("Vary", "Accept-Encoding");
  const bool docs = ctx.path == "/docs" || ctx.path.starts_with("/docs/");
  res.headers.emplace_back("Content-Security-Policy", std::string(docs ? docs_policy : app_policy));
  if (header_of(ctx, "If-None-Match") == f.etag) {
    res.status = 304;
    return;
  }
  // The site is loaded once and outlives the server: its bytes are answered where they are.
  const std::string_view encodings = header_of(ctx, "Accept-Encoding");
  if (!f.br.empty() && accepts(encodings, "br")) {
    res.headers.emplace_back("Content-Encoding", "br");
    res.shared_body = f.br;
    res.shared_file = f.br_file;
  } else if (!f.gzip.empty() && accepts(encodings, "gzip")) {
    res.headers.emplace_back("Content-Encoding", "gzip");
    res.shared_body = f.gzip;
    res.shared_file = f.gzip_file;
  } else {
    res.shared_body = f.identity;
    res.shared_file = f.identity_file;
  }
}

void serve_file(request_context& ctx, const web_context& web) {
  if (const auto* f = web.site.find(ctx.path)) return answer_file(ctx, *f, false);
  // An app route ("/me/draft") gets the app; an API path or a missing file is a 404.
  const auto last = ctx.path.substr(ctx.path.rfind('/') + 1);
  const bool app_route = !ctx.path.starts_with("/api/") && ctx.path != "/api" &&
                         last.find('.') == std::string_view::npos &&
                         ctx.path.find("..") == std::string_view::npos;
  const auto* index = web.site.app_index();
  if (!app_route || index == nullptr) {
    return fail(ctx, core::errc::not_found, "no such resource");
  }
  answer_file(ctx, *index, true);
}

bool origin_allowed(const web_context& web, std::string_view origin) {
  return !origin.empty() && std::find(web.cors_origins.begin(), web.cors_origins.end(), origin) !=
                                web.cors_origins.end();
}

void add_headers(request_context& ctx, const web_context& web) {
  auto& h = ctx.res.headers;
  // secure_defaults has given most answers nosniff already: once is enough.
  if (!has_header(ctx.res, "X-Content-Type-Options")) {
    h.emplace_back("X-Content-Type-Options", "nosniff");
  }
  h.emplace_back("Referrer-Policy", "no-referrer");
  if (!has_header(ctx.res, "Content-Security-Policy")) {
    h.emplace_back("Content-Security-Policy", std::string(api_policy));
  }
  if (web.cors_origins.empty()) return;
  // One Vary header: a file's answer already varies by Accept-Encoding.
  const auto vary =
      std::find_if(h.begin(), h.end(), [](const auto& x) { return x.first == "Vary"; });
  if (vary != h.end()) {
    vary->second += ", Origin";
  } else {
    h.emplace_back("Vary", "Origin");
  }
  const std::string_view origin = header_of(ctx, "Origin");
  if (!origin_allowed(web, origin)) return;
  h.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  h.emplace_back("Access-Control-Expose-Headers", std::string(exposed_headers));
}

// A preflight of `methods` ("GET, PUT") on one pattern.
void preflight(request_context& ctx, const web_context& web, const std::string& methods) {
  const std::string_view origin = header_of(ctx, "Origin");
  const std::string_view wanted = header_of(ctx, "Access-Control-Request-Method");
  if (!origin_allowed(web, origin)) {
    return fail(ctx, core::errc::forbidden, "origin: not in server.cors_origins");
  }
  if (wanted.empty() || methods.find(wanted) == std::string::npos) {
    return fail(ctx, core::errc::method_not_allowed, "Access-Control-Request-Method: " + methods);
  }
  ctx.res.status = 204;
  ctx.res.headers.emplace_back("Access-Control-Allow-Methods", methods);
  ctx.res.headers.emplace_back("Access-Control-Allow-Headers",
                               std::string(allowed_request_headers));
  ctx.res.headers.emplace_back("Access-Control-Max-Age", "600");
}

}  // namespace

std::vector<route_spec> web_routes(const web_context& web) {
  route_spec files{http::verb::get, "/{*path}",
                   sync_handler([&web](request_context& ctx) { serve_file(ctx, web); })};
  files.in_contract = false;
  return {std::move(files)};
}

void add_browser_headers(std::vector<route_spec>& table, const web_context& web) {
  if (!web.cors_origins.empty()) {
    std::map<std::string, std::string> methods;  // pattern → "GET, PUT"
    for (const auto& r : table) {
      auto& m = methods[r.pattern];
      m += (m.empty() ? "" : ", ") + std::string(http::to_string(r.method));
    }
    // Not a structured binding: clang 14 (the fuzz and TSan builds) cannot capture one.
    for (const auto& entry : methods) {
      route_spec r{http::verb::options, entry.first,
                   sync_handler([&web, list = entry.second](request_context& ctx) {
                     preflight(ctx, web, list);
                   })};
      r.in_contract = false;
      table.push_back(std::move(r));
    }
  }
  for (auto& r : table) {
    if (auto* sync = std::get_if<sync_handler>(&r.handler)) {
      r.handler = sync_handler([&web, h = std::move(*sync)](request_context& ctx) {
        h(ctx);
        add_headers(ctx, web);
      });
    } else {
      auto async = std::get<async_handler>(std::move(r.handler));
      r.handler = async_handler(
          [&web, h = std::move(async)](request_context& ctx) -> boost::asio::awaitable<void> {
            co_await h(ctx);
            add_headers(ctx, web);
          });
    }
  }
}

std::vector<std::string> parse_origins(const std::string& list) {
  static const std::regex origin(R"(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)");
  auto out = split_networks(list);
  for (const auto& item : out) {
    if (!std::regex_match(item, origin)) {
      throw std::invalid_argument("'" + item + "' is not scheme://host[:port]");
    }
  }
  return out;
}

}  // namespace zhiyuan::server::web
