#pragma once

// SQL of sign-in, sessions and accounts: passwords, logout, profile (storage/auth_store.cpp).

namespace zhiyuan::storage::sql {

inline constexpr const char* auth_find_account = R"~(
    SELECT login_hash, must_set_passwords, pledge_at IS NULL, save_hash, exam_no, id_number
    FROM candidates WHERE candidate_id = $1
)~";

// For records whose loss in a crash harms nobody (failed sign-ins): commit without waiting
// for the WAL flush.
inline constexpr const char* auth_async_commit = "SET LOCAL synchronous_commit TO off";

inline constexpr const char* auth_record_login = R"~(
    INSERT INTO login_history (candidate_id, ip, user_agent, outcome)
    VALUES ($1, $2::inet, $3, $4)
)~";

inline constexpr const char* auth_live_sessions = R"~(
    SELECT s.candidate_id, s.token_hash, extract(epoch FROM s.expires_at)::bigint,
    extract(epoch FROM s.last_seen_at)::bigint, NOT c.must_set_passwords,
    c.pledge_at IS NOT NULL FROM sessions s JOIN candidates c USING (candidate_id)
    WHERE s.revoked_at IS NULL AND s.expires_at > to_timestamp($1)
)~";

// Both new password hashes at once; the first-login flag clears.
inline constexpr const char* auth_set_passwords = R"~(
    UPDATE candidates SET login_hash = $2, save_hash = $3, must_set_passwords = false,
    version = version + 1 WHERE candidate_id = $1
)~";

// Every other live session of the candidate (after a password change).
inline constexpr const char* auth_revoke_other_sessions = R"~(
    UPDATE sessions SET revoked_at = now() WHERE candidate_id = $1 AND token_hash <> $2
    AND revoked_at IS NULL
)~";

inline constexpr const char* auth_revoke_session = R"~(
    UPDATE sessions SET revoked_at = now() WHERE candidate_id = $1 AND token_hash = $2
    AND revoked_at IS NULL
)~";

// Newest first; $2 rows at most.
inline constexpr const char* auth_login_history = R"~(
    SELECT (extract(epoch FROM at) * 1000000)::bigint, coalesce(host(ip), ''),
    coalesce(user_agent, ''), outcome FROM login_history WHERE candidate_id = $1
    ORDER BY at DESC, seq DESC LIMIT $2
)~";

// The profile: facts, confirmations, contact, and the filing status of every batch (real or
// drill rows by $2).
inline constexpr const char* auth_profile = R"~(
    SELECT c.exam_no, c.name, c.id_number, s.code, s.name,
    (extract(epoch FROM c.household_confirmed_at) * 1000000)::bigint,
    (extract(epoch FROM c.physical_exam_confirmed_at) * 1000000)::bigint,
    coalesce(c.phone, ''), coalesce(c.address::text, ''), c.version,
    (extract(epoch FROM c.pledge_at) * 1000000)::bigint, c.must_set_passwords,
    (SELECT string_agg(a.batch || ':' || a.version, ',') FROM applications a
      WHERE a.candidate_id = c.candidate_id AND a.drill = $2),
    (SELECT string_agg(d.batch || ':' || d.version, ',') FROM drafts d
      WHERE d.candidate_id = c.candidate_id AND d.drill = $2),
    (SELECT count(*) FROM visible_notices(c.candidate_id) v WHERE NOT EXISTS (SELECT 1
      FROM notice_reads r WHERE r.candidate_id = c.candidate_id
      AND r.notice_id = v.notice_id))
    FROM candidates c JOIN units s ON s.id = c.school_id WHERE c.candidate_id = $1
)~";

}  // namespace zhiyuan::storage::sql
