#pragma once

// Queries of one candidate's own state (profile, favourites, drafts, formal choices, history,
// notices, login history). Every function takes the candidate id from the caller's session.

#include <pqxx/connection>

namespace zhiyuan::storage {}  // namespace zhiyuan::storage
