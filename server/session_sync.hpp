#pragma once

// Keeps this node's session cache in step with the fleet (issue 17): the database is the
// truth, and every node hears of a change another node made within a second.

#include <cstdint>
#include <string_view>
#include <vector>

#include "server/sessions.hpp"
#include "storage/session_store.hpp"

namespace zhiyuan::server {

/// Applies one payload of the sessions channel (migration 0015): a revoked session leaves
/// memory; a pledge, a first password set-up or a changed password updates the candidate's
/// cached sessions. Unknown payloads are ignored. Returns whether it was understood.
bool apply_session_notice(session_table& sessions, std::string_view payload);

/// Removes the sessions revoked since the last catch-up (the notifications' safety net, and
/// what was missed while the listener reconnected). Throws when the database cannot say.
void catch_up_revocations(session_table& sessions, storage::session_feed& feed);

/// Reads again the account state of the candidates whose cached sessions still wait for the
/// password set-up or the pledge, and marks what changed: a 'p' or 's' notice missed while
/// the listener reconnected, or one heard while a lookup of the session was in flight, would
/// otherwise refuse that candidate's writes here until the session ends. Throws when the
/// database cannot say.
void catch_up_accounts(session_table& sessions, storage::session_feed& feed);

/// After the listener (re)connected: notices may have been missed, so revocations and account
/// state are caught up, and remembered save passwords are forgotten (a password change
/// elsewhere voids them; forgetting costs one extra verification per session).
void catch_up_after_gap(session_table& sessions, storage::session_feed& feed);

/// Writes the idle timers that moved by a tenth of the idle limit back to the database, so
/// that a session in use on one node stays alive on the others. Throws on failure (the timers
/// taken are lost; later use is written next time).
void write_back_idle_timers(session_table& sessions, storage::session_feed& feed);

}  // namespace zhiyuan::server
