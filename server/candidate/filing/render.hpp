#pragma once

// How filing answers look: the responses of saved drafts and formal submissions (rendered on the
// writer thread; a draft's is stored with the idempotency record, a submission's receipt is
// rendered again from its history row on a replay: the same bytes either way), stored versions'
// receipts, and the choices as the client sent them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.hpp"
#include "core/catalog.hpp"
#include "core/choices.hpp"
#include "core/validation.hpp"
#include "server/http/json_writer.hpp"
#include "storage/candidate_store.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

class receipt_signer;

/// What an import of favourites into a draft did.
struct import_summary {
  std::vector<core::group_id> imported;
  std::vector<core::group_id> left_out;  ///< over the batch's limits
  int max_groups = 0;
};

/// What a saved draft's answer reports after its version: an import's summary, and what still
/// stands between the draft and a valid submission.
struct draft_notes {
  std::optional<import_summary> import;
  std::vector<core::finding> findings;
  std::int64_t clock_offset_seconds = 0;  ///< the filing clock's, for the commit time
};

/// The response of a formal submission: its signed receipt (201; `op.render_context` is the
/// candidate_api_context: its receipt_signer and filing clock), or the 409 of a stale If-Match.
void render_submission(const storage::write_op& op, unsigned& status, std::string& body);
/// The response of a saved draft: its version (200) followed by the draft_notes that
/// `op.render_context` points to (the handler's, which waits for the op), or the 412 of a stale
/// If-Match.
void render_draft(const storage::write_op& op, unsigned& status, std::string& body);

/// The receipt of a stored version of formal choices (signed when `signer` is not null), its
/// commit time on the filing clock (server/filing_clock.hpp).
void write_stored_receipt(json_writer& w, const receipt_signer* signer, std::string_view exam_no,
                          core::batch b, bool drill, const storage::application_row& a,
                          std::int64_t clock_offset_seconds);

/// Major `m` of group `g` (null when `g` is null or has no such major).
const core::major* find_major(const core::catalog& cat, const core::major_group* g,
                              core::major_id m);

/// Choices as the client sent them: group id, major CODES as published (null for a major the
/// group does not have), adjustment and special flags; plus the college and group codes.
void write_choices(json_writer& w, const core::choice_list& choices, const core::catalog& cat);

}  // namespace zhiyuan::server
