#pragma once

// The statements of storage::reconcile (storage/reconcile.cpp): a check of acknowledged
// receipts against the stored history, which rebuilds the write path's receipt in SQL. Kept
// apart from the server's statements (storage/sql/*.hpp) because only the tools send them.

namespace zhiyuan::storage::sql {

// One transaction: the acks are COPYed into reconcile_acks, the acknowledged candidates'
// non-drill history rows copied into reconcile_rows with their receipt hash checked, each ack
// classified into reconcile_result; all three are dropped at COMMIT.
inline constexpr const char* reconcile_create_acks =
    "CREATE TEMP TABLE reconcile_acks (exam_no char(14) NOT NULL, batch smallint NOT NULL,"
    " version bigint NOT NULL, digest text NOT NULL, key text NOT NULL) ON COMMIT DROP";
inline constexpr const char* reconcile_acks_table = "reconcile_acks";
inline constexpr const char* reconcile_analyze_acks = "ANALYZE reconcile_acks";
// hash_ok: the stored digest is SHA-256 of the canonical receipt rebuilt from the row, laid out
// exactly as core::canonical_receipt does (core/receipt.hpp): an independent check of what the
// write path stored.
inline constexpr const char* reconcile_collect_rows =
    "CREATE TEMP TABLE reconcile_rows ON COMMIT DROP AS"
    " SELECT h.candidate_id, h.batch, h.version, h.digest, h.prev_hash, h.choices,"
    "  h.committed_at, h.digest = sha256(convert_to('zhiyuan-receipt-v1' || E'\\nexam_no=' ||"
    "  c.exam_no || E'\\nbatch=' ||"
    "  (ARRAY['early_undergrad','undergrad','early_vocational','vocational'])[h.batch + 1] ||"
    "  E'\\ndrill=' || h.drill::int || E'\\naccepted_at=' ||"
    "  to_char(h.accepted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') ||"
    "  E'\\nchoices_sha256=' || encode(sha256(convert_to(h.choices, 'UTF8')), 'hex') ||"
    "  E'\\nversion=' || h.version || E'\\nprev=' || coalesce(encode(h.prev_hash, 'hex'), '') ||"
    "  E'\\n', 'UTF8')) AS hash_ok"
    " FROM application_history h JOIN candidates c USING (candidate_id)"
    " WHERE NOT h.drill AND c.exam_no IN (SELECT exam_no FROM reconcile_acks)";
// outcome per ack: lost, mismatched or present (see storage/reconcile.hpp). The key's record
// must name the receipt's version: a slim record (migration 0012) by its batch and version
// (the history row's hash is checked above), an older one by the version and hash in its
// stored response.
inline constexpr const char* reconcile_classify =
    "CREATE TEMP TABLE reconcile_result ON COMMIT DROP AS"
    " SELECT a.exam_no, a.batch, a.version, a.key, encode(r.digest, 'hex') AS db_digest,"
    "  coalesce(r.hash_ok, false) AS hash_ok, k.key IS NOT NULL AS key_found,"
    "  CASE WHEN r.candidate_id IS NULL THEN 'lost'"
    "   WHEN r.hash_ok AND encode(r.digest, 'hex') = a.digest"
    "    AND CASE WHEN k.version IS NOT NULL THEN k.version = a.version AND k.batch = a.batch"
    "     ELSE position('\"version\":' || a.version || ',' IN k.response) > 0"
    "      AND position('\"receipt_hash\":\"' || a.digest || '\"' IN k.response) > 0 END"
    "   THEN 'present' ELSE 'mismatched' END AS outcome"
    " FROM reconcile_acks a"
    " LEFT JOIN candidates c ON c.exam_no = a.exam_no"
    " LEFT JOIN reconcile_rows r"
    "  ON (r.candidate_id, r.batch, r.version) = (c.candidate_id, a.batch, a.version)"
    " LEFT JOIN idempotency_keys k"
    "  ON (k.candidate_id, k.key) = (c.candidate_id, a.key) AND k.status = 201";
inline constexpr const char* reconcile_outcomes =
    "SELECT outcome, count(*) FROM reconcile_result GROUP BY outcome";
// $1: at most this many rows.
inline constexpr const char* reconcile_problems =
    "SELECT exam_no, batch, version, key, outcome, coalesce(db_digest, ''), hash_ok, key_found"
    " FROM reconcile_result WHERE outcome <> 'present' ORDER BY exam_no, batch, version LIMIT $1";
// $1: rows committed at or after this unix time (seconds) count; $2: every submission's form
// differs, so two versions with the same choices mean one request applied twice.
inline constexpr const char* reconcile_duplicates =
    "WITH h AS (SELECT candidate_id, batch, count(*) AS n, count(DISTINCT choices) AS d"
    "  FROM reconcile_rows WHERE committed_at >= to_timestamp($1::double precision)"
    "  GROUP BY 1, 2),"
    " k AS (SELECT candidate_id, count(*) AS n FROM idempotency_keys"
    "  WHERE status = 201 AND created_at >= to_timestamp($1::double precision)"
    "   AND candidate_id IN (SELECT candidate_id FROM h) GROUP BY 1)"
    " SELECT coalesce(sum(greatest(h.n - coalesce(k.n, 0),"
    "  CASE WHEN $2::boolean THEN h.n - h.d ELSE 0 END, 0)), 0)::bigint"
    " FROM h LEFT JOIN k USING (candidate_id)";
inline constexpr const char* reconcile_inconsistent =
    "SELECT (SELECT count(*) FROM applications a LEFT JOIN LATERAL"
    "  (SELECT h.version, h.digest FROM application_history h"
    "   WHERE (h.candidate_id, h.batch, h.drill) = (a.candidate_id, a.batch, a.drill)"
    "   ORDER BY h.version DESC LIMIT 1) last ON true"
    "  WHERE NOT a.drill AND a.candidate_id IN (SELECT candidate_id FROM reconcile_rows)"
    "   AND (last.version IS DISTINCT FROM a.version OR last.digest <> a.digest))"
    " + (SELECT count(*) FROM reconcile_rows WHERE NOT hash_ok)"
    " + (SELECT count(*) FROM reconcile_rows h LEFT JOIN reconcile_rows p"
    "  ON (p.candidate_id, p.batch, p.version) = (h.candidate_id, h.batch, h.version - 1)"
    "  WHERE h.prev_hash IS DISTINCT FROM p.digest),"
    " (SELECT count(*) FROM reconcile_rows)";

}  // namespace zhiyuan::storage::sql
