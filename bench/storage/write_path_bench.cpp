// Durable formal submissions through the write path alone (no HTTP, no server): 4 producer
// threads enqueue full 本科批 forms (45 groups × 6 majors, ~2.6 kB canonical) for 4,000
// candidates, W writers group-commit them into a real PostgreSQL (synchronous_commit on), and
// an iteration ends when every op of it completed after COMMIT. items_per_second is durable
// submissions per second; mean_batch the mean operations per transaction.
//
// The database: ZHIYUAN_BENCH_DATABASE_URL, else a private cluster under ZHIYUAN_BENCH_VAR_DIR
// (default ./bench-write-var), started here if it is not running and stopped at exit if so.
// Every run writes to candidates made for it (ids from 9,000,000 up).
//
// The writers' tuning is the server's default unless ZHIYUAN_BENCH_WRITERS or
// ZHIYUAN_BENCH_MAX_BATCH say otherwise.
//
//   build/bench/storage/write_path_bench --benchmark_min_time=10
//   ZHIYUAN_BENCH_WRITERS=4 ZHIYUAN_BENCH_MAX_BATCH=256 build/bench/storage/write_path_bench

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "storage/embedded_cluster.hpp"
#include "storage/migrate.hpp"
#include "storage/write_path.hpp"
#include "tests/storage/write_path_support.hpp"

namespace zhiyuan::storage {
namespace {

using namespace std::chrono_literals;

constexpr int producers = 4;
constexpr int per_producer = 1000;  // ops per producer per iteration
constexpr int candidates = 4000;

// The database of the whole run, migrated, with a school for its candidates.
struct bench_database {
  std::optional<embedded_cluster> cluster;  // when no URL is given
  std::string url;
  test::school_place school;

  bench_database() {
    if (const char* u = std::getenv("ZHIYUAN_BENCH_DATABASE_URL")) {
      url = u;
    } else {
      embedded_options o;
      const char* var = std::getenv("ZHIYUAN_BENCH_VAR_DIR");
      o.var_dir = var != nullptr ? var : "bench-write-var";
      cluster.emplace(o);
      cluster->ensure_running();
      url = cluster->connection_string();
    }
    pqxx::connection c(url);
    migrate(c);
    school = test::school_place::find_or_create(c);
  }
};

bench_database& database() {
  static bench_database db;
  return db;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<write_op> submission(std::int64_t candidate, std::string key,
                                     const std::string& form, test::collector& done) {
  auto op = std::make_unique<write_op>();
  op->candidate_id = candidate;
  submit_args s;
  s.batch = 1;
  s.choices = form;
  s.receipt_head = "head of " + key + "\n";
  op->args = std::move(s);
  const std::size_t h = std::hash<std::string>{}(key);
  for (std::size_t i = 0; i < sizeof h; ++i) {
    op->request_hash[i] = static_cast<std::uint8_t>(h >> (8 * i));
  }
  op->idempotency_key = std::move(key);
  op->accepted_at_us = now_us();
  op->deadline = std::chrono::steady_clock::now() + 60s;
  op->render = test::render_receipt;
  op->done = test::collector::on_done;
  op->context = &done;
  return op;
}

// One metric of render_metrics() text ("name value" on its own line), or 0.
double metric(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 2));
}

void full_form_submissions(benchmark::State& state) {
  auto& db = database();
  std::int64_t first = 0;
  {
    pqxx::connection c(db.url);
    first = test::make_candidates(c, db.school, candidates);
  }
  std::vector<std::string> forms;
  for (int i = 0; i < 64; ++i) forms.push_back(test::full_form(i));
  write_path_options o;
  o.writers = static_cast<unsigned>(state.range(0));
  o.max_batch = static_cast<std::size_t>(state.range(1));
  write_path wp(db.url, o);
  wp.start();
  test::collector done;
  std::int64_t round = 0, not_committed = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        for (int i = 0; i < per_producer; ++i) {
          auto op = submission(first + (p * per_producer + i) % candidates,
                               fmt::format("bench-{}-{}-{}", round, p, i),
                               forms[(p + i) % forms.size()], done);
          while (wp.try_submit(op) != admit::ok) std::this_thread::yield();
        }
      });
    }
    for (auto& t : threads) t.join();
    if (!done.wait_for(producers * per_producer, 110s)) {
      state.SkipWithError("submissions did not complete within 110 s");
      break;
    }
    for (const auto& op : done.take()) not_committed += op->status != op_status::committed;
    ++round;
  }
  if (not_committed > 0) state.SkipWithError("some submissions did not commit");
  const auto m = wp.render_metrics();
  state.SetItemsProcessed(round * producers * per_producer);
  state.counters["mean_batch"] = metric(m, "zhiyuan_writer_batch_size_sum") /
                                 std::max(1.0, metric(m, "zhiyuan_writer_batch_size_count"));
  wp.drain_and_stop(30s);
}

// The server's default tuning unless the environment overrides it.
void tuning(benchmark::internal::Benchmark* b) {
  const write_path_options defaults;
  auto env = [](const char* name, std::int64_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::stoll(v) : fallback;
  };
  b->ArgNames({"writers", "max_batch"});
  b->Args({env("ZHIYUAN_BENCH_WRITERS", defaults.writers),
           env("ZHIYUAN_BENCH_MAX_BATCH", static_cast<std::int64_t>(defaults.max_batch))});
}

BENCHMARK(full_form_submissions)->Apply(tuning)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zhiyuan::storage

BENCHMARK_MAIN();
