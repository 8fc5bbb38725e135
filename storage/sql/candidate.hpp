#pragma once

// SQL of a candidate's own state (storage/candidate_store.cpp).

namespace zhiyuan::storage::sql {

// Favourites in the order they were made; times as unix µs. $2: at most this many rows.
inline constexpr const char* state_favorites = R"~(
    SELECT kind, target, category, (extract(epoch FROM created_at) * 1000000)::bigint
    FROM favorites WHERE candidate_id = $1 ORDER BY created_at, kind, target LIMIT $2
)~";

// One draft (志愿草稿): version, updated_at (unix µs), canonical choices.
inline constexpr const char* state_draft = R"~(
    SELECT version, (extract(epoch FROM updated_at) * 1000000)::bigint, choices FROM drafts
    WHERE candidate_id = $1 AND batch = $2 AND drill = $3
)~";

// The current formal choices: the applications row with its version's choices from
// application_history (migration 0005). digest is the receipt hash.
inline constexpr const char* state_application = R"~(
    SELECT a.version, (extract(epoch FROM a.accepted_at) * 1000000)::bigint,
    (extract(epoch FROM a.committed_at) * 1000000)::bigint, a.digest, a.prev_hash, h.choices
    FROM applications a JOIN application_history h ON h.candidate_id = a.candidate_id
    AND h.batch = a.batch AND h.drill = a.drill AND h.version = a.version
    WHERE a.candidate_id = $1 AND a.batch = $2 AND a.drill = $3
)~";

// Committed versions below $4, newest first, at most $5.
inline constexpr const char* state_application_history = R"~(
    SELECT version, (extract(epoch FROM accepted_at) * 1000000)::bigint,
    (extract(epoch FROM committed_at) * 1000000)::bigint, digest, prev_hash, choices
    FROM application_history WHERE candidate_id = $1 AND batch = $2 AND drill = $3
    AND version < $4 ORDER BY version DESC LIMIT $5
)~";

// Notices addressed to candidate $1: announcements (kind 0) to their school, county, city or
// the province root, and whatever lists them as a recipient. Newest first, keyset-paged below
// notice $2 (NULL: from the newest), at most $3, each with the candidate's read flag.
inline constexpr const char* state_notices = R"~(
    WITH vis AS (SELECT notice_id FROM visible_notices($1))
    SELECT n.notice_id, n.kind, n.batch, n.title, n.body,
    (extract(epoch FROM n.created_at) * 1000000)::bigint,
    EXISTS (SELECT 1 FROM notice_reads r WHERE r.candidate_id = $1
      AND r.notice_id = n.notice_id)
    FROM notices n JOIN vis USING (notice_id)
    WHERE $2::bigint IS NULL OR (n.created_at, n.notice_id) <
      (SELECT c.created_at, c.notice_id FROM notices c WHERE c.notice_id = $2::bigint)
    ORDER BY n.created_at DESC, n.notice_id DESC LIMIT $3
)~";

// Marks notice $2 read by candidate $1 when it is addressed to them (the same visibility as
// state_notices); marking twice keeps the first time. Returns 1 when visible, else 0.
inline constexpr const char* state_mark_notice_read = R"~(
    WITH vis AS (SELECT notice_id FROM visible_notices($1) WHERE notice_id = $2),
    ins AS (INSERT INTO notice_reads (candidate_id, notice_id) SELECT $1, notice_id FROM vis
      ON CONFLICT DO NOTHING)
    SELECT count(*) FROM vis
)~";

// The stored outcome of an Idempotency-Key ($1 candidate, $2 key): the history row a
// submission's slim record names (NULLs otherwise, or when purged; columns as in
// state_application), then request hash (hex), status, response, and whether the record is a
// slim one (migration 0012). Read when a retry arrives after the window closed, to replay what
// was committed.
inline constexpr const char* state_stored_response = R"~(
    SELECT h.version, (extract(epoch FROM h.accepted_at) * 1000000)::bigint,
    (extract(epoch FROM h.committed_at) * 1000000)::bigint, h.digest, h.prev_hash, h.choices,
    encode(k.request_hash, 'hex'), k.status, k.response, k.version IS NOT NULL
    FROM idempotency_keys k LEFT JOIN application_history h ON h.candidate_id = k.candidate_id
    AND h.batch = k.batch AND h.drill = k.drill AND h.version = k.version
    WHERE k.candidate_id = $1 AND k.key = $2
)~";

// Purges the drill's data written before the drill closed ($1, unix seconds): drafts, current
// and past submissions.
inline constexpr const char* state_purge_drill = R"~(
    WITH d AS (DELETE FROM drafts WHERE drill AND updated_at < to_timestamp($1) RETURNING 1),
    a AS (DELETE FROM applications WHERE drill AND accepted_at < to_timestamp($1)
      RETURNING 1),
    h AS (DELETE FROM application_history WHERE drill AND accepted_at < to_timestamp($1)
      RETURNING 1)
    SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM a) + (SELECT count(*) FROM h)
)~";

}  // namespace zhiyuan::storage::sql
