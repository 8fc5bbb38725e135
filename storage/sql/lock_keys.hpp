#pragma once

// The PostgreSQL advisory-lock keys zhiyuan takes, in one place: every statement that locks
// takes its key as a parameter from here, so no two uses can collide unseen.

#include <cstdint>

namespace zhiyuan::storage::lock_key {

/// Session lock of a migrator (storage/migrate.cpp): two processes starting on one database.
inline constexpr std::int64_t migrations = 7253104;
/// The filing counters' fold. Taken inside SQL, by filing_counts_fold() of migration 0007
/// (storage/migrations/0007_admin_filing_counts.sql), which spells the number itself.
inline constexpr std::int64_t counters_fold = 7253105;
/// One import at a time on every node, whatever its kind (storage/admin_ops_store.cpp).
inline constexpr std::int64_t imports = 7253106;
/// One schedule change at a time on every node (storage/admin_ops_store.cpp).
inline constexpr std::int64_t schedule = 7253107;
/// Reminders use the two-key form: (reminders + batch, unit id).
inline constexpr int reminders = 7000;

}  // namespace zhiyuan::storage::lock_key
