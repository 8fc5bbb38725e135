#pragma once

// Queries of one candidate's own state (profile, favourites, drafts, formal choices, history,
// notices, login history). Every function takes the candidate id from the caller's session.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace zhiyuan::storage {

/// A favourite as stored: kind 0 college (target = college code), 1 group (target = group id).
struct favorite_row {
  std::int16_t kind = 0;
  std::string target;
  std::string category;
  std::int64_t created_at_us = 0;  ///< unix µs
};

/// The candidate's favourites in the order they were made, at most `limit`.
std::vector<favorite_row> load_favorites(pqxx::connection& conn, std::int64_t candidate_id,
                                         int limit);

/// A draft (志愿草稿) as stored.
struct draft_row {
  std::int64_t version = 0;
  std::int64_t updated_at_us = 0;  ///< unix µs
  std::string choices;             ///< core canonical encoding
};

/// The draft of one batch (database encoding) in the real or the drill storage.
std::optional<draft_row> load_draft(pqxx::connection& conn, std::int64_t candidate_id,
                                    std::int16_t batch, bool drill);

/// A draft and the favourites, read in one snapshot (importing favourites into a draft).
struct draft_and_favorites {
  std::optional<draft_row> draft;
  std::vector<favorite_row> favorites;
};
draft_and_favorites load_draft_and_favorites(pqxx::connection& conn, std::int64_t candidate_id,
                                             std::int16_t batch, bool drill, int favorites_limit);

using digest32 = std::array<std::uint8_t, 32>;

/// One committed version of the formal choices (正式志愿) with what its receipt needs.
struct application_row {
  std::int64_t version = 0;
  std::int64_t accepted_at_us = 0;
  std::int64_t committed_at_us = 0;
  digest32 receipt_hash{};            ///< the stored `digest`
  std::optional<digest32> prev_hash;  ///< none for version 1
  std::string choices;                ///< core canonical encoding
};

/// The current version of one batch's formal choices; nullopt when never submitted.
std::optional<application_row> load_application(pqxx::connection& conn, std::int64_t candidate_id,
                                                std::int16_t batch, bool drill);

/// Committed versions older than `before_version`, newest first, at most `limit`.
std::vector<application_row> load_application_history(pqxx::connection& conn,
                                                      std::int64_t candidate_id, std::int16_t batch,
                                                      bool drill, std::int64_t before_version,
                                                      int limit);

/// A notice addressed to the candidate.
struct notice_row {
  std::int64_t id = 0;
  std::int16_t kind = 0;              ///< 0 announcement, 1 reminder
  std::optional<std::int16_t> batch;  ///< database encoding
  std::string title;
  std::string body;
  std::int64_t created_at_us = 0;
  bool read = false;
};

/// Announcements to the candidate's school, county, city or the province, and reminders listing
/// the candidate; newest first, after notice `before` (none: from the newest), at most `limit`.
std::vector<notice_row> load_notices(pqxx::connection& conn, std::int64_t candidate_id,
                                     std::optional<std::int64_t> before, int limit);

/// Marks a notice read (committed when this returns; idempotent). False when the notice does
/// not exist or is not addressed to the candidate (nothing written).
bool mark_notice_read(pqxx::connection& conn, std::int64_t candidate_id, std::int64_t notice_id);

/// Deletes the drill (模拟演练) drafts and formal submissions, history included, written before
/// `drill_close` (unix seconds: drafts by their update time, submissions by accepted_at), in one
/// transaction; returns the rows deleted. Real data (drill = false) is never touched.
std::int64_t purge_drill_data(pqxx::connection& conn, std::int64_t drill_close);
std::int64_t purge_drill_data(const std::string& conninfo, std::int64_t drill_close);

/// What the write path stored for an Idempotency-Key of the candidate.
struct stored_response {
  std::string request_hash_hex;  ///< SHA-256 of method, path and body, lower-case hex
  unsigned status = 0;
  std::string body;  ///< empty when `receipt` is set
  /// A formal submission's record: the version it wrote, whose receipt is the response.
  std::optional<application_row> receipt;
};
std::optional<stored_response> find_stored_response(pqxx::connection& conn,
                                                    std::int64_t candidate_id,
                                                    const std::string& key);

}  // namespace zhiyuan::storage
