#include "storage/write_path.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_set>
#include <vector>

#include "storage/encoding.hpp"
#include "storage/mailbox.hpp"
#include "storage/sql/write_path.hpp"

namespace zhiyuan::storage {
namespace {

using steady = std::chrono::steady_clock;

constexpr std::size_t kind_count = 8;
constexpr std::size_t status_count = 6;
constexpr std::array<op_kind, kind_count> all_kinds{
    op_kind::submit,  op_kind::save_draft, op_kind::favorite_put, op_kind::favorite_delete,
    op_kind::contact, op_kind::confirm,    op_kind::sign_in,      op_kind::pledge};

const char* kind_name(op_kind k) {
  static constexpr std::array<const char*, kind_count> names{
      "submit",  "save_draft", "favorite_put", "favorite_delete",
      "contact", "confirm",    "sign_in",      "pledge"};
  return names[static_cast<std::size_t>(k)];
}

const char* status_name(op_status s) {
  static constexpr std::array<const char*, status_count> names{
      "committed", "replayed", "conflict", "key_mismatch", "unavailable", "failed"};
  return names[static_cast<std::size_t>(s)];
}

// Prepared statement names of a writer connection.
constexpr const char* ps_lookup = "zw_lookup";
constexpr const char* ps_record = "zw_record";
constexpr std::array<const char*, kind_count> ps_apply{"zw_submit",  "zw_draft",   "zw_fav_put",
                                                       "zw_fav_del", "zw_contact", "zw_confirm",
                                                       "zw_sign_in", "zw_pledge"};
constexpr std::array<const char*, kind_count> apply_sql{
    sql::writer_apply_submit,          sql::writer_apply_draft,   sql::writer_apply_favorite_put,
    sql::writer_apply_favorite_delete, sql::writer_apply_contact, sql::writer_apply_confirm,
    sql::writer_apply_sign_in,         sql::writer_apply_pledge};

std::uint64_t mix64(std::uint64_t x) noexcept {
  // splitmix64 finaliser: spreads consecutive candidate ids over writers and stripes.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// --- PostgreSQL array literals, built into reused buffers (no allocation per element) ---

// Starts an array literal in `s` (clearing it) or separates the next element.
void open_array(std::string& s) {
  s.clear();
  s.push_back('{');
}
void separate(std::string& s) {
  if (s.size() > 1) s.push_back(',');
}
void close_array(std::string& s) { s.push_back('}'); }

void append_int(std::string& s, std::int64_t v) {
  separate(s);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, end);
}

void append_bool(std::string& s, bool v) {
  separate(s);
  s.push_back(v ? 't' : 'f');
}

// A quoted element: backslash and double quote are escaped, everything else is literal.
void append_quoted(std::string& s, std::string_view v) {
  separate(s);
  s.push_back('"');
  std::size_t from = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '"' || v[i] == '\\') {
      s.append(v.data() + from, i - from);
      s.push_back('\\');
      from = i;
    }
  }
  s.append(v.data() + from, v.size() - from);
  s.push_back('"');
}

void append_hex(std::string& s, const std::array<std::uint8_t, 32>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  separate(s);
  for (auto b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in PostgreSQL's hex output ("\x…"); false unless exactly 32 bytes.
bool parse_digest(std::string_view text, std::array<std::uint8_t, 32>& out) {
  if (text.size() != 2 + 64 || text[0] != '\\' || text[1] != 'x') return false;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(text[2 + 2 * i]), lo = hex_value(text[3 + 2 * i]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

// --- metrics ---

class histogram {
 public:
  // `scale`: observations are integers in 1/scale of the unit rendered (e.g. µs for seconds).
  histogram(std::vector<double> bounds, double scale)
      : bounds_(std::move(bounds)),
        counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)),
        scale_(scale) {}

  void observe(std::uint64_t v) noexcept {
    const double x = static_cast<double>(v) / scale_;
    std::size_t i = 0;
    while (i < bounds_.size() && x > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
  }

  void render(std::string& out, std::string_view name, std::string_view help) const {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cumulative);
    }
    cumulative += counts_[bounds_.size()].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
    out += fmt::format("{}_sum {}\n", name,
                       static_cast<double>(sum_.load(std::memory_order_relaxed)) / scale_);
    out += fmt::format("{}_count {}\n", name, cumulative);
  }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> sum_{0};
  double scale_;
};

enum class shed_reason : std::uint8_t { overloaded, key_in_flight, stopping };

struct write_metrics {
  std::array<std::atomic<std::uint64_t>, kind_count * status_count> ops{};
  std::array<std::atomic<std::uint64_t>, 3> shed{};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> isolated{0};
  histogram batch_size{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048}, 1.0};
  histogram commit_seconds{{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5},
                           1e6};
};

// Idempotency keys of admitted, uncompleted ops. A striped mutex set is fine here: it is
// touched once at admission and once at completion, never on the per-candidate ordering path,
// and a stripe's critical section is one hash-set operation. Entries view the op's own key
// string, which lives (unmoved) until the op completes.
class in_flight_keys {
 public:
  bool insert(std::int64_t candidate, std::string_view key) {
    auto& s = stripe_of(candidate);
    std::lock_guard lock(s.mutex);
    return s.set.insert(entry{candidate, key}).second;
  }
  void erase(std::int64_t candidate, std::string_view key) {
    auto& s = stripe_of(candidate);
    std::lock_guard lock(s.mutex);
    s.set.erase(entry{candidate, key});
  }

 private:
  struct entry {
    std::int64_t candidate;
    std::string_view key;
    bool operator==(const entry&) const = default;
  };
  struct entry_hash {
    std::size_t operator()(const entry& e) const noexcept {
      return std::hash<std::string_view>{}(e.key) ^ mix64(static_cast<std::uint64_t>(e.candidate));
    }
  };
  struct alignas(64) stripe {
    std::mutex mutex;
    std::unordered_set<entry, entry_hash> set;
  };
  stripe& stripe_of(std::int64_t candidate) {
    return stripes_[mix64(static_cast<std::uint64_t>(candidate)) % stripes_.size()];
  }
  std::array<stripe, 64> stripes_;
};

// Connection-level failures: the outcome of the transaction is unknown or it never ran; retry
// the whole batch on a new connection (idempotency records make that safe; sign-ins and
// pledges write nothing twice by themselves).
bool is_connection_loss(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "40003";
}

using op_ptr = std::unique_ptr<write_op>;

// Another transaction recorded one of the batch's keys after our lookup: roll back, retry.
struct key_race : std::exception {
  const char* what() const noexcept override { return "idempotency key recorded concurrently"; }
};

constexpr std::size_t npos = static_cast<std::size_t>(-1);

}  // namespace

/// One writer: a thread, one connection, a ready queue of scheduled mailboxes.
struct writer_state {
  unsigned index = 0;
  ready_queue ready;
  alignas(64) std::atomic<std::int64_t> depth{0};  // ops queued, not yet in a batch
  std::atomic<bool> sleeping{false};
  std::mutex wake_mutex;
  std::condition_variable wake_cv;
  bool woken = false;  // under wake_mutex
  std::thread thread;

  // Writer thread only.
  std::unique_ptr<pqxx::connection> conn;
  std::vector<mailbox*> carry;  // owned mailboxes to serve in the next batch
  std::vector<mailbox*> carry_spare;
  std::uint64_t batch_number = 0;
  std::vector<std::pair<std::int64_t, std::uint32_t>> index_of;  // candidate → op, sorted
  std::vector<std::uint8_t> fresh;    // not seen before (no stored record): applied by this batch
  std::array<std::string, 7> arrays;  // literal buffers
};

namespace {
// Position in the batch of the candidate's op (at most one per batch), or npos.
std::size_t position_of(const writer_state& w, std::int64_t candidate) {
  auto it = std::lower_bound(w.index_of.begin(), w.index_of.end(),
                             std::pair<std::int64_t, std::uint32_t>{candidate, 0});
  return it == w.index_of.end() || it->first != candidate ? npos : it->second;
}
}  // namespace

class write_path_impl {
 public:
  write_path_impl(std::string conninfo, write_path_options options)
      : conninfo_(std::move(conninfo)),
        options_(std::move(options)),
        directory_(options_.candidate_capacity) {
    if (options_.writers == 0) options_.writers = 1;
    if (options_.max_batch == 0) options_.max_batch = 1;
    for (unsigned i = 0; i < options_.writers; ++i) {
      writers_.push_back(std::make_unique<writer_state>());
      writers_.back()->index = i;
    }
  }

  ~write_path_impl() {
    if (started_ && !stopped_) drain_and_stop(std::chrono::seconds(30));
  }

  void start() {
    if (started_) return;
    started_ = true;
    for (auto& w : writers_) {
      w->thread = std::thread([this, raw = w.get()] { run(*raw); });
    }
  }

  admit try_submit(op_ptr& op) {
    admitting_.fetch_add(1, std::memory_order_seq_cst);
    const admit a = admit_and_push(op);
    admitting_.fetch_sub(1, std::memory_order_seq_cst);
    return a;
  }

  bool drain_and_stop(std::chrono::milliseconds timeout) {
    if (stopped_) return true;
    if (!started_) start();
    stopping_.store(true, std::memory_order_seq_cst);
    paused_.store(false, std::memory_order_seq_cst);
    for (auto& w : writers_) wake(*w, true);
    const auto until = steady::now() + timeout;
    bool drained = false;
    while (true) {
      if (admitting_.load(std::memory_order_seq_cst) == 0 &&
          in_flight_.load(std::memory_order_seq_cst) == 0) {
        drained = true;
        break;
      }
      if (steady::now() >= until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Past the timeout, writers complete what is left as `unavailable` without writing.
    if (!drained) abandon_.store(true, std::memory_order_seq_cst);
    // No producer can push once none is inside try_submit: `stopping_` refuses the rest.
    while (admitting_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
    stop_writers_.store(true, std::memory_order_seq_cst);
    for (auto& w : writers_) wake(*w, true);
    for (auto& w : writers_) {
      if (w->thread.joinable()) w->thread.join();
    }
    stopped_ = true;
    return drained;
  }

  std::size_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }

  void pause() noexcept { paused_.store(true, std::memory_order_seq_cst); }
  void simulate_commit_loss(unsigned batches) noexcept {
    simulated_losses_.store(static_cast<int>(batches), std::memory_order_relaxed);
  }
  void resume() noexcept {
    paused_.store(false, std::memory_order_seq_cst);
    for (auto& w : writers_) wake(*w, true);
  }

  std::string render_metrics() const;

 private:
  admit admit_and_push(op_ptr& op);
  writer_state& writer_of(std::int64_t candidate) {
    return *writers_[mix64(static_cast<std::uint64_t>(candidate)) % writers_.size()];
  }
  void wake(writer_state& w, bool always);
  void sleep(writer_state& w, std::chrono::milliseconds d);
  void run(writer_state& w);
  void collect(writer_state& w, std::vector<op_ptr>& batch);
  void take_from(writer_state& w, mailbox* m, std::vector<op_ptr>& batch);
  void execute(writer_state& w, std::vector<op_ptr>& batch);
  void run_transaction(writer_state& w, std::vector<op_ptr>& ops);
  void apply_kind(writer_state& w, pqxx::work& tx, op_kind kind, std::vector<op_ptr>& ops);
  bool connect(writer_state& w);
  void backoff(std::chrono::milliseconds& delay);
  void complete(op_ptr op, op_status status);
  void expire_retention(writer_state& w);
  void log(const std::string& message) const {
    if (options_.log) {
      options_.log(message);
    } else {
      std::fprintf(stderr, "zhiyuan write_path: %s\n", message.c_str());
    }
  }

  std::string conninfo_;
  write_path_options options_;
  mailbox_directory directory_;
  std::vector<std::unique_ptr<writer_state>> writers_;
  in_flight_keys keys_;
  mutable write_metrics metrics_;

  alignas(64) std::atomic<std::size_t> in_flight_{0};
  alignas(64) std::atomic<std::size_t> admitting_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stop_writers_{false};
  std::atomic<bool> abandon_{false};
  std::atomic<bool> paused_{false};
  std::atomic<int> simulated_losses_{0};
  bool started_ = false;
  bool stopped_ = false;
};

admit write_path_impl::admit_and_push(op_ptr& op) {
  const bool submission = op->kind == op_kind::submit;
  // Formal submissions may fill the caps; every other write is shed at 80% of them.
  const std::size_t cap = submission ? options_.max_in_flight : options_.max_in_flight / 10 * 8;
  const std::size_t queue_cap =
      submission ? options_.max_queue_per_writer : options_.max_queue_per_writer / 10 * 8;
  auto shed = [&](shed_reason r, admit a) {
    in_flight_.fetch_sub(1, std::memory_order_seq_cst);
    metrics_.shed[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    return a;
  };
  // Counted before the stopping check so that drain_and_stop sees this op or refuses it.
  const std::size_t before = in_flight_.fetch_add(1, std::memory_order_seq_cst);
  if (stopping_.load(std::memory_order_seq_cst))
    return shed(shed_reason::stopping, admit::stopping);
  if (before >= cap) return shed(shed_reason::overloaded, admit::overloaded);
  const std::int64_t candidate = op->candidate_id;
  writer_state& w = writer_of(candidate);
  if (w.depth.load(std::memory_order_relaxed) >= static_cast<std::int64_t>(queue_cap)) {
    return shed(shed_reason::overloaded, admit::overloaded);
  }
  if (is_keyed(op->kind) && !keys_.insert(candidate, op->idempotency_key)) {
    return shed(shed_reason::key_in_flight, admit::key_in_flight);
  }
  w.depth.fetch_add(1, std::memory_order_relaxed);
  mailbox& m = directory_.at(candidate);
  // From here the writer may complete and free the op at any moment: touch it no more.
  if (m.push(op.release())) {
    w.ready.push(&m);
    wake(w, false);
  }
  return admit::ok;
}

void write_path_impl::wake(writer_state& w, bool always) {
  // A syscall only when the writer sleeps; the seq_cst load pairs with `sleep`'s store.
  if (!always && !w.sleeping.load(std::memory_order_seq_cst)) return;
  std::lock_guard lock(w.wake_mutex);
  w.woken = true;
  w.wake_cv.notify_one();
}

void write_path_impl::sleep(writer_state& w, std::chrono::milliseconds d) {
  std::unique_lock lock(w.wake_mutex);
  w.sleeping.store(true, std::memory_order_seq_cst);
  // Re-check after announcing sleep: a producer that pushed before reading `sleeping` is seen.
  if (!w.woken && !w.ready.maybe_nonempty() && !stop_writers_.load(std::memory_order_seq_cst)) {
    w.wake_cv.wait_for(lock, d, [&] { return w.woken; });
  }
  w.woken = false;
  w.sleeping.store(false, std::memory_order_relaxed);
}

void write_path_impl::take_from(writer_state& w, mailbox* m, std::vector<op_ptr>& batch) {
  // At most one op per candidate per transaction, so that no set-based statement touches a row
  // twice; a mailbox that already gave an op to this batch waits for the next one.
  if (batch.size() >= options_.max_batch || m->consumer_mark == w.batch_number) {
    w.carry.push_back(m);
    return;
  }
  if (mpsc_node* n = m->pop()) {
    batch.emplace_back(static_cast<write_op*>(n));
    m->consumer_mark = w.batch_number;
    w.depth.fetch_sub(1, std::memory_order_relaxed);
  }
  // Keep serving the mailbox while it may hold more (or a producer is mid-push).
  if (m->maybe_nonempty() || m->release()) w.carry.push_back(m);
}

void write_path_impl::collect(writer_state& w, std::vector<op_ptr>& batch) {
  std::swap(w.carry, w.carry_spare);
  w.carry.clear();
  // Carried mailboxes first: they were scheduled earlier.
  for (mailbox* m : w.carry_spare) take_from(w, m, batch);
  w.carry_spare.clear();
  while (batch.size() < options_.max_batch) {
    mailbox* m = w.ready.pop();
    if (m == nullptr) break;
    take_from(w, m, batch);
  }
}

void write_path_impl::run(writer_state& w) {
  std::vector<op_ptr> batch;
  batch.reserve(options_.max_batch);
  std::size_t last_batch = 0;
  auto next_retention = steady::now() + std::chrono::seconds(5);
  while (true) {
    if (paused_.load(std::memory_order_seq_cst) && !stop_writers_.load(std::memory_order_seq_cst)) {
      sleep(w, std::chrono::milliseconds(5));
      continue;
    }
    ++w.batch_number;
    collect(w, batch);
    // Under load, linger briefly so that the next transaction carries more.
    if (!batch.empty() && options_.max_delay.count() > 0 && batch.size() < options_.max_batch &&
        last_batch >= options_.max_batch / 2) {
      std::this_thread::sleep_for(options_.max_delay);
      collect(w, batch);
    }
    if (batch.empty()) {
      if (!w.carry.empty() || w.ready.maybe_nonempty()) {
        // A producer is between its two stores; it finishes within instructions.
        std::this_thread::yield();
        continue;
      }
      if (stop_writers_.load(std::memory_order_seq_cst)) break;
      if (w.index == 0 && steady::now() >= next_retention) {
        expire_retention(w);
        next_retention = steady::now() + options_.retention_interval;
      }
      sleep(w, std::chrono::milliseconds(200));
      continue;
    }
    last_batch = batch.size();
    metrics_.batch_size.observe(batch.size());
    execute(w, batch);
    batch.clear();
  }
  w.conn.reset();
}

void write_path_impl::complete(op_ptr op, op_status status) {
  op->status = status;
  metrics_.ops[static_cast<std::size_t>(op->kind) * status_count + static_cast<std::size_t>(status)]
      .fetch_add(1, std::memory_order_relaxed);
  // Before `done`: a client that retries after its answer must not see its key in flight.
  if (is_keyed(op->kind)) keys_.erase(op->candidate_id, op->idempotency_key);
  if (completion done = op->done) {
    try {
      done(std::move(op));
    } catch (const std::exception& e) {
      log(fmt::format("completion threw: {}", e.what()));
    }
  }
  in_flight_.fetch_sub(1, std::memory_order_seq_cst);
}

void write_path_impl::backoff(std::chrono::milliseconds& delay) {
  const auto until = steady::now() + delay;
  while (steady::now() < until && !abandon_.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(
        std::min<steady::duration>(std::chrono::milliseconds(10), until - steady::now()));
  }
  delay = std::min(delay * 2, options_.retry_max);
}

bool write_path_impl::connect(writer_state& w) {
  try {
    auto c = std::make_unique<pqxx::connection>(conninfo_);
    {
      pqxx::nontransaction tx(*c);
      tx.exec_params(sql::writer_session, fmt::format("{}-{}", options_.application_name, w.index));
    }
    c->prepare(ps_lookup, sql::writer_keys_lookup);
    c->prepare(ps_record, sql::writer_keys_record);
    for (std::size_t k = 0; k < kind_count; ++k) c->prepare(ps_apply[k], apply_sql[k]);
    w.conn = std::move(c);
    return true;
  } catch (const std::exception& e) {
    log(fmt::format("writer {}: connect failed: {}", w.index, e.what()));
    return false;
  }
}

void write_path_impl::execute(writer_state& w, std::vector<op_ptr>& ops) {
  auto delay = options_.retry_min;
  bool failed_before = false;
  while (!ops.empty()) {
    if (abandon_.load(std::memory_order_relaxed)) {
      for (auto& op : ops) complete(std::move(op), op_status::unavailable);
      ops.clear();
      return;
    }
    // After a failure, ops whose client has given up are answered 503; the first attempt
    // always runs.
    if (failed_before) {
      const auto now = steady::now();
      auto keep = ops.begin();
      for (auto& op : ops) {
        if (op->deadline <= now) {
          complete(std::move(op), op_status::unavailable);
        } else {
          *keep++ = std::move(op);
        }
      }
      ops.erase(keep, ops.end());
      if (ops.empty()) return;
    }
    if (!w.conn && !connect(w)) {
      failed_before = true;
      metrics_.retries.fetch_add(1, std::memory_order_relaxed);
      backoff(delay);
      continue;
    }
    std::string error;
    bool lost = false;
    try {
      const auto begun = steady::now();
      run_transaction(w, ops);
      const auto took =
          std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - begun);
      metrics_.commit_seconds.observe(static_cast<std::uint64_t>(took.count()));
      if (simulated_losses_.load(std::memory_order_relaxed) > 0 &&
          simulated_losses_.fetch_sub(1, std::memory_order_relaxed) > 0) {
        throw pqxx::in_doubt_error("simulated connection loss after COMMIT (test hook)");
      }
      // COMMIT returned: only now is anything acknowledged.
      for (auto& op : ops) complete(std::move(op), op->status);
      ops.clear();
      return;
    } catch (const pqxx::broken_connection& e) {
      lost = true;
      error = e.what();
    } catch (const pqxx::in_doubt_error& e) {
      lost = true;
      error = e.what();
    } catch (const pqxx::statement_completion_unknown& e) {
      lost = true;
      error = e.what();
    } catch (const key_race& e) {
      failed_before = true;
      metrics_.retries.fetch_add(1, std::memory_order_relaxed);
      continue;
    } catch (const pqxx::transaction_rollback& e) {
      // Deadlock or serialization failure against another node: the batch simply reruns.
      failed_before = true;
      metrics_.retries.fetch_add(1, std::memory_order_relaxed);
      log(fmt::format("writer {}: batch rolled back, retrying: {}", w.index, e.what()));
      continue;
    } catch (const pqxx::sql_error& e) {
      lost = is_connection_loss(e) || !w.conn->is_open();
      error = e.what();
    } catch (const std::exception& e) {
      lost = !w.conn->is_open();
      error = e.what();
    }
    if (lost) {
      log(fmt::format("writer {}: connection lost, reconnecting: {}", w.index, error));
      w.conn.reset();
      metrics_.reconnects.fetch_add(1, std::memory_order_relaxed);
      metrics_.retries.fetch_add(1, std::memory_order_relaxed);
      failed_before = true;
      backoff(delay);
      continue;
    }
    // A statement failed on its data (or a bug): find the op by running each alone.
    if (ops.size() == 1) {
      log(fmt::format("writer {}: op failed (candidate {}, kind {}): {}", w.index,
                      ops[0]->candidate_id, kind_name(ops[0]->kind), error));
      complete(std::move(ops[0]), op_status::failed);
      ops.clear();
      return;
    }
    metrics_.isolated.fetch_add(1, std::memory_order_relaxed);
    log(fmt::format("writer {}: batch of {} failed, isolating: {}", w.index, ops.size(), error));
    std::vector<op_ptr> one;
    for (auto& op : ops) {
      one.clear();
      one.push_back(std::move(op));
      execute(w, one);
    }
    ops.clear();
    return;
  }
}

void write_path_impl::run_transaction(writer_state& w, std::vector<op_ptr>& ops) {
  const std::size_t n = ops.size();
  w.index_of.clear();
  for (std::size_t i = 0; i < n; ++i) {
    write_op& op = *ops[i];
    op.status = op_status::failed;
    op.version = 0;
    op.committed_at_us = 0;
    op.prev_hash = {};
    op.has_prev_hash = false;
    op.receipt_hash = {};
    op.first_at_us = 0;
    op.response_status = 0;
    op.response_body.clear();
    w.index_of.emplace_back(op.candidate_id, static_cast<std::uint32_t>(i));
  }
  std::sort(w.index_of.begin(), w.index_of.end());
  w.fresh.assign(n, 1);
  auto& a = w.arrays;

  pqxx::work tx(*w.conn);
  // 1. Keys seen before: replay the stored response or refuse a different body; not applied.
  //    Sign-ins and pledges are not keyed: neither looked up nor recorded.
  for (int k = 0; k < 3; ++k) open_array(a[k]);
  std::size_t lookups = 0;
  for (const auto& op : ops) {
    if (!is_keyed(op->kind)) continue;
    ++lookups;
    append_int(a[0], op->candidate_id);
    append_quoted(a[1], op->idempotency_key);
    append_hex(a[2], op->request_hash);
  }
  for (int k = 0; k < 3; ++k) close_array(a[k]);
  pqxx::result stored;
  if (lookups > 0) stored = tx.exec_prepared(ps_lookup, a[0], a[1], a[2]);
  for (const auto& row : stored) {
    const std::size_t i = position_of(w, row[0].as<std::int64_t>());
    if (i == npos) continue;
    write_op& op = *ops[i];
    w.fresh[i] = 0;
    const int status = row[2].as<int>();
    if (!row[1].as<bool>()) {
      op.status = op_status::key_mismatch;
    } else if (status != 0) {
      op.status = op_status::replayed;
      op.response_status = static_cast<unsigned>(status);
      op.response_body.assign(row[3].c_str(), row[3].size());
    } else {
      op.status = op_status::unavailable;  // not written by this version; never expected
    }
  }
  // 2. One set-based statement per kind present.
  for (op_kind kind : all_kinds) apply_kind(w, tx, kind, ops);
  // 3. Render the new writes' responses and record them with their keys, then COMMIT.
  for (int k = 0; k < 5; ++k) open_array(a[k]);
  std::size_t fresh = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!w.fresh[i]) continue;
    write_op& op = *ops[i];
    unsigned status = 200;
    op.response_body.clear();
    if (op.render != nullptr) op.render(op, status, op.response_body);
    op.response_status = status;
    if (!is_keyed(op.kind)) continue;
    append_int(a[0], op.candidate_id);
    append_quoted(a[1], op.idempotency_key);
    append_hex(a[2], op.request_hash);
    append_int(a[3], static_cast<std::int64_t>(status));
    append_quoted(a[4], op.response_body);
    ++fresh;
  }
  for (int k = 0; k < 5; ++k) close_array(a[k]);
  if (fresh > 0) {
    const pqxx::result recorded = tx.exec_prepared(ps_record, a[0], a[1], a[2], a[3], a[4]);
    if (static_cast<std::size_t>(recorded.affected_rows()) != fresh) throw key_race{};
  }
  tx.commit();
}

void write_path_impl::apply_kind(writer_state& w, pqxx::work& tx, op_kind kind,
                                 std::vector<op_ptr>& ops) {
  auto& a = w.arrays;
  for (auto& s : a) open_array(s);
  std::size_t count = 0;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!w.fresh[i] || ops[i]->kind != kind) continue;
    const write_op& op = *ops[i];
    ++count;
    append_int(a[0], op.candidate_id);
    switch (kind) {
      case op_kind::submit:
        append_int(a[1], op.batch);
        append_bool(a[2], op.drill);
        append_int(a[3], op.base_version);
        append_quoted(a[4], op.payload);
        append_quoted(a[5], op.receipt_head);
        append_int(a[6], op.accepted_at_us);
        break;
      case op_kind::save_draft:
        append_int(a[1], op.batch);
        append_bool(a[2], op.drill);
        append_int(a[3], op.base_version);
        append_quoted(a[4], op.payload);
        break;
      case op_kind::favorite_put:
        append_quoted(a[1], op.payload2);
        append_quoted(a[2], op.payload);
        append_quoted(a[3], op.payload3);
        break;
      case op_kind::favorite_delete:
        append_quoted(a[1], op.payload2);
        append_quoted(a[2], op.payload);
        break;
      case op_kind::contact:
        append_int(a[1], op.base_version);
        append_quoted(a[2], op.payload);
        append_quoted(a[3], op.payload2);
        break;
      case op_kind::confirm:
        append_int(a[1], op.base_version);
        append_quoted(a[2], op.payload);
        append_int(a[3], op.accepted_at_us);
        break;
      case op_kind::sign_in:
        append_hex(a[1], op.digest);
        append_int(a[2], op.expires_at);
        append_quoted(a[3], op.payload);
        append_quoted(a[4], op.payload2);
        append_quoted(a[5], array_literal(op.windows));
        break;
      case op_kind::pledge:
        append_int(a[1], op.accepted_at_us);
        break;
    }
  }
  if (count == 0) return;
  for (auto& s : a) close_array(s);
  const char* ps = ps_apply[static_cast<std::size_t>(kind)];
  pqxx::result r;
  switch (kind) {
    case op_kind::submit:
      r = tx.exec_prepared(ps, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
      break;
    case op_kind::save_draft:
      r = tx.exec_prepared(ps, a[0], a[1], a[2], a[3], a[4]);
      break;
    case op_kind::favorite_put:
    case op_kind::contact:
    case op_kind::confirm:
      r = tx.exec_prepared(ps, a[0], a[1], a[2], a[3]);
      break;
    case op_kind::favorite_delete:
      r = tx.exec_prepared(ps, a[0], a[1], a[2]);
      break;
    case op_kind::sign_in:
      r = tx.exec_prepared(ps, a[0], a[1], a[2], a[3], a[4], a[5]);
      break;
    case op_kind::pledge:
      r = tx.exec_prepared(ps, a[0], a[1]);
      break;
  }
  // Every op of this kind not returned lost its version check.
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (w.fresh[i] && ops[i]->kind == kind) ops[i]->status = op_status::conflict;
  }
  for (const auto& row : r) {
    const std::size_t i = position_of(w, row[0].as<std::int64_t>());
    if (i == npos) continue;
    write_op& op = *ops[i];
    op.status = op_status::committed;
    op.version = row[1].as<std::int64_t>();
    op.has_prev_hash = !row[2].is_null() &&
                       parse_digest(std::string_view(row[2].c_str(), row[2].size()), op.prev_hash);
    op.committed_at_us = row[3].as<std::int64_t>();
    if (kind == op_kind::pledge) {
      op.first_at_us = row[4].as<std::int64_t>();
    } else if (row.size() > 4 &&
               !parse_digest(std::string_view(row[4].c_str(), row[4].size()), op.receipt_hash)) {
      throw std::runtime_error("write path: the database returned no receipt hash");
    }
  }
}

void write_path_impl::expire_retention(writer_state& w) {
  if (!w.conn && !connect(w)) return;
  constexpr int chunk = 5'000;
  try {
    // Bounded: a few chunks per tick, so that the writer's batches wait little.
    for (int i = 0; i < 20; ++i) {
      pqxx::work tx(*w.conn);
      const auto r = tx.exec_params(
          sql::writer_keys_expire, static_cast<int>(options_.idempotency_retention.count()), chunk);
      tx.commit();
      if (r.affected_rows() < static_cast<pqxx::result::size_type>(chunk)) break;
    }
  } catch (const std::exception& e) {
    log(fmt::format("writer {}: idempotency retention failed: {}", w.index, e.what()));
    if (!w.conn->is_open()) w.conn.reset();
  }
}

std::string write_path_impl::render_metrics() const {
  std::string out;
  out.reserve(8192);
  metrics_.batch_size.render(out, "zhiyuan_writer_batch_size", "Operations per transaction.");
  metrics_.commit_seconds.render(out, "zhiyuan_writer_commit_seconds",
                                 "Batch transaction time from BEGIN until COMMIT returned.");
  out +=
      "# HELP zhiyuan_writer_queue_depth Operations queued per writer, not yet in a batch.\n"
      "# TYPE zhiyuan_writer_queue_depth gauge\n";
  for (const auto& w : writers_) {
    out += fmt::format("zhiyuan_writer_queue_depth{{writer=\"{}\"}} {}\n", w->index,
                       w->depth.load(std::memory_order_relaxed));
  }
  out +=
      "# HELP zhiyuan_writer_operations_total Completed operations by kind and outcome.\n"
      "# TYPE zhiyuan_writer_operations_total counter\n";
  for (std::size_t k = 0; k < kind_count; ++k) {
    for (std::size_t s = 0; s < status_count; ++s) {
      out += fmt::format("zhiyuan_writer_operations_total{{kind=\"{}\",status=\"{}\"}} {}\n",
                         kind_name(static_cast<op_kind>(k)), status_name(static_cast<op_status>(s)),
                         metrics_.ops[k * status_count + s].load(std::memory_order_relaxed));
    }
  }
  out += fmt::format(
      "# HELP zhiyuan_writer_retries_total Batch attempts repeated after a failure.\n"
      "# TYPE zhiyuan_writer_retries_total counter\nzhiyuan_writer_retries_total {}\n"
      "# HELP zhiyuan_writer_reconnects_total Writer connections dropped and re-opened.\n"
      "# TYPE zhiyuan_writer_reconnects_total counter\nzhiyuan_writer_reconnects_total {}\n"
      "# HELP zhiyuan_writer_isolations_total Failed batches re-run one op per transaction.\n"
      "# TYPE zhiyuan_writer_isolations_total counter\nzhiyuan_writer_isolations_total {}\n",
      metrics_.retries.load(std::memory_order_relaxed),
      metrics_.reconnects.load(std::memory_order_relaxed),
      metrics_.isolated.load(std::memory_order_relaxed));
  out +=
      "# HELP zhiyuan_writer_shed_total Operations refused at admission.\n"
      "# TYPE zhiyuan_writer_shed_total counter\n";
  static constexpr std::array<const char*, 3> reasons{"overloaded", "key_in_flight", "stopping"};
  for (std::size_t r = 0; r < reasons.size(); ++r) {
    out += fmt::format("zhiyuan_writer_shed_total{{reason=\"{}\"}} {}\n", reasons[r],
                       metrics_.shed[r].load(std::memory_order_relaxed));
  }
  out += fmt::format(
      "# HELP zhiyuan_writer_in_flight Operations admitted and not yet completed.\n"
      "# TYPE zhiyuan_writer_in_flight gauge\nzhiyuan_writer_in_flight {}\n",
      in_flight_.load(std::memory_order_relaxed));
  return out;
}

write_path::write_path(std::string conninfo, write_path_options options)
    : impl_(std::make_unique<write_path_impl>(std::move(conninfo), std::move(options))) {}
write_path::~write_path() = default;
void write_path::start() { impl_->start(); }
admit write_path::try_submit(std::unique_ptr<write_op>& op) { return impl_->try_submit(op); }
bool write_path::drain_and_stop(std::chrono::milliseconds timeout) {
  return impl_->drain_and_stop(timeout);
}
std::size_t write_path::in_flight() const noexcept { return impl_->in_flight(); }
std::string write_path::render_metrics() const { return impl_->render_metrics(); }
void write_path::pause() noexcept { impl_->pause(); }
void write_path::resume() noexcept { impl_->resume(); }
void write_path::simulate_commit_loss(unsigned batches) noexcept {
  impl_->simulate_commit_loss(batches);
}

}  // namespace zhiyuan::storage
