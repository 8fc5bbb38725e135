// Fuzzes a connection's bytes up to the answers, as both connection loops handle them but
// without a socket: a PROXY v2 header from a trusted proxy, then pipelined requests through
// Beast's parser with the server's head and body limits, the exchange (ids, client address,
// routing, shedding, the prelude, sync and async handlers, the request-decoding kit) and the
// serialised answer. The routes are the system routes plus stand-ins of each handler shape.
// Nothing may throw out, and no answer may be a 500 (a handler that threw).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "server/http/exchange.hpp"
#include "server/http/json_writer.hpp"
#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "server/http/system_routes.hpp"

using namespace zhiyuan::server;
namespace asio = boost::asio;

namespace {

struct echo_body {
  std::string name;
  std::int64_t count = 0;
  bool flag = false;
};

// A handler reading its path, query and JSON body with the kit, as the API's handlers do.
void echo(request_context& ctx) {
  const auto id = path_id(ctx, "id", 1'000'000);
  if (!id) return fail(ctx, id.error());
  const auto limit = query_int(ctx, "limit", 1, 100, 10);
  if (!limit) return fail(ctx, limit.error());
  auto body = json_fields<echo_body>(ctx)
                  .text("name", &echo_body::name, 32)
                  .integer("count", &echo_body::count, 0, 1000)
                  .flag("flag", &echo_body::flag, false)
                  .done();
  if (!body) return fail(ctx, body.error());
  json_writer w(ctx.res.body);
  w.begin_object().key("name").value(body->name).key("id").value(*id).end_object();
}

std::vector<route_spec> routes(const system_state& state) {
  auto all = system_routes(state);
  all.push_back({http::verb::post, "/api/v1/echo/{id}", sync_handler(echo)});
  all.push_back({http::verb::put, "/api/v1/echo/{id}",
                 async_handler([](request_context& ctx) -> asio::awaitable<void> {
                   echo(ctx);
                   co_return;
                 })});
  all.push_back({http::verb::get, "/api/v1/browse/{batch}", sync_handler([](request_context& ctx) {
                   if (const auto b = path_batch(ctx); !b) fail(ctx, b.error());
                 }),
                 route_priority::browse});
  all.push_back({http::verb::get, "/app/{*path}", sync_handler([](request_context& ctx) {
                   ctx.res.content_type = "text/html";
                   ctx.res.body = ctx.params.get("path");
                 }),
                 route_priority::normal, false});
  return all;
}

struct server_stub {
  server_settings settings;
  system_state state;
  router table;
  metrics stats;
  bool busy = false;
  std::function<bool()> shed = [this] { return busy; };
  // Admin routes pass the prelude, as the session check does; it refuses a missing token.
  std::function<bool(const request_context&)> wants = [](const request_context& ctx) {
    return ctx.path.starts_with("/api/v1/echo/");
  };
  std::function<asio::awaitable<bool>(request_context&)> prelude =
      [](request_context& ctx) -> asio::awaitable<bool> {
    if (!header(ctx.request, "Authorization").empty()) co_return true;
    fail(ctx, zhiyuan::core::errc::unauthenticated, "sign in first");
    co_return false;
  };
  network_list trusted{"127.0.0.1/32, 10.0.0.0/8"};
  exchange_env env{settings, table, stats, shed, wants, prelude, trusted};

  server_stub() : table(routes(state)), stats(table.names()) {
    settings.body_limit = 4096;
    settings.upload_limit = 16384;
    state.database_reachable = [] { return true; };
    state.stats = &stats;
    state.openapi = "{}";
  }
};

// One request out of `in` (consumed as the parser takes it); false when the connection ends.
bool one_request(server_stub& s, client_origin& origin, std::string_view& in, std::string& out) {
  static id_source ids;
  std::optional<request_parser> parser;
  reset_parser(parser, s.settings);
  boost::beast::error_code ec;
  in.remove_prefix(parser->put(asio::buffer(in.data(), in.size()), ec));
  if (!ec && !parser->is_done()) ec = limit_body(*parser, s.settings);
  if (!ec && !parser->is_done()) {
    parser->eager(true);
    in.remove_prefix(parser->put(asio::buffer(in.data(), in.size()), ec));
  }
  // The stream ends with the input: what is left unparsed is a request cut short.
  if (!ec && !parser->is_done()) parser->put_eof(ec);
  response res;
  if (ec) {
    char rid[32];
    if (const auto failure = parse_failure(ec)) {
      set_refusal(res, s.stats, *failure, ec.message(), ids.next(rid));
      serialize(out, res, "date", "rid", true);
    }
    return false;
  }
  exchange ex(s.env, ids, parser->get(), origin, res);
  if (ex.pending()) {
    asio::io_context io;
    asio::co_spawn(io, ex.run_pending(), asio::detached);
    io.run();
  }
  if (ex.res().status == 500) __builtin_trap();
  const bool close = ex.finish(false);
  ex.serialize_into(out, "date", close);
  return !close;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static server_stub s;
  if (size == 0) return 0;
  s.busy = (data[0] & 1) != 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  client_origin origin("127.0.0.1", s.trusted);
  std::size_t consumed = 0;
  if (origin.take_proxy_header({data + 1, size - 1}, consumed) == proxy_parse::invalid) return 0;
  in.remove_prefix(consumed);
  std::string out;
  // Pipelined requests, as many as the input holds (each takes at least a byte).
  while (!in.empty() && one_request(s, origin, in, out)) {
  }
  return 0;
}
