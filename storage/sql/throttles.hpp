#pragma once

// SQL of the fleet's shared sign-in throttles (storage/throttle_store.cpp, migration 0016).

namespace zhiyuan::storage::sql {

inline constexpr const char* throttles_ensure = R"~(
    INSERT INTO sign_in_throttles (candidate_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING
)~";

inline constexpr const char* throttles_lock = R"~(
    SELECT failures, last_failure, locked_until FROM sign_in_throttles
    WHERE candidate_id = $1 AND kind = $2 FOR UPDATE
)~";

inline constexpr const char* throttles_store = R"~(
    UPDATE sign_in_throttles SET failures = $3, last_failure = $4, locked_until = $5
    WHERE candidate_id = $1 AND kind = $2
)~";

inline constexpr const char* throttles_forget =
    "DELETE FROM sign_in_throttles WHERE candidate_id = $1 AND kind = $2";

// Rows with nothing left to say: no lock at $1 (now), failures forgotten ($2 seconds).
inline constexpr const char* throttles_purge = R"~(
    DELETE FROM sign_in_throttles WHERE locked_until < $1 AND last_failure < $1 - $2
)~";

inline constexpr const char* throttles_async_commit = "SET LOCAL synchronous_commit TO off";

}  // namespace zhiyuan::storage::sql
