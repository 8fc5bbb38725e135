#pragma once

// Bridges from the worker pools and the write path back into a connection's coroutine: work
// runs on another thread, and the coroutine resumes on its own executor (STYLE.md: "completions
// are posted back to the connection's executor").

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/admission.hpp"
#include "storage/worker_pool.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

namespace asio = boost::asio;

/// Runs `fn(pqxx::connection*)` on `pool` as work of class `c` and returns its result; nullopt
/// when the pool refused the job (saturated: its queue full or its wait past the class's budget)
/// or the job threw. `fn` must return a value of type R.
///
/// Pass `fn` as a named variable with std::move, never as a lambda written in the call: GCC 12
/// miscompiles a class-type prvalue passed by value to a coroutine inside a co_await operand
/// (the copy in the frame keeps pointers into the temporary; ASan reports a bad free).
template <typename R, typename Fn>
asio::awaitable<std::optional<R>> run_on(storage::worker_pool& pool, Fn fn,
                                         core::work_class c = core::work_class::write) {
  auto ex = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::optional<R>)>(
      [&pool, ex, c](auto handler, Fn fn) {
        // std::function needs a copyable job; the move-only handler lives in a shared_ptr.
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        const bool queued = pool.try_post(
            [h, ex, fn = std::move(fn)](auto* conn) mutable {
              std::optional<R> r = storage::worker_pool::call_retrying<R>(fn, conn);
              asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
            },
            c);
        if (!queued) asio::post(ex, [h]() mutable { (*h)(std::optional<R>{}); });
      },
      asio::use_awaitable, std::move(fn));
}

/// The outcome of handing an operation to the write path.
struct write_outcome {
  storage::admit admitted = storage::admit::ok;
  std::unique_ptr<storage::write_op> op;  ///< back from the writer (or refused)
};

namespace detail {

template <typename Handler, typename Executor>
struct write_waiter {
  Handler handler;
  Executor executor;

  // Runs on the writer thread after the outcome is final; hops to the connection's executor.
  static void complete(std::unique_ptr<storage::write_op> op) {
    auto* self = static_cast<write_waiter*>(op->context);
    op->context = nullptr;
    asio::post(self->executor, [self, op = std::move(op)]() mutable {
      std::unique_ptr<write_waiter> owned(self);
      std::move(owned->handler)(write_outcome{storage::admit::ok, std::move(op)});
    });
  }
};

}  // namespace detail

/// Hands `op` to the write path and resumes when it is durable (or definitely failed).
/// `op->done` and `op->context` are set here.
inline asio::awaitable<write_outcome> submit_write(storage::write_path& path,
                                                   std::unique_ptr<storage::write_op> op) {
  auto ex = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(write_outcome)>(
      [&path, ex](auto handler, std::unique_ptr<storage::write_op> op) {
        using waiter = detail::write_waiter<decltype(handler), decltype(ex)>;
        auto* w = new waiter{std::move(handler), ex};
        op->context = w;
        op->done = &waiter::complete;
        const storage::admit a = path.try_submit(op);
        if (a != storage::admit::ok) {
          // Refused: the op is still ours; answer on the next turn of the executor.
          op->context = nullptr;
          asio::post(ex, [w, a, op = std::move(op)]() mutable {
            std::unique_ptr<waiter> owned(w);
            std::move(owned->handler)(write_outcome{a, std::move(op)});
          });
        }
      },
      asio::use_awaitable, std::move(op));
}

}  // namespace zhiyuan::server
