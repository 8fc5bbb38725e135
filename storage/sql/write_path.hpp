#pragma once

// SQL of the write path (storage/write_path.cpp, storage/write_kinds.cpp,
// storage/idempotency.cpp). Every statement takes a whole batch as PostgreSQL array literals
// (one element per op; at most one op per candidate per batch) and is prepared once per writer
// connection. Digests and request hashes travel as hex text, decoded in SQL.

namespace zhiyuan::storage::sql {

// Writer session: application name for operators, and durable commits whatever the default.
// (plan_cache_mode stays `auto`: pg_stat_statements shows it settles on the generic plan after
// the first five executions of each batch statement, whatever the batch size.)
inline constexpr const char* writer_session = R"~(
    SELECT set_config('application_name', $1, false),
    set_config('synchronous_commit', 'on', false)
)~";

// The stored records of the batch's keys seen before: same request?, stored status and
// response, and for a submission's slim record (version not NULL) the history row it wrote
// (NULL when purged): version, prev_hash, accepted_at and committed_at (unix µs), digest.
// Read first, so that replays and mismatches are not applied again.
inline constexpr const char* writer_keys_lookup = R"~(
    SELECT k.candidate_id, k.request_hash = decode(t.h, 'hex'), k.status, k.response,
    k.version IS NOT NULL, h.version, h.prev_hash,
    (extract(epoch FROM h.accepted_at) * 1000000)::bigint,
    (extract(epoch FROM h.committed_at) * 1000000)::bigint, h.digest
    FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(c, kk, h)
    JOIN idempotency_keys k ON k.candidate_id = t.c AND k.key = t.kk
    LEFT JOIN application_history h ON h.candidate_id = k.candidate_id AND h.batch = k.batch
      AND h.drill = k.drill AND h.version = k.version
)~";

// Records the new writes' keys with their rendered responses, after applying them and in the
// same transaction; a committed submission records only the version it wrote ($6-$8; response
// '', version 0 elsewhere: NULL). A key that another transaction recorded since the lookup
// (the same request on two server nodes at once) is skipped here; the writer sees fewer
// affected rows, rolls the batch back and retries it, and the retry replays that record.
inline constexpr const char* writer_keys_record = R"~(
    INSERT INTO idempotency_keys (candidate_id, key, request_hash, status, response, batch,
      drill, version)
    SELECT c, k, decode(h, 'hex'), s, r, b, d, nullif(v, 0)
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[], $5::text[],
      $6::smallint[], $7::boolean[], $8::bigint[]) AS t(c, k, h, s, r, b, d, v)
    ON CONFLICT DO NOTHING
)~";

// Formal submissions, the whole of a batch's in one statement, atomic even in autocommit (a
// batch of submissions only runs it alone: one round trip). First the keys seen before (as
// writer_keys_lookup); those ops are not applied. For the others, an existing row is updated
// only if the op's base version is -1 (last write wins) or equals the stored version; the
// UPDATE re-checks that on the latest row version under its row lock, so two server nodes
// cannot both win. A missing row is inserted with version 1 when the base is -1 or 0; a
// concurrent insert elsewhere makes ON CONFLICT skip it. Every applied version is appended to
// application_history, which alone holds the choices (migration 0005), and its key recorded
// slim (the version it wrote, no response). That record is a plain INSERT: a key that another
// transaction recorded since this statement's snapshot (the same request on two nodes at once)
// aborts the statement with a unique violation on idempotency_keys_pkey, which the writer maps
// to a rerun of the batch. Ops neither seen nor written are version conflicts; the writer
// records their answer next. committed_at is one clock_timestamp() per statement.
// `digest` is the receipt hash: SHA-256 of core::canonical_receipt, whose head (exam number,
// batch, drill, accepted_at, choices digest) the server sends and whose tail (version, previous
// receipt hash) only the database knows; prev_hash links each version to the one before.
// $1..$9: candidate_id, key, request hash (hex), batch, drill, base_version, choices, receipt
// head, accepted_at (unix µs).
// Result: the columns of writer_keys_lookup (same request?, stored status, stored response and
// slim? are NULL for a version written here), then seen (true: a stored record).
inline constexpr const char* writer_submit = R"~(
    WITH ts AS (SELECT clock_timestamp() AS now),
    input AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[],
      $5::boolean[], $6::bigint[], $7::text[], $8::text[], $9::bigint[])
      AS t(candidate_id, key, request_hash, batch, drill, base_version, choices, head,
      accepted_us)),
    seen AS (SELECT k.candidate_id, k.request_hash = decode(i.request_hash, 'hex') AS same,
      k.status, k.response, k.version IS NOT NULL AS slim, h.version, h.prev_hash,
      h.accepted_at, h.committed_at, h.digest
      FROM input i JOIN idempotency_keys k ON k.candidate_id = i.candidate_id AND k.key = i.key
      LEFT JOIN application_history h ON h.candidate_id = k.candidate_id AND h.batch = k.batch
        AND h.drill = k.drill AND h.version = k.version),
    fresh AS (SELECT * FROM input i
      WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.candidate_id = i.candidate_id)),
    upd AS (UPDATE applications a SET version = a.version + 1,
      digest = sha256(convert_to(i.head || 'version=' || (a.version + 1) || E'\nprev='
        || encode(a.digest, 'hex') || E'\n', 'UTF8')),
      prev_hash = a.digest,
      accepted_at = 'epoch'::timestamptz + i.accepted_us * interval '1 microsecond',
      committed_at = ts.now, signature = NULL
      FROM fresh i, ts WHERE a.candidate_id = i.candidate_id AND a.batch = i.batch
      AND a.drill = i.drill AND (i.base_version < 0 OR a.version = i.base_version)
      RETURNING a.*),
    ins AS (INSERT INTO applications (candidate_id, batch, drill, version, digest,
      prev_hash, accepted_at, committed_at)
      SELECT i.candidate_id, i.batch, i.drill, 1,
      sha256(convert_to(i.head || E'version=1\nprev=\n', 'UTF8')), NULL,
      'epoch'::timestamptz + i.accepted_us * interval '1 microsecond', ts.now
      FROM fresh i, ts WHERE i.base_version <= 0 AND NOT EXISTS (SELECT 1 FROM applications a
      WHERE a.candidate_id = i.candidate_id AND a.batch = i.batch AND a.drill = i.drill)
      ON CONFLICT DO NOTHING RETURNING *),
    done AS (SELECT * FROM upd UNION ALL SELECT * FROM ins),
    hist AS (INSERT INTO application_history (candidate_id, batch, drill, version, choices,
      digest, prev_hash, accepted_at, committed_at, signature)
      SELECT d.candidate_id, d.batch, d.drill, d.version, i.choices, d.digest, d.prev_hash,
      d.accepted_at, d.committed_at, d.signature
      FROM done d JOIN fresh i ON i.candidate_id = d.candidate_id),
    rec AS (INSERT INTO idempotency_keys (candidate_id, key, request_hash, status, response,
      batch, drill, version)
      SELECT d.candidate_id, i.key, decode(i.request_hash, 'hex'), 201, '', d.batch, d.drill,
      d.version FROM done d JOIN fresh i ON i.candidate_id = d.candidate_id)
    SELECT candidate_id, NULL::boolean, NULL::smallint, NULL::text, NULL::boolean, version,
    prev_hash, (extract(epoch FROM accepted_at) * 1000000)::bigint,
    (extract(epoch FROM committed_at) * 1000000)::bigint, digest, false FROM done
    UNION ALL
    SELECT candidate_id, same, status, response, slim, version, prev_hash,
    (extract(epoch FROM accepted_at) * 1000000)::bigint,
    (extract(epoch FROM committed_at) * 1000000)::bigint, digest, true FROM seen
)~";

// Drafts: the same version rule as submissions, no history.
inline constexpr const char* writer_apply_draft = R"~(
    WITH ts AS (SELECT clock_timestamp() AS now),
    input AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::boolean[], $4::bigint[],
      $5::text[]) AS t(candidate_id, batch, drill, base_version, choices)),
    upd AS (UPDATE drafts d SET version = d.version + 1, choices = i.choices,
      updated_at = ts.now FROM input i, ts WHERE d.candidate_id = i.candidate_id
      AND d.batch = i.batch AND d.drill = i.drill
      AND (i.base_version < 0 OR d.version = i.base_version)
      RETURNING d.candidate_id, d.version, d.updated_at),
    ins AS (INSERT INTO drafts (candidate_id, batch, drill, version, choices, updated_at)
      SELECT i.candidate_id, i.batch, i.drill, 1, i.choices, ts.now FROM input i, ts
      WHERE i.base_version <= 0 AND NOT EXISTS (SELECT 1 FROM drafts d
      WHERE d.candidate_id = i.candidate_id AND d.batch = i.batch AND d.drill = i.drill)
      ON CONFLICT DO NOTHING RETURNING candidate_id, version, updated_at)
    SELECT candidate_id, version, NULL::bytea, (extract(epoch FROM updated_at) * 1000000)::bigint
    FROM (SELECT * FROM upd UNION ALL SELECT * FROM ins) AS done
)~";

// Favourites: add or re-categorise (no version: a favourite is a set member).
inline constexpr const char* writer_apply_favorite_put = R"~(
    INSERT INTO favorites (candidate_id, kind, target, category)
    SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[])
    ON CONFLICT (candidate_id, kind, target) DO UPDATE SET category = excluded.category
    RETURNING candidate_id, 0::bigint, NULL::bytea,
    (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
)~";

// Favourites: remove; removing an absent favourite succeeds too.
inline constexpr const char* writer_apply_favorite_delete = R"~(
    WITH input AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[])
      AS t(candidate_id, kind, target)),
    del AS (DELETE FROM favorites f USING input i WHERE f.candidate_id = i.candidate_id
      AND f.kind = i.kind AND f.target = i.target)
    SELECT candidate_id, 0::bigint, NULL::bytea,
    (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM input
)~";

// Contact details, with the profile version check. An empty phone or address stores NULL.
inline constexpr const char* writer_apply_contact = R"~(
    UPDATE candidates c SET phone = nullif(i.phone, ''), address = nullif(i.address, '')::jsonb,
    version = c.version + 1
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
      AS i(candidate_id, base_version, phone, address)
    WHERE c.candidate_id = i.candidate_id AND (i.base_version < 0 OR c.version = i.base_version)
    RETURNING c.candidate_id, c.version, NULL::bytea,
    (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
)~";

// Confirmations: the first acceptance time sticks; the profile version advances.
inline constexpr const char* writer_apply_confirm = R"~(
    UPDATE candidates c SET
    household_confirmed_at = CASE WHEN i.what = 'household' THEN coalesce(
      c.household_confirmed_at, 'epoch'::timestamptz + i.accepted_us * interval '1 microsecond')
      ELSE c.household_confirmed_at END,
    physical_exam_confirmed_at = CASE WHEN i.what = 'physical_exam' THEN coalesce(
      c.physical_exam_confirmed_at,
      'epoch'::timestamptz + i.accepted_us * interval '1 microsecond')
      ELSE c.physical_exam_confirmed_at END,
    version = c.version + 1
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])
      AS i(candidate_id, base_version, what, accepted_us)
    WHERE c.candidate_id = i.candidate_id AND (i.base_version < 0 OR c.version = i.base_version)
    RETURNING c.candidate_id, c.version, NULL::bytea,
    (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
)~";

// Sign-ins (not keyed: a rerun after an unknown commit outcome finds the session and writes
// nothing twice): the sessions, a login record for each session inserted here, and each
// candidate's sign-in during the open filing windows of batches $6 (smallint[] literals, maybe
// "{}") for the offices' statistics, counted once per batch. Every input row is returned.
inline constexpr const char* writer_apply_sign_in = R"~(
    WITH input AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[],
      $5::text[], $6::text[]) AS t(candidate_id, token, expires_s, ip, agent, windows)),
    session AS (INSERT INTO sessions (candidate_id, token_hash, expires_at, ip, user_agent)
      SELECT candidate_id, decode(token, 'hex'), to_timestamp(expires_s), nullif(ip, '')::inet,
      agent FROM input ON CONFLICT DO NOTHING RETURNING candidate_id, ip, user_agent),
    login AS (INSERT INTO login_history (candidate_id, ip, user_agent, outcome)
      SELECT candidate_id, ip, user_agent, 'ok' FROM session),
    windows AS (INSERT INTO window_logins (candidate_id, batch)
      SELECT i.candidate_id, b FROM input i, unnest(i.windows::smallint[]) b
      ON CONFLICT DO NOTHING)
    SELECT candidate_id, 0::bigint, NULL::bytea,
    (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM input
)~";

// The pledge: its first acceptance time ($2, unix µs on the filing clock) sticks; returned as
// the fifth column.
inline constexpr const char* writer_apply_pledge = R"~(
    UPDATE candidates c
    SET pledge_at = coalesce(c.pledge_at, 'epoch'::timestamptz + i.accepted_us * interval '1 microsecond')
    FROM unnest($1::bigint[], $2::bigint[]) AS i(candidate_id, accepted_us)
    WHERE c.candidate_id = i.candidate_id
    RETURNING c.candidate_id, 0::bigint, NULL::bytea,
    (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
    (extract(epoch FROM c.pledge_at) * 1000000)::bigint
)~";

// Idempotency retention: one bounded chunk of expired keys ($1: retention in hours).
inline constexpr const char* writer_keys_expire = R"~(
    DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)
    LIMIT $2))
)~";

}  // namespace zhiyuan::storage::sql
