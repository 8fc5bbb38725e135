#pragma once

// Password hashes as both audiences store them: Argon2id (libsodium crypto_pwhash_str, the
// parameters inside the string) at the cost of DESIGN.md, m=19 MiB, t=2, p=1, ~17 ms of one
// core. Every call belongs on the hashing pool, never on an I/O thread.

#include <string>
#include <string_view>

namespace zhiyuan::server {

/// The Argon2id string of `password`; empty when out of memory.
std::string hash_password(std::string_view password);

/// Whether `password` matches the Argon2id string `hash`.
bool password_matches(const std::string& hash, std::string_view password);

/// A hash to check the password against when the account is unknown (and then refuse whatever
/// the check says), so that an unknown name costs the same as a known one: no enumeration.
const std::string& unknown_account_hash();

}  // namespace zhiyuan::server
