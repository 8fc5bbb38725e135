// storage::worker_pool against the test PostgreSQL: a pooled connection the server closed while
// it sat idle (a restart, a failover) is replaced before the next job instead of failing it.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <pqxx/pqxx>

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

}  // namespace
}  // namespace zhiyuan::storage
