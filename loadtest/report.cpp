#include "loadtest/report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "loadtest/merge.hpp"
#include "loadtest/report_format.hpp"

namespace zhiyuan::loadtest {
namespace {

using namespace report_format;

// ------------------------------------------------------------------------ text

std::string latency_row(std::string_view name, const histogram& h, std::uint64_t errors,
                        std::uint64_t late, double span) {
  return fmt::format(
      "{:<13} {:>8} {:>6} {:>6} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>9.1f}\n",
      name, h.count(), errors, late, ms(h.value_at_percentile(50)), ms(h.value_at_percentile(90)),
      ms(h.value_at_percentile(99)), ms(h.value_at_percentile(99.9)),
      ms(h.value_at_percentile(99.99)), ms(h.max()),
      span > 0 ? static_cast<double>(h.count()) / span : 0.0);
}

}  // namespace

namespace {

// Per action (and all, and setup): count, errors, late, percentiles and rate.
std::string latency_table(const run_report& r) {
  std::string out = fmt::format(
      "{:<13} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n", "action", "count",
      "errors", "late", "p50", "p90", "p99", "p99.9", "p99.99", "max", "rate/s");
  const double span = std::max(r.phases_s, r.elapsed_s);
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& st = r.actions[a];
    if (st.arrivals == 0) continue;
    out += latency_row(action_names[a], st.latency, st.errors, st.late, span);
  }
  out += latency_row("all", r.overall, r.errors(), r.late(), span);
  if (r.setup_latency.count() > 0) {
    out += latency_row("(setup)", r.setup_latency, r.setup_errors, 0, span);
  }
  out +=
      "latencies in ms from the intended send time (coordinated omission corrected); a request "
      "that needed a sign-in or pledge first from their answer; (setup): arrival to that "
      "answer\n";
  return out;
}

// The run's rates, what was not sent or sent again, and the generator's CPU.
std::string run_lines(const run_report& r) {
  std::string out = fmt::format(
      "offered {:.1f}/s achieved {:.1f}/s over {:.2f}s (phases {:.2f}s); not sent: {} dropped at "
      "the in-flight cap; setup requests {} (errors {}); resent after 503/429: {}; resent on a "
      "new connection (the server had closed the idle one): {}; plans pages followed by token "
      "{}\n",
      r.offered_rate, r.achieved_rate, r.elapsed_s, r.phases_s, r.dropped(), r.setup_requests,
      r.setup_errors, r.retries, r.stale_retries, r.pages_followed);
  const std::uint64_t exchanges = r.sent() + r.setup_requests + r.retries;
  out += fmt::format("generator CPU {:.2f}s: {:.0f} requests per CPU-second\n", r.cpu_s,
                     r.cpu_s > 0 ? static_cast<double>(exchanges) / r.cpu_s : 0.0);
  return out;
}

// Per action: its statuses when something went wrong, transport errors, unexpected answers.
std::string action_problems(const run_report& r) {
  std::string out;
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& st = r.actions[a];
    if (st.no_candidate + st.unfinished + st.dropped > 0 || st.errors > 0) {
      out += fmt::format("{}: statuses [{}] no_idle_candidate={} dropped={} unfinished={}\n",
                         action_names[a], statuses_of(st, " ", "{}:{}"), st.no_candidate,
                         st.dropped, st.unfinished);
    }
    for (const auto& [what, n] : st.transport_errors) {
      out += fmt::format("{}: transport error '{}': {}\n", action_names[a], what, n);
    }
    for (const auto& sample : st.samples) {
      out += fmt::format("{}: answered {}\n", action_names[a], sample);
    }
  }
  return out;
}

// The phases of a stepped run, one line each.
std::string phase_table(const run_report& r) {
  if (r.phases.size() <= 1) return {};
  std::string out = fmt::format("{:<16} {:>9} {:>9} {:>9} {:>7} {:>8} {:>8}\n", "phase", "rate/s",
                                "offered", "achieved", "errors", "p50", "p99");
  for (const auto& p : r.phases) {
    const std::string rate = p.rate_from == p.rate_to
                                 ? fmt::format("{:g}", p.rate_to)
                                 : fmt::format("{:g}-{:g}", p.rate_from, p.rate_to);
    out += fmt::format("{:<16} {:>9} {:>9.1f} {:>9.1f} {:>7} {:>8.2f} {:>8.2f}\n",
                       p.name.empty() ? "-" : p.name, rate, p.offered_rate(), p.achieved_rate(),
                       p.errors(), ms(p.overall.value_at_percentile(50)),
                       ms(p.overall.value_at_percentile(99)));
  }
  return out;
}

std::string knee_line(const knee_result& k, const run_report& r) {
  if (!k.first_broken) {
    return fmt::format("knee: {} held in every step; knee_rps >= {:g}\n", k.threshold, k.knee_rps);
  }
  if (!k.last_held) {
    return fmt::format("knee: {} broke in the first step ({:.3f} > {:g}); knee_rps < {:g}\n",
                       k.threshold, k.at_break.measured, k.at_break.limit,
                       r.phases[*k.first_broken].rate_to);
  }
  return fmt::format("knee: knee_rps={:g} ({} held there; broke at {:g}/s: {:.3f} vs {:g})\n",
                     k.knee_rps, k.threshold, r.phases[*k.first_broken].rate_to,
                     k.at_break.measured, k.at_break.limit);
}

// Faults, the knee, what was abandoned or unreadable, and the reconciliation.
std::string verdict_lines(const run_summary& in) {
  const run_report& r = in.r;
  std::string out;
  for (const auto& f : r.faults) {
    out += fmt::format("fault at {:.1f}s (due {:g}s) took {:.2f}s, exit {}: {}\n", f.started_s,
                       f.at_s, f.seconds, f.exit_status, f.command);
  }
  if (in.knee) out += knee_line(*in.knee, r);
  if (r.abandoned > 0) {
    out += fmt::format("requests abandoned 5 s after the stop (no answer, not cancellable): {}\n",
                       r.abandoned);
  }
  if (r.unreadable_receipts > 0) {
    out += fmt::format(
        "submissions answered 2xx without a readable receipt of their own: {} (of which {} "
        "named another candidate or batch)\n",
        r.unreadable_receipts, r.foreign_receipts);
  }
  if (in.reconciled) {
    for (const auto& p : in.reconciled->problems) out += p + '\n';
    out += fmt::format("reconciled {} history rows; inconsistent={}\n", in.reconciled->history_rows,
                       in.reconciled->inconsistent);
    out += in.reconciled->line() + '\n';
  }
  return out;
}

}  // namespace

std::string summary_text(const run_summary& in) {
  return latency_table(in.r) + run_lines(in.r) + action_problems(in.r) + phase_table(in.r) +
         verdict_lines(in);
}

// ------------------------------------------------------------------------ JSON

namespace {

std::string json_escape(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string latency_json(const histogram& h) {
  std::string spectrum;
  for (const double p : spectrum_percentiles) {
    if (!spectrum.empty()) spectrum += ',';
    spectrum += fmt::format("[{:g},{:.3f}]", p, ms(h.value_at_percentile(p)));
  }
  return fmt::format(
      R"({{"count":{},"mean_ms":{:.3f},"p50_ms":{:.3f},"p90_ms":{:.3f},"p99_ms":{:.3f},)"
      R"("p999_ms":{:.3f},"p9999_ms":{:.3f},"max_ms":{:.3f},"spectrum":[{}]}})",
      h.count(), h.mean() / 1000, ms(h.value_at_percentile(50)), ms(h.value_at_percentile(90)),
      ms(h.value_at_percentile(99)), ms(h.value_at_percentile(99.9)),
      ms(h.value_at_percentile(99.99)), ms(h.max()), spectrum);
}

std::string transport_json(const action_stats& st) {
  std::string out;
  for (const auto& [what, n] : st.transport_errors) {
    if (!out.empty()) out += ',';
    out += fmt::format(R"("{}":{})", json_escape(what), n);
  }
  return out;
}

std::string actions_json(const std::array<action_stats, action_count>& actions) {
  std::string out = "{";
  bool first = true;
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& st = actions[a];
    if (st.arrivals == 0) continue;
    if (!first) out += ',';
    first = false;
    out += fmt::format(
        R"("{}":{{"arrivals":{},"sent":{},"errors":{},"late":{},"no_idle_candidate":{},)"
        R"("dropped":{},"unfinished":{},"statuses":{{{}}},"transport_errors":{{{}}},)"
        R"("latency":{},"admitted_latency":{}}})",
        action_names[a], st.arrivals, st.sent, st.errors, st.late, st.no_candidate, st.dropped,
        st.unfinished, statuses_of(st, ",", R"("{}":{})"), transport_json(st),
        latency_json(st.latency), latency_json(st.admitted));
  }
  return out + '}';
}

std::string checks_json(const std::vector<threshold_result>& checks) {
  std::string out = "[";
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& c = checks[i];
    if (i > 0) out += ',';
    out += fmt::format(R"({{"key":"{}","measured":{:.6f},"limit":{:.6f},"at_least":{},"ok":{}}})",
                       json_escape(c.key), c.measured, c.limit, c.at_least, c.ok);
  }
  return out + ']';
}

}  // namespace

std::string report_json(const run_summary& in) {
  const run_report& r = in.r;
  std::string out = fmt::format(
      R"({{"scenario":"{}","phases_s":{:.3f},"elapsed_s":{:.3f},"offered_rate":{:.3f},)"
      R"("achieved_rate":{:.3f},"arrivals":{},"sent":{},"errors":{},"late":{},"dropped":{},)"
      R"("setup_requests":{},"setup_errors":{},"retries":{},"stale_retries":{},)"
      R"("pages_followed":{},)"
      R"("unreadable_receipts":{},"abandoned":{},"generator_cpu_s":{:.3f},"overall":{},)"
      R"("setup_latency":{},"actions":{})",
      json_escape(in.s.name), r.phases_s, r.elapsed_s, r.offered_rate, r.achieved_rate,
      r.arrivals(), r.sent(), r.errors(), r.late(), r.dropped(), r.setup_requests, r.setup_errors,
      r.retries, r.stale_retries, r.pages_followed, r.unreadable_receipts, r.abandoned, r.cpu_s,
      latency_json(r.overall), latency_json(r.setup_latency), actions_json(r.actions));
  out += R"(,"phases":[)";
  for (std::size_t i = 0; i < r.phases.size(); ++i) {
    const auto& p = r.phases[i];
    if (i > 0) out += ',';
    out += fmt::format(
        R"({{"name":"{}","start_s":{:.3f},"duration_s":{:.3f},"rate_from":{:g},"rate_to":{:g},)"
        R"("offered_rate":{:.3f},"achieved_rate":{:.3f},"arrivals":{},"sent":{},"errors":{},)"
        R"("setup_requests":{},"setup_errors":{},"overall":{},"actions":{},"thresholds":{}}})",
        json_escape(p.name), p.start_s, p.duration_s, p.rate_from, p.rate_to, p.offered_rate(),
        p.achieved_rate(), p.arrivals(), p.sent(), p.errors(), p.setup_requests, p.setup_errors,
        latency_json(p.overall), actions_json(p.actions), checks_json(check_thresholds(in.s, p)));
  }
  out += R"(],"per_second":[)";
  for (std::size_t i = 0; i < r.per_second.size(); ++i) {
    const auto& p = r.per_second[i];
    if (i > 0) out += ',';
    std::string by_action;
    for (std::size_t a = 0; a < action_count; ++a) {
      if (p.by_action[a] == 0) continue;
      if (!by_action.empty()) by_action += ',';
      by_action += fmt::format(R"("{}":{})", action_names[a], p.by_action[a]);
    }
    // The second's histogram too: a reader can pool any run of seconds exactly (percentiles of
    // seconds cannot be combined).
    out += fmt::format(R"({{"second":{},"count":{},"errors":{},"p50_ms":{:.3f},"p99_ms":{:.3f},)"
                       R"("by_action":{{{}}},"latency":"{}"}})",
                       i, p.count, p.errors, p.p50_ms, p.p99_ms, by_action, json_escape(p.latency));
  }
  out += R"(],"faults":[)";
  for (std::size_t i = 0; i < r.faults.size(); ++i) {
    const auto& f = r.faults[i];
    if (i > 0) out += ',';
    out += fmt::format(
        R"({{"at_s":{:g},"started_s":{:.3f},"seconds":{:.3f},"exit_status":{},"command":"{}"}})",
        f.at_s, f.started_s, f.seconds, f.exit_status, json_escape(f.command));
  }
  out += R"(],"thresholds":)" + checks_json(in.checks);
  if (in.knee) {
    const auto& k = *in.knee;
    out += fmt::format(R"(,"knee":{{"threshold":"{}","knee_rps":{:g},"last_held_phase":{},)"
                       R"("first_broken_phase":{},"measured_at_break":{:.6f}}})",
                       json_escape(k.threshold), k.knee_rps,
                       k.last_held ? std::to_string(*k.last_held) : "null",
                       k.first_broken ? std::to_string(*k.first_broken) : "null",
                       k.first_broken ? k.at_break.measured : 0.0);
  }
  if (in.reconciled) {
    const auto& c = *in.reconciled;
    out += fmt::format(R"(,"reconciliation":{{"acked":{},"present":{},"lost":{},"mismatched":{},)"
                       R"("duplicates":{},"inconsistent":{},"history_rows":{}}})",
                       c.acked, c.present, c.lost, c.mismatched, c.duplicates, c.inconsistent,
                       c.history_rows);
  }
  if (in.with_shard_data) out += R"(,"shard_data":)" + shard_json(r);
  return out + "}\n";
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::trunc | std::ios::binary);
  f << content;
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace zhiyuan::loadtest
