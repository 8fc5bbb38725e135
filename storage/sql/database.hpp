#pragma once

// SQL of the database itself: migrations (storage/migrate.cpp) and health
// (storage/database.cpp). Every statement storage sends is a named constant in storage/sql/.

namespace zhiyuan::storage::sql {

// Serialises migrators across processes ($1: lock_key::migrations).
inline constexpr const char* migrations_lock = "SELECT pg_advisory_lock($1::bigint)";

inline constexpr const char* migrations_unlock = "SELECT pg_advisory_unlock($1::bigint)";

inline constexpr const char* migrations_create_table = R"~(
    CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())
)~";

inline constexpr const char* migrations_applied = "SELECT version FROM schema_migrations";

inline constexpr const char* migrations_record =
    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

inline constexpr const char* ping = "SELECT 1";

}  // namespace zhiyuan::storage::sql
