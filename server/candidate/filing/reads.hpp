#pragma once

// What the reads of one batch's draft and formal choices share: who asks about which batch, and
// the stored choices decoded.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/batch.hpp"
#include "core/choices.hpp"
#include "core/result.hpp"
#include "server/candidate/context.hpp"
#include "server/candidate/session.hpp"
#include "server/http/message.hpp"

namespace zhiyuan::server {

/// The signed-in, registered candidate, the batch of the path, and whether the drill's storage
/// is meant.
struct own_batch {
  std::int64_t candidate = 0;
  core::batch b = core::batch::undergrad;
  bool drill = false;
  storage::candidate_directory::entry who;

  /// The batch in the database's encoding.
  std::int16_t code() const;
};

/// Authenticates, decodes the path's {batch} and finds the candidate in the directory; nullopt
/// after writing the 401, 404 or 403.
std::optional<own_batch> own_batch_of(request_context& ctx, candidate_api_context& api);
/// The same once the session and the batch are known (nullopt after writing the 403).
std::optional<own_batch> own_batch_of(request_context& ctx, candidate_api_context& api,
                                      const session_info& s, core::batch b);

/// Choices as stored (core's canonical encoding); internal when they do not decode.
core::result<core::choice_list> stored_choices(std::string_view canonical);

}  // namespace zhiyuan::server
