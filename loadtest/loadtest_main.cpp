// zhiyuan-loadtest: runs a load-test scenario (loadtest/scenarios/*.toml) against a zhiyuan
// server on this machine and checks the scenario's thresholds.
//
//   zhiyuan-loadtest --scenario loadtest/scenarios/smoke.toml --port 8080
//                    --database-url "$(zhiyuan-dbctl url)" --json report.json
//
// The candidates' exam numbers and their formal forms come from the database the server uses
// (catalog and candidate directory, read once before the run); passwords are the synthetic
// province's documented ones. Prints a summary table; exits 1 when a threshold breaks (each broken
// one is named), 2 on a usage or start-up error.

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/batch.hpp"
#include "loadtest/form_builder.hpp"
#include "loadtest/runner.hpp"
#include "loadtest/scenario.hpp"
#include "loadtest/synthetic_passwords.hpp"
#include "storage/catalog_loader.hpp"

namespace {

using namespace zhiyuan;
using loadtest::action_count;
using loadtest::action_names;

double ms(std::uint64_t us) { return static_cast<double>(us) / 1000; }

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

void print_table(const loadtest::run_report& r) {
  fmt::print("{:<13} {:>7} {:>6} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "action",
             "count", "errors", "late", "p50", "p90", "p99", "p99.9", "p99.99", "max", "rate/s");
  const double span = std::max(r.phases_s, r.elapsed_s);
  const auto row = [&](std::string_view name, const loadtest::histogram& h, std::uint64_t errors,
                       std::uint64_t late) {
    fmt::print(
        "{:<13} {:>7} {:>6} {:>5} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} "
        "{:>8.1f}\n",
        name, h.count(), errors, late, ms(h.value_at_percentile(50)), ms(h.value_at_percentile(90)),
        ms(h.value_at_percentile(99)), ms(h.value_at_percentile(99.9)),
        ms(h.value_at_percentile(99.99)), ms(h.max()),
        span > 0 ? static_cast<double>(h.count()) / span : 0.0);
  };
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& st = r.actions[a];
    if (st.arrivals == 0) continue;
    row(action_names[a], st.latency, st.errors, st.late);
  }
  row("all", r.overall, r.errors(), r.late());
  fmt::print("latencies in ms from the intended send time (coordinated omission corrected)\n");
  fmt::print(
      "offered {:.1f}/s achieved {:.1f}/s over {:.2f}s (phases {:.2f}s); setup requests {} "
      "(errors {}); plans pages followed by token {}\n",
      r.offered_rate, r.achieved_rate, r.elapsed_s, r.phases_s, r.setup_requests, r.setup_errors,
      r.pages_followed);
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& st = r.actions[a];
    std::string statuses;
    for (const auto& [status, n] : st.by_status) {
      if (!statuses.empty()) statuses += ' ';
      statuses += fmt::format("{}:{}", status, n);
    }
    if (st.no_candidate + st.unfinished > 0 || st.errors > 0) {
      fmt::print("{}: statuses [{}] no_idle_candidate={} unfinished={}\n", action_names[a],
                 statuses, st.no_candidate, st.unfinished);
    }
  }
}

void write_json(const std::string& path, const loadtest::scenario& s, const loadtest::run_report& r,
                const std::vector<loadtest::threshold_result>& checks) {
  std::string out;
  const auto latency = [](const loadtest::histogram& h) {
    return fmt::format(
        R"({{"count":{},"mean_ms":{:.3f},"p50_ms":{:.3f},"p90_ms":{:.3f},"p99_ms":{:.3f},)"
        R"("p999_ms":{:.3f},"p9999_ms":{:.3f},"max_ms":{:.3f}}})",
        h.count(), h.mean() / 1000, ms(h.value_at_percentile(50)), ms(h.value_at_percentile(90)),
        ms(h.value_at_percentile(99)), ms(h.value_at_percentile(99.9)),
        ms(h.value_at_percentile(99.99)), ms(h.max()));
  };
  out += fmt::format(
      R"({{"scenario":"{}","phases_s":{:.3f},"elapsed_s":{:.3f},"offered_rate":{:.3f},)"
      R"("achieved_rate":{:.3f},"arrivals":{},"sent":{},"errors":{},"late":{},)"
      R"("setup_requests":{},"setup_errors":{},"pages_followed":{},"overall":{},"actions":{{)",
      s.name, r.phases_s, r.elapsed_s, r.offered_rate, r.achieved_rate, r.arrivals(), r.sent(),
      r.errors(), r.late(), r.setup_requests, r.setup_errors, r.pages_followed, latency(r.overall));
  bool first = true;
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& st = r.actions[a];
    if (st.arrivals == 0) continue;
    if (!first) out += ',';
    first = false;
    std::string statuses;
    for (const auto& [status, n] : st.by_status) {
      if (!statuses.empty()) statuses += ',';
      statuses += fmt::format(R"("{}":{})", status, n);
    }
    out += fmt::format(R"("{}":{{"arrivals":{},"sent":{},"errors":{},"late":{},)"
                       R"("no_idle_candidate":{},"unfinished":{},"statuses":{{{}}},"latency":{}}})",
                       action_names[a], st.arrivals, st.sent, st.errors, st.late, st.no_candidate,
                       st.unfinished, statuses, latency(st.latency));
  }
  out += R"(},"per_second":[)";
  for (std::size_t i = 0; i < r.per_second.size(); ++i) {
    const auto& p = r.per_second[i];
    if (i > 0) out += ',';
    out += fmt::format(R"({{"second":{},"count":{},"errors":{},"p50_ms":{:.3f},"p99_ms":{:.3f}}})",
                       i, p.count, p.errors, p.p50_ms, p.p99_ms);
  }
  out += R"(],"thresholds":[)";
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& c = checks[i];
    if (i > 0) out += ',';
    out += fmt::format(R"({{"key":"{}","measured":{:.6f},"limit":{:.6f},"ok":{}}})", c.key,
                       c.measured, c.limit, c.ok ? "true" : "false");
  }
  out += "]}\n";
  std::ofstream f(path, std::ios::trunc);
  f << out;
  if (!f) throw std::runtime_error("cannot write " + path);
}

int run(int argc, char** argv) {
  CLI::App app{"zhiyuan-loadtest: an open-model load test of a zhiyuan server"};
  std::string scenario_file;
  std::string database_url;
  std::string host;
  std::uint16_t port = 0;
  std::string json_file;
  loadtest::run_options opt;
  opt.threads = std::max(1U, std::min(4U, std::thread::hardware_concurrency()));
  app.add_option("--scenario", scenario_file, "scenario TOML file")->required();
  app.add_option("--database-url", database_url,
                 "libpq conninfo of the server's database (candidates and forms)")
      ->required();
  app.add_option("--host", host, "override the scenario's target host (loopback only)");
  app.add_option("--port", port, "override the scenario's target port");
  app.add_option("--json", json_file, "write the full report as JSON to this file");
  app.add_option("--threads", opt.threads, "threads, each with its own io_context")
      ->check(CLI::Range(1U, 256U))
      ->capture_default_str();
  app.add_option("--connections", opt.connections_per_thread,
                 "keep-alive connections per thread at most")
      ->check(CLI::Range(1U, 65536U))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  loadtest::scenario s;
  try {
    s = loadtest::load_scenario(scenario_file);
  } catch (const loadtest::scenario_error& e) {
    fmt::print(stderr, "zhiyuan-loadtest: {}\n", e.what());
    return 2;
  }
  opt.host = host.empty() ? s.target.host : host;
  if (opt.host == "localhost") opt.host = "127.0.0.1";
  opt.port = port != 0 ? port : s.target.port;
  // The tool is never aimed at someone else's machine.
  boost::system::error_code ec;
  if (const auto address = boost::asio::ip::make_address(opt.host, ec);
      ec || !address.is_loopback()) {
    fmt::print(stderr, "zhiyuan-loadtest: --host must be a loopback address, not {}\n", opt.host);
    return 2;
  }

  const auto accounts = load_accounts(s, database_url);
  fmt::print("scenario {}: {:.1f}s of phases, {} candidates, target {}:{}, {} threads\n", s.name,
             s.phases_duration_s(), accounts.size(), opt.host, opt.port, opt.threads);
  std::fflush(stdout);
  const auto report = loadtest::run(s, accounts, opt);
  print_table(report);
  const auto checks = loadtest::check_thresholds(s, report);
  if (!json_file.empty()) write_json(json_file, s, report, checks);
  int broken = 0;
  for (const auto& c : checks) {
    fmt::print("threshold {}: {:.4f} ({} {:.4f}) {}\n", c.key, c.measured,
               c.at_least ? ">=" : "<=", c.limit, c.ok ? "ok" : "BROKEN");
    if (!c.ok) ++broken;
  }
  if (broken > 0) {
    fmt::print("{} threshold(s) broken\n", broken);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "zhiyuan-loadtest: error: %s\n", e.what());
    return 2;
  }
}
