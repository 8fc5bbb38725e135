#include "province/synthetic_passwords.hpp"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifdef ZHIYUAN_HAVE_LIBARGON2
#include <argon2.h>
#endif

namespace zhiyuan::loadtest {

namespace {

constexpr std::string_view letters = "abcdefghjkmnpqrstuvwxyz";
constexpr std::string_view digits = "23456789";
constexpr std::uint64_t derivation_key = 0x7a68697975616e31ULL;  // "zhiyuan1"
constexpr std::string_view layout = "LLDLLDLL";

std::string derive(std::string_view purpose, std::string_view prefix, std::string_view exam_no) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  const auto feed = [&h](std::string_view bytes) {
    for (char c : bytes) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  };
  feed(purpose);
  feed(":");
  feed(exam_no);
  std::uint64_t x = h ^ derivation_key;  // splitmix64 finaliser
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  std::string out(prefix);
  for (char kind : layout) {
    const std::string_view alphabet = kind == 'L' ? letters : digits;
    out += alphabet[x % alphabet.size()];
    x /= alphabet.size();
  }
  return out;
}

using steady = std::chrono::steady_clock;

// Candidates per unit of work: small enough to balance threads, large enough to amortise locking.
constexpr std::size_t hash_chunk = 512;

constexpr std::size_t salt_bytes = crypto_pwhash_SALTBYTES;  // 16, as crypto_pwhash_str
constexpr std::size_t hash_bytes = 32;  // as crypto_pwhash_str (STR_HASHBYTES, not exported)

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

#ifdef ZHIYUAN_HAVE_LIBARGON2
// Argon2 memory: one buffer per thread, reused by every hash. By default libargon2 mallocs and
// frees up to 19 MiB per hash; with jemalloc those pages go back to the kernel and fault in
// again each time, which made production-cost hashing ~10x slower than the computation itself.
thread_local std::vector<std::uint8_t> argon2_memory;

int allocate_argon2_memory(std::uint8_t** memory, std::size_t bytes) {
  if (argon2_memory.size() < bytes) argon2_memory.resize(bytes);
  *memory = argon2_memory.data();
  return ARGON2_OK;
}

void keep_argon2_memory(std::uint8_t*, std::size_t) {}

// Appends the unpadded standard base64 of `bytes`, as the PHC string format wants.
void append_base64(std::string& out, const std::uint8_t* bytes, std::size_t n) {
  char text[64];
  sodium_bin2base64(text, sizeof text, bytes, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  out += text;
}
#endif

// Writes the NUL-terminated PHC string of `password` into `out` (crypto_pwhash_STRBYTES).
void hash_into(std::string_view password, const kdf_params& p, const unsigned char* salt,
               char* out) {
#ifdef ZHIYUAN_HAVE_LIBARGON2
  static_assert(salt_bytes <= 32 && hash_bytes <= 32);  // fits append_base64's buffer
  std::string pwd(password);                            // argon2_context wants mutable buffers
  std::uint8_t salt_copy[salt_bytes];
  std::memcpy(salt_copy, salt, salt_bytes);
  std::uint8_t hash[hash_bytes];
  argon2_context ctx{};
  ctx.out = hash;
  ctx.outlen = hash_bytes;
  ctx.pwd = reinterpret_cast<std::uint8_t*>(pwd.data());
  ctx.pwdlen = static_cast<std::uint32_t>(pwd.size());
  ctx.salt = salt_copy;
  ctx.saltlen = salt_bytes;
  ctx.t_cost = static_cast<std::uint32_t>(p.opslimit);
  ctx.m_cost = static_cast<std::uint32_t>(p.memlimit / 1024);
  ctx.lanes = 1;
  ctx.threads = 1;
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = allocate_argon2_memory;
  ctx.free_cbk = keep_argon2_memory;
  ctx.flags = ARGON2_DEFAULT_FLAGS;
  const int rc = argon2_ctx(&ctx, Argon2_id);
  if (rc != ARGON2_OK) {
    throw std::runtime_error(std::string("argon2id hashing failed: ") + argon2_error_message(rc));
  }
  // The string crypto_pwhash_str writes: $argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<hash>
  std::string encoded = "$argon2id$v=19$m=" + std::to_string(ctx.m_cost) +
                        ",t=" + std::to_string(ctx.t_cost) + ",p=1$";
  append_base64(encoded, salt_copy, salt_bytes);
  encoded += '$';
  append_base64(encoded, hash, hash_bytes);
  sodium_memzero(hash, sizeof hash);
  if (encoded.size() >= crypto_pwhash_STRBYTES)
    throw std::runtime_error("argon2id string too long");
  std::memcpy(out, encoded.c_str(), encoded.size() + 1);
#else
  (void)salt;  // libsodium draws its own
  if (crypto_pwhash_str(out, password.data(), password.size(), p.opslimit, p.memlimit) != 0) {
    throw std::runtime_error("crypto_pwhash_str failed (out of memory?)");
  }
#endif
}

}  // namespace

std::string synthetic_login_password(std::string_view exam_no) {
  return derive("login", "Dl", exam_no);
}

std::string synthetic_save_password(std::string_view exam_no) {
  return derive("save", "Bc", exam_no);
}

kdf_params kdf_parameters(kdf_cost cost) noexcept {
  if (cost == kdf_cost::test) return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  return {2, std::size_t{19} * 1024 * 1024};
}

std::string_view to_string(kdf_cost cost) noexcept {
  return cost == kdf_cost::test ? "test" : "production";
}

std::optional<kdf_cost> parse_kdf_cost(std::string_view text) noexcept {
  if (text == "test") return kdf_cost::test;
  if (text == "production") return kdf_cost::production;
  return std::nullopt;
}

std::string_view bulk_hasher_name() noexcept {
#ifdef ZHIYUAN_HAVE_LIBARGON2
  return "libargon2";
#else
  return "libsodium";
#endif
}

std::string hash_password(std::string_view password, kdf_params params) {
  ensure_sodium();
  unsigned char salt[salt_bytes];
  randombytes_buf(salt, sizeof salt);
  char out[crypto_pwhash_STRBYTES] = {};
  hash_into(password, params, salt, out);
  return out;
}

std::string_view password_hashes::slot(std::size_t k) const noexcept {
  const char* p = data_.data() + k * slot_size;
  return {p, ::strnlen(p, slot_size)};
}

// Workers take chunks in order from `next`; `done` marks finished chunks and `ready` counts the
// finished prefix, which is what wait_for() needs.
struct password_hashing::state {
  std::size_t chunks = 0;
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bool> done;
  std::size_t ready = 0;  // chunks [0, ready) are finished
  std::exception_ptr failure;
  steady::time_point start = steady::now();
  std::atomic<double> seconds{0};
  std::vector<std::thread> threads;
};

password_hashing::password_hashing(std::span<const candidate_row> candidates, kdf_cost cost,
                                   int threads)
    : candidates_(candidates), params_(kdf_parameters(cost)), state_(std::make_unique<state>()) {
  static_assert(password_hashes::slot_size == crypto_pwhash_STRBYTES);
  ensure_sodium();
  if (threads <= 0) threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  hashes_.count_ = candidates.size();
  hashes_.data_.assign(candidates.size() * 2 * password_hashes::slot_size, '\0');
  state_->chunks = (candidates.size() + hash_chunk - 1) / hash_chunk;
  state_->done.assign(state_->chunks, false);
  if (state_->chunks == 0) state_->seconds = 1e-9;
  for (int t = 0; t < threads; ++t) state_->threads.emplace_back([this] { work(); });
}

password_hashing::~password_hashing() {
  state_->next.store(state_->chunks);
  for (std::thread& t : state_->threads) {
    if (t.joinable()) t.join();
  }
}

void password_hashing::work() {
  state& st = *state_;
  // One getrandom call per chunk: its salts come from a ChaCha20 stream keyed by it.
  std::vector<unsigned char> salts(hash_chunk * 2 * salt_bytes);
  for (;;) {
    const std::size_t chunk = st.next.fetch_add(1);
    if (chunk >= st.chunks) return;
    const std::size_t begin = chunk * hash_chunk;
    const std::size_t end = std::min(begin + hash_chunk, candidates_.size());
    try {
      unsigned char seed[randombytes_SEEDBYTES];
      randombytes_buf(seed, sizeof seed);
      randombytes_buf_deterministic(salts.data(), salts.size(), seed);
      for (std::size_t i = begin; i < end; ++i) {
        const std::string_view exam_no = candidates_[i].exam_no;
        const unsigned char* salt = salts.data() + (i - begin) * 2 * salt_bytes;
        char* slot = hashes_.data_.data() + 2 * i * password_hashes::slot_size;
        hash_into(synthetic_login_password(exam_no), params_, salt, slot);
        hash_into(synthetic_save_password(exam_no), params_, salt + salt_bytes,
                  slot + password_hashes::slot_size);
      }
    } catch (...) {
      std::lock_guard lock(st.mutex);
      if (!st.failure) st.failure = std::current_exception();
      st.next.store(st.chunks);
      st.changed.notify_all();
      return;
    }
    std::lock_guard lock(st.mutex);
    st.done[chunk] = true;
    while (st.ready < st.chunks && st.done[st.ready]) ++st.ready;
    if (st.ready == st.chunks) {
      st.seconds = std::chrono::duration<double>(steady::now() - st.start).count();
    }
    st.changed.notify_all();
  }
}

void password_hashing::wait_for(std::size_t count) {
  state& st = *state_;
  const std::size_t chunks = std::min(st.chunks, (count + hash_chunk - 1) / hash_chunk);
  std::unique_lock lock(st.mutex);
  st.changed.wait(lock, [&] { return st.failure || st.ready >= chunks; });
  if (st.failure) std::rethrow_exception(st.failure);
}

password_hashes password_hashing::finish() {
  wait_for(candidates_.size());
  for (std::thread& t : state_->threads) t.join();
  state_->threads.clear();
  return std::move(hashes_);
}

double password_hashing::seconds() const noexcept { return state_->seconds.load(); }

password_hashes hash_synthetic_passwords(std::span<const candidate_row> candidates, kdf_cost cost,
                                         int threads) {
  return password_hashing(candidates, cost, threads).finish();
}

}  // namespace zhiyuan::loadtest
