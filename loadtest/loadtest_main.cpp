// zhiyuan-loadtest: runs a load-test scenario (loadtest/scenarios/*.toml) against a zhiyuan
// server on this machine and checks the scenario's thresholds.
//
//   zhiyuan-loadtest --scenario loadtest/scenarios/smoke.toml --port 8080
//                    --database-url "$(zhiyuan-dbctl url)" --json report.json --html report.html
//
// The candidates' exam numbers and their formal forms come from the database the server uses
// (catalog and candidate directory, read once before the run); passwords are the synthetic
// province's documented ones. Prints a summary table; exits 1 when a threshold breaks (each broken
// one is named), 2 on a usage or start-up error.

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/batch.hpp"
#include "loadtest/form_builder.hpp"
#include "loadtest/merge.hpp"
#include "loadtest/reconcile.hpp"
#include "loadtest/report.hpp"
#include "loadtest/runner.hpp"
#include "loadtest/scenario.hpp"
#include "province/synthetic_passwords.hpp"
#include "storage/catalog_loader.hpp"

namespace {

using namespace zhiyuan;

// The scenario's candidates, with their forms for 本科批.
std::vector<loadtest::candidate_account> load_accounts(const loadtest::scenario& s,
                                                       const std::string& database_url) {
  const auto data = storage::load_filing_data(database_url);
  const loadtest::form_builder forms(data.catalog, core::batch::undergrad);
  std::vector<loadtest::candidate_account> out;
  out.reserve(static_cast<std::size_t>(s.candidates.count));
  for (std::int64_t i = 0; i < s.candidates.count; ++i) {
    const std::int64_t id = s.candidates.candidate_id(i);
    const auto* e = data.directory->find(static_cast<core::candidate_id>(id));
    if (e == nullptr) {
      throw std::runtime_error(
          fmt::format("candidate {} of the scenario is not in the database "
                      "(seeded with fewer candidates?)",
                      id));
    }
    loadtest::candidate_account a;
    a.exam_no = std::string(e->exam_number());
    a.login_password = loadtest::synthetic_login_password(a.exam_no);
    if (const loadtest::form* f = forms.form_for(*e); f != nullptr) {
      a.groups.assign(f->groups.begin(), f->groups.end());
      a.draft_body = R"({"choices":)" + f->choices_json + "}";
      a.submit_body = R"({"choices":)" + f->choices_json + R"(,"save_password":")" +
                      loadtest::synthetic_save_password(a.exam_no) + "\"}";
    }
    out.push_back(std::move(a));
  }
  return out;
}

// "SECONDS:COMMAND" from --fault.
loadtest::fault parse_fault(const std::string& text, double phases_s) {
  const auto colon = text.find(':');
  double at = -1;
  if (colon != std::string::npos && colon > 0) {
    try {
      std::size_t used = 0;
      at = std::stod(text.substr(0, colon), &used);
      if (used != colon) at = -1;
    } catch (const std::exception&) {
      at = -1;
    }
  }
  if (at < 0 || at > phases_s || colon + 1 >= text.size()) {
    throw std::runtime_error(fmt::format(
        "--fault '{}': expected SECONDS:COMMAND with 0 <= SECONDS <= {:g} (the phases' length)",
        text, phases_s));
  }
  return {at, text.substr(colon + 1)};
}

// --reconcile-acks: the check of a run's acks file, on its own (e.g. after restoring a backup).
int reconcile_only(const std::string& acks_file, const std::string& database_url) {
  const auto acks = loadtest::read_acks_file(acks_file);
  const auto r = loadtest::reconcile(database_url, acks, {});
  for (const auto& p : r.problems) fmt::print("{}\n", p);
  fmt::print("reconciled {} history rows; inconsistent={}\n{}\n", r.history_rows, r.inconsistent,
             r.line());
  return r.ok() ? 0 : 1;
}

struct cli {
  std::string scenario_file;
  std::string reconcile_file;
  std::string database_url;
  std::string host;
  std::uint16_t port = 0;
  std::string json_file;
  std::string html_file;
  std::string acks_file;
  std::string latencies_file;
  std::vector<std::string> fault_texts;
  std::string shard_text;
  std::vector<std::string> merge_files;
  double rate = 0;
  double duration = 0;
  bool no_reconcile = false;
  loadtest::run_options opt;
};

void add_options(CLI::App& app, cli& c) {
  c.opt.threads = std::max(1U, std::min(4U, std::thread::hardware_concurrency()));
  auto* scenario_option = app.add_option("--scenario", c.scenario_file, "scenario TOML file");
  app.add_option("--reconcile-acks", c.reconcile_file,
                 "only reconcile an acks file written by --acks against the database")
      ->excludes(scenario_option);
  app.add_option("--database-url", c.database_url,
                 "libpq conninfo of the server's database (candidates and forms)");
  app.add_option("--host", c.host, "override the scenario's target host (loopback only)");
  app.add_option("--port", c.port, "override the scenario's target port");
  app.add_option("--json", c.json_file, "write the full report as JSON to this file");
  app.add_option("--html", c.html_file, "write a self-contained HTML report to this file");
  app.add_option("--acks", c.acks_file,
                 "write every acknowledged submission (exam_no batch version hash key) here");
  app.add_option("--latencies", c.latencies_file,
                 "write every answered request's latency (microseconds, one a line, at most "
                 "10 million per thread) here: percentiles of merged shards can be checked "
                 "against the union of their requests");
  app.add_flag("--no-reconcile", c.no_reconcile,
               "do not check the acknowledged submissions against the database");
  app.add_option("--fault", c.fault_texts,
                 "SECONDS:COMMAND, run COMMAND by /bin/sh at that second (repeatable; added to "
                 "the scenario's [[faults]])");
  app.add_option("--shard", c.shard_text,
                 "K/N: run shard K of N generators sharing the scenario (every N-th candidate "
                 "from the K-th, 1/N of the rate, faults in shard 1 only); merge their --json "
                 "reports with `zhiyuan-loadtest merge`");
  app.add_option("--rate", c.rate,
                 "replace the scenario's phases by one at this constant rate (requests/s)")
      ->check(CLI::Range(0.001, 1'000'000.0));
  app.add_option("--duration", c.duration, "with --rate: the phase's length in seconds")
      ->check(CLI::Range(0.1, 86'400.0));
  app.add_option("--retries", c.opt.retries,
                 "resends of a request answered 503 or 429, after its Retry-After")
      ->check(CLI::Range(0U, 20U))
      ->capture_default_str();
  app.add_option("--dispatch-tick-us", c.opt.dispatch_tick_us,
                 "shortest sleep of the dispatcher; arrivals closer together go out together")
      ->check(CLI::Range(1U, 1000U))
      ->capture_default_str();
  app.add_option("--max-in-flight", c.opt.max_in_flight,
                 "requests outstanding per thread at most; further arrivals are dropped")
      ->check(CLI::Range(1ULL, 10'000'000ULL))
      ->capture_default_str();
  app.add_option("--threads", c.opt.threads, "threads, each with its own io_context")
      ->check(CLI::Range(1U, 256U))
      ->capture_default_str();
  app.add_option("--connections", c.opt.connections_per_thread,
                 "keep-alive connections per thread at most")
      ->check(CLI::Range(1U, 65536U))
      ->capture_default_str();
}

// `merge SHARD.json… --scenario FILE`: the shards' reports merged exactly, reconciled once,
// checked against the scenario's thresholds.
void add_merge(CLI::App& app, cli& c) {
  auto* merge = app.add_subcommand(
      "merge", "merge the --json reports of a run's shards (--shard K/N) into one report");
  merge->add_option("reports", c.merge_files, "the shards' --json reports")->required();
  merge->add_option("--scenario", c.scenario_file, "the scenario the shards ran (thresholds)")
      ->required();
  merge->add_option("--database-url", c.database_url, "libpq conninfo, to reconcile")->required();
  merge->add_option("--json", c.json_file, "write the merged report as JSON to this file");
  merge->add_option("--html", c.html_file, "write the merged report as HTML to this file");
  merge->add_option("--acks", c.acks_file, "write every shard's acknowledged submissions here");
  merge->add_flag("--no-reconcile", c.no_reconcile, "do not reconcile the acknowledgements");
}

// The scenario with the command line's changes (--rate/--duration, --fault, --host, --port);
// nullopt after printing why it cannot run.
std::optional<loadtest::scenario> scenario_of(cli& c) {
  loadtest::scenario s;
  try {
    s = loadtest::load_scenario(c.scenario_file);
  } catch (const loadtest::scenario_error& e) {
    fmt::print(stderr, "zhiyuan-loadtest: {}\n", e.what());
    return std::nullopt;
  }
  if ((c.rate > 0) != (c.duration > 0)) {
    fmt::print(stderr, "zhiyuan-loadtest: --rate and --duration go together\n");
    return std::nullopt;
  }
  if (c.rate > 0) {
    s.phases = {loadtest::phase{"constant", c.duration, c.rate, c.rate}};
    s.knee.reset();
    s.max_duration_s = std::max(s.max_duration_s, c.duration + s.drain_s);
  }
  for (const auto& f : c.fault_texts) s.faults.push_back(parse_fault(f, s.phases_duration_s()));
  try {
    if (!c.shard_text.empty()) loadtest::apply_shard(s, loadtest::parse_shard(c.shard_text));
  } catch (const loadtest::scenario_error& e) {
    fmt::print(stderr, "zhiyuan-loadtest: {}\n", e.what());
    return std::nullopt;
  }
  c.opt.host = c.host.empty() ? s.target.host : c.host;
  if (c.opt.host == "localhost") c.opt.host = "127.0.0.1";
  c.opt.port = c.port != 0 ? c.port : s.target.port;
  // The tool is never aimed at someone else's machine.
  boost::system::error_code ec;
  if (const auto address = boost::asio::ip::make_address(c.opt.host, ec);
      ec || !address.is_loopback()) {
    fmt::print(stderr, "zhiyuan-loadtest: --host must be a loopback address, not {}\n", c.opt.host);
    return std::nullopt;
  }
  return s;
}

int conclude(const cli& c, const loadtest::scenario& s, const loadtest::run_report& report);

int merge_only(const cli& c) {
  loadtest::scenario s;
  try {
    s = loadtest::load_scenario(c.scenario_file);
  } catch (const loadtest::scenario_error& e) {
    fmt::print(stderr, "zhiyuan-loadtest: {}\n", e.what());
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> reports;
  for (const auto& file : c.merge_files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file);
    reports.emplace_back(file, std::string(std::istreambuf_iterator<char>(in), {}));
  }
  const auto report = loadtest::merge_reports(reports);
  fmt::print("merged {} shard reports of scenario {}\n", reports.size(), s.name);
  return conclude(c, s, report);
}

// --latencies: one a line; a run that answered more than the file may hold fails rather than
// leave an incomplete list to compare with.
void write_latencies(const std::string& file, const loadtest::run_report& report) {
  if (report.latencies_dropped > 0) {
    throw std::runtime_error(fmt::format("--latencies: {} answers past the limit were not kept",
                                         report.latencies_dropped));
  }
  std::string lines;
  lines.reserve(report.latencies_us.size() * 8);
  for (const auto us : report.latencies_us) lines += fmt::format("{}\n", us);
  loadtest::write_file(file, lines);
}

// The acks file, the reconciliation, the reports and the checks of a finished run; its exit
// status.
int conclude(const cli& c, const loadtest::scenario& s, const loadtest::run_report& report) {
  loadtest::run_summary summary{s,
                                report,
                                loadtest::check_thresholds(s, report),
                                loadtest::find_knee(s, report),
                                std::nullopt,
                                !c.shard_text.empty() || !c.merge_files.empty()};
  if (!c.acks_file.empty()) {
    std::string lines;
    for (const auto& a : report.acks) lines += loadtest::ack_line(a) + '\n';
    loadtest::write_file(c.acks_file, lines);
  }
  const bool submitted = report.actions[static_cast<std::size_t>(loadtest::action::submit)].sent;
  if (!c.no_reconcile && submitted) {
    storage::reconcile_options ro;
    ro.since = report.started_at - std::chrono::seconds(1);
    summary.reconciled = loadtest::reconcile(c.database_url, report.acks, ro);
  }
  fmt::print("{}", loadtest::summary_text(summary));
  if (!c.json_file.empty()) loadtest::write_file(c.json_file, loadtest::report_json(summary));
  if (!c.html_file.empty()) loadtest::write_file(c.html_file, loadtest::report_html(summary));
  int broken = 0;
  for (const auto& check : summary.checks) {
    fmt::print("threshold {}: {:.4f} ({} {:.4f}) {}\n", check.key, check.measured,
               check.at_least ? ">=" : "<=", check.limit, check.ok ? "ok" : "BROKEN");
    if (!check.ok) ++broken;
  }
  if (report.unreadable_receipts > 0) ++broken;
  if (summary.reconciled && !summary.reconciled->ok()) {
    fmt::print("reconciliation failed: acknowledged submissions are missing or differ\n");
    ++broken;
  }
  if (broken > 0) {
    fmt::print("{} check(s) failed\n", broken);
    return 1;
  }
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"zhiyuan-loadtest: an open-model load test of a zhiyuan server"};
  cli c;
  add_options(app, c);
  add_merge(app, c);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!c.merge_files.empty()) return merge_only(c);
  if (c.database_url.empty()) {
    fmt::print(stderr, "zhiyuan-loadtest: --database-url is required\n");
    return 2;
  }
  if (!c.reconcile_file.empty()) return reconcile_only(c.reconcile_file, c.database_url);
  if (c.scenario_file.empty()) {
    fmt::print(stderr, "zhiyuan-loadtest: --scenario or --reconcile-acks is required\n");
    return 2;
  }
  const auto s = scenario_of(c);
  if (!s) return 2;
  const auto accounts = load_accounts(*s, c.database_url);
  fmt::print("scenario {}: {:.1f}s of phases, {} candidates, target {}:{}, {} threads\n", s->name,
             s->phases_duration_s(), accounts.size(), c.opt.host, c.opt.port, c.opt.threads);
  std::fflush(stdout);
  if (!c.latencies_file.empty()) c.opt.keep_latencies = 10'000'000;
  const auto report = loadtest::run(*s, accounts, c.opt);
  if (!c.latencies_file.empty()) write_latencies(c.latencies_file, report);
  return conclude(c, *s, report);
}

}  // namespace

int main(int argc, char** argv) {
  // A write to a socket the exchange shut down (or the server reset) fails with EPIPE; Asio
  // 1.81's io_uring send passes no MSG_NOSIGNAL, so the signal would end the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "zhiyuan-loadtest: error: %s\n", e.what());
    return 2;
  }
}
