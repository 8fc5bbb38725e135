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

// Health.
inline constexpr const char* ping = "SELECT 1";

}  // namespace zhiyuan::storage::sql
