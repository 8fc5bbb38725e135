#pragma once

// SQL of the fleet's shared sessions: lookup of a token a node does not know, catch-up of
// revocations, idle timers written back (storage/session_store.cpp).

namespace zhiyuan::storage::sql {

inline constexpr const char* sessions_channel = "zhiyuan_sessions";

// One live session by its token hash (sessions_token_idx); $2 now, $3 the idle limit (seconds).
inline constexpr const char* sessions_find = R"~(
    SELECT s.candidate_id, extract(epoch FROM s.expires_at)::bigint,
    extract(epoch FROM s.last_seen_at)::bigint, NOT c.must_set_passwords,
    c.pledge_at IS NOT NULL FROM sessions s JOIN candidates c USING (candidate_id)
    WHERE s.token_hash = decode($1, 'hex') AND s.revoked_at IS NULL AND s.expires_at > to_timestamp($2)
    AND s.last_seen_at > to_timestamp($2 - $3)
)~";

// Revocations since the cursor $1 (µs, the database's clock) with a minute of overlap: a
// revoking transaction takes revoked_at = now() at its start and may commit later. Also
// the database's clock now, the next cursor.
inline constexpr const char* sessions_revoked_since = R"~(
    SELECT encode(token_hash, 'hex') FROM sessions
    WHERE revoked_at > to_timestamp($1::double precision / 1e6) - interval '60 seconds'
)~";

// The account state cached sessions carry, for the candidates $1 (bigint[]): what the pledge
// ('p') and password set-up ('s') notices announce, read again in case one was missed.
inline constexpr const char* sessions_account_flags = R"~(
    SELECT candidate_id, NOT must_set_passwords, pledge_at IS NOT NULL FROM candidates
    WHERE candidate_id = ANY($1::bigint[])
)~";

inline constexpr const char* sessions_clock_us =
    "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

// Idle timers: a batch of (token hash hex, last seen unix seconds), never moved backwards.
inline constexpr const char* sessions_touch = R"~(
    UPDATE sessions s SET last_seen_at = to_timestamp(v.t)
    FROM unnest($1::text[], $2::bigint[]) AS v(h, t)
    WHERE s.token_hash = decode(v.h, 'hex') AND s.last_seen_at < to_timestamp(v.t)
    AND s.revoked_at IS NULL
)~";

// Live sessions of both audiences (a gauge, once a minute): unrevoked, unexpired and not idle
// longer than each audience's idle timeout ($1 candidates, $2 admins, seconds).
inline constexpr const char* sessions_live_count = R"~(
    SELECT (SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > now()
            AND last_seen_at > now() - make_interval(secs => $1::double precision)),
           (SELECT count(*) FROM admin_sessions
            WHERE last_seen_at > now() - make_interval(secs => $2::double precision))
)~";

}  // namespace zhiyuan::storage::sql
