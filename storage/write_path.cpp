// The write path's admission, mailboxes, writer loop and retries (contract: write_path.hpp).
// What a batch's transaction does is elsewhere: the idempotency records in idempotency.cpp,
// the statement of each kind of op in write_kinds.cpp; the metrics in write_metrics.cpp.
#include "storage/write_path.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/admission.hpp"
#include "storage/idempotency.hpp"
#include "storage/mailbox.hpp"
#include "storage/sql/write_path.hpp"
#include "storage/write_batch.hpp"
#include "storage/write_kinds.hpp"
#include "storage/write_metrics.hpp"

namespace zhiyuan::storage {
namespace {

using steady = std::chrono::steady_clock;

// Batches at least this large measure a writer's time per write (admission by waiting time).
constexpr std::size_t min_paced_batch = 16;

// How a write of `kind` gives way under overload (core::class_budget_us).
core::work_class work_class_of(op_kind kind) noexcept {
  if (kind == op_kind::submit) return core::work_class::submission;
  return kind == op_kind::sign_in ? core::work_class::sign_in : core::work_class::write;
}

std::uint64_t mix64(std::uint64_t x) noexcept {
  // splitmix64 finaliser: spreads consecutive candidate ids over writers and stripes.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

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

}  // namespace

/// One writer: a thread, one connection, a ready queue of scheduled mailboxes.
struct writer_state {
  unsigned index = 0;
  ready_queue ready;
  alignas(64) std::atomic<std::int64_t> depth{0};  // ops queued, not yet in a batch
  std::atomic<std::int64_t> op_us{0};              // smoothed batch time per op (admission by wait)
  core::service_time pace;                         // writer thread only: what op_us publishes
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
  write_batch batch;      // the transaction's scratch
  bool in_doubt = false;  // a COMMIT's outcome was lost; the next attempt resolves it
};

// The wait of a write queued behind `depth` others at this writer's measured pace (one writer
// serves its queue: core::expected_wait_us with one server).
std::int64_t writer_wait_us(const writer_state& w, std::int64_t depth) noexcept {
  return core::expected_wait_us(static_cast<std::size_t>(std::max<std::int64_t>(depth, 0)), 1,
                                w.op_us.load(std::memory_order_relaxed));
}

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
  std::chrono::microseconds max_wait() const noexcept { return options_.max_wait; }
  std::chrono::microseconds expected_wait() const noexcept {
    std::int64_t most = 0;
    for (const auto& w : writers_) {
      most = std::max(most, writer_wait_us(*w, w->depth.load(std::memory_order_relaxed)));
    }
    return std::chrono::microseconds(most);
  }

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
  bool sleep(writer_state& w, std::chrono::milliseconds d);
  void run(writer_state& w);
  void collect(writer_state& w, std::vector<op_ptr>& batch);
  void take_from(writer_state& w, mailbox* m, std::vector<op_ptr>& batch);
  void execute(writer_state& w, std::vector<op_ptr>& batch);
  // How one attempt at a batch's transaction ended.
  enum class attempt : std::uint8_t { committed, retry, reconnect, op_failed };
  attempt try_batch(writer_state& w, std::vector<op_ptr>& ops, std::string& error);
  bool drop_expired(std::vector<op_ptr>& ops);
  void isolate(writer_state& w, std::vector<op_ptr>& ops, const std::string& error);
  void count_in_doubt(writer_state& w, const std::vector<op_ptr>& ops);
  void run_transaction(writer_state& w, std::vector<op_ptr>& ops);
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
  const bool submission = op->kind() == op_kind::submit;
  // Formal submissions may fill the caps; every other write is shed at 80% of them.
  const std::size_t cap = submission ? options_.max_in_flight : options_.max_in_flight / 10 * 8;
  const std::size_t queue_cap =
      submission ? options_.max_queue_per_writer : options_.max_queue_per_writer / 10 * 8;
  auto shed = [&](shed_reason r, admit a) {
    in_flight_.fetch_sub(1, std::memory_order_seq_cst);
    metrics_.refused(r);
    return a;
  };
  // Counted before the stopping check so that drain_and_stop sees this op or refuses it.
  const std::size_t before = in_flight_.fetch_add(1, std::memory_order_seq_cst);
  if (stopping_.load(std::memory_order_seq_cst))
    return shed(shed_reason::stopping, admit::stopping);
  if (before >= cap) return shed(shed_reason::overloaded, admit::overloaded);
  const std::int64_t candidate = op->candidate_id;
  writer_state& w = writer_of(candidate);
  const std::int64_t depth = w.depth.load(std::memory_order_relaxed);
  if (depth >= static_cast<std::int64_t>(queue_cap)) {
    return shed(shed_reason::overloaded, admit::overloaded);
  }
  // Bounded by the wait, not the length: the writes ahead at this writer's measured pace.
  const std::int64_t wait = writer_wait_us(w, depth);
  if (!core::admit_within(
          wait, core::class_budget_us(work_class_of(op->kind()), options_.max_wait.count()))) {
    return shed(shed_reason::overloaded, admit::overloaded);
  }
  if (is_keyed(op->kind()) && !keys_.insert(candidate, op->idempotency_key)) {
    return shed(shed_reason::key_in_flight, admit::key_in_flight);
  }
  w.depth.fetch_add(1, std::memory_order_relaxed);
  mailbox& m = directory_.at(candidate);
  // From here the writer may complete and free the op at any moment: touch it no more.
  op->queued_at = steady::now();
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

// Returns whether it slept its whole time `d` (no wake-up came).
bool write_path_impl::sleep(writer_state& w, std::chrono::milliseconds d) {
  std::unique_lock lock(w.wake_mutex);
  w.sleeping.store(true, std::memory_order_seq_cst);
  bool timed_out = false;
  // Re-check after announcing sleep: a producer that pushed before reading `sleeping` is seen.
  if (!w.woken && !w.ready.maybe_nonempty() && !stop_writers_.load(std::memory_order_seq_cst)) {
    timed_out = !w.wake_cv.wait_for(lock, d, [&] { return w.woken; });
  }
  w.woken = false;
  w.sleeping.store(false, std::memory_order_relaxed);
  return timed_out;
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
    metrics_.queue_wait_seconds.observe(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       steady::now() - batch.back()->queued_at)
                                       .count()));
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
      // Work found after a whole idle period: its wake-up was lost (it waited that long), or,
      // rarely, it arrived just as the period ended. Repeated lines mean the former.
      if (sleep(w, std::chrono::milliseconds(200)) && w.ready.maybe_nonempty()) {
        log(fmt::format("writer {}: work found after a whole idle period (wake-up lost?)",
                        w.index));
      }
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
  metrics_.completed(op->kind(), status);
  // Before `done`: a client that retries after its answer must not see its key in flight.
  if (is_keyed(op->kind())) keys_.erase(op->candidate_id, op->idempotency_key);
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
    prepare_idempotency(*c);
    prepare_kinds(*c);
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
  // A lost COMMIT is resolved by this batch's own rerun only (none when all its ops expire).
  w.in_doubt = false;
  while (!ops.empty()) {
    if (abandon_.load(std::memory_order_relaxed)) {
      for (auto& op : ops) complete(std::move(op), op_status::unavailable);
      ops.clear();
      return;
    }
    // After a failure, ops whose client has given up are answered 503; the first attempt
    // always runs.
    if (failed_before && !drop_expired(ops)) return;
    if (!w.conn && !connect(w)) {
      failed_before = true;
      metrics_.retries.fetch_add(1, std::memory_order_relaxed);
      backoff(delay);
      continue;
    }
    std::string error;
    switch (try_batch(w, ops, error)) {
      case attempt::committed:
        return;
      case attempt::retry:
        failed_before = true;
        continue;
      case attempt::reconnect:
        failed_before = true;
        backoff(delay);
        continue;
      case attempt::op_failed:
        isolate(w, ops, error);
        return;
    }
  }
}

// Completes the ops past their deadline as `unavailable`; false when none is left.
bool write_path_impl::drop_expired(std::vector<op_ptr>& ops) {
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
  return !ops.empty();
}

// One attempt at the batch's transaction. On `committed` every op is completed; otherwise
// none is, and `error` says why (for `reconnect` and `op_failed`).
write_path_impl::attempt write_path_impl::try_batch(writer_state& w, std::vector<op_ptr>& ops,
                                                    std::string& error) {
  bool lost = false;
  try {
    const auto begun = steady::now();
    run_transaction(w, ops);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - begun);
    metrics_.commit_seconds.observe(static_cast<std::uint64_t>(took.count()));
    // The time per write from batches large enough to spread a transaction's fixed cost (its
    // round trips and WAL flush): the writes queued ahead go into one batch, so small batches'
    // time per write would count that fixed cost once per queued write.
    if (ops.size() >= min_paced_batch) {
      w.pace.observe(took.count() / static_cast<std::int64_t>(ops.size()));
      w.op_us.store(w.pace.mean_us, std::memory_order_relaxed);
    }
    // Every op behind this writer waited as long: say so, to find what stalls a surge.
    if (took >= std::chrono::milliseconds(100)) {
      log(fmt::format("writer {}: slow batch: {} ops in {} ms", w.index, ops.size(),
                      took.count() / 1000));
    }
    if (simulated_losses_.load(std::memory_order_relaxed) > 0 &&
        simulated_losses_.fetch_sub(1, std::memory_order_relaxed) > 0) {
      throw pqxx::in_doubt_error("simulated connection loss after COMMIT (test hook)");
    }
    if (w.in_doubt) count_in_doubt(w, ops);
    // COMMIT returned: only now is anything acknowledged.
    // The status first: the order of arguments is unspecified, and clang moves `op` out first.
    for (auto& op : ops) {
      const auto status = op->status;
      complete(std::move(op), status);
    }
    ops.clear();
    return attempt::committed;
  } catch (const pqxx::broken_connection& e) {
    lost = true;
    error = e.what();
  } catch (const pqxx::in_doubt_error& e) {
    lost = w.in_doubt = true;
    error = e.what();
  } catch (const pqxx::statement_completion_unknown& e) {
    lost = w.in_doubt = true;
    error = e.what();
  } catch (const key_race& e) {
    metrics_.retries.fetch_add(1, std::memory_order_relaxed);
    return attempt::retry;
  } catch (const pqxx::transaction_rollback& e) {
    // Deadlock or serialization failure against another node: the batch simply reruns.
    metrics_.retries.fetch_add(1, std::memory_order_relaxed);
    log(fmt::format("writer {}: batch rolled back, retrying: {}", w.index, e.what()));
    return attempt::retry;
  } catch (const pqxx::sql_error& e) {
    lost = is_connection_loss(e) || !w.conn->is_open();
    error = e.what();
  } catch (const std::exception& e) {
    lost = !w.conn->is_open();
    error = e.what();
  }
  if (!lost) return attempt::op_failed;
  log(fmt::format("writer {}: connection lost, reconnecting: {}", w.index, error));
  w.conn.reset();
  metrics_.reconnects.fetch_add(1, std::memory_order_relaxed);
  metrics_.retries.fetch_add(1, std::memory_order_relaxed);
  return attempt::reconnect;
}

// The rerun of a batch whose COMMIT was lost: a replayed op means the first COMMIT had landed.
void write_path_impl::count_in_doubt(writer_state& w, const std::vector<op_ptr>& ops) {
  w.in_doubt = false;
  const bool landed = std::any_of(
      ops.begin(), ops.end(), [](const op_ptr& op) { return op->status == op_status::replayed; });
  metrics_.in_doubt[landed ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
}

// A statement failed on its data (or a bug): find the op by running each alone.
void write_path_impl::isolate(writer_state& w, std::vector<op_ptr>& ops, const std::string& error) {
  if (ops.size() == 1) {
    log(fmt::format("writer {}: op failed (candidate {}, kind {}): {}", w.index,
                    ops[0]->candidate_id, kind_name(ops[0]->kind()), error));
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
}

void write_path_impl::run_transaction(writer_state& w, std::vector<op_ptr>& ops) {
  w.batch.begin(ops);
  if (std::all_of(ops.begin(), ops.end(),
                  [](const op_ptr& op) { return op->kind() == op_kind::submit; })) {
    // The surge's batch: one autocommitted statement writes and records every submission
    // (no BEGIN, no COMMIT round trip); only version conflicts need a second one, whose
    // record is an answer, not a write, so it need not share the first one's commit.
    pqxx::nontransaction tx(*w.conn);
    submit_keyed(tx, w.batch);
    record_keys(tx, w.batch);
    return;
  }
  pqxx::work tx(*w.conn);
  // 1. Keys seen before: replay the stored response or refuse a different body; not applied.
  look_up_keys(tx, w.batch);
  // 2. One set-based statement per kind present, the submissions with their keys.
  submit_keyed(tx, w.batch);
  apply_kinds(tx, w.batch);
  // 3. Render the new writes' responses and record them with their keys, then COMMIT.
  record_keys(tx, w.batch);
  tx.commit();
}

void write_path_impl::expire_retention(writer_state& w) {
  if (!w.conn && !connect(w)) return;
  try {
    expire_keys(*w.conn, options_.idempotency_retention);
  } catch (const std::exception& e) {
    log(fmt::format("writer {}: idempotency retention failed: {}", w.index, e.what()));
    if (!w.conn->is_open()) w.conn.reset();
  }
}

std::string write_path_impl::render_metrics() const {
  std::vector<std::int64_t> depths;
  depths.reserve(writers_.size());
  for (const auto& w : writers_) depths.push_back(w->depth.load(std::memory_order_relaxed));
  return metrics_.render(depths, in_flight_.load(std::memory_order_relaxed),
                         options_.max_queue_per_writer);
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
std::chrono::microseconds write_path::expected_wait() const noexcept {
  return impl_->expected_wait();
}
bool write_path::admits(core::work_class c) const noexcept {
  return core::admit_within(impl_->expected_wait().count(),
                            core::class_budget_us(c, impl_->max_wait().count()));
}
std::string write_path::render_metrics() const { return impl_->render_metrics(); }
void write_path::pause() noexcept { impl_->pause(); }
void write_path::resume() noexcept { impl_->resume(); }
void write_path::simulate_commit_loss(unsigned batches) noexcept {
  impl_->simulate_commit_loss(batches);
}

}  // namespace zhiyuan::storage
