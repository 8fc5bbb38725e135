#include "server/sessions.hpp"

#include <sodium.h>

namespace zhiyuan::server {

void session_table::insert(const token_digest& key, const session& s) {
  auto& st = stripe_of(key);
  std::unique_lock lock(st.mutex);
  st.map.erase(key);
  st.map.try_emplace(key, s);
}

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
  std::unique_lock lock(st.mutex);
  st.map.erase(key);
  return std::nullopt;
}

void session_table::erase(const token_digest& key) {
  auto& st = stripe_of(key);
  std::unique_lock lock(st.mutex);
  st.map.erase(key);
}

void session_table::mark_passwords_set(std::int64_t candidate) {
  for (auto& st : stripes_) {
    std::unique_lock lock(st.mutex);
    for (auto& [key, e] : st.map) {
      if (e.candidate_id == candidate) e.passwords_set = true;
    }
  }
}

void session_table::mark_pledged(std::int64_t candidate) {
  for (auto& st : stripes_) {
    std::unique_lock lock(st.mutex);
    for (auto& [key, e] : st.map) {
      if (e.candidate_id == candidate) e.pledged = true;
    }
  }
}

void session_table::erase_others(std::int64_t candidate, const token_digest& keep) {
  for (auto& st : stripes_) {
    std::unique_lock lock(st.mutex);
    std::erase_if(st.map, [&](const auto& kv) {
      return kv.second.candidate_id == candidate && kv.first != keep;
    });
  }
}

std::size_t session_table::sweep(std::int64_t now) {
  std::size_t removed = 0;
  for (auto& st : stripes_) {
    std::unique_lock lock(st.mutex);
    removed += std::erase_if(st.map, [&](const auto& kv) {
      const entry& e = kv.second;
      return now >= e.expires_at ||
             now - e.last_seen.load(std::memory_order_relaxed) >= idle_seconds_;
    });
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
  for (auto& st : stripes_) {
    std::unique_lock lock(st.mutex);
    for (auto& [key, e] : st.map) {
      if (e.candidate_id == candidate) e.save_memo_until = 0;
    }
  }
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
