#pragma once

// Saving choices: a draft (PUT /api/v1/drafts/{batch}) or the formal choices (POST
// /api/v1/applications/{batch}), through the durable write path.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.hpp"
#include "core/catalog.hpp"
#include "core/choices.hpp"
#include "core/result.hpp"
#include "core/validation.hpp"
#include "server/async.hpp"
#include "server/candidate/context.hpp"
#include "server/http/message.hpp"
#include "storage/write_path.hpp"

namespace zhiyuan::server {

/// A request to save choices, decoded.
struct save_request {
  core::batch b = core::batch::undergrad;
  std::string key;                 ///< the client's Idempotency-Key, or one generated for a draft
  std::int64_t base_version = -1;  ///< If-Match; -1: none (a submission may omit it)
  core::choice_list choices;
  std::string save_password;  ///< formal submissions only
};

/// The path's batch, the Idempotency-Key (required for a formal submission), If-Match (required
/// for a draft) and the JSON body {"choices": [...], "save_password"} (the save password, 保存密码,
/// formal only) decoded against the catalog: majors are the codes the group publishes.
core::result<save_request> parse_save_request(const request_context& ctx, const core::catalog& cat,
                                              bool formal);

/// Decodes the request, validates the form (core::validate), checks the save password of a
/// formal submission, writes it and answers: the receipt after COMMIT, or the problem. `mode` is
/// core::mode::formal or core::mode::draft (the drill's modes are chosen here).
asio::awaitable<void> save_choices(request_context& ctx, candidate_api_context& api,
                                   core::mode mode);

/// The first finding that a window is closed, or null: such a form is refused, not saved.
const core::finding* window_finding(const std::vector<core::finding>& findings);

/// A write of `choices` as `who`'s draft or formal choices of batch `b`, accepted at
/// `accepted_us` (its keys, base version and renderer are the caller's).
std::unique_ptr<storage::write_op> choices_write(const candidate_api_context& api,
                                                 storage::op_kind kind,
                                                 const storage::candidate_directory::entry& who,
                                                 core::batch b, bool drill,
                                                 const core::choice_list& choices,
                                                 std::int64_t accepted_us);

}  // namespace zhiyuan::server
