#pragma once

// Page tokens of the plan list: base64url (no padding) of [version 1][snapshot tag][filter
// hash][last group id], numbers little-endian. A token only resumes the query and the snapshot
// that issued it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/catalog.hpp"

namespace zhiyuan::server {

/// The token of a page that ended at group `last`, for the query whose filters hash to
/// `filter` on the snapshot tagged `tag`.
std::string encode_page_token(std::uint64_t tag, std::uint64_t filter, core::group_id last);

/// The last group of the page that issued `token`, or nullopt when the token is malformed or
/// was issued for another query or snapshot.
std::optional<core::group_id> decode_page_token(std::string_view token, std::uint64_t tag,
                                                std::uint64_t filter);

}  // namespace zhiyuan::server
