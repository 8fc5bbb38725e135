#include "server/web/routes.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>
#include <unordered_map>

#include "server/config.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"

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

// A file's answer heads by encoding, serialised once at start (response::head_lines): building
// them per request cost a dozen allocations and most of a static file's user-space time.
struct file_heads {
  std::string identity, gzip, br;
};
using site_heads = std::unordered_map<const static_file*, file_heads>;

bool is_docs(std::string_view path) { return path == "/docs" || path.starts_with("/docs/"); }

// A page gets its policy; another file of the app is never a document to render (a script, a
// style, an image: the policy of a script only binds it as a worker, which the app starts
// none of), so it gets the API's: two hundred bytes less on every asset. /docs keeps its
// renderer's policy on all its files (it may start workers).
std::string_view policy_of(std::string_view url, const static_file& f) {
  if (is_docs(url)) return docs_policy;
  return f.content_type.starts_with("text/html") ? app_policy : api_policy;
}

site_heads heads_of(const web_context& web) {
  site_heads heads;
  for (const auto& [url, f] : web.site.files()) {
    auto& h = heads[&f];
    std::string common = "ETag: " + f.etag + "\r\nCache-Control: " + std::string(f.cache) +
                         (web.cors_origins.empty() ? "\r\nVary: Accept-Encoding\r\n"
                                                   : "\r\nVary: Accept-Encoding, Origin\r\n") +
                         "Content-Security-Policy: " + std::string(policy_of(url, f)) +
                         "\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";
    h.gzip = common + "Content-Encoding: gzip\r\n";
    h.br = common + "Content-Encoding: br\r\n";
    h.identity = std::move(common);
  }
  return heads;
}

// A file's answer, its heads serialised at start: a 304 when the client has its ETag, else the
// variant Accept-Encoding allows. The site outlives the server, so its bytes are answered where
// they are. An app route's fallback is the root index.html, never content-hashed, so its own
// caching rule ("no-cache") is the fallback's too.
void answer_file(request_context& ctx, const static_file& f, const site_heads& heads) {
  const file_heads& h = heads.at(&f);  // every file of the site has its heads (heads_of)
  auto& res = ctx.res;
  res.content_type = f.content_type;
  if (header(ctx.request, "If-None-Match") == f.etag) {
    res.status = 304;
    res.head_lines = h.identity;
    return;
  }
  const std::string_view encodings = header(ctx.request, "Accept-Encoding");
  if (!f.br.empty() && accepts(encodings, "br")) {
    res.head_lines = h.br;
    res.shared_body = f.br;
    res.shared_file = f.br_file;
  } else if (!f.gzip.empty() && accepts(encodings, "gzip")) {
    res.head_lines = h.gzip;
    res.shared_body = f.gzip;
    res.shared_file = f.gzip_file;
  } else {
    res.head_lines = h.identity;
    res.shared_body = f.identity;
    res.shared_file = f.identity_file;
  }
}

void serve_file(request_context& ctx, const web_context& web, const site_heads& heads) {
  if (const auto* f = web.site.find(ctx.path)) return answer_file(ctx, *f, heads);
  // An app route ("/me/draft") gets the app; an API path or a missing file is a 404.
  const auto last = ctx.path.substr(ctx.path.rfind('/') + 1);
  const bool app_route = !ctx.path.starts_with("/api/") && ctx.path != "/api" &&
                         last.find('.') == std::string_view::npos &&
                         ctx.path.find("..") == std::string_view::npos;
  const auto* index = web.site.app_index();
  if (!app_route || index == nullptr) {
    return fail(ctx, core::errc::not_found, "no such resource");
  }
  answer_file(ctx, *index, heads);
}

bool origin_allowed(const web_context& web, std::string_view origin) {
  return !origin.empty() && std::find(web.cors_origins.begin(), web.cors_origins.end(), origin) !=
                                web.cors_origins.end();
}

// For an allowed Origin: who may read the answer and which of its headers.
void add_cors(request_context& ctx, const web_context& web) {
  const std::string_view origin = header(ctx.request, "Origin");
  if (!origin_allowed(web, origin)) return;
  ctx.res.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  ctx.res.headers.emplace_back("Access-Control-Expose-Headers", std::string(exposed_headers));
}

void add_headers(request_context& ctx, const web_context& web) {
  // Precomputed heads carry the security headers and the Vary already (response::head_lines).
  if (!ctx.res.head_lines.empty()) {
    if (!web.cors_origins.empty()) add_cors(ctx, web);
    return;
  }
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
  add_cors(ctx, web);
}

// A preflight of `methods` ("GET, PUT") on one pattern.
void preflight(request_context& ctx, const web_context& web, const std::string& methods) {
  const std::string_view origin = header(ctx.request, "Origin");
  const std::string_view wanted = header(ctx.request, "Access-Control-Request-Method");
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
  auto heads = std::make_shared<const site_heads>(heads_of(web));
  route_spec files{http::verb::get, "/{*path}", sync_handler([&web, heads](request_context& ctx) {
                     serve_file(ctx, web, *heads);
                   })};
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
