#include "loadtest/report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "loadtest/report_format.hpp"

// The HTML report: one self-contained page, inline SVG charts, no scripts.

namespace zhiyuan::loadtest {

using namespace report_format;

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

// A chart's plotting area and the data's ranges mapped onto it.
struct frame {
  static constexpr double width = 900, height = 320, left = 70, right = 170, top = 30, bottom = 45;
  static constexpr double plot_w = width - left - right, plot_h = height - top - bottom;
  double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = -1e300;
  bool log = false;

  double sx(double v) const { return left + (v - x_lo) / (x_hi - x_lo) * plot_w; }
  double sy(double v) const {
    const double f =
        log ? (std::log10(v) - std::log10(y_lo)) / (std::log10(y_hi) - std::log10(y_lo))
            : (v - y_lo) / (y_hi - y_lo);
    return top + plot_h - f * plot_h;
  }
};

// The data's ranges (nullopt without data): whole decades on a log scale, from 0 with 5%
// headroom on a linear one.
std::optional<frame> frame_of(const axis& y, const std::vector<series>& lines) {
  frame f;
  f.log = y.log;
  for (const auto& s : lines) {
    for (const auto& [px, py] : s.points) {
      if (y.log && py <= 0) continue;
      f.x_lo = std::min(f.x_lo, px);
      f.x_hi = std::max(f.x_hi, px);
      f.y_lo = std::min(f.y_lo, py);
      f.y_hi = std::max(f.y_hi, py);
    }
  }
  if (f.x_lo > f.x_hi) return std::nullopt;
  if (f.x_hi == f.x_lo) f.x_hi = f.x_lo + 1;
  if (y.log) {
    f.y_lo = std::pow(10, std::floor(std::log10(f.y_lo)));
    f.y_hi = std::pow(10, std::ceil(std::log10(f.y_hi)));
    if (f.y_hi <= f.y_lo) f.y_hi = f.y_lo * 10;
  } else {
    f.y_lo = std::min(0.0, f.y_lo);
    if (f.y_hi <= f.y_lo) f.y_hi = f.y_lo + 1;
    f.y_hi *= 1.05;
  }
  return f;
}

// The frame, the grid with the ticks' labels, and the axes' labels.
std::string grid(const frame& f, const axis& x, const axis& y) {
  constexpr double left = frame::left, top = frame::top, plot_w = frame::plot_w,
                   plot_h = frame::plot_h;
  std::string svg =
      fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999"/>)", left,
                  top, plot_w, plot_h);
  auto y_ticks = y.ticks;
  if (y_ticks.empty()) {
    if (y.log) {
      for (double v = f.y_lo; v <= f.y_hi * 1.0001; v *= 10)
        y_ticks.emplace_back(v, fmt::format("{:g}", v));
    } else {
      y_ticks = linear_ticks(f.y_lo, f.y_hi);
    }
  }
  for (const auto& [v, label] : y_ticks) {
    if (v < f.y_lo || v > f.y_hi) continue;
    svg += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#eee"/>)"
                       R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>)",
                       left, f.sy(v), left + plot_w, f.sy(v), left - 5, f.sy(v) + 4,
                       html_escape(label));
  }
  auto x_ticks = x.ticks.empty() ? linear_ticks(f.x_lo, f.x_hi) : x.ticks;
  for (const auto& [v, label] : x_ticks) {
    if (v < f.x_lo || v > f.x_hi) continue;
    svg += fmt::format(
        R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#eee"/>)"
        R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle">{}</text>)",
        f.sx(v), top, f.sx(v), top + plot_h, f.sx(v), top + plot_h + 15, html_escape(label));
  }
  svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="middle">{}</text>)"
                     R"(<text x="14" y="{:.1f}" font-size="12" text-anchor="middle" )"
                     R"svg(transform="rotate(-90 14 {:.1f})">{}</text>)svg",
                     left + plot_w / 2, frame::height - 8, html_escape(x.label), top + plot_h / 2,
                     top + plot_h / 2, html_escape(y.label));
  return svg;
}

// The series as polylines, each named in the legend at the right.
std::string polylines(const frame& f, const axis& y, const std::vector<series>& lines) {
  std::string svg;
  double legend_y = frame::top + 10;
  for (const auto& s : lines) {
    std::string path;
    for (const auto& [px, py] : s.points) {
      if (y.log && py <= 0) continue;
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "" : " ", f.sx(px), f.sy(py));
    }
    if (path.empty()) continue;
    svg += fmt::format(
        R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"><title>{}</title>)"
        R"(</polyline>)"
        R"(<rect x="{:.1f}" y="{:.1f}" width="12" height="3" fill="{}"/>)"
        R"(<text x="{:.1f}" y="{:.1f}" font-size="11">{}</text>)",
        s.color, path, html_escape(s.name), frame::left + frame::plot_w + 12, legend_y - 4, s.color,
        frame::left + frame::plot_w + 28, legend_y, html_escape(s.name));
    legend_y += 15;
  }
  return svg;
}

// An SVG line chart: series of (x, y) points, y optionally on a log scale, vertical markers
// (fault times) as dashed lines.
std::string line_chart(std::string_view title, const axis& x, const axis& y,
                       const std::vector<series>& lines, const std::vector<double>& markers) {
  std::string svg = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}">)"
      R"(<text x="{}" y="18" font-size="14" font-weight="bold">{}</text>)",
      frame::width, frame::height, frame::width, frame::height, frame::left, html_escape(title));
  const auto f = frame_of(y, lines);
  if (!f) return svg + R"(<text x="70" y="60">no data</text></svg>)";
  svg += grid(*f, x, y);
  for (const double m : markers) {
    if (m < f->x_lo || m > f->x_hi) continue;
    svg += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#d62728" )"
                       R"(stroke-dasharray="4 3"><title>fault at {3:.1f}s</title></line>)",
                       f->sx(m), frame::top, frame::top + frame::plot_h, m);
  }
  return svg + polylines(*f, y, lines) + "</svg>";
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

// The page's head, title and the run in one paragraph.
std::string html_head(const run_summary& in) {
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
  return out;
}

// Verdicts first: thresholds, knee, reconciliation.
std::string html_verdicts(const run_summary& in) {
  std::string out = "<h2>Thresholds</h2>\n<table>\n" +
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
                                                    in.r.phases[*k.first_broken].rate_to));
  }
  if (in.reconciled) {
    out += fmt::format(
        "<p><b>Reconciliation</b> against the database: <span class=\"{}\">{}</span>"
        " (inconsistent={})</p>\n",
        in.reconciled->ok() ? "ok" : "bad", html_escape(in.reconciled->line()),
        in.reconciled->inconsistent);
  }
  return out;
}

std::string latency_cells(std::string name, const histogram& h, std::uint64_t errors,
                          std::uint64_t late, std::uint64_t dropped, std::string statuses) {
  return table_row({std::move(name), std::to_string(h.count()), std::to_string(errors),
                    std::to_string(late), std::to_string(dropped),
                    f2(ms(h.value_at_percentile(50))), f2(ms(h.value_at_percentile(90))),
                    f2(ms(h.value_at_percentile(99))), f2(ms(h.value_at_percentile(99.9))),
                    f2(ms(h.value_at_percentile(99.99))), f2(ms(h.max())), std::move(statuses)});
}

// Latency per action.
std::string html_latency(const run_report& r) {
  std::string out = "<h2>Latency by action (ms)</h2>\n<table>\n" +
                    table_row({"action", "count", "errors", "late", "dropped", "p50", "p90", "p99",
                               "p99.9", "p99.99", "max", "statuses"},
                              true);
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
  return out + "</table>\n";
}

// Charts over time: answered requests per second (all, errors, each action) and p50/p99, with
// the faults marked.
std::string html_over_time(const run_report& r) {
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
  std::string out = "<h2>Over time</h2>\n";
  out += line_chart("Answered requests per second (by completion time)", {"seconds from start"},
                    {"requests/s"}, rates, markers);
  out += line_chart("Latency per second (ms, log scale)", {"seconds from start"}, {"ms", true, {}},
                    {p50, p99}, markers);
  if (!markers.empty()) out += "<p>Dashed red lines: faults.</p>\n";
  return out;
}

// Spectrum: x = number of nines, log10(1 / (1 - p)).
std::string html_spectrum(const run_report& r) {
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
  return "<h2>Latency spectrum by action</h2>\n" +
         line_chart("Latency at each percentile (ms, log scale)", nines, {"ms", true, {}}, spectrum,
                    {});
}

// The phases with their thresholds' verdicts, then the faults.
std::string html_phases_and_faults(const run_summary& in) {
  const run_report& r = in.r;
  std::string out =
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
  return out;
}

}  // namespace

std::string report_html(const run_summary& in) {
  return html_head(in) + html_verdicts(in) + html_latency(in.r) + html_over_time(in.r) +
         html_spectrum(in.r) + html_phases_and_faults(in) + "</body></html>\n";
}

}  // namespace zhiyuan::loadtest
