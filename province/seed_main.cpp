// zhiyuan-seed: generates a synthetic province from a seed and loads it into PostgreSQL.
//
//   zhiyuan-seed                                  full province (655,000 candidates), production
//                                                 key-derivation cost, embedded cluster in var/
//   zhiyuan-seed --candidates 20000 --kdf-cost test --replace
//   zhiyuan-seed --dry-run                         generate only and print statistics
//
// Prints the time of each stage and, last, `province_load_seconds=<s>`: generation, hashing,
// COPY and commit, from the start of generation (database start and migrations excluded, they
// are reported on their own line).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "province/province.hpp"
#include "province/province_loader.hpp"
#include "province/synthetic_passwords.hpp"
#include "storage/database.hpp"

namespace {

using namespace zhiyuan;
using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

struct stage {
  std::string name;
  std::size_t rows;
  double seconds;
};

void print_stages(const std::vector<stage>& stages) {
  fmt::print("{:<40} {:>10} {:>9} {:>12}\n", "stage", "rows", "seconds", "rows/s");
  for (const stage& s : stages) {
    const std::string rate =
        s.rows > 0 && s.seconds > 0 ? fmt::format("{:.0f}", s.rows / s.seconds) : "";
    fmt::print("{:<40} {:>10} {:>9.3f} {:>12}\n", s.name, s.rows > 0 ? std::to_string(s.rows) : "",
               s.seconds, rate);
  }
}

void print_statistics(const loadtest::province& p) {
  std::size_t levels[4] = {};
  for (const auto& u : p.units) ++levels[u.level];
  std::size_t regular = 0, physics = 0, arts = 0, sports = 0, undergrad[2] = {}, tracks[2] = {};
  for (const auto& c : p.candidates) {
    if (!c.score) continue;
    ++regular;
    ++tracks[c.track];
    if (c.track == loadtest::track_physics) ++physics;
    if (c.category == loadtest::category_arts) ++arts;
    if (c.category == loadtest::category_sports) ++sports;
    if (c.eligible & (1 << loadtest::batch_undergrad)) ++undergrad[c.track];
  }
  const auto share = [](std::size_t a, std::size_t b) { return b == 0 ? 0.0 : 100.0 * a / b; };
  fmt::print("units: 1 province, {} cities, {} counties, {} schools\n", levels[1], levels[2],
             levels[3]);
  fmt::print("candidates: {} ({} regular exam, {} vocational track)\n", p.candidates.size(),
             regular, p.candidates.size() - regular);
  fmt::print("regular exam: physics {:.2f}%, history {:.2f}%; arts {:.2f}%, sports {:.2f}%\n",
             share(physics, regular), share(regular - physics, regular), share(arts, regular),
             share(sports, regular));
  fmt::print("above the undergraduate line: physics {:.1f}%, history {:.1f}%\n",
             share(undergrad[0], tracks[0]), share(undergrad[1], tracks[1]));
  fmt::print("catalog: {} colleges, {} major groups, {} majors, {} historical scores\n",
             p.colleges.size(), p.major_groups.size(), p.majors.size(), p.historical_scores.size());
}

struct seed_options {
  loadtest::province_options province;
  std::string cost_text = "production";
  std::string database_url;
  std::string var_dir = "var";
  bool replace = false, dry_run = false, keep_constraints = false, if_empty = false;
  int threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
};

void add_options(CLI::App& app, seed_options& o) {
  app.add_option("--candidates", o.province.candidates, "registered candidates to generate")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--seed", o.province.seed, "generator seed; same seed, same province")
      ->capture_default_str();
  app.add_option("--year", o.province.year, "current exam year; history is the 3 years before")
      ->check(CLI::Range(2001, 2099))
      ->capture_default_str();
  app.add_option("--kdf-cost", o.cost_text,
                 "password hashing cost: production (Argon2id t=2, 19 MiB) or test (libsodium "
                 "minimum; marks the data as test data)")
      ->check(CLI::IsMember({"test", "production"}))
      ->capture_default_str();
  app.add_option("--database-url", o.database_url,
                 "libpq connection string; default: the embedded cluster under --var-dir");
  app.add_option("--var-dir", o.var_dir, "embedded cluster location (<var-dir>/pg)")
      ->capture_default_str();
  app.add_flag("--replace", o.replace,
               "empty the seed tables first (TRUNCATE ... CASCADE: also empties every "
               "candidate-owned and office table)");
  app.add_flag("--if-empty", o.if_empty,
               "load only into an empty database; otherwise do nothing and succeed (the run "
               "command's demo province)");
  app.add_option("--threads", o.threads, "generation and hashing threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--dry-run", o.dry_run, "generate only and print statistics");
  app.add_flag("--keep-constraints", o.keep_constraints,
               "COPY candidates with their foreign keys and secondary indexes in place (slower) "
               "instead of re-creating them after the COPY in the same transaction");
}

// The database, migrated, and the emptiness check, so that a refusal comes before minutes of
// work. nullptr with `exit_status` set when there is nothing to do (or it is refused).
std::unique_ptr<storage::database> open_database(const seed_options& o, int& exit_status) {
  const auto start = steady::now();
  storage::database_config config;
  config.url = o.database_url;
  config.embedded.var_dir = o.var_dir;
  auto db = std::make_unique<storage::database>(std::move(config));
  db->migrate();
  pqxx::connection conn(db->connection_string());
  const std::int64_t rows = loadtest::seed_rows(conn);
  if (rows > 0 && o.if_empty && !o.replace) {
    fmt::print("zhiyuan-seed: the database already holds a province ({} rows); left as is\n", rows);
    exit_status = 0;
    return nullptr;
  }
  if (rows > 0 && !o.replace) {
    fmt::print(stderr,
               "zhiyuan-seed: the database already holds {} rows in the seed tables; use "
               "--replace to empty them (TRUNCATE ... CASCADE also empties every "
               "candidate-owned and office table)\n",
               rows);
    exit_status = 1;
    return nullptr;
  }
  fmt::print("database ready ({}) in {:.3f} s\n",
             o.database_url.empty() ? "embedded cluster in " + o.var_dir : "--database-url",
             seconds_since(start));
  return db;
}

// Hashes (on their own threads, while the catalog and the first candidates are copied) and
// loads the province; appends the stages' times.
void load(const seed_options& o, loadtest::kdf_cost cost, storage::database& db,
          const loadtest::province& province, std::vector<stage>& stages) {
  loadtest::password_hashing hashing(province.candidates, cost, o.threads);
  pqxx::connection conn(db.connection_string());
  loadtest::load_options load;
  load.replace = o.replace;
  load.cost = cost;
  load.defer_candidate_constraints = !o.keep_constraints;
  const loadtest::load_report report = loadtest::load_province(conn, province, hashing, load);
  if (!report.truncated.empty()) {
    std::string list;
    for (const auto& t : report.truncated) list += (list.empty() ? "" : ", ") + t;
    fmt::print("--replace emptied: {}\n", list);
  }
  stages.push_back({fmt::format("hash ({}, {}) [overlaps]", loadtest::to_string(cost),
                                loadtest::bulk_hasher_name()),
                    2 * province.candidates.size(), hashing.seconds()});
  stages.push_back({"load: prepare", 0, report.prepare_seconds});
  for (const auto& t : report.tables) {
    const bool candidates = t.table == "candidates";
    stages.push_back({"load: " + t.table + (candidates ? " [overlaps]" : ""), t.rows, t.seconds});
    if (candidates) {
      stages.push_back({"  of which waiting for hashes", 0, report.hash_wait_seconds});
    }
  }
  stages.push_back({"load: commit", 0, report.commit_seconds});
}

int run(int argc, char** argv) {
  CLI::App app{"zhiyuan-seed: generate a synthetic province and load it into PostgreSQL"};
  seed_options o;
  add_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const loadtest::kdf_cost cost = *loadtest::parse_kdf_cost(o.cost_text);

  std::vector<stage> stages;
  std::unique_ptr<storage::database> db;
  if (!o.dry_run) {
    int exit_status = 0;
    db = open_database(o, exit_status);
    if (db == nullptr) return exit_status;
  }

  const auto total_start = steady::now();
  const auto start = steady::now();
  const loadtest::province province = loadtest::generate_province(o.province, o.threads);
  stages.push_back({"generate", province.candidates.size(), seconds_since(start)});
  print_statistics(province);
  if (o.dry_run) {
    print_stages(stages);
    fmt::print("province_generate_seconds={:.3f}\n", seconds_since(total_start));
    return 0;
  }
  load(o, cost, *db, province, stages);
  const double total = seconds_since(total_start);
  stages.push_back({"total", 0, total});
  print_stages(stages);
  fmt::print("province_load_seconds={:.3f}\n", total);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "zhiyuan-seed: error: {}\n", e.what());
    return 1;
  }
}
