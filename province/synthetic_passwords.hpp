#pragma once

// Passwords of synthetic candidates, so that a load test can log in and save as any of them.
//
// Derivation (version 1; never change it without bumping the version in dataset_info):
//
//   h        = FNV-1a-64 over the bytes of  purpose ":" exam_no    (purpose "login" or "save")
//   x        = splitmix64_finalise(h XOR 0x7a68697975616e31)        (the key is "zhiyuan1")
//   password = prefix c1 c2 d3 c4 c5 d6 c7 c8                       (10 characters)
//     prefix = "Dl" for the login password (登录), "Bc" for the save password (保存)
//     c      = letters[x mod 23], then x /= 23;  letters = "abcdefghjkmnpqrstuvwxyz" (no i, l, o)
//     d      = digits[x mod 8],   then x /= 8;   digits  = "23456789"                (no 0, 1)
//   with the characters taken in order c1, c2, d3, ... from the low end of x.
//
// Example: exam number 23010100100001 → login "Dlca3fy4vg", save "Bcgr5uu4jc".
//
// Why it satisfies the password policy (core/password.hpp): 10 characters; letters and digits;
// never two digits in a row, so it cannot hold 6 consecutive digits of the exam number or ID
// number, nor a birth date; the prefixes make the save password differ from the login password.
//
// These passwords are public by construction: they are for synthetic data only. Anyone who knows
// this rule can log in as a synthetic candidate, whatever key-derivation cost was used.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "province/province.hpp"

namespace zhiyuan::loadtest {

/// Version of the derivation above, recorded in dataset_info.
inline constexpr int synthetic_password_version = 1;

/// The login password (登录密码) of the synthetic candidate with this exam number.
std::string synthetic_login_password(std::string_view exam_no);
/// The save password (保存密码) of the synthetic candidate with this exam number.
std::string synthetic_save_password(std::string_view exam_no);

/// Key-derivation cost of the stored hashes. `test` is libsodium's minimum (never production:
/// data hashed with it is marked as test data); `production` is the OWASP minimum for Argon2id.
enum class kdf_cost { test, production };

struct kdf_params {
  unsigned long long opslimit = 0;  ///< Argon2 passes (t)
  std::size_t memlimit = 0;         ///< bytes (m = memlimit / 1024 KiB)
};

/// test: crypto_pwhash_OPSLIMIT_MIN / crypto_pwhash_MEMLIMIT_MIN (t=1, 8 KiB);
/// production: t=2, 19 MiB.
kdf_params kdf_parameters(kdf_cost cost) noexcept;
std::string_view to_string(kdf_cost cost) noexcept;
std::optional<kdf_cost> parse_kdf_cost(std::string_view text) noexcept;

/// Hashes one password: Argon2id, p=1, 16-byte random salt, 32-byte hash, in the string format
/// of libsodium's crypto_pwhash_str (verifiable with crypto_pwhash_str_verify). Throws
/// std::runtime_error on failure.
std::string hash_password(std::string_view password, kdf_params params);

/// Which Argon2id implementation hashes in bulk: "libargon2" when the build found it, else
/// "libsodium". libsodium maps and unmaps the Argon2 memory on every call; on this project's
/// virtual machines that serialises on page-table updates (test cost, measured: one thread
/// ~23k hashes/s, two threads ~10k/s in all). The reference library, given one reused buffer
/// per thread, scales with cores (~47k/s per core at the test cost; production cost ~40/s per
/// core). Both produce the same PHC string, which libsodium verifies (see the tests).
std::string_view bulk_hasher_name() noexcept;

/// Both password hashes of every candidate, in candidate order, in fixed-size slots. Each view
/// is NUL-terminated inside its slot (so `.data()` is a C string).
class password_hashes {
 public:
  password_hashes() = default;
  std::size_t size() const noexcept { return count_; }
  std::string_view login(std::size_t i) const noexcept { return slot(2 * i); }
  std::string_view save(std::size_t i) const noexcept { return slot(2 * i + 1); }

 private:
  friend class password_hashing;
  static constexpr std::size_t slot_size = 128;  // crypto_pwhash_STRBYTES
  std::string_view slot(std::size_t k) const noexcept;

  std::vector<char> data_;
  std::size_t count_ = 0;
};

/// Hashes the synthetic login and save passwords of `candidates` on background threads, chunk
/// by chunk in candidate order, so that a consumer (the loader's COPY) can use the first hashes
/// while later ones are computed. `candidates` must outlive this object.
class password_hashing {
 public:
  /// Starts `threads` threads (<= 0: one per hardware thread).
  password_hashing(std::span<const candidate_row> candidates, kdf_cost cost, int threads);
  password_hashing(const password_hashing&) = delete;
  password_hashing& operator=(const password_hashing&) = delete;
  /// Stops handing out work and joins the threads.
  ~password_hashing();

  /// Blocks until the hashes of the first `count` candidates are written; rethrows the first
  /// failure of a worker (std::runtime_error).
  void wait_for(std::size_t count);
  /// The hashes; entries below a count passed to `wait_for` are complete.
  const password_hashes& hashes() const noexcept { return hashes_; }
  /// Waits for every hash and joins the threads; then moves them out.
  password_hashes finish();
  /// Seconds from construction until the last hash was written (0 before that).
  double seconds() const noexcept;

 private:
  void work();

  struct state;
  std::span<const candidate_row> candidates_;
  kdf_params params_;
  password_hashes hashes_;
  std::unique_ptr<state> state_;
};

/// Hashes every password at once: password_hashing(...).finish().
password_hashes hash_synthetic_passwords(std::span<const candidate_row> candidates, kdf_cost cost,
                                         int threads);

}  // namespace zhiyuan::loadtest
