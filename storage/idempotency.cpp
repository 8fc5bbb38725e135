#include "storage/idempotency.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

#include "storage/columns.hpp"
#include "storage/pg_arrays.hpp"
#include "storage/sql/write_path.hpp"

namespace zhiyuan::storage {
namespace {

// Prepared statement names of a writer connection.
constexpr const char* ps_lookup = "zw_lookup";
constexpr const char* ps_record = "zw_record";

}  // namespace

void prepare_idempotency(pqxx::connection& c) {
  c.prepare(ps_lookup, sql::writer_keys_lookup);
  c.prepare(ps_record, sql::writer_keys_record);
}

namespace {

// A submission's slim record names the history row it wrote; the replay renders the receipt
// from that row again (receipts are deterministic, so the bytes are the first answer's).
void replay_from_history(write_op& op, const pqxx::row& row) {
  const auto [version, prev_hash, accepted_us, committed_us, digest] =
      columns<std::optional<std::int64_t>, std::optional<std::string_view>,
              std::optional<std::int64_t>, std::optional<std::int64_t>,
              std::optional<std::string_view>>(row, 5);
  if (!version || !digest || !parse_digest(*digest, op.receipt_hash)) {
    op.status = op_status::unavailable;  // the version was purged (drill data)
    return;
  }
  op.status = op_status::replayed;
  op.version = *version;
  op.has_prev_hash = prev_hash && parse_digest(*prev_hash, op.prev_hash);
  op.accepted_at_us = accepted_us.value_or(0);
  op.committed_at_us = committed_us.value_or(0);
  if (op.render_after_commit) return;
  unsigned status = 200;
  if (op.render != nullptr) op.render(op, status, op.response_body);
}

// A committed submission's record is slim: no response, the version it wrote.
bool slim_record(const write_op& op) {
  return op.kind() == op_kind::submit && op.status == op_status::committed;
}

}  // namespace

void look_up_keys(pqxx::work& tx, write_batch& b) {
  auto& a = b.arrays;
  for (int k = 0; k < 3; ++k) open_array(a[k]);
  std::size_t lookups = 0;
  for (const auto& op : b.ops) {
    if (!is_keyed(op->kind())) continue;
    ++lookups;
    append_int(a[0], op->candidate_id);
    append_quoted(a[1], op->idempotency_key);
    append_hex(a[2], op->request_hash);
  }
  for (int k = 0; k < 3; ++k) close_array(a[k]);
  pqxx::result stored;
  if (lookups > 0) stored = tx.exec_prepared(ps_lookup, a[0], a[1], a[2]);
  for (const auto& row : stored) {
    const auto [candidate, same_request, status, response, slim] =
        columns<std::int64_t, bool, int, std::string_view, bool>(row);
    const std::size_t i = b.position_of(candidate);
    if (i == write_batch::npos) continue;
    write_op& op = *b.ops[i];
    b.fresh[i] = 0;
    if (!same_request) {
      op.status = op_status::key_mismatch;
    } else if (status == 0) {
      op.status = op_status::unavailable;  // not written by this version; never expected
    } else if (slim) {
      replay_from_history(op, row);
      if (!op.render_after_commit) op.response_status = static_cast<unsigned>(status);
    } else {
      op.status = op_status::replayed;
      op.response_status = static_cast<unsigned>(status);
      op.response_body.assign(response);
    }
  }
}

void record_keys(pqxx::work& tx, write_batch& b) {
  auto& a = b.arrays;
  for (int k = 0; k < 8; ++k) open_array(a[k]);
  std::size_t fresh = 0;
  for (std::size_t i = 0; i < b.ops.size(); ++i) {
    if (!b.fresh[i]) continue;
    write_op& op = *b.ops[i];
    const bool slim = slim_record(op);
    unsigned status = slim ? 201 : 200;
    op.response_body.clear();
    // A slim record stores no response: its receipt may be signed after COMMIT, off the writer.
    if (op.render != nullptr && !(slim && op.render_after_commit)) {
      op.render(op, status, op.response_body);
    }
    if (!(slim && op.render_after_commit)) op.response_status = status;
    if (!is_keyed(op.kind())) continue;
    const auto* choices = slim ? args_as<choices_args>(op) : nullptr;
    append_int(a[0], op.candidate_id);
    append_quoted(a[1], op.idempotency_key);
    append_hex(a[2], op.request_hash);
    append_int(a[3], static_cast<std::int64_t>(status));
    append_quoted(a[4], slim ? std::string_view() : std::string_view(op.response_body));
    append_int(a[5], choices ? choices->batch : 0);
    append_bool(a[6], choices ? choices->drill : false);
    append_int(a[7], slim ? op.version : 0);
    ++fresh;
  }
  for (int k = 0; k < 8; ++k) close_array(a[k]);
  if (fresh > 0) {
    const pqxx::result recorded =
        tx.exec_prepared(ps_record, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    if (static_cast<std::size_t>(recorded.affected_rows()) != fresh) throw key_race{};
  }
}

void expire_keys(pqxx::connection& c, std::chrono::hours retention) {
  constexpr int chunk = 5'000;
  for (int i = 0; i < 20; ++i) {
    pqxx::work tx(c);
    const auto r =
        tx.exec_params(sql::writer_keys_expire, static_cast<int>(retention.count()), chunk);
    tx.commit();
    if (r.affected_rows() < static_cast<pqxx::result::size_type>(chunk)) break;
  }
}

}  // namespace zhiyuan::storage
