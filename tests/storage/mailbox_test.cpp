// The per-candidate mailboxes and ready queues of storage/mailbox.hpp, without a database:
// FIFO order, the transient state, and a many-producer stress that drives them exactly as a
// writer does (one op per candidate per batch, carry-over, release and re-check).
#include "storage/mailbox.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

namespace zhiyuan::storage {
namespace {

struct test_op : mpsc_node {
  std::int64_t candidate = 0;
  int producer = 0;
  int seq = 0;
};

TEST(intrusive_mpsc, fifo_and_emptiness) {
  intrusive_mpsc<mpsc_node> q;
  EXPECT_FALSE(q.maybe_nonempty());
  EXPECT_EQ(q.pop(), nullptr);
  std::vector<test_op> ops(5);
  for (auto& op : ops) q.push(&op);
  EXPECT_TRUE(q.maybe_nonempty());
  for (auto& op : ops) EXPECT_EQ(q.pop(), &op);
  EXPECT_EQ(q.pop(), nullptr);
  EXPECT_FALSE(q.maybe_nonempty());
  // Reusable after draining, including the node that was last.
  q.push(&ops[4]);
  q.push(&ops[0]);
  EXPECT_EQ(q.pop(), &ops[4]);
  EXPECT_EQ(q.pop(), &ops[0]);
  EXPECT_FALSE(q.maybe_nonempty());
}

TEST(mailbox, first_push_schedules_and_release_rechecks) {
  mailbox m;
  test_op a, b;
  EXPECT_TRUE(m.push(&a));   // empty → scheduled: the caller hands it to the writer
  EXPECT_FALSE(m.push(&b));  // already scheduled
  EXPECT_EQ(m.pop(), &a);
  EXPECT_TRUE(m.maybe_nonempty());
  EXPECT_EQ(m.pop(), &b);
  EXPECT_FALSE(m.maybe_nonempty());
  EXPECT_FALSE(m.release());  // empty: ownership given up
  EXPECT_TRUE(m.push(&a));    // so the next push schedules again
  EXPECT_TRUE(m.release());   // not empty: release keeps ownership
  EXPECT_EQ(m.pop(), &a);
  EXPECT_FALSE(m.release());
}

TEST(mailbox_directory, dense_and_fallback_ids_are_stable) {
  mailbox_directory d(100);
  EXPECT_EQ(&d.at(0), &d.at(0));
  EXPECT_NE(&d.at(0), &d.at(1));
  mailbox* big = &d.at(1'000'000'007);
  mailbox* negative = &d.at(-5);
  EXPECT_EQ(&d.at(1'000'000'007), big);
  EXPECT_EQ(&d.at(-5), negative);
  EXPECT_NE(big, negative);
  EXPECT_NE(&d.at(99), &d.at(100));
}

// Many producers, many candidates (dense and fallback ids, a few very hot ones), two consumers
// behaving like writers. Every op must arrive exactly once, and each producer's ops for one
// candidate in the order it pushed them; a mailbox must never be handed out twice at once.
TEST(mailbox, stress_keeps_per_candidate_order_and_loses_nothing) {
  constexpr int producers = 8;
  constexpr int consumers = 2;
  constexpr int candidates = 3000;
  constexpr int ops_per_producer = 60'000;
  constexpr std::size_t max_batch = 64;
  constexpr std::int64_t capacity = 2000;  // ids ≥ 2000 use the fallback map

  mailbox_directory directory(capacity);
  std::vector<ready_queue> ready(consumers);
  std::vector<std::int64_t> ids(candidates);
  for (int c = 0; c < candidates; ++c) ids[c] = c < 2500 ? c : 1'000'000 + c;
  auto consumer_of = [](std::int64_t id) { return static_cast<int>((id * 7919) % consumers); };

  std::vector<std::unique_ptr<test_op[]>> pool;
  for (int p = 0; p < producers; ++p) pool.push_back(std::make_unique<test_op[]>(ops_per_producer));
  // last[c][p]: the last seq seen from producer p for candidate index c; held[c]: ownership.
  std::vector<std::vector<int>> last(candidates, std::vector<int>(producers, -1));
  std::vector<std::atomic<int>> held(candidates);
  // mailbox → candidate index, built before the threads start and read-only afterwards.
  std::unordered_map<const mailbox*, int> cand_of;
  for (int c = 0; c < candidates; ++c) cand_of[&directory.at(ids[c])] = c;
  std::atomic<std::int64_t> consumed{0};
  std::atomic<int> order_errors{0};
  std::atomic<int> ownership_errors{0};
  const std::int64_t total = static_cast<std::int64_t>(producers) * ops_per_producer;

  auto index_of = [&](std::int64_t id) {
    return static_cast<int>(id < 1'000'000 ? id : id - 1'000'000);
  };

  std::vector<std::thread> threads;
  for (int k = 0; k < consumers; ++k) {
    threads.emplace_back([&, k] {
      std::vector<mailbox*> carry, spare;
      std::vector<test_op*> batch;
      std::uint64_t batch_number = 0;
      while (consumed.load(std::memory_order_relaxed) < total) {
        ++batch_number;
        batch.clear();
        auto take = [&](mailbox* m, bool fresh_from_ready, int cand) {
          if (fresh_from_ready && held[cand].exchange(1) != 0) ++ownership_errors;
          if (batch.size() >= max_batch || m->consumer_mark == batch_number) {
            carry.push_back(m);
            return;
          }
          if (mpsc_node* n = m->pop()) {
            batch.push_back(static_cast<test_op*>(n));
            m->consumer_mark = batch_number;
          }
          if (m->maybe_nonempty()) {
            carry.push_back(m);
            return;
          }
          held[cand].store(0);
          if (m->release()) {
            held[cand].store(1);
            carry.push_back(m);
          }
        };
        std::swap(carry, spare);
        carry.clear();
        for (mailbox* m : spare) take(m, false, cand_of.at(m));
        spare.clear();
        while (batch.size() < max_batch) {
          mailbox* m = ready[k].pop();
          if (m == nullptr) break;
          take(m, true, cand_of.at(m));
        }
        // "Commit" the batch: check per-producer order per candidate.
        std::vector<int> seen_in_batch;
        for (test_op* op : batch) {
          const int cand = index_of(op->candidate);
          for (int s : seen_in_batch) {
            if (s == cand) ++ownership_errors;  // two ops of one candidate in one batch
          }
          seen_in_batch.push_back(cand);
          int& prev = last[cand][op->producer];
          if (op->seq <= prev) ++order_errors;
          prev = op->seq;
        }
        consumed.fetch_add(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
        if (batch.empty()) std::this_thread::yield();
      }
    });
  }
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937 rng(1234 + p);
      std::uniform_int_distribution<int> any(0, candidates - 1);
      std::uniform_int_distribution<int> hot(0, 3);
      std::vector<int> seq(candidates, 0);
      for (int i = 0; i < ops_per_producer; ++i) {
        // A quarter of all ops hit four hot candidates, so mailboxes see real contention.
        const int cand = (i % 4 == 0) ? hot(rng) : any(rng);
        test_op& op = pool[p][i];
        op.candidate = ids[cand];
        op.producer = p;
        op.seq = seq[cand]++;
        mailbox& m = directory.at(op.candidate);
        if (m.push(&op)) ready[consumer_of(op.candidate)].push(&m);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(consumed.load(), total);
  EXPECT_EQ(order_errors.load(), 0);
  EXPECT_EQ(ownership_errors.load(), 0);
  // Exactly once: each producer's last seq per candidate equals its count minus one.
  std::vector<std::vector<int>> expected(candidates, std::vector<int>(producers, -1));
  for (int p = 0; p < producers; ++p) {
    for (int i = 0; i < ops_per_producer; ++i) {
      const test_op& op = pool[p][i];
      int& e = expected[index_of(op.candidate)][p];
      e = std::max(e, op.seq);
    }
  }
  EXPECT_EQ(last, expected);
}

}  // namespace
}  // namespace zhiyuan::storage
