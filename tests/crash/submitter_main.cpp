// zhiyuan-submitter: formal submissions over HTTP as fast as allowed (or at a target rate), with
// every 201 receipt made durable in an acks file, and a reconciler that checks those receipts
// against PostgreSQL. The client half of the crash tests (tests/crash/*.sh) and of
// bench/submit_vs_pgbench.sh.
//
//   zhiyuan-submitter --database-url CONNINFO --port 8080 --acks acks.txt --duration 20
//   zhiyuan-submitter --database-url CONNINFO --port 8080 --acks acks.txt --rate 2000 --rounds 1
//   zhiyuan-submitter --database-url CONNINFO --acks acks.txt --reconcile
//
// Submit mode loads the catalog and the candidate directory from the database, takes the
// candidates who can file the batch (eligible, with a non-trivial pool of groups) and runs
// tests/crash/submitter.hpp with them. It exits 0, 1 when no candidate could sign in, 2 on a
// start-up or I/O error, 3 when a receipt did not answer the submission sent (another
// candidate, batch or form: tests/crash/receipt_check.hpp).
//
// Reconcile mode reads the acks file and prints exactly
//   acked=N present=P lost=L mismatched=M duplicates=D
// and exits 1 when L, M or D is non-zero or the stored chain is inconsistent
// (storage/reconcile.hpp has the definitions).

#include <sodium.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <pqxx/pqxx>

#include "loadtest/reconcile.hpp"
#include "server/schedule_config.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/reconcile.hpp"
#include "tests/crash/ack_log.hpp"
#include "tests/crash/forms.hpp"
#include "tests/crash/submitter.hpp"

namespace zhiyuan::crash {
namespace {

// Checks every held receipt against the database (storage/reconcile.hpp has the definitions).
// The submitter's forms differ from round to round, so two versions with the same choices mean
// one request was applied twice.
int reconcile(const submit_options& opt) {
  std::vector<core::held_receipt> acks;
  try {
    acks = loadtest::read_acks_file(opt.acks);
  } catch (const std::runtime_error& e) {
    die(e.what());
  }
  pqxx::connection conn(opt.database_url);
  storage::reconcile_options ro;
  ro.distinct_forms = true;
  const auto r = storage::reconcile(conn, acks, ro);
  for (const auto& p : r.problems) fmt::print(stderr, "{}\n", p);
  fmt::print(stderr, "history_rows={} inconsistent={}\n", r.history_rows, r.inconsistent);
  fmt::print("{}\n", r.line());
  return r.ok() ? 0 : 1;
}

void add_options(CLI::App& app, submit_options& o) {
  // A later flag overrides an earlier one (scripts append to a common command line).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--database-url", o.database_url, "libpq conninfo of zhiyuan's database")
      ->required();
  app.add_option("--acks", o.acks, "receipts file (appended; fdatasync'ed)")->required();
  app.add_flag("--reconcile", o.reconcile, "check the acks file against the database");
  app.add_option("--host", o.host, "server address (loopback only)")->capture_default_str();
  app.add_option("--port", o.port, "server port")->capture_default_str();
  app.add_option("--tokens", o.tokens, "session token cache (read, then rewritten)");
  app.add_option("--schedule-file", o.schedule_file,
                 "validate forms against this schedule (inside the batch's formal window); "
                 "default: an always-open window");
  app.add_option("--batch", o.batch, "batch code")->capture_default_str();
  app.add_option("--connections", o.connections, "keep-alive connections")
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str();
  app.add_option("--candidates", o.candidates, "candidates to use (0: all who can file)")
      ->capture_default_str();
  app.add_option("--skip", o.skip, "skip the first K candidates who can file")
      ->capture_default_str();
  app.add_option("--min-pool", o.min_pool,
                 "use only candidates with at least this many groups to choose from (so that "
                 "rounds give distinct forms)")
      ->capture_default_str();
  app.add_option("--rounds", o.rounds, "submissions per candidate at most (0: unlimited)")
      ->capture_default_str();
  app.add_option("--first-round", o.first_round, "round number of the first submissions")
      ->capture_default_str();
  app.add_option("--duration", o.duration, "seconds of submitting at most")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-requests", o.max_requests, "submissions at most (0: unlimited)")
      ->capture_default_str();
  app.add_option("--rate", o.rate, "target submissions/s (0: as fast as allowed)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-attempts", o.max_attempts, "attempts per submission at most")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--retry-cap-ms", o.retry_cap_ms, "longest wait between attempts")
      ->capture_default_str();
  app.add_option("--request-timeout-ms", o.request_timeout_ms, "per attempt")
      ->capture_default_str();
  app.add_option("--give-up-after", o.give_up_after, "seconds per submission at most")
      ->capture_default_str();
  app.add_option("--stop-grace", o.stop_grace,
                 "seconds in-flight submissions may keep retrying after the stop")
      ->capture_default_str();
  app.add_flag("--progress", o.progress, "a progress line on stderr every second");
  app.add_option("--ready-file", o.ready_file, "created when the submit phase starts");
  app.add_option("--slow-ms", o.slow_ms, "print attempts answered slower than this (ms)");
  app.add_flag("--test-wrong-digest", o.test_wrong_digest,
               "test of the receipt check: expect a digest no form has, so that no receipt "
               "matches and the run fails (exit 3)")
      ->group("");
}

// The candidates of the directory who can file the batch with at least --min-pool groups to
// choose from, after --skip of them, at most --candidates.
std::vector<target> select_targets(const submit_options& opt,
                                   const storage::candidate_directory& directory,
                                   const form_generator& forms) {
  std::vector<target> targets;
  std::size_t skipped = 0;
  for (core::candidate_id id = 0; id < directory.id_bound(); ++id) {
    const auto* e = directory.find(id);
    if (e == nullptr) continue;
    target t;
    t.who = e->to_core();
    t.exam_no = std::string(e->exam_number());
    t.who.exam_number = t.exam_no;
    if (!forms.can_file(t.who) || forms.pool(t.who).size() < opt.min_pool) continue;
    if (skipped++ < opt.skip) continue;
    targets.push_back(std::move(t));
    if (opt.candidates != 0 && targets.size() >= opt.candidates) break;
  }
  return targets;
}

int run(int argc, char** argv) {
  CLI::App app{"zhiyuan-submitter: durable formal submissions over HTTP, and their reconciliation"};
  submit_options opt;
  add_options(app, opt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (sodium_init() < 0) die("sodium_init failed");
  if (opt.reconcile) return reconcile(opt);

  const auto address = boost::asio::ip::make_address(opt.host);
  if (!address.is_loopback()) die("--host must be a loopback address");
  const auto b = core::parse_batch(opt.batch);
  if (!b) die("unknown batch " + opt.batch);

  const auto data = storage::load_filing_data(opt.database_url);
  core::schedule sched = always_open_schedule(*b);
  if (!opt.schedule_file.empty()) sched = server::load_schedule(opt.schedule_file);
  const core::unix_seconds now = instant_in_formal_window(sched, *b);
  const form_generator forms(data.catalog, *b, sched, now);
  std::vector<target> targets = select_targets(opt, *data.directory, forms);
  fmt::print("directory: {} candidates, {} used (batch {}, pool >= {} groups)\n",
             data.directory->size(), targets.size(), opt.batch, opt.min_pool);
  std::fflush(stdout);
  if (targets.empty()) die("no candidate can file " + opt.batch);
  return run_submitter(opt, std::move(targets), forms);
}

}  // namespace
}  // namespace zhiyuan::crash

int main(int argc, char** argv) {
  // A write to a socket the exchange shut down (or the server reset) fails with EPIPE; Asio
  // 1.81's io_uring send passes no MSG_NOSIGNAL, so the signal would end the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return zhiyuan::crash::run(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "zhiyuan-submitter: error: %s\n", e.what());
    return 2;
  }
}
