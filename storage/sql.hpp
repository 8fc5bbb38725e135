#pragma once

// Every SQL statement zhiyuan sends, as a named constant (see STYLE.md: SQL in one place).

namespace zhiyuan::storage::sql {

// Migrations.
inline constexpr const char* migrations_lock = "SELECT pg_advisory_lock(7253104)";
inline constexpr const char* migrations_unlock = "SELECT pg_advisory_unlock(7253104)";
inline constexpr const char* migrations_create_table =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
inline constexpr const char* migrations_applied = "SELECT version FROM schema_migrations";
inline constexpr const char* migrations_record =
    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

// Catalog snapshot and candidate directory (storage/catalog_loader.cpp).
inline constexpr const char* catalog_colleges =
    "SELECT code, name, region, type FROM colleges ORDER BY code";
inline constexpr const char* catalog_groups =
    "SELECT group_id, college_code, group_code, batch, track, category, special_type,"
    " req_first, req_second_kind, req_subjects, plan_count FROM major_groups ORDER BY group_id";
inline constexpr const char* catalog_majors =
    "SELECT major_id, group_id, code, name, plan_count, years, tuition FROM majors"
    " ORDER BY group_id, code";
inline constexpr const char* directory_candidates =
    "SELECT candidate_id, exam_no, school_id, category, track, electives, score, rank, eligible"
    " FROM candidates ORDER BY candidate_id";

// Sign-in and sessions (storage/auth_store.cpp).
inline constexpr const char* auth_find_account =
    "SELECT login_hash, must_set_passwords, pledge_at IS NULL, save_hash, exam_no, id_number"
    " FROM candidates WHERE candidate_id = $1";
inline constexpr const char* auth_insert_session =
    "INSERT INTO sessions (candidate_id, token_hash, expires_at, ip, user_agent)"
    " VALUES ($1, $2, to_timestamp($3), $4::inet, $5)";
inline constexpr const char* auth_record_login =
    "INSERT INTO login_history (candidate_id, ip, user_agent, outcome)"
    " VALUES ($1, $2::inet, $3, $4)";
inline constexpr const char* auth_live_sessions =
    "SELECT s.candidate_id, s.token_hash, extract(epoch FROM s.expires_at)::bigint,"
    " extract(epoch FROM s.last_seen_at)::bigint, NOT c.must_set_passwords,"
    " c.pledge_at IS NOT NULL FROM sessions s JOIN candidates c USING (candidate_id)"
    " WHERE s.revoked_at IS NULL AND s.expires_at > to_timestamp($1)";

// Health.
inline constexpr const char* ping = "SELECT 1";

// Write path (storage/write_path.cpp). Every statement takes a whole batch as PostgreSQL array
// literals (one element per op; at most one op per candidate per batch) and is prepared once
// per writer connection. Digests and request hashes travel as hex text, decoded in SQL.

// Writer session: application name for operators, and durable commits whatever the default.
inline constexpr const char* writer_session =
    "SELECT set_config('application_name', $1, false),"
    " set_config('synchronous_commit', 'on', false)";

// The stored records of the batch's keys seen before: same request?, stored status and
// response. Read first, so that replays and mismatches are not applied again.
inline constexpr const char* writer_keys_lookup =
    "SELECT k.candidate_id, k.request_hash = decode(t.h, 'hex'), k.status, k.response"
    " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(c, kk, h)"
    " JOIN idempotency_keys k ON k.candidate_id = t.c AND k.key = t.kk";

// Records the new writes' keys with their rendered responses, after applying them and in the
// same transaction. A key that another transaction recorded since the lookup (the same
// request on two server nodes at once) is skipped here; the writer sees fewer affected rows,
// rolls the batch back and retries it, and the retry replays that record.
inline constexpr const char* writer_keys_record =
    "INSERT INTO idempotency_keys (candidate_id, key, request_hash, status, response)"
    " SELECT c, k, decode(h, 'hex'), s, r"
    " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[], $5::text[])"
    "   AS t(c, k, h, s, r)"
    " ON CONFLICT DO NOTHING";

// Formal submissions. An existing row is updated only if the op's base version is -1 (last
// write wins) or equals the stored version; the UPDATE re-checks that on the latest row
// version under its row lock, so two server nodes cannot both win. A missing row is inserted
// with version 1 when the base is -1 or 0; a concurrent insert elsewhere makes ON CONFLICT skip
// it. Every applied version is appended to application_history, which alone holds the choices
// (migration 0005), in the same statement. Rows not returned are version conflicts.
// committed_at is one clock_timestamp() per statement.
// `digest` is the receipt hash: SHA-256 of core::canonical_receipt, whose head (exam number,
// batch, drill, accepted_at, choices digest) the server sends and whose tail (version, previous
// receipt hash) only the database knows; prev_hash links each version to the one before.
// Result: candidate_id, version, prev_hash, committed_at (unix µs), digest.
inline constexpr const char* writer_apply_submit =
    "WITH ts AS (SELECT clock_timestamp() AS now),"
    " input AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::boolean[], $4::bigint[],"
    "   $5::text[], $6::text[], $7::bigint[])"
    "   AS t(candidate_id, batch, drill, base_version, choices, head, accepted_us)),"
    " upd AS (UPDATE applications a SET version = a.version + 1,"
    "   digest = sha256(convert_to(i.head || 'version=' || (a.version + 1) || E'\\nprev='"
    "     || encode(a.digest, 'hex') || E'\\n', 'UTF8')),"
    "   prev_hash = a.digest,"
    "   accepted_at = 'epoch'::timestamptz + i.accepted_us * interval '1 microsecond',"
    "   committed_at = ts.now, signature = NULL"
    "   FROM input i, ts WHERE a.candidate_id = i.candidate_id AND a.batch = i.batch"
    "   AND a.drill = i.drill AND (i.base_version < 0 OR a.version = i.base_version)"
    "   RETURNING a.*),"
    " ins AS (INSERT INTO applications (candidate_id, batch, drill, version, digest,"
    "   prev_hash, accepted_at, committed_at)"
    "   SELECT i.candidate_id, i.batch, i.drill, 1,"
    "   sha256(convert_to(i.head || E'version=1\\nprev=\\n', 'UTF8')), NULL,"
    "   'epoch'::timestamptz + i.accepted_us * interval '1 microsecond', ts.now"
    "   FROM input i, ts WHERE i.base_version <= 0 AND NOT EXISTS (SELECT 1 FROM applications a"
    "   WHERE a.candidate_id = i.candidate_id AND a.batch = i.batch AND a.drill = i.drill)"
    "   ON CONFLICT DO NOTHING RETURNING *),"
    " done AS (SELECT * FROM upd UNION ALL SELECT * FROM ins),"
    " hist AS (INSERT INTO application_history (candidate_id, batch, drill, version, choices,"
    "   digest, prev_hash, accepted_at, committed_at, signature)"
    "   SELECT d.candidate_id, d.batch, d.drill, d.version, i.choices, d.digest, d.prev_hash,"
    "   d.accepted_at, d.committed_at, d.signature"
    "   FROM done d JOIN input i ON i.candidate_id = d.candidate_id)"
    " SELECT candidate_id, version, prev_hash,"
    " (extract(epoch FROM committed_at) * 1000000)::bigint, digest FROM done";

// Drafts: the same version rule as submissions, no history.
inline constexpr const char* writer_apply_draft =
    "WITH ts AS (SELECT clock_timestamp() AS now),"
    " input AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::boolean[], $4::bigint[],"
    "   $5::text[]) AS t(candidate_id, batch, drill, base_version, choices)),"
    " upd AS (UPDATE drafts d SET version = d.version + 1, choices = i.choices,"
    "   updated_at = ts.now FROM input i, ts WHERE d.candidate_id = i.candidate_id"
    "   AND d.batch = i.batch AND d.drill = i.drill"
    "   AND (i.base_version < 0 OR d.version = i.base_version)"
    "   RETURNING d.candidate_id, d.version, d.updated_at),"
    " ins AS (INSERT INTO drafts (candidate_id, batch, drill, version, choices, updated_at)"
    "   SELECT i.candidate_id, i.batch, i.drill, 1, i.choices, ts.now FROM input i, ts"
    "   WHERE i.base_version <= 0 AND NOT EXISTS (SELECT 1 FROM drafts d"
    "   WHERE d.candidate_id = i.candidate_id AND d.batch = i.batch AND d.drill = i.drill)"
    "   ON CONFLICT DO NOTHING RETURNING candidate_id, version, updated_at)"
    " SELECT candidate_id, version, NULL::bytea, (extract(epoch FROM updated_at) * 1000000)::bigint"
    " FROM (SELECT * FROM upd UNION ALL SELECT * FROM ins) AS done";

// Favourites: add or re-categorise (no version: a favourite is a set member).
inline constexpr const char* writer_apply_favorite_put =
    "INSERT INTO favorites (candidate_id, kind, target, category)"
    " SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[])"
    " ON CONFLICT (candidate_id, kind, target) DO UPDATE SET category = excluded.category"
    " RETURNING candidate_id, 0::bigint, NULL::bytea,"
    " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

// Favourites: remove; removing an absent favourite succeeds too.
inline constexpr const char* writer_apply_favorite_delete =
    "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[])"
    "   AS t(candidate_id, kind, target)),"
    " del AS (DELETE FROM favorites f USING input i WHERE f.candidate_id = i.candidate_id"
    "   AND f.kind = i.kind AND f.target = i.target)"
    " SELECT candidate_id, 0::bigint, NULL::bytea,"
    " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM input";

// Contact details, with the profile version check. An empty phone or address stores NULL.
inline constexpr const char* writer_apply_contact =
    "UPDATE candidates c SET phone = nullif(i.phone, ''), address = nullif(i.address, '')::jsonb,"
    " version = c.version + 1"
    " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])"
    "   AS i(candidate_id, base_version, phone, address)"
    " WHERE c.candidate_id = i.candidate_id AND (i.base_version < 0 OR c.version = i.base_version)"
    " RETURNING c.candidate_id, c.version, NULL::bytea,"
    " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

// Confirmations: the first acceptance time sticks; the profile version advances.
inline constexpr const char* writer_apply_confirm =
    "UPDATE candidates c SET"
    " household_confirmed_at = CASE WHEN i.what = 'household' THEN coalesce("
    "   c.household_confirmed_at, 'epoch'::timestamptz + i.accepted_us * interval '1 microsecond')"
    "   ELSE c.household_confirmed_at END,"
    " physical_exam_confirmed_at = CASE WHEN i.what = 'physical_exam' THEN coalesce("
    "   c.physical_exam_confirmed_at,"
    "   'epoch'::timestamptz + i.accepted_us * interval '1 microsecond')"
    "   ELSE c.physical_exam_confirmed_at END,"
    " version = c.version + 1"
    " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])"
    "   AS i(candidate_id, base_version, what, accepted_us)"
    " WHERE c.candidate_id = i.candidate_id AND (i.base_version < 0 OR c.version = i.base_version)"
    " RETURNING c.candidate_id, c.version, NULL::bytea,"
    " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

// Idempotency retention: one bounded chunk of expired keys ($1: retention in hours).
inline constexpr const char* writer_keys_expire =
    "DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY("
    " SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)"
    " LIMIT $2))";

// ---- Catalog reference data and popularity (storage/reference_data.cpp) ----
inline constexpr const char* reference_history =
    "SELECT group_id, year, min_score, min_rank, admitted FROM historical_scores"
    " ORDER BY group_id, year DESC";
inline constexpr const char* reference_score_tables =
    "SELECT year, track, score, count, cumulative FROM score_tables ORDER BY year, track, score";
inline constexpr const char* reference_control_lines =
    "SELECT year, batch, track, category, score FROM control_lines"
    " ORDER BY year, batch, track, category";
// Special-type lines are dataset facts named special_type_line.<year>.<physics|history>.
inline constexpr const char* reference_special_lines =
    "SELECT key, value FROM dataset_info WHERE key LIKE 'special_type_line.%' ORDER BY key";
// Current formal choices (non-drill), one keyset page after ($1 candidate, $2 batch), $3 rows.
inline constexpr const char* popularity_current_choices =
    "SELECT a.candidate_id, a.batch, h.choices FROM applications a"
    " JOIN application_history h USING (candidate_id, batch, drill, version)"
    " WHERE NOT a.drill AND (a.candidate_id, a.batch) > ($1::bigint, $2::smallint)"
    " ORDER BY a.candidate_id, a.batch LIMIT $3";

// ---- A candidate's own state (storage/candidate_store.cpp) ----

// Favourites in the order they were made; times as unix µs. $2: at most this many rows.
inline constexpr const char* state_favorites =
    "SELECT kind, target, category, (extract(epoch FROM created_at) * 1000000)::bigint"
    " FROM favorites WHERE candidate_id = $1 ORDER BY created_at, kind, target LIMIT $2";

// One draft (志愿草稿): version, updated_at (unix µs), canonical choices.
inline constexpr const char* state_draft =
    "SELECT version, (extract(epoch FROM updated_at) * 1000000)::bigint, choices FROM drafts"
    " WHERE candidate_id = $1 AND batch = $2 AND drill = $3";

// The current formal choices: the applications row with its version's choices from
// application_history (migration 0005). digest is the receipt hash.
inline constexpr const char* state_application =
    "SELECT a.version, (extract(epoch FROM a.accepted_at) * 1000000)::bigint,"
    " (extract(epoch FROM a.committed_at) * 1000000)::bigint, a.digest, a.prev_hash, h.choices"
    " FROM applications a JOIN application_history h ON h.candidate_id = a.candidate_id"
    " AND h.batch = a.batch AND h.drill = a.drill AND h.version = a.version"
    " WHERE a.candidate_id = $1 AND a.batch = $2 AND a.drill = $3";

// Committed versions below $4, newest first, at most $5.
inline constexpr const char* state_application_history =
    "SELECT version, (extract(epoch FROM accepted_at) * 1000000)::bigint,"
    " (extract(epoch FROM committed_at) * 1000000)::bigint, digest, prev_hash, choices"
    " FROM application_history WHERE candidate_id = $1 AND batch = $2 AND drill = $3"
    " AND version < $4 ORDER BY version DESC LIMIT $5";

// Notices addressed to candidate $1: announcements (kind 0) to their school, county, city or
// the province root, and whatever lists them as a recipient. Newest first, keyset-paged below
// notice $2 (NULL: from the newest), at most $3, each with the candidate's read flag.
inline constexpr const char* state_notices =
    "WITH vis AS (SELECT notice_id FROM visible_notices($1))"
    " SELECT n.notice_id, n.kind, n.batch, n.title, n.body,"
    " (extract(epoch FROM n.created_at) * 1000000)::bigint,"
    " EXISTS (SELECT 1 FROM notice_reads r WHERE r.candidate_id = $1"
    "   AND r.notice_id = n.notice_id)"
    " FROM notices n JOIN vis USING (notice_id)"
    " WHERE $2::bigint IS NULL OR (n.created_at, n.notice_id) <"
    "   (SELECT c.created_at, c.notice_id FROM notices c WHERE c.notice_id = $2::bigint)"
    " ORDER BY n.created_at DESC, n.notice_id DESC LIMIT $3";

// Marks notice $2 read by candidate $1 when it is addressed to them (the same visibility as
// state_notices); marking twice keeps the first time. Returns 1 when visible, else 0.
inline constexpr const char* state_mark_notice_read =
    "WITH vis AS (SELECT notice_id FROM visible_notices($1) WHERE notice_id = $2),"
    " ins AS (INSERT INTO notice_reads (candidate_id, notice_id) SELECT $1, notice_id FROM vis"
    "   ON CONFLICT DO NOTHING)"
    " SELECT count(*) FROM vis";

// The stored outcome of an Idempotency-Key ($1 candidate, $2 key): request hash (hex), status,
// response. Read when a retry arrives after the window closed, to replay what was committed.
inline constexpr const char* state_stored_response =
    "SELECT encode(request_hash, 'hex'), status, response FROM idempotency_keys"
    " WHERE candidate_id = $1 AND key = $2";

// Purges the drill's data written before the drill closed ($1, unix seconds): drafts, current
// and past submissions.
inline constexpr const char* state_purge_drill =
    "WITH d AS (DELETE FROM drafts WHERE drill AND updated_at < to_timestamp($1) RETURNING 1),"
    " a AS (DELETE FROM applications WHERE drill AND accepted_at < to_timestamp($1)"
    "   RETURNING 1),"
    " h AS (DELETE FROM application_history WHERE drill AND accepted_at < to_timestamp($1)"
    "   RETURNING 1)"
    " SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM a) + (SELECT count(*) FROM h)";

// ---- Accounts: passwords, pledge, logout, profile writes (storage/auth_store.cpp) ----

// Both new password hashes at once; the first-login flag clears.
inline constexpr const char* auth_set_passwords =
    "UPDATE candidates SET login_hash = $2, save_hash = $3, must_set_passwords = false,"
    " version = version + 1 WHERE candidate_id = $1";
// The pledge's first acceptance time sticks ($2: unix seconds on the filing clock).
inline constexpr const char* auth_pledge =
    "UPDATE candidates SET pledge_at = coalesce(pledge_at, to_timestamp($2))"
    " WHERE candidate_id = $1"
    " RETURNING (extract(epoch FROM pledge_at) * 1000000)::bigint";
// Every other live session of the candidate (after a password change).
inline constexpr const char* auth_revoke_other_sessions =
    "UPDATE sessions SET revoked_at = now() WHERE candidate_id = $1 AND token_hash <> $2"
    " AND revoked_at IS NULL";
inline constexpr const char* auth_revoke_session =
    "UPDATE sessions SET revoked_at = now() WHERE candidate_id = $1 AND token_hash = $2"
    " AND revoked_at IS NULL";
// Newest first; $2 rows at most.
inline constexpr const char* auth_login_history =
    "SELECT (extract(epoch FROM at) * 1000000)::bigint, coalesce(host(ip), ''),"
    " coalesce(user_agent, ''), outcome FROM login_history WHERE candidate_id = $1"
    " ORDER BY at DESC, seq DESC LIMIT $2";
// The profile: facts, confirmations, contact, and the filing status of every batch (real or
// drill rows by $2).
inline constexpr const char* auth_profile =
    "SELECT c.exam_no, c.name, c.id_number, s.code, s.name,"
    " (extract(epoch FROM c.household_confirmed_at) * 1000000)::bigint,"
    " (extract(epoch FROM c.physical_exam_confirmed_at) * 1000000)::bigint,"
    " coalesce(c.phone, ''), coalesce(c.address::text, ''), c.version,"
    " (extract(epoch FROM c.pledge_at) * 1000000)::bigint, c.must_set_passwords,"
    " (SELECT string_agg(a.batch || ':' || a.version, ',') FROM applications a"
    "   WHERE a.candidate_id = c.candidate_id AND a.drill = $2),"
    " (SELECT string_agg(d.batch || ':' || d.version, ',') FROM drafts d"
    "   WHERE d.candidate_id = c.candidate_id AND d.drill = $2),"
    " (SELECT count(*) FROM visible_notices(c.candidate_id) v WHERE NOT EXISTS (SELECT 1"
    "   FROM notice_reads r WHERE r.candidate_id = c.candidate_id"
    "   AND r.notice_id = v.notice_id))"
    " FROM candidates c JOIN units s ON s.id = c.school_id WHERE c.candidate_id = $1";

}  // namespace zhiyuan::storage::sql
