#include "server/candidate/write_answer.hpp"

#include <chrono>

#include <fmt/format.h>

#include "server/digest.hpp"
#include "server/http/problem.hpp"

namespace zhiyuan::server {

std::unique_ptr<storage::write_op> new_write_op(const request_context& ctx,
                                                const candidate_api_context& api,
                                                storage::write_args args, std::int64_t candidate) {
  auto op = std::make_unique<storage::write_op>();
  op->args = std::move(args);
  op->candidate_id = candidate;
  op->idempotency_key = generated_key();
  op->request_hash = request_hash(ctx);
  op->accepted_at_us = api.now_micros();
  op->deadline = std::chrono::steady_clock::now() + api.write_deadline;
  return op;
}

void answer_write(request_context& ctx, const write_outcome& out) {
  using core::errc;
  // Sign-ins and pledges carry no Idempotency-Key: their client simply retries.
  const bool keyed = storage::is_keyed(out.op->kind());
  switch (out.admitted) {
    case storage::admit::ok:
      break;
    case storage::admit::key_in_flight:
      fail(ctx, errc::idempotency_key_in_flight,
           "a request with this Idempotency-Key is still being processed", 1);
      return;
    case storage::admit::overloaded:
      fail(ctx, errc::unavailable,
           keyed ? "too many writes in flight; retry with the same key"
                 : "too many writes in flight; retry shortly",
           1);
      return;
    case storage::admit::stopping:
      fail(ctx, errc::unavailable, "server is shutting down", 2);
      return;
  }
  const storage::write_op& op = *out.op;
  if (!keyed && op.status != storage::op_status::unavailable) {
    // Nothing stored to answer with: the handler answers a committed one itself; any other
    // outcome (a pledge whose candidate row is gone) is a bug.
    fail(ctx, errc::internal, "");
    return;
  }
  switch (op.status) {
    case storage::op_status::committed:
    case storage::op_status::replayed:
      if (op.render_after_commit && op.response_status == 0 && op.render != nullptr) {
        // A submission's receipt, signed here in parallel on the I/O threads.
        op.render(op, ctx.res.status, ctx.res.body);
        ctx.res.content_type = "application/json";
        return;
      }
      [[fallthrough]];
    case storage::op_status::conflict:
      ctx.res.status = op.response_status;
      ctx.res.content_type =
          op.response_status >= 400 ? "application/problem+json" : "application/json";
      ctx.res.body = op.response_body;
      if (op.kind() == storage::op_kind::save_draft && op.response_status == 200) {
        ctx.res.headers.emplace_back("ETag", fmt::format("\"{}\"", op.version));
      }
      return;
    case storage::op_status::key_mismatch:
      fail(ctx, errc::idempotency_key_reused,
           "this Idempotency-Key was used with a different request");
      return;
    case storage::op_status::unavailable:
      fail(ctx, errc::unavailable,
           keyed ? "not committed in time; retry with the same Idempotency-Key"
                 : "not committed in time; retry shortly",
           2);
      return;
    case storage::op_status::failed:
      fail(ctx, errc::internal, "");
      return;
  }
}

void write_violations(json_writer& w, const std::vector<core::finding>& findings) {
  w.begin_array();
  for (const auto& f : findings) {
    w.begin_object();
    w.key("code").value(core::to_code(f.code));
    w.key("choice").value(f.choice);
    w.key("major").value(f.major);
    w.key("message_zh").value(core::message_zh(f));
    w.key("message_en").value(core::message_en(f));
    w.end_object();
  }
  w.end_array();
}

std::string violations_json(const std::vector<core::finding>& findings) {
  std::string out = "\"violations\":";
  json_writer w(out);
  write_violations(w, findings);
  return out;
}

}  // namespace zhiyuan::server
