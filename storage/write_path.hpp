#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/admission.hpp"
#include "storage/mailbox.hpp"

namespace zhiyuan::storage {

/// What a durable write does. Every kind is applied by set-based statements per batch.
enum class op_kind : std::uint8_t {
  submit,           ///< formal submission (正式志愿) of one batch: applications + history
  save_draft,       ///< draft (志愿草稿) of one batch
  favorite_put,     ///< add or re-categorise a favourite
  favorite_delete,  ///< remove a favourite
  contact,          ///< phone and mailing address
  confirm,          ///< household-registration or physical-exam confirmation
  sign_in,          ///< a new session with its login record and window statistics (not keyed)
  pledge,           ///< the filing pledge (承诺书); its first acceptance time sticks (not keyed)
};

/// Whether writes of `kind` carry an Idempotency-Key (looked up, recorded, replayed). Sign-ins
/// and pledges do not: applying them twice changes nothing.
constexpr bool is_keyed(op_kind kind) noexcept {
  return kind != op_kind::sign_in && kind != op_kind::pledge;
}

/// How a write ended. Only `committed` and `replayed` mean the data is durable.
enum class op_status : std::uint8_t {
  committed,     ///< applied; COMMIT returned
  replayed,      ///< same Idempotency-Key and body seen before: stored response returned
  conflict,      ///< the version it was based on is stale (nothing written)
  key_mismatch,  ///< same Idempotency-Key, different body (nothing written) → 422
  unavailable,   ///< could not commit before the deadline (database down) → 503
  failed,        ///< a bug or bad data; logged → 500
};

/// What each kind of write binds, one struct per kind: the alternative an op's `args` holds is
/// its kind (`write_op::kind`), so a field means one thing only.

/// One batch's choices (submit and save_draft).
struct choices_args {
  std::int16_t batch = 0;          ///< database encoding
  bool drill = false;              ///< 模拟演练 data, kept apart
  std::int64_t base_version = -1;  ///< version it was based on; -1: none (last write wins)
  std::string choices;             ///< canonical encoding of the choices
  std::array<std::uint8_t, 32> choices_sha256{};  ///< SHA-256 of `choices`, for the receipt
  std::string exam_no;                            ///< for the receipt
};

/// A formal submission (正式志愿) of one batch: applications + history.
struct submit_args : choices_args {
  /// core::receipt_head of the receipt; the database appends version and previous hash and
  /// stores the SHA-256 of the whole as the version's receipt hash.
  std::string receipt_head;
};

/// A draft (志愿草稿) of one batch.
struct draft_args : choices_args {};

/// A favourite (收藏): a college or a major group.
struct favorite_args {
  std::int16_t kind = 0;  ///< 0 college, 1 group
  std::string target;     ///< college code or group id
};

/// Add or re-categorise a favourite.
struct favorite_put_args : favorite_args {
  std::string category;
};

/// Remove a favourite (removing an absent one succeeds too).
struct favorite_delete_args : favorite_args {};

/// Phone and mailing address, with the profile version check.
struct contact_args {
  std::int64_t base_version = -1;  ///< profile version it was based on; -1: none
  std::string phone;               ///< empty: none
  std::string address;             ///< JSON object; empty: none
};

/// The household-registration or physical-exam confirmation.
struct confirm_args {
  std::int64_t base_version = -1;  ///< profile version it was based on; -1: none
  std::string what;                ///< "household" | "physical_exam"
};

/// A new session with its login record and the sign-in during open filing windows.
struct sign_in_args {
  std::array<std::uint8_t, 32> token_hash{};
  std::int64_t expires_at = 0;        ///< session expiry, unix seconds
  std::string ip;                     ///< client address, or ""
  std::string user_agent;             ///< User-Agent header
  std::vector<std::int16_t> windows;  ///< batches (database encoding) in their filing window
};

/// The filing pledge (承诺书): binds nothing beyond the candidate and `accepted_at_us`.
struct pledge_args {};

/// The arguments of a write, in the order of `op_kind`.
using write_args = std::variant<submit_args, draft_args, favorite_put_args, favorite_delete_args,
                                contact_args, confirm_args, sign_in_args, pledge_args>;

struct write_op;

/// Renders the HTTP status and body stored with the idempotency record, on the writer thread,
/// inside the transaction and before COMMIT (so a replay returns exactly these bytes). Called
/// for ops whose status is `committed` or `conflict` (both outcomes are final and stored);
/// never for the others. May be null: then status 200 and an empty body are stored.
using response_renderer = void (*)(const write_op& op, unsigned& status, std::string& body);
/// Called on the writer thread after the outcome is final (after COMMIT for durable outcomes);
/// takes the op back. The server posts to the connection's executor from here.
using completion = void (*)(std::unique_ptr<write_op> op);

/// One durable write, owned by the write path between `try_submit` and `done`.
/// Intrusive: the `mpsc_node` base (`next`) links it into its candidate's mailbox (no
/// allocation per enqueue).
///
/// On `replayed` `response_status` and `response_body` are the stored response (a submission's
/// receipt rendered again from the version its slim record names, whose `version`,
/// `committed_at_us`, `accepted_at_us` and hashes are then filled); `version`,
/// `committed_at_us` and `prev_hash` are otherwise filled on `committed` only.
struct write_op : mpsc_node {
  // --- input, filled by the server ---
  std::int64_t candidate_id = 0;
  write_args args;  ///< what to write; its alternative is the op's kind
  /// Client's key, or one the server generated. Ignored for sign_in and pledge, which are not
  /// keyed (applying them twice changes nothing; never replayed): no lookup, no record, no
  /// in-flight check.
  std::string idempotency_key;
  std::array<std::uint8_t, 32> request_hash{};  ///< SHA-256 of method, path and body
  std::int64_t accepted_at_us = 0;              ///< unix µs when the server accepted the request
  std::chrono::steady_clock::time_point deadline;   ///< give up (503) after this
  std::chrono::steady_clock::time_point queued_at;  ///< set at admission (queue wait metric)
  response_renderer render = nullptr;
  const void* render_context = nullptr;  ///< the server's, for `render` (e.g. a signing key)
  /// A submission whose receipt is not stored (slim record): when set, the writer does not
  /// render a committed or replayed one; the server renders it after completion, off the
  /// writer thread and outside the transaction (`response_status` stays 0).
  bool render_after_commit = false;
  completion done = nullptr;
  void* context = nullptr;  ///< the server's, untouched by storage

  // --- output, filled by the writer ---
  op_status status = op_status::failed;
  std::int64_t version = 0;          ///< new version (committed)
  std::int64_t committed_at_us = 0;  ///< unix µs taken in the transaction just before COMMIT
  std::array<std::uint8_t, 32> prev_hash{};     ///< submit: previous version's receipt hash
  bool has_prev_hash = false;                   ///< false for version 1
  std::array<std::uint8_t, 32> receipt_hash{};  ///< submit: this version's receipt hash
  std::int64_t first_at_us = 0;  ///< pledge: when it was first accepted (unix µs), maybe earlier
  unsigned response_status = 0;  ///< what render() produced, or the stored one on replay
  std::string response_body;

  op_kind kind() const noexcept { return static_cast<op_kind>(args.index()); }
};

template <op_kind Kind>
using args_of = std::variant_alternative_t<static_cast<std::size_t>(Kind), write_args>;
static_assert(std::is_same_v<args_of<op_kind::submit>, submit_args>);
static_assert(std::is_same_v<args_of<op_kind::save_draft>, draft_args>);
static_assert(std::is_same_v<args_of<op_kind::favorite_put>, favorite_put_args>);
static_assert(std::is_same_v<args_of<op_kind::favorite_delete>, favorite_delete_args>);
static_assert(std::is_same_v<args_of<op_kind::contact>, contact_args>);
static_assert(std::is_same_v<args_of<op_kind::confirm>, confirm_args>);
static_assert(std::is_same_v<args_of<op_kind::sign_in>, sign_in_args>);
static_assert(std::is_same_v<args_of<op_kind::pledge>, pledge_args>);
static_assert(std::variant_size_v<write_args> == static_cast<std::size_t>(op_kind::pledge) + 1);

/// The op's arguments as `Args` when they are (or derive from) it, else nullptr: e.g.
/// `args_as<choices_args>(op)` for a submission or a draft.
template <class Args>
const Args* args_as(const write_op& op) noexcept {
  return std::visit(
      [](const auto& a) -> const Args* {
        if constexpr (std::is_base_of_v<Args, std::decay_t<decltype(a)>>) {
          return &a;
        } else {
          return nullptr;
        }
      },
      op.args);
}
template <class Args>
Args* args_as(write_op& op) noexcept {
  return const_cast<Args*>(args_as<Args>(static_cast<const write_op&>(op)));
}

/// Tuning of the write path (config section [writer]).
struct write_path_options {
  unsigned writers = 2;                    ///< W writer threads, one PostgreSQL connection each
  std::size_t max_batch = 512;             ///< operations per transaction at most
  std::chrono::microseconds max_delay{0};  ///< linger for more work when busy (0: never)
  std::size_t max_in_flight = 100'000;     ///< global cap on admitted, uncompleted operations
  std::size_t max_queue_per_writer = 50'000;
  /// A write is refused at once when the writes queued ahead of it on its writer, at the
  /// writer's measured time per write, would keep it waiting longer than its class's share of
  /// this (core::class_budget_us: submissions all of it, sign-ins half); 0: the caps alone.
  std::chrono::microseconds max_wait{0};
  std::int64_t candidate_capacity = 1'000'000;  ///< mailboxes preallocated for ids below this
  std::chrono::milliseconds retry_min{20};
  std::chrono::milliseconds retry_max{2'000};
  std::chrono::hours idempotency_retention{24};
  /// How often writer 0 deletes expired idempotency keys (in bounded chunks).
  std::chrono::seconds retention_interval{300};
  /// application_name of the writers' connections: "<name>-<writer index>" (what operators and
  /// pg_stat_activity see).
  std::string application_name = "zhiyuan-writer";
  /// Where the write path reports failures (a failed op, a lost connection); null: stderr.
  std::function<void(std::string_view)> log;
};

/// Why try_submit refused an operation.
enum class admit : std::uint8_t { ok, overloaded, key_in_flight, stopping };

class write_path_impl;

/// Per-candidate lock-free mailboxes (intrusive Vyukov MPSC queues) feeding W writer threads
/// that group-commit batches with set-based SQL. See DESIGN.md, "The write path".
class write_path {
 public:
  write_path(std::string conninfo, write_path_options options);
  write_path(const write_path&) = delete;
  write_path& operator=(const write_path&) = delete;
  ~write_path();

  /// Starts the writer threads (each connects, retrying with backoff).
  void start();

  /// Enqueues `op` on its candidate's mailbox. On `ok` ownership passes to the write path and
  /// `op->done` will be called exactly once; otherwise `op` is left with the caller.
  /// The priority comes from the op's kind: formal submissions may use the whole in-flight cap
  /// and per-writer queue, other writes 80% of them.
  admit try_submit(std::unique_ptr<write_op>& op);

  /// Stops admitting, waits until every mailbox is drained and every op completed (bounded by
  /// `timeout`), then stops the writers. Returns false on timeout.
  bool drain_and_stop(std::chrono::milliseconds timeout);

  /// Operations admitted and not yet completed.
  std::size_t in_flight() const noexcept;
  /// The longest wait a write admitted now would have on any writer (see max_wait).
  std::chrono::microseconds expected_wait() const noexcept;
  /// Whether work of class `c` would be admitted on every writer now (max_wait): asked before
  /// work that must not be wasted (a sign-in's hash before its session write) or that takes
  /// the CPU the writers need (browsing).
  bool admits(core::work_class c) const noexcept;
  /// Prometheus text of the write path's metrics (zhiyuan_writer_*).
  std::string render_metrics() const;

  /// Test hooks: while paused, writers start no new batch (ops still queue up and admission
  /// still applies). A batch already running finishes.
  void pause() noexcept;
  void resume() noexcept;
  /// Test hook: the next `batches` transactions commit, then fail as if the connection dropped
  /// during COMMIT (outcome unknown), so the retry must resolve them from the stored records
  /// (keyed ops) or find them applied (sign_in, pledge).
  void simulate_commit_loss(unsigned batches) noexcept;

 private:
  std::unique_ptr<write_path_impl> impl_;
};

}  // namespace zhiyuan::storage
