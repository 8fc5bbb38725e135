// Argon2id verification per core, at the synthetic province's test cost and at the production
// cost (province/synthetic_passwords.hpp: t=2, 19 MiB). The server verifies one hash per sign-in
// and one per formal submission whose save password the session has not remembered
// (auth.save_password_memo_minutes), with libsodium's crypto_pwhash_str_verify: exactly what is
// timed here, single-threaded, so items_per_second is the rate per core.
//
//   build/bench/auth/kdf_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>
#include <sodium.h>

#include <stdexcept>
#include <string>

#include "province/synthetic_passwords.hpp"

namespace {

using zhiyuan::loadtest::kdf_cost;

void verify(benchmark::State& state, kdf_cost cost) {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  const std::string password = "Zy-bench-2023!";
  const std::string hash =
      zhiyuan::loadtest::hash_password(password, zhiyuan::loadtest::kdf_parameters(cost));
  for (auto _ : state) {
    const int rc = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size());
    if (rc != 0) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(rc);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_verify_test_cost(benchmark::State& state) { verify(state, kdf_cost::test); }
void BM_verify_production_cost(benchmark::State& state) { verify(state, kdf_cost::production); }

BENCHMARK(BM_verify_test_cost)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_verify_production_cost)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
