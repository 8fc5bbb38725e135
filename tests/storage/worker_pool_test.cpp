// storage::worker_pool against the test PostgreSQL: a pooled connection the server closed while
// it sat idle (a restart, a failover) is replaced before the next job instead of failing it.
// Without a database: admission by waiting time (core/admission.hpp) refuses at once what
// would wait past max_wait, where the queue cap alone would have queued it.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "storage/embedded_cluster.hpp"
#include "storage/worker_pool.hpp"

namespace zhiyuan::storage {
namespace {

std::string database_url() {
  embedded_options o;
  o.var_dir = ZHIYUAN_TEST_VAR_DIR;
  return embedded_cluster(o).connection_string();
}

// The backend pid of the pool's connection, as its next job sees it (-1: no connection).
int backend_pid(worker_pool& pool) {
  std::promise<int> pid;
  pool.try_post([&](pqxx::connection* conn) {
    if (conn == nullptr) return pid.set_value(-1);
    pqxx::nontransaction tx(*conn);
    pid.set_value(tx.exec1("SELECT pg_backend_pid()")[0].as<int>());
  });
  return pid.get_future().get();
}

TEST(worker_pool, a_connection_terminated_while_idle_is_replaced_before_the_next_job) {
  worker_pool pool("test", 1, 4, database_url());
  const int first = backend_pid(pool);
  ASSERT_GT(first, 0);
  pqxx::connection admin(database_url());
  pqxx::nontransaction tx(admin);
  tx.exec_params("SELECT pg_terminate_backend($1)", first);
  // Termination is asynchronous: wait (bounded) until the backend is gone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const std::string alive =
      "SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(first);
  while (tx.exec1(alive)[0].as<int>() != 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  }
  const int second = backend_pid(pool);
  EXPECT_GT(second, 0);
  EXPECT_NE(second, first);
}

TEST(worker_pool, reopen_connection_gives_the_job_a_fresh_connection) {
  worker_pool pool("test", 1, 4, database_url());
  std::promise<std::pair<int, int>> pids;
  const auto pid_of = [](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
  };
  pool.try_post([&](pqxx::connection* conn) {
    const int before = pid_of(*conn);
    pqxx::connection* fresh = worker_pool::reopen_connection();
    pids.set_value({before, fresh ? pid_of(*fresh) : -1});
  });
  const auto [before, after] = pids.get_future().get();
  EXPECT_GT(after, 0);
  EXPECT_NE(before, after);
  EXPECT_EQ(worker_pool::reopen_connection(), nullptr);  // not a pool thread
}

// Posts `n` empty submissions (the class with the whole budget); how many the pool took.
int post_empty(worker_pool& pool, int n) {
  int taken = 0;
  for (int i = 0; i < n; ++i) {
    taken += pool.try_post([](pqxx::connection*) {}, core::work_class::submission) ? 1 : 0;
  }
  return taken;
}

// A pool whose one thread is held by a job until the returned promise is set, after one job
// that took at least 20 ms measured its service time. The thread records a job's time before
// it takes the next one: once the holding job has started, the measurement is in.
std::promise<void> hold_after_a_measured_job(worker_pool& pool) {
  pool.try_post([](pqxx::connection*) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the service time, not a race
  });
  // Shared: the pool's thread may still be inside set_value when the waiter moves on.
  auto started = std::make_shared<std::promise<void>>();
  auto holding = started->get_future();
  std::promise<void> release;
  pool.try_post([started, f = release.get_future().share()](pqxx::connection*) {
    started->set_value();
    f.wait();
  });
  holding.wait();
  return release;
}

TEST(worker_pool, refuses_at_once_what_would_wait_past_max_wait) {
  // 1 s of budget at >= 20 ms a job: at most 50 queued jobs, though the cap is 1,000.
  worker_pool pool("test", 1, 1'000, "", {std::chrono::seconds(1)});
  auto release = hold_after_a_measured_job(pool);
  const int taken = post_empty(pool, 200);
  EXPECT_GE(taken, 1);  // an empty queue waits nothing
  EXPECT_LE(taken, 51);
  EXPECT_GE(pool.expected_wait(), std::chrono::milliseconds(900));
  const std::array<const worker_pool*, 1> pools{&pool};
  EXPECT_NE(worker_pool::render_metrics(pools).find("zhiyuan_pool_shed_total{pool=\"test\"} " +
                                                    std::to_string(200 - taken)),
            std::string::npos);
  release.set_value();
}

TEST(worker_pool, submissions_go_ahead_of_sign_ins_which_are_shed_first) {
  std::vector<char> order;  // the pool's one thread only; outlives the pool's draining stop
  worker_pool pool("test", 1, 1'000, "", {std::chrono::seconds(1)});
  auto release = hold_after_a_measured_job(pool);
  int sign_ins = 0;
  for (int i = 0; i < 200; ++i) {
    sign_ins +=
        pool.try_post([&](pqxx::connection*) { order.push_back('i'); }, core::work_class::sign_in)
            ? 1
            : 0;
  }
  // Sign-ins get half the budget: at most 25 queued at >= 20 ms a job.
  EXPECT_GE(sign_ins, 1);
  EXPECT_LE(sign_ins, 26);
  // A submission waits behind submissions only: admitted although the sign-ins' lane is full.
  ASSERT_TRUE(pool.try_post([&](pqxx::connection*) { order.push_back('s'); },
                            core::work_class::submission));
  // Read on the pool's thread: the queued sign-ins go on appending after this job.
  std::promise<char> first;
  ASSERT_TRUE(pool.try_post(
      [&](pqxx::connection*) { first.set_value(order.empty() ? '-' : order.front()); },
      core::work_class::submission));
  release.set_value();
  EXPECT_EQ(first.get_future().get(), 's');  // taken before every queued sign-in
}

TEST(worker_pool, a_first_lane_thread_takes_submissions_while_the_others_are_busy) {
  // One niced thread, held; one first-lane thread at the process's priority.
  worker_pool pool("test", 1, 1'000, "", {std::chrono::seconds(1), 10, 1});
  // A sign-in holds the niced thread (the first-lane thread cannot take it).
  auto started = std::make_shared<std::promise<void>>();
  auto holding = started->get_future();
  std::promise<void> release;
  ASSERT_TRUE(pool.try_post(
      [started, f = release.get_future().share()](pqxx::connection*) {
        started->set_value();
        f.wait();
      },
      core::work_class::sign_in));
  holding.wait();
  std::atomic<bool> sign_in_ran{false}, write_ran{false};
  ASSERT_TRUE(
      pool.try_post([&](pqxx::connection*) { sign_in_ran = true; }, core::work_class::sign_in));
  // Another write (setting passwords: several hashes) is no submission: it waits, niced.
  ASSERT_TRUE(pool.try_post([&](pqxx::connection*) { write_ran = true; }, core::work_class::write));
  std::promise<int> nice;
  ASSERT_TRUE(pool.try_post(
      [&](pqxx::connection*) { nice.set_value(::getpriority(PRIO_PROCESS, ::gettid())); },
      core::work_class::submission));
  // Done though the niced thread is still held, and on a thread at the process's priority.
  auto ran = nice.get_future();
  ASSERT_EQ(ran.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(ran.get(), ::getpriority(PRIO_PROCESS, 0));
  // The first-lane thread left the sign-in and the other write to the held thread.
  EXPECT_FALSE(sign_in_ran.load());
  EXPECT_FALSE(write_ran.load());
  std::promise<void> done;
  ASSERT_TRUE(
      pool.try_post([&](pqxx::connection*) { done.set_value(); }, core::work_class::sign_in));
  release.set_value();
  done.get_future().wait();
  EXPECT_TRUE(sign_in_ran.load());
  EXPECT_TRUE(write_ran.load());
  const std::array<const worker_pool*, 1> pools{&pool};
  EXPECT_NE(worker_pool::render_metrics(pools).find("zhiyuan_pool_threads{pool=\"test\"} 2"),
            std::string::npos);
}

TEST(worker_pool, without_max_wait_only_the_cap_refuses) {
  worker_pool pool("test", 1, 100, "");
  auto release = hold_after_a_measured_job(pool);
  EXPECT_EQ(post_empty(pool, 200), 100);
  release.set_value();
}

}  // namespace
}  // namespace zhiyuan::storage
