// Fuzzes the request-decoding kit's header, query and path readers (server/http/request.hpp)
// and the session token of a request (Authorization or cookie zy_session): If-Match, the ETag
// check of If-None-Match, Idempotency-Key, query parameters of every kind and path ids. Input:
// lines, each the value of one header or part, in the order of `fields` below.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http/message.hpp"
#include "server/http/request.hpp"
#include "server/sessions.hpp"

using namespace zhiyuan::server;

namespace {

enum field : std::size_t {
  if_match_value,
  if_none_match,
  idem_key,
  authorization,
  cookie,
  query,
  path_value,
  content_type,
  field_count
};

// Splits the input at '\n' into the fields; missing ones stay empty.
std::array<std::string_view, field_count> split(std::string_view in) {
  std::array<std::string_view, field_count> out{};
  for (std::size_t i = 0; i < field_count && !in.empty(); ++i) {
    const auto nl = in.find('\n');
    out[i] = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  }
  return out;
}

void queries(const request_context& ctx) {
  (void)query_text(ctx, "q", 64);
  (void)query_int(ctx, "limit", 1, 200, 50);
  (void)query_batch(ctx);
  (void)query_track(ctx);
  (void)query_positive(ctx, "school", 1'000'000);
  (void)query_choice(ctx, "kind", {"announcement", "reminder"});
  (void)query_time(ctx, "since");
  const auto raw = query_param(ctx.query, "page_token");
  // A decoded value is never longer than its escaped form.
  if (raw.value.size() > ctx.query.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto f = split(std::string_view(reinterpret_cast<const char*>(data), size));
  http_request req;
  // Beast refuses CR, LF and NUL in a received value; the fuzzer may send them all the same.
  const auto set = [&req](std::string_view name, std::string_view value) {
    if (!value.empty()) req.set(name, value);
  };
  set("If-Match", f[if_match_value]);
  set("If-None-Match", f[if_none_match]);
  set("Idempotency-Key", f[idem_key]);
  set("Authorization", f[authorization]);
  set("Cookie", f[cookie]);
  set("Content-Type", f[content_type]);

  response res;
  request_context ctx{.request = req, .path = "/", .query = f[query], .res = res};
  ctx.params.items[0] = {"batch", f[path_value]};
  ctx.params.items[1] = {"id", f[path_value]};
  ctx.params.size = 2;

  (void)if_match(req);
  (void)idempotency_key(req);
  (void)is_json(req);
  if (not_modified(ctx, "7") && res.status != 304) __builtin_trap();
  const auto token = presented_token(header(req, "Authorization"), header(req, "Cookie"));
  if (token.size() > size) __builtin_trap();
  (void)path_batch(ctx);
  (void)path_id(ctx, "id", 1'000'000);
  const auto clean = clean_header_text(f[authorization], 40);
  if (clean.size() > 40) __builtin_trap();
  queries(ctx);
  return 0;
}
