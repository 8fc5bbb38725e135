#pragma once

// What the handlers of a candidate's own state share (favourites, drafts, formal choices,
// notices): queries on the `reads` pool and the headers of private answers.

#include <optional>
#include <stdexcept>
#include <utility>

#include "server/async.hpp"
#include "server/candidate/context.hpp"
#include "server/http/message.hpp"

namespace zhiyuan::server {

/// The most favourites a read returns (the cap on writes is lower: favorites.cpp).
constexpr int favorites_read_limit = 1000;

/// Runs `query(pqxx::connection&)` on the reads pool: its value, or nullopt when the pool is
/// saturated, has no database or the query threw (answer with `busy_reading`). As with run_on,
/// pass `query` as a named variable with std::move.
template <typename R, typename Query>
asio::awaitable<std::optional<R>> query_own(candidate_api_context& api, Query query) {
  auto job = [query = std::move(query)](pqxx::connection* conn) {
    if (conn == nullptr) throw std::runtime_error("no database");
    return query(*conn);
  };
  co_return co_await run_on<R>(*api.reads, std::move(job));
}

/// The 503 of a query that did not run (query_own returned nullopt).
void busy_reading(request_context& ctx);

/// Marks a candidate's own data as never stored by a browser or a shared cache.
void private_response(request_context& ctx);

}  // namespace zhiyuan::server
