#pragma once

// SQL of the fleet's shared sign-in throttles (storage/throttle_store.cpp, migrations 0016 and
// 0018; the model is core/sign_in_guard.hpp).

namespace zhiyuan::storage::sql {

// The account-wide lock: one row per account and kind of password (0 login, 1 save).
// Creates the row when missing and locks it, in one round trip.
inline constexpr const char* throttles_lock = R"~(
    INSERT INTO sign_in_throttles (candidate_id, kind) VALUES ($1, $2)
    ON CONFLICT (candidate_id, kind) DO UPDATE SET kind = EXCLUDED.kind RETURNING locked_until
)~";

inline constexpr const char* throttles_store = R"~(
    UPDATE sign_in_throttles SET failures = $3, last_failure = $4, locked_until = $5
    WHERE candidate_id = $1 AND kind = $2
)~";

// One (account, kind, address) pair's failures.
inline constexpr const char* sign_in_pair_load = R"~(
    SELECT failures, last_failure, locked_until FROM sign_in_pairs
    WHERE candidate_id = $1 AND kind = $2 AND address = $3
)~";

inline constexpr const char* sign_in_pair_store = R"~(
    INSERT INTO sign_in_pairs (candidate_id, kind, address, failures, last_failure, locked_until)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (candidate_id, kind, address) DO UPDATE
    SET failures = EXCLUDED.failures, last_failure = EXCLUDED.last_failure,
        locked_until = EXCLUDED.locked_until
)~";

inline constexpr const char* sign_in_pair_forget =
    "DELETE FROM sign_in_pairs WHERE candidate_id = $1 AND kind = $2 AND address = $3";

// The account's other addresses still failing at $4 (now): core::pair_is_failing, with $5 the
// pair policy's forget_seconds.
inline constexpr const char* sign_in_pairs_failing = R"~(
    SELECT count(*) FROM sign_in_pairs
    WHERE candidate_id = $1 AND kind = $2 AND address <> $3 AND failures > 0
      AND (locked_until > $4 OR (locked_until = 0 AND last_failure > $4 - $5))
)~";

// An address's failure budget across accounts.
// Creates the row when missing and locks it, in one round trip.
inline constexpr const char* sign_in_address_lock = R"~(
    INSERT INTO sign_in_addresses (address) VALUES ($1)
    ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address RETURNING tokens, updated_us
)~";

// A success gives its failure back (core::sign_in_succeeded: one token, at most the burst $2),
// without locking the account: the pair is simply forgotten.
inline constexpr const char* sign_in_address_refund = R"~(
    UPDATE sign_in_addresses SET tokens = least($2, tokens + 1) WHERE address = $1 AND tokens >= 0
)~";

inline constexpr const char* sign_in_address_store =
    "UPDATE sign_in_addresses SET tokens = $2, updated_us = $3 WHERE address = $1";

// Rows with nothing left to say: no lock at $1 (now), failures forgotten ($2 seconds); an
// address bucket untouched for as long has refilled.
inline constexpr const char* throttles_purge = R"~(
    DELETE FROM sign_in_throttles WHERE locked_until < $1 AND last_failure < $1 - $2
)~";
inline constexpr const char* sign_in_pairs_purge = R"~(
    DELETE FROM sign_in_pairs WHERE locked_until < $1 AND last_failure < $1 - $2
)~";
inline constexpr const char* sign_in_addresses_purge = R"~(
    DELETE FROM sign_in_addresses WHERE updated_us < ($1::bigint - $2::bigint) * 1000000
)~";

inline constexpr const char* throttles_async_commit = "SET LOCAL synchronous_commit TO off";

}  // namespace zhiyuan::storage::sql
