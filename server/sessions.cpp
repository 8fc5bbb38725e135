#include "server/sessions.hpp"

#include <sodium.h>

#include <algorithm>
#include <utility>

namespace zhiyuan::server {

void session_table::index_add(std::int64_t candidate, const token_digest& key) {
  auto& ix = index_of(candidate);
  std::lock_guard lock(ix.mutex);
  auto& keys = ix.by_candidate[candidate];
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
}

void session_table::index_remove(std::int64_t candidate, const token_digest& key) {
  auto& ix = index_of(candidate);
  std::lock_guard lock(ix.mutex);
  const auto it = ix.by_candidate.find(candidate);
  if (it == ix.by_candidate.end()) return;
  std::erase(it->second, key);
  if (it->second.empty()) ix.by_candidate.erase(it);
}

std::vector<token_digest> session_table::sessions_of(std::int64_t candidate) {
  auto& ix = index_of(candidate);
  std::lock_guard lock(ix.mutex);
  const auto it = ix.by_candidate.find(candidate);
  return it == ix.by_candidate.end() ? std::vector<token_digest>{} : it->second;
}

template <class F>
void session_table::for_each_session_of(std::int64_t candidate, F&& f) {
  for (const auto& key : sessions_of(candidate)) {
    auto& st = stripe_of(key);
    std::unique_lock lock(st.mutex);
    const auto it = st.map.find(key);
    if (it != st.map.end() && it->second.candidate_id == candidate) f(it->second);
  }
}

void session_table::insert(const token_digest& key, const session& s) {
  std::optional<std::int64_t> replaced;
  {
    auto& st = stripe_of(key);
    std::unique_lock lock(st.mutex);
    if (const auto it = st.map.find(key); it != st.map.end()) {
      replaced = it->second.candidate_id;
      st.map.erase(it);
    }
    st.map.try_emplace(key, s);
    st.absent.erase(key);
  }
  if (replaced && *replaced != s.candidate_id) index_remove(*replaced, key);
  index_add(s.candidate_id, key);
}

std::uint64_t session_table::generation(const token_digest& key) const {
  const auto& st = stripe_of(key);
  std::shared_lock lock(st.mutex);
  return st.generation;
}

bool session_table::insert_unless_revoked(const token_digest& key, const session& s,
                                          std::uint64_t generation) {
  {
    auto& st = stripe_of(key);
    std::unique_lock lock(st.mutex);
    if (st.generation != generation) return false;
    // A token belongs to one candidate: a cached entry (another lookup's) has the same index.
    st.map.erase(key);
    st.map.try_emplace(key, s);
    st.absent.erase(key);
  }
  index_add(s.candidate_id, key);
  return true;
}

void session_table::revoke(const token_digest& key) { remove(key, true); }

std::optional<session_table::live> session_table::find(const token_digest& key, std::int64_t now) {
  auto& st = stripe_of(key);
  {
    std::shared_lock lock(st.mutex);
    auto it = st.map.find(key);
    if (it == st.map.end()) return std::nullopt;
    const entry& e = it->second;
    if (now < e.expires_at && now - e.last_seen.load(std::memory_order_relaxed) < idle_seconds_) {
      // Concurrent refreshes all store a recent time; which one wins does not matter.
      const_cast<entry&>(e).last_seen.store(now, std::memory_order_relaxed);
      return live{e.candidate_id, e.passwords_set, e.pledged};
    }
  }
  // Expired: gone from both indexes (erase() takes the unique lock).
  erase(key);
  return std::nullopt;
}

bool session_table::resolved_here(const token_digest& key, std::int64_t now) const {
  const auto& st = stripe_of(key);
  std::shared_lock lock(st.mutex);
  if (const auto it = st.map.find(key); it != st.map.end()) {
    const entry& e = it->second;
    return now < e.expires_at && now - e.last_seen.load(std::memory_order_relaxed) < idle_seconds_;
  }
  const auto a = st.absent.find(key);
  return a != st.absent.end() && now < a->second;
}

void session_table::remember_absent(const token_digest& key, std::int64_t until) {
  auto& st = stripe_of(key);
  std::unique_lock lock(st.mutex);
  if (st.absent.size() >= max_absent_per_stripe) {
    // Bounded: a flood of made-up tokens must not grow memory. Forget the entries that end
    // soonest (half of them), which costs at worst one more lookup each.
    std::vector<std::int64_t> ends;
    for (const auto& [k, t] : st.absent) ends.push_back(t);
    std::nth_element(ends.begin(), ends.begin() + ends.size() / 2, ends.end());
    const std::int64_t cut = ends[ends.size() / 2];
    std::erase_if(st.absent, [cut](const auto& kv) { return kv.second <= cut; });
  }
  st.absent[key] = until;
}

std::vector<std::pair<token_digest, std::int64_t>> session_table::take_touched(
    std::int64_t min_advance) {
  std::vector<std::pair<token_digest, std::int64_t>> out;
  for (auto& st : stripes_) {
    std::shared_lock lock(st.mutex);
    for (auto& [key, e] : st.map) {
      const std::int64_t seen = e.last_seen.load(std::memory_order_relaxed);
      if (seen - e.written.load(std::memory_order_relaxed) < min_advance) continue;
      e.written.store(seen, std::memory_order_relaxed);
      out.emplace_back(key, seen);
    }
  }
  return out;
}

void session_table::erase(const token_digest& key) { remove(key, false); }

void session_table::remove(const token_digest& key, bool revoked) {
  auto& st = stripe_of(key);
  std::optional<std::int64_t> candidate;
  {
    std::unique_lock lock(st.mutex);
    if (revoked) ++st.generation;
    if (const auto it = st.map.find(key); it != st.map.end()) {
      candidate = it->second.candidate_id;
      st.map.erase(it);
    }
  }
  if (candidate) index_remove(*candidate, key);
}

void session_table::mark_passwords_set(std::int64_t candidate) {
  for_each_session_of(candidate, [](entry& e) { e.passwords_set = true; });
}

void session_table::mark_pledged(std::int64_t candidate) {
  for_each_session_of(candidate, [](entry& e) { e.pledged = true; });
}

void session_table::erase_others(std::int64_t candidate, const token_digest& keep) {
  for (const auto& key : sessions_of(candidate)) {
    if (key == keep) continue;
    auto& st = stripe_of(key);
    {
      std::unique_lock lock(st.mutex);
      const auto it = st.map.find(key);
      if (it == st.map.end() || it->second.candidate_id != candidate) continue;
      st.map.erase(it);
    }
    index_remove(candidate, key);
  }
}

std::size_t session_table::sweep(std::int64_t now) {
  std::size_t removed = 0;
  std::vector<std::pair<std::int64_t, token_digest>> gone;
  for (auto& st : stripes_) {
    {
      std::unique_lock lock(st.mutex);
      removed += std::erase_if(st.map, [&](const auto& kv) {
        const entry& e = kv.second;
        const bool expired = now >= e.expires_at ||
                             now - e.last_seen.load(std::memory_order_relaxed) >= idle_seconds_;
        if (expired) gone.emplace_back(e.candidate_id, kv.first);
        return expired;
      });
      std::erase_if(st.absent, [now](const auto& kv) { return now >= kv.second; });
    }
    for (const auto& [candidate, key] : gone) index_remove(candidate, key);
    gone.clear();
  }
  return removed;
}

void session_table::remember_save_password(const token_digest& key, const password_memo& memo,
                                           std::int64_t until) {
  auto& st = stripe_of(key);
  std::unique_lock lock(st.mutex);
  auto it = st.map.find(key);
  if (it == st.map.end()) return;
  it->second.save_memo = memo;
  it->second.save_memo_until = until;
}

bool session_table::recalls_save_password(const token_digest& key, const password_memo& memo,
                                          std::int64_t now) const {
  const auto& st = stripe_of(key);
  std::shared_lock lock(st.mutex);
  auto it = st.map.find(key);
  if (it == st.map.end() || now >= it->second.save_memo_until) return false;
  return sodium_memcmp(it->second.save_memo.data(), memo.data(), memo.size()) == 0;
}

void session_table::forget_save_passwords(std::int64_t candidate) {
  for_each_session_of(candidate, [](entry& e) { e.save_memo_until = 0; });
}

void session_table::forget_all_save_passwords() {
  for (auto& st : stripes_) {
    std::unique_lock lock(st.mutex);
    for (auto& [key, e] : st.map) e.save_memo_until = 0;
  }
}

std::vector<std::int64_t> session_table::unsettled_candidates(std::size_t limit) const {
  std::vector<std::int64_t> out;
  for (const auto& st : stripes_) {
    std::shared_lock lock(st.mutex);
    for (const auto& [key, e] : st.map) {
      if (out.size() >= limit) break;
      if (!e.passwords_set || !e.pledged) out.push_back(e.candidate_id);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

password_memo session_table::memo_of(std::string_view password) {
  // One random key per process: memos never leave memory, and a restart forgets them.
  static const auto memo_key = [] {
    std::array<unsigned char, crypto_generichash_KEYBYTES> k;
    randombytes_buf(k.data(), k.size());
    return k;
  }();
  password_memo out;
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                     memo_key.data(), memo_key.size());
  return out;
}

std::size_t session_table::size() const {
  std::size_t n = 0;
  for (const auto& st : stripes_) {
    std::shared_lock lock(st.mutex);
    n += st.map.size();
  }
  return n;
}

std::string session_table::new_token(token_digest& digest) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string token(text);
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size());
  return token;
}

std::optional<token_digest> session_table::digest_of(std::string_view token) {
  if (token.size() != 43) return std::nullopt;
  token_digest d;
  crypto_hash_sha256(d.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return d;
}

std::string_view presented_token(std::string_view authorization, std::string_view cookie) {
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.substr(0, bearer.size()) == bearer) return authorization.substr(bearer.size());
  constexpr std::string_view name = "zy_session=";
  for (std::size_t at = cookie.find(name); at != std::string_view::npos;
       at = cookie.find(name, at + 1)) {
    if (at == 0 || cookie[at - 1] == ' ' || cookie[at - 1] == ';') {
      auto v = cookie.substr(at + name.size());
      return v.substr(0, v.find(';'));
    }
  }
  return {};
}

}  // namespace zhiyuan::server
