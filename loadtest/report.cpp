#include "loadtest/report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace zhiyuan::loadtest {
namespace {

double ms(std::uint64_t us) { return static_cast<double>(us) / 1000; }

// The percentiles of the spectrum chart and the JSON: 0 … 99.999 and the maximum.
constexpr std::array<double, 21> spectrum_percentiles = {0,  10,   20,   30,    40,    50,     60,
                                                         70, 75,   80,   85,    90,    95,     97.5,
                                                         99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};

std::string statuses_of(const action_stats& st, std::string_view sep, std::string_view form) {
  std::string out;
  for (const auto& [status, n] : st.by_status) {
    if (!out.empty()) out += sep;
    out += fmt::format(fmt::runtime(form), status, n);
  }
  return out;
}

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

std::string summary_text(const run_summary& in) {
  const run_report& r = in.r;
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
  out += fmt::format(
      "offered {:.1f}/s achieved {:.1f}/s over {:.2f}s (phases {:.2f}s); not sent: {} dropped at "
      "the in-flight cap; setup requests {} (errors {}); resent after 503/429: {}; resent on a "
      "new connection (the server had closed the idle one): {}; plans pages followed by token "
      "{}\n",
      r.offered_rate, r.achieved_rate, r.elapsed_s, r.phases_s, r.dropped(), r.setup_requests,
      r.setup_errors, r.retries, r.stale_retries, r.pages_followed);
  const std::uint64_t exchanges = r.sent() + r.setup_requests + r.retries;
  out += fmt::format("generator CPU {:.2f}s: {:.0f} requests per CPU-second\n", r.cpu_s,
                     r.cpu_s > 0 ? static_cast<double>(exchanges) / r.cpu_s : 0.0);
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
  if (r.phases.size() > 1) {
    out += fmt::format("{:<16} {:>9} {:>9} {:>9} {:>7} {:>8} {:>8}\n", "phase", "rate/s", "offered",
                       "achieved", "errors", "p50", "p99");
    for (const auto& p : r.phases) {
      const std::string rate = p.rate_from == p.rate_to
                                   ? fmt::format("{:g}", p.rate_to)
                                   : fmt::format("{:g}-{:g}", p.rate_from, p.rate_to);
      out += fmt::format("{:<16} {:>9} {:>9.1f} {:>9.1f} {:>7} {:>8.2f} {:>8.2f}\n",
                         p.name.empty() ? "-" : p.name, rate, p.offered_rate(), p.achieved_rate(),
                         p.errors(), ms(p.overall.value_at_percentile(50)),
                         ms(p.overall.value_at_percentile(99)));
    }
  }
  for (const auto& f : r.faults) {
    out += fmt::format("fault at {:.1f}s (due {:g}s) took {:.2f}s, exit {}: {}\n", f.started_s,
                       f.at_s, f.seconds, f.exit_status, f.command);
  }
  if (in.knee) {
    const auto& k = *in.knee;
    if (!k.first_broken) {
      out +=
          fmt::format("knee: {} held in every step; knee_rps >= {:g}\n", k.threshold, k.knee_rps);
    } else if (!k.last_held) {
      out += fmt::format("knee: {} broke in the first step ({:.3f} > {:g}); knee_rps < {:g}\n",
                         k.threshold, k.at_break.measured, k.at_break.limit,
                         r.phases[*k.first_broken].rate_to);
    } else {
      out += fmt::format("knee: knee_rps={:g} ({} held there; broke at {:g}/s: {:.3f} vs {:g})\n",
                         k.knee_rps, k.threshold, r.phases[*k.first_broken].rate_to,
                         k.at_break.measured, k.at_break.limit);
    }
  }
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
        R"("latency":{}}})",
        action_names[a], st.arrivals, st.sent, st.errors, st.late, st.no_candidate, st.dropped,
        st.unfinished, statuses_of(st, ",", R"("{}":{})"), transport_json(st),
        latency_json(st.latency));
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
    out += fmt::format(R"({{"second":{},"count":{},"errors":{},"p50_ms":{:.3f},"p99_ms":{:.3f},)"
                       R"("by_action":{{{}}}}})",
                       i, p.count, p.errors, p.p50_ms, p.p99_ms, by_action);
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
  return out + "}\n";
}

// ------------------------------------------------------------------------ HTML

namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr std::array<std::string_view, 12> palette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                      "#bcbd22", "#17becf", "#393b79", "#000000"};

struct series {
  std::string name;
  std::string_view color;
  std::vector<std::pair<double, double>> points;
};

struct axis {
  std::string label;
  bool log = false;
  std::vector<std::pair<double, std::string>> ticks;  // empty: computed
};

// "Nice" ticks for a linear axis from lo to hi.
std::vector<std::pair<double, std::string>> linear_ticks(double lo, double hi) {
  std::vector<std::pair<double, std::string>> out;
  const double span = hi - lo;
  if (span <= 0) return {{lo, fmt::format("{:g}", lo)}};
  const double raw = span / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double step = raw / mag >= 5   ? 10 * mag
                      : raw / mag >= 2 ? 5 * mag
                      : raw / mag >= 1 ? 2 * mag
                                       : mag;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.emplace_back(v, fmt::format("{:g}", v));
  }
  return out;
}

// An SVG line chart: series of (x, y) points, y optionally on a log scale, vertical markers
// (fault times) as dashed lines.
std::string line_chart(std::string_view title, const axis& x, const axis& y,
                       const std::vector<series>& lines, const std::vector<double>& markers) {
  constexpr double width = 900, height = 320, left = 70, right = 170, top = 30, bottom = 45;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = -1e300;
  for (const auto& s : lines) {
    for (const auto& [px, py] : s.points) {
      if (y.log && py <= 0) continue;
      x_lo = std::min(x_lo, px);
      x_hi = std::max(x_hi, px);
      y_lo = std::min(y_lo, py);
      y_hi = std::max(y_hi, py);
    }
  }
  std::string svg = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}">)"
      R"(<text x="{}" y="18" font-size="14" font-weight="bold">{}</text>)",
      width, height, width, height, left, html_escape(title));
  if (x_lo > x_hi) return svg + R"(<text x="70" y="60">no data</text></svg>)";
  if (x_hi == x_lo) x_hi = x_lo + 1;
  if (y.log) {
    y_lo = std::pow(10, std::floor(std::log10(y_lo)));
    y_hi = std::pow(10, std::ceil(std::log10(y_hi)));
    if (y_hi <= y_lo) y_hi = y_lo * 10;
  } else {
    y_lo = std::min(0.0, y_lo);
    if (y_hi <= y_lo) y_hi = y_lo + 1;
    y_hi *= 1.05;
  }
  const auto sx = [&](double v) { return left + (v - x_lo) / (x_hi - x_lo) * plot_w; };
  const auto sy = [&](double v) {
    const double f =
        y.log ? (std::log10(v) - std::log10(y_lo)) / (std::log10(y_hi) - std::log10(y_lo))
              : (v - y_lo) / (y_hi - y_lo);
    return top + plot_h - f * plot_h;
  };
  svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999"/>)",
                     left, top, plot_w, plot_h);
  // Axes and grid.
  auto y_ticks = y.ticks;
  if (y_ticks.empty()) {
    if (y.log) {
      for (double v = y_lo; v <= y_hi * 1.0001; v *= 10)
        y_ticks.emplace_back(v, fmt::format("{:g}", v));
    } else {
      y_ticks = linear_ticks(y_lo, y_hi);
    }
  }
  for (const auto& [v, label] : y_ticks) {
    if (v < y_lo || v > y_hi) continue;
    svg += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#eee"/>)"
                       R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>)",
                       left, sy(v), left + plot_w, sy(v), left - 5, sy(v) + 4, html_escape(label));
  }
  auto x_ticks = x.ticks.empty() ? linear_ticks(x_lo, x_hi) : x.ticks;
  for (const auto& [v, label] : x_ticks) {
    if (v < x_lo || v > x_hi) continue;
    svg +=
        fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#eee"/>)"
                    R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle">{}</text>)",
                    sx(v), top, sx(v), top + plot_h, sx(v), top + plot_h + 15, html_escape(label));
  }
  svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="middle">{}</text>)"
                     R"(<text x="14" y="{:.1f}" font-size="12" text-anchor="middle" )"
                     R"svg(transform="rotate(-90 14 {:.1f})">{}</text>)svg",
                     left + plot_w / 2, height - 8, html_escape(x.label), top + plot_h / 2,
                     top + plot_h / 2, html_escape(y.label));
  for (const double m : markers) {
    if (m < x_lo || m > x_hi) continue;
    svg += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#d62728" )"
                       R"(stroke-dasharray="4 3"><title>fault at {3:.1f}s</title></line>)",
                       sx(m), top, top + plot_h, m);
  }
  // Lines and the legend.
  double legend_y = top + 10;
  for (const auto& s : lines) {
    std::string path;
    for (const auto& [px, py] : s.points) {
      if (y.log && py <= 0) continue;
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "" : " ", sx(px), sy(py));
    }
    if (path.empty()) continue;
    svg += fmt::format(
        R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"><title>{}</title>)"
        R"(</polyline>)"
        R"(<rect x="{:.1f}" y="{:.1f}" width="12" height="3" fill="{}"/>)"
        R"(<text x="{:.1f}" y="{:.1f}" font-size="11">{}</text>)",
        s.color, path, html_escape(s.name), left + plot_w + 12, legend_y - 4, s.color,
        left + plot_w + 28, legend_y, html_escape(s.name));
    legend_y += 15;
  }
  return svg + "</svg>";
}

std::string table_row(const std::vector<std::string>& cells, bool header = false) {
  std::string out = "<tr>";
  for (const auto& c : cells) {
    out += header ? "<th>" : "<td>";
    out += html_escape(c);
    out += header ? "</th>" : "</td>";
  }
  return out + "</tr>\n";
}

std::string f2(double v) { return fmt::format("{:.2f}", v); }

}  // namespace

std::string report_html(const run_summary& in) {
  const run_report& r = in.r;
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>zhiyuan-loadtest: {0}</title><style>"
      "body{{font-family:sans-serif;margin:24px;color:#222}}"
      "table{{border-collapse:collapse;margin:8px 0 20px}}"
      "td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}"
      "th{{background:#f4f4f4}} td:first-child,th:first-child{{text-align:left}}"
      ".bad{{color:#b00;font-weight:bold}} .ok{{color:#070}} svg{{display:block;margin:8px 0}}"
      "</style></head><body>\n<h1>zhiyuan-loadtest: {0}</h1>\n<p>{1}</p>\n",
      html_escape(in.s.name), html_escape(in.s.description));
  out += fmt::format(
      "<p>Offered {:.1f}/s, achieved {:.1f}/s over {:.2f} s (phases {:.2f} s). {} requests sent, "
      "{} errors, {} late (first byte more than the late limit after the intended time), {} "
      "dropped at the in-flight cap, {} setup requests ({} errors). Latencies are measured from "
      "each request's intended send time (coordinated omission corrected); a request that "
      "needed a sign-in or pledge first is timed from their answer, and the setup row from the "
      "intended time to that answer.</p>\n",
      r.offered_rate, r.achieved_rate, r.elapsed_s, r.phases_s, r.sent(), r.errors(), r.late(),
      r.dropped(), r.setup_requests, r.setup_errors);

  // Verdicts first: thresholds, knee, reconciliation.
  out += "<h2>Thresholds</h2>\n<table>\n" +
         table_row({"threshold", "measured", "limit", "result"}, true);
  for (const auto& c : in.checks) {
    out += fmt::format(
        "<tr><td>{}</td><td>{:.4f}</td><td>{} {:.4f}</td><td class=\"{}\">{}</td></tr>\n",
        html_escape(c.key), c.measured, c.at_least ? "&ge;" : "&le;", c.limit, c.ok ? "ok" : "bad",
        c.ok ? "ok" : "BROKEN");
  }
  out += "</table>\n";
  if (in.knee) {
    const auto& k = *in.knee;
    out += fmt::format("<p><b>Knee</b> ({}): {}</p>\n", html_escape(k.threshold),
                       !k.first_broken
                           ? fmt::format("held in every step, knee &ge; {:g}/s", k.knee_rps)
                       : !k.last_held ? std::string("broke in the first step")
                                      : fmt::format("{:g}/s (broke at {:g}/s)", k.knee_rps,
                                                    r.phases[*k.first_broken].rate_to));
  }
  if (in.reconciled) {
    out += fmt::format(
        "<p><b>Reconciliation</b> against the database: <span class=\"{}\">{}</span>"
        " (inconsistent={})</p>\n",
        in.reconciled->ok() ? "ok" : "bad", html_escape(in.reconciled->line()),
        in.reconciled->inconsistent);
  }

  // Latency per action.
  out += "<h2>Latency by action (ms)</h2>\n<table>\n" +
         table_row({"action", "count", "errors", "late", "dropped", "p50", "p90", "p99", "p99.9",
                    "p99.99", "max", "statuses"},
                   true);
  const auto latency_cells = [](std::string name, const histogram& h, std::uint64_t errors,
                                std::uint64_t late, std::uint64_t dropped, std::string statuses) {
    return table_row({std::move(name), std::to_string(h.count()), std::to_string(errors),
                      std::to_string(late), std::to_string(dropped),
                      f2(ms(h.value_at_percentile(50))), f2(ms(h.value_at_percentile(90))),
                      f2(ms(h.value_at_percentile(99))), f2(ms(h.value_at_percentile(99.9))),
                      f2(ms(h.value_at_percentile(99.99))), f2(ms(h.max())), std::move(statuses)});
  };
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& st = r.actions[a];
    if (st.arrivals == 0) continue;
    out += latency_cells(std::string(action_names[a]), st.latency, st.errors, st.late, st.dropped,
                         statuses_of(st, " ", "{}:{}"));
  }
  out += latency_cells("all", r.overall, r.errors(), r.late(), r.dropped(), "");
  if (r.setup_latency.count() > 0) {
    out += latency_cells("(setup: sign-in and pledge first)", r.setup_latency, r.setup_errors, 0, 0,
                         "");
  }
  out += "</table>\n";

  // Charts over time.
  std::vector<double> markers;
  for (const auto& f : r.faults) markers.push_back(f.started_s);
  std::vector<series> rates;
  series total{"all", palette[11], {}};
  series errors{"errors", "#ff0000", {}};
  std::array<series, action_count> by_action;
  for (std::size_t a = 0; a < action_count; ++a)
    by_action[a] = {std::string(action_names[a]), palette[a], {}};
  series p50{"p50", palette[0], {}}, p99{"p99", palette[1], {}};
  for (std::size_t i = 0; i < r.per_second.size(); ++i) {
    const auto& p = r.per_second[i];
    const auto t = static_cast<double>(i);
    total.points.emplace_back(t, static_cast<double>(p.count));
    errors.points.emplace_back(t, static_cast<double>(p.errors));
    for (std::size_t a = 0; a < action_count; ++a) {
      if (r.actions[a].arrivals > 0)
        by_action[a].points.emplace_back(t, static_cast<double>(p.by_action[a]));
    }
    if (p.count > 0) {
      p50.points.emplace_back(t, p.p50_ms);
      p99.points.emplace_back(t, p.p99_ms);
    }
  }
  rates.push_back(std::move(total));
  rates.push_back(std::move(errors));
  for (auto& s : by_action) {
    if (!s.points.empty()) rates.push_back(std::move(s));
  }
  out += "<h2>Over time</h2>\n";
  out += line_chart("Answered requests per second (by completion time)", {"seconds from start"},
                    {"requests/s"}, rates, markers);
  out += line_chart("Latency per second (ms, log scale)", {"seconds from start"}, {"ms", true, {}},
                    {p50, p99}, markers);
  if (!markers.empty()) out += "<p>Dashed red lines: faults.</p>\n";

  // Spectrum: x = number of nines, log10(1 / (1 - p)).
  std::vector<series> spectrum;
  for (std::size_t a = 0; a < action_count; ++a) {
    const auto& h = r.actions[a].latency;
    if (h.count() == 0) continue;
    series s{std::string(action_names[a]), palette[a], {}};
    for (const double p : spectrum_percentiles) {
      if (p >= 100) continue;
      s.points.emplace_back(std::log10(100 / (100 - p)), ms(h.value_at_percentile(p)));
    }
    spectrum.push_back(std::move(s));
  }
  axis nines{"percentile",
             false,
             {{0, "0"}, {1, "90"}, {2, "99"}, {3, "99.9"}, {4, "99.99"}, {5, "99.999"}}};
  out += "<h2>Latency spectrum by action</h2>\n";
  out += line_chart("Latency at each percentile (ms, log scale)", nines, {"ms", true, {}}, spectrum,
                    {});

  // Phases.
  out +=
      "<h2>Phases</h2>\n<table>\n" + table_row({"phase", "start s", "rate/s", "offered/s",
                                                "achieved/s", "errors", "p50", "p99", "thresholds"},
                                               true);
  for (const auto& p : r.phases) {
    std::string verdict;
    for (const auto& c : check_thresholds(in.s, p)) {
      if (!c.ok) verdict += (verdict.empty() ? "" : ", ") + c.key;
    }
    out += table_row({p.name.empty() ? "-" : p.name, fmt::format("{:g}", p.start_s),
                      p.rate_from == p.rate_to ? fmt::format("{:g}", p.rate_to)
                                               : fmt::format("{:g}-{:g}", p.rate_from, p.rate_to),
                      fmt::format("{:.1f}", p.offered_rate()),
                      fmt::format("{:.1f}", p.achieved_rate()), std::to_string(p.errors()),
                      f2(ms(p.overall.value_at_percentile(50))),
                      f2(ms(p.overall.value_at_percentile(99))),
                      verdict.empty() ? "held" : "broken: " + verdict});
  }
  out += "</table>\n";
  if (!r.faults.empty()) {
    out += "<h2>Faults</h2>\n<table>\n" +
           table_row({"due s", "started s", "took s", "exit", "command"}, true);
    for (const auto& f : r.faults) {
      out +=
          table_row({fmt::format("{:g}", f.at_s), fmt::format("{:.2f}", f.started_s),
                     fmt::format("{:.2f}", f.seconds), std::to_string(f.exit_status), f.command});
    }
    out += "</table>\n";
  }
  return out + "</body></html>\n";
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::trunc | std::ios::binary);
  f << content;
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace zhiyuan::loadtest
