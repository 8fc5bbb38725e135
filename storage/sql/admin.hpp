#pragma once

// SQL of the admin API (storage/admin_store.cpp).
// Scope is enforced here, in every statement that touches candidates, units, accounts or the
// audit log: a row is visible when its unit lies inside the acting admin's unit, by the
// pre-order interval of units (x inside u when u.lo <= x.lo AND x.hi <= u.hi). $-numbered
// parameters named "actor unit" are always the unit of the signed-in admin, from the session.

namespace zhiyuan::storage::sql {

// An account by user name, with whether address $2 may sign in: inside one of the global
// networks $3 (a cidr[] literal) or one listed for the account's unit or a unit above it.
inline constexpr const char* admin_find_login = R"~(
    SELECT a.admin_id, a.password_hash, a.role, a.unit_id, a.must_change_password, a.disabled,
    coalesce($2::inet <<= ANY ($3::cidr[]) OR EXISTS (SELECT 1 FROM admin_unit_networks n
      JOIN units nu ON nu.id = n.unit_id JOIN units au ON au.id = a.unit_id
      WHERE nu.lo <= au.lo AND au.hi <= nu.hi AND $2::inet <<= n.network), false)
    FROM admin_users a WHERE a.username = $1
)~";

// Whether address $1 lies inside one of the global networks $2 (for unknown user names).
inline constexpr const char* admin_trusted_global =
    "SELECT coalesce($1::inet <<= ANY ($2::cidr[]), false)";

// One live session per account: a new sign-in replaces the previous row (its token dies).
inline constexpr const char* admin_upsert_session = R"~(
    INSERT INTO admin_sessions (admin_id, token_hash, ip) VALUES ($1, $2, $3::inet)
    ON CONFLICT (admin_id) DO UPDATE SET token_hash = excluded.token_hash,
    created_at = now(), last_seen_at = now(), ip = excluded.ip
)~";

// The session of token hash $1 if used within the last $2 seconds, refreshed; with the
// account (enabled only) and its unit's interval.
inline constexpr const char* admin_touch_session = R"~(
    UPDATE admin_sessions s SET last_seen_at = now() FROM admin_users a, units u
    WHERE s.token_hash = $1 AND a.admin_id = s.admin_id AND u.id = a.unit_id
    AND NOT a.disabled AND s.last_seen_at > now() - make_interval(secs => $2)
    RETURNING a.admin_id, a.username, a.role, a.unit_id, u.level, u.code, u.name,
    a.must_change_password
)~";

inline constexpr const char* admin_delete_session =
    "DELETE FROM admin_sessions WHERE admin_id = $1";

inline constexpr const char* admin_password_hash =
    "SELECT password_hash FROM admin_users WHERE admin_id = $1";

inline constexpr const char* admin_set_own_password = R"~(
    UPDATE admin_users SET password_hash = $2, must_change_password = false
    WHERE admin_id = $1
)~";

// Appends one audit row. $1 actor kind, $2 actor id, $3 unit, $4 action, $5 target,
// $6 detail (JSON text or NULL), $7 address.
inline constexpr const char* admin_audit = R"~(
    INSERT INTO audit_log (actor_kind, actor_id, unit_id, action, target, detail, ip)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::inet)
)~";

// A unit inside the actor's unit $2: id $1 → level, code, name, parent.
inline constexpr const char* admin_unit_in_scope = R"~(
    SELECT u.id, u.level, u.code, u.name FROM units u JOIN units a ON a.id = $2
    AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1
)~";

// A unit inside the actor's unit $2 by code $1.
inline constexpr const char* admin_unit_code_in_scope = R"~(
    SELECT u.id, u.level, u.code, u.name FROM units u JOIN units a ON a.id = $2
    AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.code = $1
)~";

// Folds the counters' deltas (storage: migration 0007).
inline constexpr const char* admin_fold_counts = "SELECT filing_counts_fold()";

// Statistics of batch $2 for unit $1 (inside the actor's unit $3) and each direct child:
// counts plus the deltas not folded yet. The unit itself comes first.
inline constexpr const char* admin_stats = R"~(
    WITH target AS (SELECT u.* FROM units u JOIN units a ON a.id = $3
      AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1),
    rows AS (SELECT t.id, t.level, t.code, t.name, 0 AS ord, t.lo, t.hi FROM target t
      UNION ALL SELECT c.id, c.level, c.code, c.name, 1, c.lo, c.hi FROM units c
      JOIN target t ON c.parent_id = t.id),
    f AS (SELECT school_id, eligible, logged_in, drafted, submitted, drafted_submitted
      FROM filing_counts WHERE batch = $2 UNION ALL
      SELECT school_id, eligible, logged_in, drafted, submitted, drafted_submitted
      FROM filing_deltas WHERE batch = $2),
    per_school AS (SELECT s.lo, sum(f.eligible) AS e, sum(f.logged_in) AS l,
      sum(f.drafted) AS d, sum(f.submitted) AS s, sum(f.drafted_submitted) AS ds
      FROM f JOIN units s ON s.id = f.school_id JOIN target t ON t.lo <= s.lo AND s.hi <= t.hi
      GROUP BY s.lo)
    SELECT r.id, r.level, r.code, r.name, coalesce(sum(p.e), 0)::bigint,
    coalesce(sum(p.l), 0)::bigint, coalesce(sum(p.d), 0)::bigint,
    coalesce(sum(p.s), 0)::bigint, coalesce(sum(p.ds), 0)::bigint
    FROM rows r LEFT JOIN per_school p ON r.lo <= p.lo AND p.lo <= r.hi
    GROUP BY r.id, r.level, r.code, r.name, r.ord ORDER BY r.ord, r.code
)~";

// Real formal submissions of batch $2 committed per hour (every saved version), in unit $1
// inside the actor's unit $3, the hours on the filing clock (commit time plus $4 seconds):
// hour (unix seconds), count.
inline constexpr const char* admin_stats_timeline = R"~(
    SELECT extract(epoch FROM date_trunc('hour', h.committed_at + make_interval(secs => $4)))::bigint,
    count(*)
    FROM units a JOIN units u ON u.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi
    JOIN units s ON s.level = 3 AND u.lo <= s.lo AND s.hi <= u.hi
    JOIN candidates c ON c.school_id = s.id
    JOIN application_history h ON h.candidate_id = c.candidate_id AND h.batch = $2
      AND NOT h.drill
    WHERE a.id = $3 GROUP BY 1 ORDER BY 1
)~";

// Eligible candidates of batch $2 in unit $1 (inside the actor's unit $3) without a real
// formal submission, after candidate $4, at most $5: id, exam number, name, ID number (masked
// by the caller), school code and name, phone, last successful sign-in (unix µs or NULL),
// whether a real draft exists, recorded reason and note.
inline constexpr const char* admin_unfiled = R"~(
    SELECT c.candidate_id, c.exam_no, c.name, c.id_number, s.code, s.name,
    coalesce(c.phone, ''),
    (SELECT (extract(epoch FROM max(l.at)) * 1000000)::bigint FROM login_history l
      WHERE l.candidate_id = c.candidate_id AND l.outcome = 'ok'),
    EXISTS (SELECT 1 FROM drafts d WHERE d.candidate_id = c.candidate_id AND d.batch = $2
      AND NOT d.drill),
    r.reason, coalesce(r.note, '')
    FROM units a JOIN units u ON u.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi
    JOIN units s ON s.level = 3 AND u.lo <= s.lo AND s.hi <= u.hi
    JOIN candidates c ON c.school_id = s.id
    LEFT JOIN unfiled_reasons r ON r.candidate_id = c.candidate_id AND r.batch = $2
    WHERE a.id = $3 AND c.eligible & (1 << $2::int) <> 0 AND c.candidate_id > $4
    AND NOT EXISTS (SELECT 1 FROM applications p WHERE p.candidate_id = c.candidate_id
      AND p.batch = $2 AND NOT p.drill)
    ORDER BY c.candidate_id LIMIT $5
)~";

// One candidate by exam number $1 inside the actor's unit $2: id, exam number, name, ID number
// (masked by the caller), school code and name, phone, eligibility bits, must set passwords,
// last successful sign-in (unix µs or NULL), then per batch (real rows only)
// "batch:version:committed µs" of the formal choices, "batch:version" of drafts and
// "batch:reason" of recorded reasons.
inline constexpr const char* admin_candidate = R"~(
    SELECT c.candidate_id, c.exam_no, c.name, c.id_number, s.code, s.name,
    coalesce(c.phone, ''), c.eligible, c.must_set_passwords,
    (SELECT (extract(epoch FROM max(l.at)) * 1000000)::bigint FROM login_history l
      WHERE l.candidate_id = c.candidate_id AND l.outcome = 'ok'),
    (SELECT string_agg(p.batch || ':' || p.version || ':'
      || (extract(epoch FROM p.committed_at) * 1000000)::bigint, ',') FROM applications p
      WHERE p.candidate_id = c.candidate_id AND NOT p.drill),
    (SELECT string_agg(d.batch || ':' || d.version, ',') FROM drafts d
      WHERE d.candidate_id = c.candidate_id AND NOT d.drill),
    (SELECT string_agg(r.batch || ':' || r.reason, ',') FROM unfiled_reasons r
      WHERE r.candidate_id = c.candidate_id),
    s.id
    FROM candidates c JOIN units s ON s.id = c.school_id
    JOIN units a ON a.id = $2 AND a.lo <= s.lo AND s.hi <= a.hi WHERE c.exam_no = $1
)~";

// Records why candidate $1 (exam number, inside the actor's unit $2) has not filed batch $3:
// reason $4, note $5, by admin $6. Returns the candidate's id.
inline constexpr const char* admin_put_reason = R"~(
    INSERT INTO unfiled_reasons (candidate_id, batch, reason, note, recorded_by)
    SELECT c.candidate_id, $3::smallint, $4::smallint, nullif($5::text, ''), $6::integer
    FROM candidates c
    JOIN units s ON s.id = c.school_id JOIN units a ON a.id = $2
      AND a.lo <= s.lo AND s.hi <= a.hi WHERE c.exam_no = $1
    ON CONFLICT (candidate_id, batch) DO UPDATE SET reason = excluded.reason,
    note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = now()
    RETURNING candidate_id
)~";

// A one-time login password for candidate $1 (exam number, inside the actor's unit $2): the
// new hash $3, and the first-login flag so that the candidate must set new passwords. Returns
// the candidate's id and school.
inline constexpr const char* admin_reset_candidate_password = R"~(
    UPDATE candidates c SET login_hash = $3, must_set_passwords = true, version = c.version + 1
    FROM units s, units a WHERE c.exam_no = $1 AND s.id = c.school_id AND a.id = $2
    AND a.lo <= s.lo AND s.hi <= a.hi RETURNING c.candidate_id, c.school_id
)~";

// Ends every session of candidate $1.
inline constexpr const char* admin_revoke_candidate_sessions =
    "UPDATE sessions SET revoked_at = now() WHERE candidate_id = $1 AND revoked_at IS NULL";

// Accounts whose unit lies inside the actor's unit $1, after admin $2, at most $3.
inline constexpr const char* admin_list_users = R"~(
    SELECT t.admin_id, t.username, t.role, u.id, u.code, u.name, t.disabled,
    t.must_change_password, (extract(epoch FROM t.created_at) * 1000000)::bigint
    FROM admin_users t JOIN units u ON u.id = t.unit_id
    JOIN units a ON a.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi
    WHERE t.admin_id > $2 ORDER BY t.admin_id LIMIT $3
)~";

// A new account in unit $2 (inside the actor's unit $5) with role $3 (at most the actor's
// $6) and hash $4; no row when the unit is out of scope or the name is taken.
inline constexpr const char* admin_create_user = R"~(
    INSERT INTO admin_users (unit_id, username, role, password_hash, must_change_password)
    SELECT u.id, $1::text, $3::smallint, $4::text, true FROM units u JOIN units a ON a.id = $5
      AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $2 AND $3::smallint <= $6::smallint
    ON CONFLICT (username) DO NOTHING RETURNING admin_id
)~";

inline constexpr const char* admin_username_taken = "SELECT 1 FROM admin_users WHERE username = $1";

// Whether account $1 is one admin_update_user would change for the actor (unit $2, role $3):
// checked before an expensive password hash.
inline constexpr const char* admin_user_changeable = R"~(
    SELECT 1 FROM admin_users t JOIN units u ON u.id = t.unit_id JOIN units a ON a.id = $2
    AND a.lo <= u.lo AND u.hi <= a.hi WHERE t.admin_id = $1 AND t.role <= $3::smallint
    AND (t.role < $3::smallint OR u.id <> a.id)
)~";

// Changes account $1 inside the actor's unit $2 whose role is at most the actor's $3, and below
// it in the actor's own unit (a peer manager's account is managed one level up): disabled
// $4 (NULL: unchanged), role $5 (NULL: unchanged; at most $3), new hash $6 (NULL: unchanged;
// forces a change at next sign-in). Returns the account as admin_list_users does.
inline constexpr const char* admin_update_user = R"~(
    WITH t AS (UPDATE admin_users t SET disabled = coalesce($4::boolean, t.disabled),
      role = coalesce($5::smallint, t.role), password_hash = coalesce($6::text, t.password_hash),
      must_change_password = t.must_change_password OR $6::text IS NOT NULL
      FROM units u, units a WHERE t.admin_id = $1 AND u.id = t.unit_id AND a.id = $2
      AND a.lo <= u.lo AND u.hi <= a.hi AND t.role <= $3::smallint
      AND (t.role < $3::smallint OR u.id <> a.id) AND coalesce($5::smallint, 0) <= $3::smallint
      RETURNING t.*)
    SELECT t.admin_id, t.username, t.role, u.id, u.code, u.name, t.disabled,
    t.must_change_password, (extract(epoch FROM t.created_at) * 1000000)::bigint
    FROM t JOIN units u ON u.id = t.unit_id
)~";

// Creates an account without scope checks (the first province manager; zhiyuan-admin).
inline constexpr const char* admin_bootstrap_user = R"~(
    INSERT INTO admin_users (unit_id, username, role, password_hash, must_change_password)
    SELECT id, $1::text, $3::smallint, $4::text, true FROM units WHERE code = $2
    RETURNING admin_id
)~";

inline constexpr const char* admin_add_unit_network = R"~(
    INSERT INTO admin_unit_networks (unit_id, network) VALUES ($1, $2::cidr)
    ON CONFLICT DO NOTHING
)~";

inline constexpr const char* admin_add_unit_code_network = R"~(
    INSERT INTO admin_unit_networks (unit_id, network) SELECT id, $2::cidr FROM units
    WHERE code = $1 ON CONFLICT DO NOTHING RETURNING unit_id
)~";

// Audit rows inside the actor's unit $1 (rows without a unit: province admins only), newest
// first, below audit id $2 (NULL: from the newest), at most $3, filtered by unit subtree $4,
// actor $5, action $6, from $7 and to $8 (unix seconds), each NULL for any.
inline constexpr const char* admin_audit_list = R"~(
    SELECT l.audit_id, (extract(epoch FROM l.at) * 1000000)::bigint, l.actor_kind,
    l.actor_id, coalesce(t.username, ''), l.unit_id, coalesce(lu.code, ''), l.action,
    coalesce(l.target, ''), coalesce(l.detail::text, ''), coalesce(host(l.ip), '')
    FROM audit_log l JOIN units a ON a.id = $1
    LEFT JOIN units lu ON lu.id = l.unit_id
    LEFT JOIN admin_users t ON l.actor_kind = 1 AND t.admin_id = l.actor_id
    WHERE (CASE WHEN lu.id IS NULL THEN a.level = 0 ELSE a.lo <= lu.lo AND lu.hi <= a.hi END)
    AND ($2::bigint IS NULL OR l.audit_id < $2)
    AND ($4::integer IS NULL OR EXISTS (SELECT 1 FROM units f WHERE f.id = $4
      AND f.lo <= lu.lo AND lu.hi <= f.hi))
    AND ($5::bigint IS NULL OR (l.actor_kind = 1 AND l.actor_id = $5))
    AND ($6::text IS NULL OR l.action = $6)
    AND ($7::bigint IS NULL OR l.at >= to_timestamp($7))
    AND ($8::bigint IS NULL OR l.at < to_timestamp($8))
    ORDER BY l.audit_id DESC LIMIT $3
)~";

}  // namespace zhiyuan::storage::sql
