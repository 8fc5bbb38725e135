#pragma once

// Every SQL statement the server sends, as a named constant (see STYLE.md: SQL in one place).
// The tools' own statements are apart: reconciliation in storage/sql/reconcile.hpp, the
// synthetic province's bulk load beside its loader (province/province_loader.cpp).

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
// For records whose loss in a crash harms nobody (failed sign-ins): commit without waiting
// for the WAL flush.
inline constexpr const char* auth_async_commit = "SET LOCAL synchronous_commit TO off";
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

// Sign-ins (not keyed: a rerun after an unknown commit outcome finds the session and writes
// nothing twice): the sessions, a login record for each session inserted here, and each
// candidate's sign-in during the open filing windows of batches $6 (smallint[] literals, maybe
// "{}") for the offices' statistics, counted once per batch. Every input row is returned.
inline constexpr const char* writer_apply_sign_in =
    "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[],"
    "   $5::text[], $6::text[]) AS t(candidate_id, token, expires_s, ip, agent, windows)),"
    " session AS (INSERT INTO sessions (candidate_id, token_hash, expires_at, ip, user_agent)"
    "   SELECT candidate_id, decode(token, 'hex'), to_timestamp(expires_s), nullif(ip, '')::inet,"
    "   agent FROM input ON CONFLICT DO NOTHING RETURNING candidate_id, ip, user_agent),"
    " login AS (INSERT INTO login_history (candidate_id, ip, user_agent, outcome)"
    "   SELECT candidate_id, ip, user_agent, 'ok' FROM session),"
    " windows AS (INSERT INTO window_logins (candidate_id, batch)"
    "   SELECT i.candidate_id, b FROM input i, unnest(i.windows::smallint[]) b"
    "   ON CONFLICT DO NOTHING)"
    " SELECT candidate_id, 0::bigint, NULL::bytea,"
    " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM input";

// The pledge: its first acceptance time ($2, unix µs on the filing clock) sticks; returned as
// the fifth column.
inline constexpr const char* writer_apply_pledge =
    "UPDATE candidates c"
    " SET pledge_at = coalesce(c.pledge_at, 'epoch'::timestamptz + i.accepted_us * interval '1 "
    "microsecond')"
    " FROM unnest($1::bigint[], $2::bigint[]) AS i(candidate_id, accepted_us)"
    " WHERE c.candidate_id = i.candidate_id"
    " RETURNING c.candidate_id, 0::bigint, NULL::bytea,"
    " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,"
    " (extract(epoch FROM c.pledge_at) * 1000000)::bigint";

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

// ---- Accounts: passwords, logout, profile writes (storage/auth_store.cpp) ----

// Both new password hashes at once; the first-login flag clears.
inline constexpr const char* auth_set_passwords =
    "UPDATE candidates SET login_hash = $2, save_hash = $3, must_set_passwords = false,"
    " version = version + 1 WHERE candidate_id = $1";
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

// ---- Admin API (storage/admin_store.cpp) ----
// Scope is enforced here, in every statement that touches candidates, units, accounts or the
// audit log: a row is visible when its unit lies inside the acting admin's unit, by the
// pre-order interval of units (x inside u when u.lo <= x.lo AND x.hi <= u.hi). $-numbered
// parameters named "actor unit" are always the unit of the signed-in admin, from the session.

// An account by user name, with whether address $2 may sign in: inside one of the global
// networks $3 (a cidr[] literal) or one listed for the account's unit or a unit above it.
inline constexpr const char* admin_find_login =
    "SELECT a.admin_id, a.password_hash, a.role, a.unit_id, a.must_change_password, a.disabled,"
    " coalesce($2::inet <<= ANY ($3::cidr[]) OR EXISTS (SELECT 1 FROM admin_unit_networks n"
    "   JOIN units nu ON nu.id = n.unit_id JOIN units au ON au.id = a.unit_id"
    "   WHERE nu.lo <= au.lo AND au.hi <= nu.hi AND $2::inet <<= n.network), false)"
    " FROM admin_users a WHERE a.username = $1";
// Whether address $1 lies inside one of the global networks $2 (for unknown user names).
inline constexpr const char* admin_trusted_global =
    "SELECT coalesce($1::inet <<= ANY ($2::cidr[]), false)";
// One live session per account: a new sign-in replaces the previous row (its token dies).
inline constexpr const char* admin_upsert_session =
    "INSERT INTO admin_sessions (admin_id, token_hash, ip) VALUES ($1, $2, $3::inet)"
    " ON CONFLICT (admin_id) DO UPDATE SET token_hash = excluded.token_hash,"
    " created_at = now(), last_seen_at = now(), ip = excluded.ip";
// The session of token hash $1 if used within the last $2 seconds, refreshed; with the
// account (enabled only) and its unit's interval.
inline constexpr const char* admin_touch_session =
    "UPDATE admin_sessions s SET last_seen_at = now() FROM admin_users a, units u"
    " WHERE s.token_hash = $1 AND a.admin_id = s.admin_id AND u.id = a.unit_id"
    " AND NOT a.disabled AND s.last_seen_at > now() - make_interval(secs => $2)"
    " RETURNING a.admin_id, a.username, a.role, a.unit_id, u.level, u.code, u.name,"
    " a.must_change_password";
inline constexpr const char* admin_delete_session =
    "DELETE FROM admin_sessions WHERE admin_id = $1";
inline constexpr const char* admin_password_hash =
    "SELECT password_hash FROM admin_users WHERE admin_id = $1";
inline constexpr const char* admin_set_own_password =
    "UPDATE admin_users SET password_hash = $2, must_change_password = false"
    " WHERE admin_id = $1";

// Appends one audit row. $1 actor kind, $2 actor id, $3 unit, $4 action, $5 target,
// $6 detail (JSON text or NULL), $7 address.
inline constexpr const char* admin_audit =
    "INSERT INTO audit_log (actor_kind, actor_id, unit_id, action, target, detail, ip)"
    " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::inet)";

// A unit inside the actor's unit $2: id $1 → level, code, name, parent.
inline constexpr const char* admin_unit_in_scope =
    "SELECT u.id, u.level, u.code, u.name FROM units u JOIN units a ON a.id = $2"
    " AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1";
// A unit inside the actor's unit $2 by code $1.
inline constexpr const char* admin_unit_code_in_scope =
    "SELECT u.id, u.level, u.code, u.name FROM units u JOIN units a ON a.id = $2"
    " AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.code = $1";

// Folds the counters' deltas (storage: migration 0007).
inline constexpr const char* admin_fold_counts = "SELECT filing_counts_fold()";
// Statistics of batch $2 for unit $1 (inside the actor's unit $3) and each direct child:
// counts plus the deltas not folded yet. The unit itself comes first.
inline constexpr const char* admin_stats =
    "WITH target AS (SELECT u.* FROM units u JOIN units a ON a.id = $3"
    "   AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1),"
    " rows AS (SELECT t.id, t.level, t.code, t.name, 0 AS ord, t.lo, t.hi FROM target t"
    "   UNION ALL SELECT c.id, c.level, c.code, c.name, 1, c.lo, c.hi FROM units c"
    "   JOIN target t ON c.parent_id = t.id),"
    " f AS (SELECT school_id, eligible, logged_in, drafted, submitted, drafted_submitted"
    "   FROM filing_counts WHERE batch = $2 UNION ALL"
    "   SELECT school_id, eligible, logged_in, drafted, submitted, drafted_submitted"
    "   FROM filing_deltas WHERE batch = $2),"
    " per_school AS (SELECT s.lo, sum(f.eligible) AS e, sum(f.logged_in) AS l,"
    "   sum(f.drafted) AS d, sum(f.submitted) AS s, sum(f.drafted_submitted) AS ds"
    "   FROM f JOIN units s ON s.id = f.school_id JOIN target t ON t.lo <= s.lo AND s.hi <= t.hi"
    "   GROUP BY s.lo)"
    " SELECT r.id, r.level, r.code, r.name, coalesce(sum(p.e), 0)::bigint,"
    " coalesce(sum(p.l), 0)::bigint, coalesce(sum(p.d), 0)::bigint,"
    " coalesce(sum(p.s), 0)::bigint, coalesce(sum(p.ds), 0)::bigint"
    " FROM rows r LEFT JOIN per_school p ON r.lo <= p.lo AND p.lo <= r.hi"
    " GROUP BY r.id, r.level, r.code, r.name, r.ord ORDER BY r.ord, r.code";
// Real formal submissions of batch $2 committed per hour (every saved version), in unit $1
// inside the actor's unit $3: hour (unix seconds), count.
inline constexpr const char* admin_stats_timeline =
    "SELECT extract(epoch FROM date_trunc('hour', h.committed_at))::bigint, count(*)"
    " FROM units a JOIN units u ON u.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi"
    " JOIN units s ON s.level = 3 AND u.lo <= s.lo AND s.hi <= u.hi"
    " JOIN candidates c ON c.school_id = s.id"
    " JOIN application_history h ON h.candidate_id = c.candidate_id AND h.batch = $2"
    "   AND NOT h.drill"
    " WHERE a.id = $3 GROUP BY 1 ORDER BY 1";

// Eligible candidates of batch $2 in unit $1 (inside the actor's unit $3) without a real
// formal submission, after candidate $4, at most $5: id, exam number, name, ID number (masked
// by the caller), school code and name, phone, last successful sign-in (unix µs or NULL),
// whether a real draft exists, recorded reason and note.
inline constexpr const char* admin_unfiled =
    "SELECT c.candidate_id, c.exam_no, c.name, c.id_number, s.code, s.name,"
    " coalesce(c.phone, ''),"
    " (SELECT (extract(epoch FROM max(l.at)) * 1000000)::bigint FROM login_history l"
    "   WHERE l.candidate_id = c.candidate_id AND l.outcome = 'ok'),"
    " EXISTS (SELECT 1 FROM drafts d WHERE d.candidate_id = c.candidate_id AND d.batch = $2"
    "   AND NOT d.drill),"
    " r.reason, coalesce(r.note, '')"
    " FROM units a JOIN units u ON u.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi"
    " JOIN units s ON s.level = 3 AND u.lo <= s.lo AND s.hi <= u.hi"
    " JOIN candidates c ON c.school_id = s.id"
    " LEFT JOIN unfiled_reasons r ON r.candidate_id = c.candidate_id AND r.batch = $2"
    " WHERE a.id = $3 AND c.eligible & (1 << $2::int) <> 0 AND c.candidate_id > $4"
    " AND NOT EXISTS (SELECT 1 FROM applications p WHERE p.candidate_id = c.candidate_id"
    "   AND p.batch = $2 AND NOT p.drill)"
    " ORDER BY c.candidate_id LIMIT $5";

// One candidate by exam number $1 inside the actor's unit $2: id, exam number, name, ID number
// (masked by the caller), school code and name, phone, eligibility bits, must set passwords,
// last successful sign-in (unix µs or NULL), then per batch (real rows only)
// "batch:version:committed µs" of the formal choices, "batch:version" of drafts and
// "batch:reason" of recorded reasons.
inline constexpr const char* admin_candidate =
    "SELECT c.candidate_id, c.exam_no, c.name, c.id_number, s.code, s.name,"
    " coalesce(c.phone, ''), c.eligible, c.must_set_passwords,"
    " (SELECT (extract(epoch FROM max(l.at)) * 1000000)::bigint FROM login_history l"
    "   WHERE l.candidate_id = c.candidate_id AND l.outcome = 'ok'),"
    " (SELECT string_agg(p.batch || ':' || p.version || ':'"
    "   || (extract(epoch FROM p.committed_at) * 1000000)::bigint, ',') FROM applications p"
    "   WHERE p.candidate_id = c.candidate_id AND NOT p.drill),"
    " (SELECT string_agg(d.batch || ':' || d.version, ',') FROM drafts d"
    "   WHERE d.candidate_id = c.candidate_id AND NOT d.drill),"
    " (SELECT string_agg(r.batch || ':' || r.reason, ',') FROM unfiled_reasons r"
    "   WHERE r.candidate_id = c.candidate_id),"
    " s.id"
    " FROM candidates c JOIN units s ON s.id = c.school_id"
    " JOIN units a ON a.id = $2 AND a.lo <= s.lo AND s.hi <= a.hi WHERE c.exam_no = $1";
// Records why candidate $1 (exam number, inside the actor's unit $2) has not filed batch $3:
// reason $4, note $5, by admin $6. Returns the candidate's id.
inline constexpr const char* admin_put_reason =
    "INSERT INTO unfiled_reasons (candidate_id, batch, reason, note, recorded_by)"
    " SELECT c.candidate_id, $3::smallint, $4::smallint, nullif($5::text, ''), $6::integer"
    " FROM candidates c"
    " JOIN units s ON s.id = c.school_id JOIN units a ON a.id = $2"
    "   AND a.lo <= s.lo AND s.hi <= a.hi WHERE c.exam_no = $1"
    " ON CONFLICT (candidate_id, batch) DO UPDATE SET reason = excluded.reason,"
    " note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = now()"
    " RETURNING candidate_id";
// A one-time login password for candidate $1 (exam number, inside the actor's unit $2): the
// new hash $3, and the first-login flag so that the candidate must set new passwords. Returns
// the candidate's id and school.
inline constexpr const char* admin_reset_candidate_password =
    "UPDATE candidates c SET login_hash = $3, must_set_passwords = true, version = c.version + 1"
    " FROM units s, units a WHERE c.exam_no = $1 AND s.id = c.school_id AND a.id = $2"
    " AND a.lo <= s.lo AND s.hi <= a.hi RETURNING c.candidate_id, c.school_id";
// Ends every session of candidate $1.
inline constexpr const char* admin_revoke_candidate_sessions =
    "UPDATE sessions SET revoked_at = now() WHERE candidate_id = $1 AND revoked_at IS NULL";

// Accounts whose unit lies inside the actor's unit $1, after admin $2, at most $3.
inline constexpr const char* admin_list_users =
    "SELECT t.admin_id, t.username, t.role, u.id, u.code, u.name, t.disabled,"
    " t.must_change_password, (extract(epoch FROM t.created_at) * 1000000)::bigint"
    " FROM admin_users t JOIN units u ON u.id = t.unit_id"
    " JOIN units a ON a.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi"
    " WHERE t.admin_id > $2 ORDER BY t.admin_id LIMIT $3";
// A new account in unit $2 (inside the actor's unit $5) with role $3 (at most the actor's
// $6) and hash $4; no row when the unit is out of scope or the name is taken.
inline constexpr const char* admin_create_user =
    "INSERT INTO admin_users (unit_id, username, role, password_hash, must_change_password)"
    " SELECT u.id, $1::text, $3::smallint, $4::text, true FROM units u JOIN units a ON a.id = $5"
    "   AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $2 AND $3::smallint <= $6::smallint"
    " ON CONFLICT (username) DO NOTHING RETURNING admin_id";
inline constexpr const char* admin_username_taken = "SELECT 1 FROM admin_users WHERE username = $1";
// Whether account $1 is one admin_update_user would change for the actor (unit $2, role $3):
// checked before an expensive password hash.
inline constexpr const char* admin_user_changeable =
    "SELECT 1 FROM admin_users t JOIN units u ON u.id = t.unit_id JOIN units a ON a.id = $2"
    " AND a.lo <= u.lo AND u.hi <= a.hi WHERE t.admin_id = $1 AND t.role <= $3::smallint"
    " AND (t.role < $3::smallint OR u.id <> a.id)";
// Changes account $1 inside the actor's unit $2 whose role is at most the actor's $3, and below
// it in the actor's own unit (a peer manager's account is managed one level up): disabled
// $4 (NULL: unchanged), role $5 (NULL: unchanged; at most $3), new hash $6 (NULL: unchanged;
// forces a change at next sign-in). Returns the account as admin_list_users does.
inline constexpr const char* admin_update_user =
    "WITH t AS (UPDATE admin_users t SET disabled = coalesce($4::boolean, t.disabled),"
    "   role = coalesce($5::smallint, t.role), password_hash = coalesce($6::text, t.password_hash),"
    "   must_change_password = t.must_change_password OR $6::text IS NOT NULL"
    "   FROM units u, units a WHERE t.admin_id = $1 AND u.id = t.unit_id AND a.id = $2"
    "   AND a.lo <= u.lo AND u.hi <= a.hi AND t.role <= $3::smallint"
    "   AND (t.role < $3::smallint OR u.id <> a.id) AND coalesce($5::smallint, 0) <= $3::smallint"
    "   RETURNING t.*)"
    " SELECT t.admin_id, t.username, t.role, u.id, u.code, u.name, t.disabled,"
    " t.must_change_password, (extract(epoch FROM t.created_at) * 1000000)::bigint"
    " FROM t JOIN units u ON u.id = t.unit_id";
// Creates an account without scope checks (the first province manager; zhiyuan-admin).
inline constexpr const char* admin_bootstrap_user =
    "INSERT INTO admin_users (unit_id, username, role, password_hash, must_change_password)"
    " SELECT id, $1::text, $3::smallint, $4::text, true FROM units WHERE code = $2"
    " RETURNING admin_id";
inline constexpr const char* admin_add_unit_network =
    "INSERT INTO admin_unit_networks (unit_id, network) VALUES ($1, $2::cidr)"
    " ON CONFLICT DO NOTHING";
inline constexpr const char* admin_add_unit_code_network =
    "INSERT INTO admin_unit_networks (unit_id, network) SELECT id, $2::cidr FROM units"
    " WHERE code = $1 ON CONFLICT DO NOTHING RETURNING unit_id";

// Audit rows inside the actor's unit $1 (rows without a unit: province admins only), newest
// first, below audit id $2 (NULL: from the newest), at most $3, filtered by unit subtree $4,
// actor $5, action $6, from $7 and to $8 (unix seconds), each NULL for any.
inline constexpr const char* admin_audit_list =
    "SELECT l.audit_id, (extract(epoch FROM l.at) * 1000000)::bigint, l.actor_kind,"
    " l.actor_id, coalesce(t.username, ''), l.unit_id, coalesce(lu.code, ''), l.action,"
    " coalesce(l.target, ''), coalesce(l.detail::text, ''), coalesce(host(l.ip), '')"
    " FROM audit_log l JOIN units a ON a.id = $1"
    " LEFT JOIN units lu ON lu.id = l.unit_id"
    " LEFT JOIN admin_users t ON l.actor_kind = 1 AND t.admin_id = l.actor_id"
    " WHERE (CASE WHEN lu.id IS NULL THEN a.level = 0 ELSE a.lo <= lu.lo AND lu.hi <= a.hi END)"
    " AND ($2::bigint IS NULL OR l.audit_id < $2)"
    " AND ($4::integer IS NULL OR EXISTS (SELECT 1 FROM units f WHERE f.id = $4"
    "   AND f.lo <= lu.lo AND lu.hi <= f.hi))"
    " AND ($5::bigint IS NULL OR (l.actor_kind = 1 AND l.actor_id = $5))"
    " AND ($6::text IS NULL OR l.action = $6)"
    " AND ($7::bigint IS NULL OR l.at >= to_timestamp($7))"
    " AND ($8::bigint IS NULL OR l.at < to_timestamp($8))"
    " ORDER BY l.audit_id DESC LIMIT $3";

// ---- Admin API, part 2: reminders, notices, documents, incidents, schedule, imports
// (storage/admin_ops_store.cpp). Same rule: the actor's unit scopes every statement.

// Whether unit $1 lies inside the actor's unit $2, and the seconds until it may be reminded
// about batch $3 again, reminders being at most one per $4 seconds (0: now). No row: out of
// scope.
inline constexpr const char* ops_reminder_wait =
    "SELECT ceil(greatest(0, extract(epoch FROM max(p.created_at)"
    "   + make_interval(secs => $4) - now())))::bigint"
    " FROM units u JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi"
    " LEFT JOIN notices p ON p.unit_id = u.id AND p.kind = 1 AND p.batch = $3"
    " WHERE u.id = $1 GROUP BY u.id";
// Serialises reminders of one unit and batch across nodes: key ($1 batch + 7000, $2 unit).
inline constexpr const char* ops_reminder_lock = "SELECT pg_advisory_xact_lock($1, $2)";
// A reminder (kind 1) of batch $3 to unit $1 (inside the actor's unit $2), title $4, body $5,
// by admin $6, addressed in the same statement to every candidate of the unit's subtree who is
// eligible for the batch and has no real formal submission: the notice id and the recipients.
inline constexpr const char* ops_send_reminder =
    "WITH target AS (SELECT u.id, u.lo, u.hi FROM units u JOIN units a ON a.id = $2"
    "   AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1),"
    " n AS (INSERT INTO notices (unit_id, kind, batch, title, body, created_by)"
    "   SELECT t.id, 1, $3::smallint, $4::text, $5::text, $6::integer FROM target t"
    "   RETURNING notice_id),"
    " r AS (INSERT INTO notice_recipients (candidate_id, notice_id)"
    "   SELECT c.candidate_id, n.notice_id FROM n CROSS JOIN target t"
    "   JOIN units s ON s.level = 3 AND t.lo <= s.lo AND s.hi <= t.hi"
    "   JOIN candidates c ON c.school_id = s.id"
    "   WHERE c.eligible & (1 << $3::int) <> 0"
    "   AND NOT EXISTS (SELECT 1 FROM applications p WHERE p.candidate_id = c.candidate_id"
    "     AND p.batch = $3::smallint AND NOT p.drill)"
    "   RETURNING 1)"
    " SELECT (SELECT notice_id FROM n), (SELECT count(*) FROM r)";
// An announcement (kind 0) to unit $1's subtree (inside the actor's unit $2), batch $3 (NULL:
// any), title $4, body $5, by admin $6: id and creation time (unix µs).
inline constexpr const char* ops_post_notice =
    "INSERT INTO notices (unit_id, kind, batch, title, body, created_by)"
    " SELECT u.id, 0, $3::smallint, $4::text, $5::text, $6::integer FROM units u"
    " JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1"
    " RETURNING notice_id, (extract(epoch FROM created_at) * 1000000)::bigint";
// Notices an office sees, newest first, below notice $2 (NULL: from the newest), at most $3:
// every notice to a unit inside the actor's unit $1, and the announcements of the units above
// it (what its candidates see too). Kind $4 (NULL: both). Id, kind, batch, title, body, time,
// unit id, code, name, author, recipients.
inline constexpr const char* ops_list_notices =
    "SELECT n.notice_id, n.kind, n.batch, n.title, n.body,"
    " (extract(epoch FROM n.created_at) * 1000000)::bigint, u.id, u.code, u.name,"
    " coalesce(w.username, ''),"
    " (SELECT count(*) FROM notice_recipients r WHERE r.notice_id = n.notice_id)"
    " FROM notices n JOIN units u ON u.id = n.unit_id JOIN units a ON a.id = $1"
    " LEFT JOIN admin_users w ON w.admin_id = n.created_by"
    " WHERE ((a.lo <= u.lo AND u.hi <= a.hi) OR (n.kind = 0 AND u.lo <= a.lo AND a.hi <= u.hi))"
    " AND ($2::bigint IS NULL OR n.notice_id < $2) AND ($4::smallint IS NULL OR n.kind = $4)"
    " ORDER BY n.notice_id DESC LIMIT $3";

// A document (province-wide): title $1, file name $2, type $3, size $4, bytes $5, by $6.
inline constexpr const char* ops_insert_document =
    "INSERT INTO documents (title, filename, content_type, size_bytes, content, uploaded_by)"
    " VALUES ($1, $2, $3, $4, $5, $6) RETURNING document_id,"
    " (extract(epoch FROM uploaded_at) * 1000000)::bigint";
// Documents newest first below id $1 (NULL: from the newest), at most $2, without content.
inline constexpr const char* ops_list_documents =
    "SELECT d.document_id, d.title, d.filename, d.content_type, d.size_bytes,"
    " (extract(epoch FROM d.uploaded_at) * 1000000)::bigint, coalesce(w.username, '')"
    " FROM documents d LEFT JOIN admin_users w ON w.admin_id = d.uploaded_by"
    " WHERE $1::bigint IS NULL OR d.document_id < $1 ORDER BY d.document_id DESC LIMIT $2";
inline constexpr const char* ops_document =
    "SELECT title, filename, content_type, content FROM documents WHERE document_id = $1";

// An incident (异常情况上报) of the actor's own unit $1: category $2, severity $3,
// description $4, by $5. Returns id and time.
inline constexpr const char* ops_report_incident =
    "INSERT INTO incidents (unit_id, category, severity, description, reported_by)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING incident_id,"
    " (extract(epoch FROM created_at) * 1000000)::bigint";
// Incidents of units inside the actor's unit $1 (its own and its descendants'), newest first,
// below id $2 (NULL: from the newest), at most $3, status $4 (NULL: any), only id $5 (NULL:
// any). Id, unit id, code, name, category, severity, description, status, time, reporter,
// events.
inline constexpr const char* ops_list_incidents =
    "SELECT i.incident_id, u.id, u.code, u.name, i.category, i.severity, i.description,"
    " i.status, (extract(epoch FROM i.created_at) * 1000000)::bigint, coalesce(w.username, ''),"
    " (SELECT count(*) FROM incident_events e WHERE e.incident_id = i.incident_id)"
    " FROM incidents i JOIN units u ON u.id = i.unit_id"
    " JOIN units a ON a.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi"
    " LEFT JOIN admin_users w ON w.admin_id = i.reported_by"
    " WHERE ($2::bigint IS NULL OR i.incident_id < $2) AND ($4::smallint IS NULL OR i.status = $4)"
    " AND ($5::bigint IS NULL OR i.incident_id = $5) ORDER BY i.incident_id DESC LIMIT $3";
// The events of incident $1, oldest first: id, kind, comment, time, actor.
inline constexpr const char* ops_incident_events =
    "SELECT e.event_id, e.kind, coalesce(e.comment, ''),"
    " (extract(epoch FROM e.at) * 1000000)::bigint, coalesce(w.username, '')"
    " FROM incident_events e LEFT JOIN admin_users w ON w.admin_id = e.actor"
    " WHERE e.incident_id = $1 ORDER BY e.event_id LIMIT 1000";
// Incident $1 if its unit lies inside the actor's unit $2 (the unit itself or an ancestor of
// it acts), locked for the event: status and unit code.
inline constexpr const char* ops_lock_incident =
    "SELECT i.status, u.code FROM incidents i JOIN units u ON u.id = i.unit_id"
    " JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi"
    " WHERE i.incident_id = $1 FOR UPDATE OF i";
inline constexpr const char* ops_set_incident_status =
    "UPDATE incidents SET status = $2 WHERE incident_id = $1";
// An event on incident $1 by admin $2: kind $3, comment $4. Returns id and time.
inline constexpr const char* ops_incident_event =
    "INSERT INTO incident_events (incident_id, actor, kind, comment) VALUES ($1, $2, $3,"
    " nullif($4, '')) RETURNING event_id, (extract(epoch FROM at) * 1000000)::bigint";

// The newest schedule revision: number and document (JSON text).
inline constexpr const char* ops_latest_schedule =
    "SELECT revision, document::text FROM schedule_revisions ORDER BY revision DESC LIMIT 1";
// One schedule change at a time on every node: a change names the revision it replaces.
inline constexpr const char* ops_schedule_lock = "SELECT pg_advisory_xact_lock(7253107)";
inline constexpr const char* ops_current_schedule_revision =
    "SELECT coalesce(max(revision), 0) FROM schedule_revisions";
inline constexpr const char* ops_insert_schedule =
    "INSERT INTO schedule_revisions (document, changed_by) VALUES ($1::jsonb, $2)"
    " RETURNING revision";

// Every unit (for an import of the tree): id, parent (0 for the root), level, code, name.
inline constexpr const char* ops_all_units =
    "SELECT id, coalesce(parent_id, 0), level, code, name FROM units";
// Writes the whole tree, its pre-order intervals rewritten: arrays (literals) of id, parent
// (0: none), level, code, name, lo, hi.
inline constexpr const char* ops_upsert_units =
    "INSERT INTO units (id, parent_id, level, code, name, lo, hi)"
    " SELECT x.id, nullif(x.parent, 0), x.level, x.code, x.name, x.lo, x.hi FROM unnest($1::int[],"
    " $2::int[], $3::smallint[], $4::text[], $5::text[], $6::int[], $7::int[])"
    " AS x(id, parent, level, code, name, lo, hi)"
    " ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, level = excluded.level,"
    " code = excluded.code, name = excluded.name, lo = excluded.lo, hi = excluded.hi";
// Candidates' denormalised county and city follow their school's place in the tree.
inline constexpr const char* ops_relink_candidates =
    "UPDATE candidates c SET county_id = s.parent_id, city_id = p.parent_id FROM units s"
    " JOIN units p ON p.id = s.parent_id WHERE s.id = c.school_id"
    " AND (c.county_id <> s.parent_id OR c.city_id <> p.parent_id)";
// Plans: colleges, groups (kept by college, group code, batch, track: their ids never change,
// forms refer to them) and majors (kept by group and code), each from array literals.
inline constexpr const char* ops_upsert_colleges =
    "INSERT INTO colleges (code, name, region, type) SELECT DISTINCT ON (x.code) x.code, x.name,"
    " x.region, x.type FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"
    " AS x(code, name, region, type)"
    " ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region,"
    " type = excluded.type";
inline constexpr const char* ops_upsert_groups =
    "INSERT INTO major_groups (group_id, college_code, group_code, batch, track, category,"
    " special_type, req_first, req_second_kind, req_subjects, plan_count)"
    " SELECT m.top + x.ord, x.college, x.code, x.batch, x.track, x.category, x.special,"
    " x.req_first, x.req_kind, x.req_subjects, x.plan FROM unnest($1::text[], $2::text[],"
    " $3::smallint[], $4::smallint[], $5::smallint[], $6::boolean[], $7::smallint[],"
    " $8::smallint[], $9::smallint[], $10::int[]) WITH ORDINALITY AS x(college, code, batch,"
    " track, category, special, req_first, req_kind, req_subjects, plan, ord)"
    " CROSS JOIN (SELECT coalesce(max(group_id), 0) AS top FROM major_groups) m"
    " ON CONFLICT (college_code, group_code, batch, track) DO UPDATE SET"
    " category = excluded.category, special_type = excluded.special_type,"
    " req_first = excluded.req_first, req_second_kind = excluded.req_second_kind,"
    " req_subjects = excluded.req_subjects, plan_count = excluded.plan_count";
inline constexpr const char* ops_upsert_majors =
    "INSERT INTO majors (group_id, code, name, plan_count, years, tuition)"
    " SELECT g.group_id, x.code, x.name, x.plan, x.years, x.tuition FROM unnest($1::text[],"
    " $2::text[], $3::smallint[], $4::smallint[], $5::text[], $6::text[], $7::int[],"
    " $8::smallint[], $9::int[]) AS x(college, grp, batch, track, code, name, plan, years,"
    " tuition) JOIN major_groups g ON g.college_code = x.college AND g.group_code = x.grp"
    " AND g.batch = x.batch AND g.track = x.track"
    " ON CONFLICT (group_id, code) DO UPDATE SET name = excluded.name,"
    " plan_count = excluded.plan_count, years = excluded.years, tuition = excluded.tuition";
// Scores: the ordinals (1-based positions in the arrays) of rows whose group is unknown.
inline constexpr const char* ops_unknown_score_groups =
    "SELECT x.ord FROM unnest($1::text[], $2::text[], $3::smallint[], $4::smallint[])"
    " WITH ORDINALITY AS x(college, grp, batch, track, ord) LEFT JOIN major_groups g"
    " ON g.college_code = x.college AND g.group_code = x.grp AND g.batch = x.batch"
    " AND g.track = x.track WHERE g.group_id IS NULL ORDER BY x.ord";
inline constexpr const char* ops_upsert_scores =
    "INSERT INTO historical_scores (group_id, year, min_score, min_rank, admitted)"
    " SELECT g.group_id, x.year, x.score, x.rank, x.admitted FROM unnest($1::text[], $2::text[],"
    " $3::smallint[], $4::smallint[], $5::smallint[], $6::smallint[], $7::int[], $8::int[])"
    " AS x(college, grp, batch, track, year, score, rank, admitted) JOIN major_groups g"
    " ON g.college_code = x.college AND g.group_code = x.grp AND g.batch = x.batch"
    " AND g.track = x.track ON CONFLICT (group_id, year) DO UPDATE SET"
    " min_score = excluded.min_score, min_rank = excluded.min_rank, admitted = excluded.admitted";
// One import at a time on every node, whatever its kind: import ids then commit in order (the
// snapshots of every node follow the newest applied id), new candidate ids follow the largest,
// and a units import never relinks while candidates are being added. Keys in use: 7253104
// migrations, 7253105 the counters' fold (migration 0007), 7253106 imports, 7253107 the
// schedule.
inline constexpr const char* ops_import_lock = "SELECT pg_advisory_xact_lock(7253106)";
// Nobody else changes the unit tree, or the plan's groups, during their import.
inline constexpr const char* ops_lock_units = "LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE";
inline constexpr const char* ops_lock_groups =
    "LOCK TABLE major_groups IN SHARE ROW EXCLUSIVE MODE";
// The ordinals of rows whose school code names no school-level unit.
inline constexpr const char* ops_unknown_schools =
    "SELECT x.ord FROM unnest($1::text[]) WITH ORDINALITY AS x(code, ord)"
    " LEFT JOIN units u ON u.code = x.code AND u.level = 3 WHERE u.id IS NULL ORDER BY x.ord";
// Rows that would change what an existing candidate's choices are checked against. Per row:
// the ordinal; whether category, track or electives change; whether eligibility changes;
// whether the candidate has a real formal submission; whether one of those is of a batch (or
// the special-type slot of 本科批, bit 16) the row no longer reaches. Arrays: exam, category,
// track, electives, eligible bits.
inline constexpr const char* ops_candidate_fact_changes =
    "SELECT x.ord, (x.cat, x.track, x.electives) IS DISTINCT FROM"
    " (c.category, c.track, c.electives), x.eligible <> c.eligible,"
    " EXISTS (SELECT 1 FROM applications a WHERE a.candidate_id = c.candidate_id AND NOT a.drill),"
    " EXISTS (SELECT 1 FROM applications a WHERE a.candidate_id = c.candidate_id AND NOT a.drill"
    " AND (x.eligible & (1 << a.batch) = 0 OR (a.batch = 1 AND c.eligible & 16 <> 0"
    " AND x.eligible & 16 = 0)))"
    " FROM unnest($1::char(14)[], $2::smallint[], $3::smallint[], $4::smallint[],"
    " $5::smallint[]) WITH ORDINALITY AS x(exam, cat, track, electives, eligible, ord)"
    " JOIN candidates c ON c.exam_no = x.exam"
    " WHERE (x.cat, x.track, x.electives) IS DISTINCT FROM (c.category, c.track, c.electives)"
    " OR x.eligible <> c.eligible ORDER BY x.ord";
// Upserts the rows of a candidates import (arrays: exam, name, ID number, school code,
// category, track, electives, score, rank (-1: none), eligible bits) by exam number and
// answers (updated, inserted). Existing candidates keep their passwords and state and are
// written only when something differs. New ones get ids after the largest and no usable login
// password ('!' verifies nothing) until their school's office issues a one-time password.
inline constexpr const char* ops_upsert_candidates =
    "WITH x AS (SELECT x.*, nullif(x.score_, -1) AS score, nullif(x.rank_, -1) AS rank,"
    " s.id AS school_id, s.parent_id AS county_id, p.parent_id AS city_id FROM unnest("
    "$1::char(14)[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::smallint[],"
    " $7::smallint[], $8::smallint[], $9::int[], $10::smallint[]) WITH ORDINALITY AS x(exam,"
    " name, id, school, cat, track, electives, score_, rank_, eligible, ord) JOIN units s"
    " ON s.code = x.school AND s.level = 3 JOIN units p ON p.id = s.parent_id),"
    " updated AS (UPDATE candidates c SET name = x.name, id_number = x.id,"
    " school_id = x.school_id, county_id = x.county_id, city_id = x.city_id, category = x.cat,"
    " track = x.track, electives = x.electives, score = x.score, rank = x.rank,"
    " eligible = x.eligible FROM x WHERE c.exam_no = x.exam AND (c.name, c.id_number,"
    " c.school_id, c.category, c.track, c.electives, c.score, c.rank, c.eligible)"
    " IS DISTINCT FROM (x.name, x.id, x.school_id, x.cat, x.track, x.electives, x.score, x.rank,"
    " x.eligible) RETURNING 1),"
    " inserted AS (INSERT INTO candidates (candidate_id, exam_no, name, id_number, school_id,"
    " county_id, city_id, category, track, electives, score, rank, eligible, login_hash,"
    " must_set_passwords) SELECT (SELECT coalesce(max(candidate_id), 0) FROM candidates)"
    " + row_number() OVER (ORDER BY x.ord), x.exam, x.name, x.id, x.school_id, x.county_id,"
    " x.city_id, x.cat, x.track, x.electives, x.score, x.rank, x.eligible, '!', true FROM x"
    " WHERE NOT EXISTS (SELECT 1 FROM candidates c WHERE c.exam_no = x.exam) RETURNING 1)"
    " SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM inserted)";
// The newest applied import of each kind (the snapshots of every node follow them).
inline constexpr const char* ops_applied_imports =
    "SELECT kind, max(import_id) FROM import_runs WHERE applied GROUP BY kind";
// The record of an import: kind $1, admin $2, unit $3, rows $4, applied $5, error report $6.
inline constexpr const char* ops_record_import =
    "INSERT INTO import_runs (kind, admin_id, unit_id, rows, applied, errors_csv)"
    " VALUES ($1, $2, $3, $4, $5, $6) RETURNING import_id";
// An import's error report, for an admin of the importing unit or above ($2: actor unit).
inline constexpr const char* ops_import_errors =
    "SELECT r.kind, r.errors_csv FROM import_runs r JOIN units u ON u.id = r.unit_id"
    " JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi WHERE r.import_id = $1";

}  // namespace zhiyuan::storage::sql
