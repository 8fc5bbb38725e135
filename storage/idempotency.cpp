#include "storage/idempotency.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <variant>

#include "storage/columns.hpp"
#include "storage/pg_arrays.hpp"
#include "storage/sql/write_path.hpp"

namespace zhiyuan::storage {
namespace {

// Prepared statement names of a writer connection.
constexpr const char* ps_lookup = "zw_lookup";
constexpr const char* ps_record = "zw_record";
constexpr const char* ps_submit = "zw_submit";

/// write_batch::fresh of a submission written and recorded by submit_keyed: its response is
/// still rendered by record_keys, its key not recorded again.
constexpr std::uint8_t fresh_recorded = 2;

}  // namespace

void prepare_idempotency(pqxx::connection& c) {
  c.prepare(ps_lookup, sql::writer_keys_lookup);
  c.prepare(ps_record, sql::writer_keys_record);
  c.prepare(ps_submit, sql::writer_submit);
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
  // No response is stored: status and body are rendered again, as the first time.
  unsigned status = 201;
  if (op.render != nullptr) op.render(op, status, op.response_body);
  op.response_status = status;
}

// A committed submission's record is slim: no response, the version it wrote.
bool slim_record(const write_op& op) {
  return op.kind() == op_kind::submit && op.status == op_status::committed;
}

// A stored record found for op `i` (a row shaped as writer_keys_lookup's): the op is not
// applied; the same request replays, another body is a mismatch.
void take_stored(write_batch& b, std::size_t i, const pqxx::row& row) {
  const auto [same_request, status, response, slim] =
      columns<bool, int, std::string_view, bool>(row, 1);
  write_op& op = *b.ops[i];
  b.fresh[i] = 0;
  if (!same_request) {
    op.status = op_status::key_mismatch;
  } else if (status == 0) {
    op.status = op_status::unavailable;  // not written by this version; never expected
  } else if (slim) {
    replay_from_history(op, row);
  } else {
    op.status = op_status::replayed;
    op.response_status = static_cast<unsigned>(status);
    op.response_body.assign(response);
  }
}

}  // namespace

void look_up_keys(pqxx::work& tx, write_batch& b) {
  auto& a = b.arrays;
  for (int k = 0; k < 3; ++k) open_array(a[k]);
  std::size_t lookups = 0;
  for (const auto& op : b.ops) {
    // Submissions look their keys up in their own statement (submit_keyed).
    if (!is_keyed(op->kind()) || op->kind() == op_kind::submit) continue;
    ++lookups;
    append_int(a[0], op->candidate_id);
    append_quoted(a[1], op->idempotency_key);
    append_hex(a[2], op->request_hash);
  }
  if (lookups == 0) return;
  for (int k = 0; k < 3; ++k) close_array(a[k]);
  const pqxx::result stored = tx.exec_prepared(ps_lookup, a[0], a[1], a[2]);
  for (const auto& row : stored) {
    const auto [candidate] = columns<std::int64_t>(row);
    const std::size_t i = b.position_of(candidate);
    if (i != write_batch::npos) take_stored(b, i, row);
  }
}

namespace {

// A version written by writer_submit (a row with `seen` false).
void take_written(write_batch& b, std::size_t i, const pqxx::row& row) {
  using hash = std::optional<std::string_view>;
  const auto [version, prev_hash, accepted_us, committed_us, digest] =
      columns<std::int64_t, hash, std::int64_t, std::int64_t, std::string_view>(row, 5);
  write_op& op = *b.ops[i];
  if (!parse_digest(digest, op.receipt_hash)) {
    throw std::runtime_error("write path: the database returned no receipt hash");
  }
  op.status = op_status::committed;
  op.version = version;
  op.has_prev_hash = prev_hash && parse_digest(*prev_hash, op.prev_hash);
  op.committed_at_us = committed_us;
  b.fresh[i] = fresh_recorded;
}

}  // namespace

std::size_t submit_keyed(pqxx::transaction_base& tx, write_batch& b) {
  auto& a = b.arrays;
  for (std::size_t k = 0; k < 9; ++k) open_array(a[k]);
  std::size_t count = 0;
  for (const auto& op : b.ops) {
    const auto* s = std::get_if<submit_args>(&op->args);
    if (s == nullptr) continue;
    ++count;
    append_int(a[0], op->candidate_id);
    append_quoted(a[1], op->idempotency_key);
    append_hex(a[2], op->request_hash);
    append_int(a[3], s->batch);
    append_bool(a[4], s->drill);
    append_int(a[5], s->base_version);
    append_quoted(a[6], s->choices);
    append_quoted(a[7], s->receipt_head);
    append_int(a[8], op->accepted_at_us);
  }
  if (count == 0) return 0;
  for (std::size_t k = 0; k < 9; ++k) close_array(a[k]);
  pqxx::result r;
  try {
    r = tx.exec_prepared(ps_submit, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
  } catch (const pqxx::unique_violation& e) {
    // Another node recorded one of the keys meanwhile: nothing of this statement was applied.
    if (std::string_view(e.what()).find("idempotency_keys_pkey") != std::string_view::npos) {
      throw key_race{};
    }
    throw;
  }
  // Neither stored before nor written: the version check failed.
  for (const auto& op : b.ops) {
    if (op->kind() == op_kind::submit) op->status = op_status::conflict;
  }
  for (const auto& row : r) {
    const auto [candidate] = columns<std::int64_t>(row);
    const std::size_t i = b.position_of(candidate);
    if (i == write_batch::npos) continue;
    if (const auto [seen] = columns<bool>(row, 10); seen) {
      take_stored(b, i, row);
    } else {
      take_written(b, i, row);
    }
  }
  for (const auto& op : b.ops) {
    // Without a base version an op cannot conflict: another node inserted the first version
    // concurrently (ON CONFLICT waited for its COMMIT). Rerun the batch, which then updates it.
    const auto* s = std::get_if<submit_args>(&op->args);
    if (s != nullptr && s->base_version < 0 && op->status == op_status::conflict) {
      throw key_race{};
    }
  }
  return count;
}

void record_keys(pqxx::transaction_base& tx, write_batch& b) {
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
    if (!is_keyed(op.kind()) || b.fresh[i] == fresh_recorded) continue;
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
