#pragma once

// Digests and encodings of what the server stores and signs: hex, SHA-256, the request hash of
// an idempotency record and server-side idempotency keys. One place, so that the hash function
// behind all of them can change at once.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http/message.hpp"

namespace zhiyuan::server {

/// Lower-case hex of bytes.
std::string hex(const std::uint8_t* data, std::size_t n);

/// SHA-256 of `text`.
std::array<std::uint8_t, 32> sha256_of(std::string_view text);

/// The request hash of an idempotency record: SHA-256 over method, path, body and `extra` (e.g.
/// "drill", so that a drill request never replays as a real one).
std::array<std::uint8_t, 32> request_hash(const request_context& ctx, std::string_view extra = {});

/// A fresh server-side idempotency key ("~" + 32 hex digits) for writes whose client sent none:
/// every write carries one so that an unknown commit outcome can be resolved by reading the
/// records back. Clients' keys never start with "~".
std::string generated_key();

}  // namespace zhiyuan::server
