#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace zhiyuan::storage {

/// Link of an intrusive queue: `write_op` derives from it, so enqueueing allocates nothing.
struct mpsc_node {
  std::atomic<mpsc_node*> next{nullptr};
};

/// Link of a mailbox in its writer's ready queue.
struct ready_link {
  std::atomic<ready_link*> next{nullptr};
};

/// Dmitry Vyukov's intrusive multi-producer single-consumer queue with a stub node
/// (1024cores.net, "Intrusive MPSC node-based queue"). `push` is wait-free (one exchange and
/// one store) from any thread; `pop` belongs to one consumer at a time. Written by hand because
/// no packaged library offers an intrusive MPSC queue (Boost.Lockfree's are bounded or
/// allocate per node). `Node` has a member `std::atomic<Node*> next`.
///
/// Between a producer's exchange of `head_` and its store of `prev->next` the queue is in a
/// transient state: `pop` returns nullptr although an element is (about to be) there.
/// `maybe_nonempty` tells that state apart from a truly empty queue.
template <class Node>
class intrusive_mpsc {
 public:
  intrusive_mpsc() noexcept : head_(&stub_), tail_(&stub_) {}
  intrusive_mpsc(const intrusive_mpsc&) = delete;
  intrusive_mpsc& operator=(const intrusive_mpsc&) = delete;

  /// Any thread. seq_cst on the exchange: it pairs with the consumer's emptiness re-check
  /// after clearing a "scheduled" flag (see mailbox::release), a Dekker-style handshake.
  void push(Node* n) noexcept {
    n->next.store(nullptr, std::memory_order_relaxed);
    Node* prev = head_.exchange(n, std::memory_order_seq_cst);
    prev->next.store(n, std::memory_order_release);
  }

  /// Consumer only. nullptr when empty or in the transient state.
  Node* pop() noexcept {
    Node* tail = tail_;
    Node* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;  // producer mid-push
    // `tail` is the last element: put the stub behind it so that it can be handed out.
    push(&stub_);
    next = tail->next.load(std::memory_order_acquire);
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    return nullptr;  // a producer got in between: transient state
  }

  /// Consumer only. False only when the queue is empty and no producer is mid-push.
  bool maybe_nonempty() const noexcept {
    return tail_ != &stub_ || head_.load(std::memory_order_seq_cst) != &stub_;
  }

 private:
  // Unpadded on purpose: a mailbox is 48 bytes and there is one per candidate. The ready
  // queue, which every producer of a writer touches, pads itself instead.
  std::atomic<Node*> head_;  // producers' end
  Node* tail_;               // consumer's end
  Node stub_;
};

/// One candidate's queue of pending writes plus the "scheduled" flag that hands the whole
/// mailbox to one consumer (its writer) at a time, so that the candidate's writes are
/// applied in order without locks.
///
/// Ownership protocol: the producer whose `push` flips `scheduled` from false to true must put
/// the mailbox on its writer's ready queue. The writer then owns it until `release` returns
/// false. A mailbox is therefore on a ready queue at most once, and never both queued and held.
class mailbox : public ready_link {
 public:
  /// Any thread. True when the caller scheduled the mailbox and must hand it to the writer.
  bool push(mpsc_node* op) noexcept {
    ops_.push(op);
    return !scheduled_.exchange(true, std::memory_order_seq_cst);
  }

  /// Scratch of the consumer (the mailbox's one writer), e.g. the batch it last took an op for;
  /// never touched by producers.
  std::uint64_t consumer_mark = 0;

  /// Owner only. The next op, or nullptr (empty or a producer mid-push).
  mpsc_node* pop() noexcept { return ops_.pop(); }

  /// Owner only. Whether ops may remain (including a producer mid-push).
  bool maybe_nonempty() const noexcept { return ops_.maybe_nonempty(); }

  /// Owner only, after `pop` returned nullptr or the owner took what it wanted. Gives up
  /// ownership; returns true when ops arrived meanwhile and the caller took ownership back (it
  /// must keep serving the mailbox). No wake-up is lost: a producer that saw `scheduled` still
  /// set pushed before the flag was cleared, so the re-check below sees its op.
  bool release() noexcept {
    scheduled_.store(false, std::memory_order_seq_cst);
    return ops_.maybe_nonempty() && !scheduled_.exchange(true, std::memory_order_seq_cst);
  }

 private:
  intrusive_mpsc<mpsc_node> ops_;
  std::atomic<bool> scheduled_{false};
};

/// A writer's queue of scheduled mailboxes.
class alignas(64) ready_queue {
 public:
  void push(mailbox* m) noexcept { q_.push(m); }
  mailbox* pop() noexcept { return static_cast<mailbox*>(q_.pop()); }
  bool maybe_nonempty() const noexcept { return q_.maybe_nonempty(); }

 private:
  intrusive_mpsc<ready_link> q_;
};

/// Every candidate's mailbox. Ids in [0, capacity) index a preallocated dense array (no lock,
/// no allocation, 48 bytes each); any other id gets a mailbox from a striped-mutex map,
/// created on first use and never freed (so a pointer to it stays valid without reference
/// counting). The fallback is for candidates registered after start-up beyond the configured
/// capacity; its lock is held only for the lookup, never while ops are queued or applied.
class mailbox_directory {
 public:
  explicit mailbox_directory(std::int64_t capacity)
      : capacity_(capacity > 0 ? capacity : 0),
        dense_(std::make_unique<mailbox[]>(static_cast<std::size_t>(capacity_))) {}

  mailbox& at(std::int64_t candidate_id) {
    if (candidate_id >= 0 && candidate_id < capacity_) {
      return dense_[static_cast<std::size_t>(candidate_id)];
    }
    auto& s = stripes_[static_cast<std::uint64_t>(candidate_id) % stripe_count];
    std::lock_guard lock(s.mutex);
    auto& slot = s.map[candidate_id];
    if (!slot) slot = std::make_unique<mailbox>();
    return *slot;
  }

 private:
  static constexpr std::size_t stripe_count = 64;
  struct stripe {
    std::mutex mutex;
    std::unordered_map<std::int64_t, std::unique_ptr<mailbox>> map;
  };
  std::int64_t capacity_;
  std::unique_ptr<mailbox[]> dense_;
  stripe stripes_[stripe_count];
};

}  // namespace zhiyuan::storage
