#include "loadtest/tally.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace zhiyuan::loadtest {

using steady = std::chrono::steady_clock;

void action_stats::merge(const action_stats& o) {
  latency.merge(o.latency);
  admitted.merge(o.admitted);
  arrivals += o.arrivals;
  sent += o.sent;
  errors += o.errors;
  late += o.late;
  no_candidate += o.no_candidate;
  dropped += o.dropped;
  unfinished += o.unfinished;
  for (const auto& [status, n] : o.by_status) by_status[status] += n;
  for (const auto& [what, n] : o.transport_errors) transport_errors[what] += n;
  for (const auto& sample : o.samples) {
    if (samples.size() < 8) samples.push_back(sample);
  }
}

std::uint64_t sum(const action_table& actions, std::uint64_t action_stats::*counter) noexcept {
  std::uint64_t n = 0;
  for (const auto& a : actions) n += a.*counter;
  return n;
}

std::uint64_t run_report::arrivals() const noexcept {
  return sum(actions, &action_stats::arrivals);
}
std::uint64_t run_report::sent() const noexcept { return sum(actions, &action_stats::sent); }
std::uint64_t run_report::errors() const noexcept { return sum(actions, &action_stats::errors); }
std::uint64_t run_report::late() const noexcept { return sum(actions, &action_stats::late); }
std::uint64_t run_report::dropped() const noexcept { return sum(actions, &action_stats::dropped); }

std::uint64_t phase_report::arrivals() const noexcept {
  return sum(actions, &action_stats::arrivals);
}
std::uint64_t phase_report::sent() const noexcept { return sum(actions, &action_stats::sent); }
std::uint64_t phase_report::errors() const noexcept { return sum(actions, &action_stats::errors); }
double phase_report::offered_rate() const noexcept {
  return duration_s > 0 ? static_cast<double>(arrivals()) / duration_s : 0;
}
double phase_report::achieved_rate() const noexcept {
  return duration_s > 0 ? static_cast<double>(sent()) / duration_s : 0;
}

// ------------------------------------------------------------------------ one thread's tally

tally::tally(const scenario& s) {
  double offset = 0;
  for (const auto& p : s.phases) {
    phase_report r;
    r.name = p.name;
    r.start_s = offset;
    r.duration_s = p.duration_s;
    r.rate_from = p.rate_from;
    r.rate_to = p.rate_to;
    phases_.push_back(std::move(r));
    offset += p.duration_s;
  }
}

void tally::arrival(action a, std::size_t phase) {
  const auto i = static_cast<std::size_t>(a);
  ++stats_[i].arrivals;
  ++phases_[phase].actions[i].arrivals;
}

void tally::dropped(action a, std::size_t phase) {
  const auto i = static_cast<std::size_t>(a);
  ++stats_[i].dropped;
  ++phases_[phase].actions[i].dropped;
}

void tally::no_candidate(action a, std::size_t phase) {
  const auto i = static_cast<std::size_t>(a);
  ++stats_[i].no_candidate;
  ++phases_[phase].actions[i].no_candidate;
}

void tally::unfinished(action a, std::size_t phase) {
  const auto i = static_cast<std::size_t>(a);
  ++stats_[i].unfinished;
  ++phases_[phase].actions[i].unfinished;
}

void tally::setup(std::size_t phase, std::uint64_t requests, std::uint64_t errors) {
  setup_requests_ += requests;
  setup_errors_ += errors;
  phases_[phase].setup_requests += requests;
  phases_[phase].setup_errors += errors;
}

void tally::answer(const answered& a) {
  const auto i = static_cast<std::size_t>(a.what);
  auto& st = stats_[i];
  auto& ph = phases_[a.phase];
  last_answer_ = std::max(last_answer_, a.done);
  if (!a.ok && a.status != 0 && st.samples.size() < 8) {
    // What the server said, for the report: the first two unexpected answers of each status.
    const std::string prefix = fmt::format("{} ", a.status);
    if (std::count_if(st.samples.begin(), st.samples.end(),
                      [&](const std::string& x) { return x.starts_with(prefix); }) < 2) {
      st.samples.push_back(prefix + std::string(a.body.substr(0, 300)));
    }
  }
  for (action_stats* target : {&st, &ph.actions[i]}) {
    ++target->sent;
    if (a.late) ++target->late;
    ++target->by_status[a.status];
    if (!a.transport_error.empty()) ++target->transport_errors[std::string(a.transport_error)];
    if (!a.ok) ++target->errors;
    target->latency.record(a.latency_us);
    if (a.ok) target->admitted.record(a.latency_us);
  }
  ph.overall.record(a.latency_us);
  if (latencies_.size() < latency_limit_) {
    latencies_.push_back(a.latency_us);
  } else if (latency_limit_ > 0) {
    ++latencies_dropped_;
  }
  const auto second = static_cast<std::size_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(a.done - start_).count()));
  if (seconds_.size() <= second) seconds_.resize(second + 1);
  auto& b = seconds_[second];
  if (!b.latency) b.latency = std::make_unique<histogram>(2);
  ++b.count;
  ++b.by_action[i];
  if (!a.ok) ++b.errors;
  b.latency->record(a.latency_us);
}

// ------------------------------------------------------------------------ the run's report

namespace {

void merge_phases(const std::vector<phase_report>& from, std::vector<phase_report>& into) {
  for (std::size_t p = 0; p < into.size(); ++p) {
    for (std::size_t a = 0; a < action_count; ++a) into[p].actions[a].merge(from[p].actions[a]);
    into[p].overall.merge(from[p].overall);
    into[p].setup_requests += from[p].setup_requests;
    into[p].setup_errors += from[p].setup_errors;
  }
}

}  // namespace

void merge_tallies(std::span<const tally* const> threads, run_report& r) {
  r.phases = threads.front()->phases_;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    const tally& t = *threads[i];
    for (std::size_t a = 0; a < action_count; ++a) r.actions[a].merge(t.stats_[a]);
    r.setup_requests += t.setup_requests_;
    r.setup_latency.merge(t.setup_latency_);
    r.setup_errors += t.setup_errors_;
    r.pages_followed += t.pages_followed;
    r.unreadable_receipts += t.unreadable_receipts;
    r.foreign_receipts += t.foreign_receipts;
    r.acks.insert(r.acks.end(), t.acks.begin(), t.acks.end());
    r.latencies_us.insert(r.latencies_us.end(), t.latencies_.begin(), t.latencies_.end());
    r.latencies_dropped += t.latencies_dropped_;
    if (i > 0) merge_phases(t.phases_, r.phases);
  }
  for (const auto& a : r.actions) r.overall.merge(a.latency);

  std::size_t seconds = 0;
  for (const tally* t : threads) seconds = std::max(seconds, t->seconds_.size());
  histogram merged(2);
  for (std::size_t i = 0; i < seconds; ++i) {
    second_sample out;
    merged.reset();
    for (const tally* t : threads) {
      if (i >= t->seconds_.size() || !t->seconds_[i].latency) continue;
      out.count += t->seconds_[i].count;
      out.errors += t->seconds_[i].errors;
      merged.merge(*t->seconds_[i].latency);
    }
    for (const tally* t : threads) {
      if (i >= t->seconds_.size()) continue;
      for (std::size_t a = 0; a < action_count; ++a)
        out.by_action[a] += t->seconds_[i].by_action[a];
    }
    out.p50_ms = static_cast<double>(merged.value_at_percentile(50)) / 1000;
    out.p99_ms = static_cast<double>(merged.value_at_percentile(99)) / 1000;
    out.latency = merged.encode();
    r.per_second.push_back(out);
  }
}

// ------------------------------------------------------------------------ thresholds and knee

namespace {

// The scenario's thresholds over one set of statistics (a run's, or a phase's).
std::vector<threshold_result> evaluate(const thresholds& limits, const action_table& actions,
                                       const histogram& overall, std::uint64_t setup_requests,
                                       std::uint64_t setup_errors, double offered,
                                       double achieved) {
  std::vector<threshold_result> out;
  for (const auto& t : limits.latency) {
    const histogram& h =
        t.endpoint ? actions[static_cast<std::size_t>(*t.endpoint)].latency : overall;
    const double ms = static_cast<double>(h.value_at_percentile(t.percentile)) / 1000;
    out.push_back({t.key, ms, t.max_ms, false, ms <= t.max_ms});
  }
  if (limits.max_error_rate) {
    // A dropped arrival was due and never sent: it failed as surely as a 503 would have.
    const std::uint64_t dropped = sum(actions, &action_stats::dropped);
    const std::uint64_t sent = setup_requests + sum(actions, &action_stats::sent) + dropped;
    const std::uint64_t failed = setup_errors + sum(actions, &action_stats::errors) + dropped;
    const double rate = sent > 0 ? static_cast<double>(failed) / static_cast<double>(sent) : 0;
    out.push_back(
        {"error_rate", rate, *limits.max_error_rate, false, rate <= *limits.max_error_rate});
  }
  if (limits.min_achieved_ratio) {
    const double ratio = offered > 0 ? achieved / offered : 1;
    out.push_back({"min_achieved_ratio", ratio, *limits.min_achieved_ratio, true,
                   ratio >= *limits.min_achieved_ratio});
  }
  return out;
}

}  // namespace

std::vector<threshold_result> check_thresholds(const scenario& s, const run_report& r) {
  return evaluate(s.limits, r.actions, r.overall, r.setup_requests, r.setup_errors, r.offered_rate,
                  r.achieved_rate);
}

std::vector<threshold_result> check_thresholds(const scenario& s, const phase_report& p) {
  return evaluate(s.limits, p.actions, p.overall, p.setup_requests, p.setup_errors,
                  p.offered_rate(), p.achieved_rate());
}

std::optional<knee_result> find_knee(const scenario& s, const run_report& r) {
  if (!s.knee) return std::nullopt;
  knee_result k;
  k.threshold = s.knee->threshold;
  for (std::size_t i = 0; i < r.phases.size(); ++i) {
    // A phase nobody was sent in (the run stopped before it) tells nothing.
    if (r.phases[i].arrivals() == 0) break;
    const auto checks = check_thresholds(s, r.phases[i]);
    const auto it = std::find_if(checks.begin(), checks.end(),
                                 [&](const threshold_result& c) { return c.key == k.threshold; });
    if (it == checks.end()) break;
    if (!it->ok) {
      k.first_broken = i;
      k.at_break = *it;
      break;
    }
    k.last_held = i;
    k.knee_rps = r.phases[i].rate_to;
  }
  return k;
}

}  // namespace zhiyuan::loadtest
