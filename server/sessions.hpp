#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zhiyuan::server {

using token_digest = std::array<std::uint8_t, 32>;

/// A keyed hash of a save password (BLAKE2b under a per-process random key): lets a session
/// remember that the candidate proved the save password without keeping the password.
using password_memo = std::array<std::uint8_t, 32>;

/// Live candidate sessions in memory, keyed by the SHA-256 of the token. Written through to
/// the database at sign-in (so they survive a restart) and reloaded at start. Striped
/// reader-writer locks: lookups from every I/O thread rarely contend. A second, striped index
/// finds a candidate's sessions, so that per-candidate changes (pledge, password change) cost
/// the same with 100 or 100,000 live sessions.
class session_table {
 public:
  struct session {
    std::int64_t candidate_id = 0;
    std::int64_t expires_at = 0;  ///< unix seconds, absolute
    std::int64_t last_seen_at = 0;
    bool passwords_set = true;  ///< false until the first-login password set-up
    bool pledged = false;       ///< the filing pledge (承诺书) was accepted
  };

  /// What a request learns from its session.
  struct live {
    std::int64_t candidate_id = 0;
    bool passwords_set = true;
    bool pledged = false;
  };

  session_table(std::int64_t idle_seconds) : idle_seconds_(idle_seconds) {}
  std::int64_t idle_seconds() const noexcept { return idle_seconds_; }

  void insert(const token_digest& key, const session& s);
  /// The revocation generation of the key's stripe: read it before looking the token up in
  /// the database, and hand it to insert_unless_revoked.
  std::uint64_t generation(const token_digest& key) const;
  /// insert(), unless a revocation (revoke) reached the key's stripe since `generation` was
  /// read: the database's answer may predate it. False then: look the token up again.
  bool insert_unless_revoked(const token_digest& key, const session& s, std::uint64_t generation);
  /// The live session's candidate and account state; refreshes its idle timer. Expired
  /// sessions are removed.
  std::optional<live> find(const token_digest& key, std::int64_t now);
  void erase(const token_digest& key);
  /// A revocation heard from the fleet (notice or catch-up): erase(), and a lookup of the
  /// token already in flight cannot cache the session again (insert_unless_revoked).
  void revoke(const token_digest& key);
  std::size_t size() const;

  /// Marks every session of `candidate` as having set its passwords / accepted the pledge.
  void mark_passwords_set(std::int64_t candidate);
  void mark_pledged(std::int64_t candidate);

  /// Ends every session of `candidate` except `keep` (after a password change).
  void erase_others(std::int64_t candidate, const token_digest& keep);

  /// Whether this node can answer for the token at `now` without the database: a live session
  /// in memory, or a token recently found to be no live session (remember_absent). No refresh.
  bool resolved_here(const token_digest& key, std::int64_t now) const;
  /// Remembers until `until` that the token is no live session (bounded: the oldest half of
  /// a full stripe is forgotten).
  void remember_absent(const token_digest& key, std::int64_t until);

  /// The sessions whose idle timer moved at least `min_advance` seconds past what was last
  /// taken (or loaded), with their last use; marks them taken. For writing idle timers back.
  std::vector<std::pair<token_digest, std::int64_t>> take_touched(std::int64_t min_advance);

  /// Removes the sessions expired at `now` (absolute or idle); returns how many. Run it
  /// periodically: lookups remove only the expired sessions they meet.
  std::size_t sweep(std::int64_t now);

  /// Save-password memo: after a successful Argon2id check the session remembers the keyed
  /// hash until `until` (unix seconds), so a candidate saving again pays no hash.
  void remember_save_password(const token_digest& key, const password_memo& memo,
                              std::int64_t until);
  /// Whether `memo` is what the session remembers and has not expired at `now`.
  bool recalls_save_password(const token_digest& key, const password_memo& memo,
                             std::int64_t now) const;
  /// Forgets the remembered save password of every session of `candidate` (password change).
  void forget_save_passwords(std::int64_t candidate);
  /// Forgets every remembered save password (password changes may have gone unheard).
  void forget_all_save_passwords();
  /// Up to `limit` candidates with a cached session still waiting for the password set-up or
  /// the pledge: the only account state a missed notice can leave stale here.
  std::vector<std::int64_t> unsettled_candidates(std::size_t limit) const;
  /// The keyed hash of a save password for the memo.
  static password_memo memo_of(std::string_view password);

  /// A new opaque token (256 random bits, base64url) and its digest.
  static std::string new_token(token_digest& digest);
  /// The digest of a presented token; nullopt when it is not of our format.
  static std::optional<token_digest> digest_of(std::string_view token);

 private:
  struct key_hash {
    std::size_t operator()(const token_digest& d) const noexcept {
      std::size_t h;
      static_assert(sizeof h <= sizeof d);
      __builtin_memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  // last_seen is refreshed under the shared lock, so it is atomic.
  // The other members change only under the unique lock.
  struct entry {
    entry(const session& s)
        : candidate_id(s.candidate_id),
          expires_at(s.expires_at),
          last_seen(s.last_seen_at),
          written(s.last_seen_at),
          passwords_set(s.passwords_set),
          pledged(s.pledged) {}
    std::int64_t candidate_id;
    std::int64_t expires_at;
    std::atomic<std::int64_t> last_seen;
    std::atomic<std::int64_t> written;  ///< the last_seen the database has (or was sent)
    bool passwords_set;
    bool pledged;
    password_memo save_memo{};
    std::int64_t save_memo_until = 0;
  };
  struct stripe {
    mutable std::shared_mutex mutex;
    std::unordered_map<token_digest, entry, key_hash> map;
    std::unordered_map<token_digest, std::int64_t, key_hash> absent;  ///< digest → until
    std::uint64_t generation = 0;  ///< revocations heard in this stripe
  };
  static constexpr std::size_t stripes = 64;
  static constexpr std::size_t max_absent_per_stripe = 4096;

  stripe& stripe_of(const token_digest& d) { return stripes_[d[31] % stripes]; }
  const stripe& stripe_of(const token_digest& d) const { return stripes_[d[31] % stripes]; }

  // Candidate → the digests of its sessions. Never locked together with a token stripe: a
  // reader copies a candidate's digests, then looks each up in its stripe, where an entry of
  // another candidate or none at all (erased meanwhile) is skipped.
  struct index_stripe {
    std::mutex mutex;
    std::unordered_map<std::int64_t, std::vector<token_digest>> by_candidate;
  };
  index_stripe& index_of(std::int64_t candidate) {
    return index_[static_cast<std::uint64_t>(candidate) % stripes];
  }
  // Erases the key's session; `revoked` also moves its stripe's generation.
  void remove(const token_digest& key, bool revoked);
  void index_add(std::int64_t candidate, const token_digest& key);
  void index_remove(std::int64_t candidate, const token_digest& key);
  std::vector<token_digest> sessions_of(std::int64_t candidate);
  // Calls f(entry&) under the unique lock of its stripe for each live session of `candidate`.
  template <class F>
  void for_each_session_of(std::int64_t candidate, F&& f);

  std::int64_t idle_seconds_;
  std::array<stripe, stripes> stripes_;
  std::array<index_stripe, stripes> index_;
};

/// The session token presented by a request: `Authorization: Bearer <t>` or cookie `zy_session`.
std::string_view presented_token(std::string_view authorization, std::string_view cookie);

}  // namespace zhiyuan::server
