#include "loadtest/merge.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "loadtest/reconcile.hpp"

namespace zhiyuan::loadtest {

namespace {

// A JSON string literal of text made of the encodings' characters (digits, spaces, colons) or an
// ack line (exam number, batch code, hex): nothing to escape but quotes and backslashes.
std::string json_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string action_json(const action_stats& st) {
  std::string statuses;
  for (const auto& [status, n] : st.by_status) {
    statuses += fmt::format("{}[{},{}]", statuses.empty() ? "" : ",", status, n);
  }
  std::string transport;
  for (const auto& [what, n] : st.transport_errors) {
    transport += fmt::format("{}{}:{}", transport.empty() ? "" : ",", json_quoted(what), n);
  }
  return fmt::format(
      R"({{"arrivals":{},"sent":{},"errors":{},"late":{},"no_candidate":{},"dropped":{},)"
      R"("unfinished":{},"by_status":[{}],"transport_errors":{{{}}},"latency":{},)"
      R"("admitted":{}}})",
      st.arrivals, st.sent, st.errors, st.late, st.no_candidate, st.dropped, st.unfinished,
      statuses, transport, json_quoted(st.latency.encode()), json_quoted(st.admitted.encode()));
}

using simdjson::dom::element;

std::uint64_t u64(element e, const char* key) { return e[key].get_uint64().value(); }
double f64(element e, const char* key) { return e[key].get_double().value(); }

histogram decoded(element e, const char* key) {
  return histogram::decode(std::string_view(e[key].get_string().value()));
}

void add_action(element in, action_stats& out) {
  action_stats st;
  st.latency = decoded(in, "latency");
  st.admitted = decoded(in, "admitted");
  st.arrivals = u64(in, "arrivals");
  st.sent = u64(in, "sent");
  st.errors = u64(in, "errors");
  st.late = u64(in, "late");
  st.no_candidate = u64(in, "no_candidate");
  st.dropped = u64(in, "dropped");
  st.unfinished = u64(in, "unfinished");
  for (element pair : in["by_status"].get_array()) {
    st.by_status[static_cast<unsigned>(pair.at(0).get_uint64().value())] =
        pair.at(1).get_uint64().value();
  }
  for (auto [what, n] : in["transport_errors"].get_object()) {
    st.transport_errors[std::string(what)] = n.get_uint64().value();
  }
  out.merge(st);
}

// The shard's per-second samples added into `out` from second `offset` of the merged run on.
void add_seconds(element series, std::size_t offset, std::vector<histogram>& latency,
                 std::vector<second_sample>& out) {
  std::size_t i = offset;
  for (element second : series.get_array()) {
    if (out.size() <= i) {
      out.resize(i + 1);
      latency.resize(i + 1, histogram(2));
    }
    out[i].count += u64(second, "count");
    out[i].errors += u64(second, "errors");
    std::size_t a = 0;
    for (element n : second["by_action"].get_array()) {
      if (a < action_count) out[i].by_action[a++] += n.get_uint64().value();
    }
    latency[i].merge(decoded(second, "latency"));
    ++i;
  }
}

}  // namespace

std::string shard_json(const run_report& r) {
  const auto started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(r.started_at.time_since_epoch())
          .count();
  std::string out = fmt::format(
      R"({{"version":1,"started_at_ms":{},"phases_s":{},"elapsed_s":{},"offered_rate":{},)"
      R"("achieved_rate":{},"cpu_s":{},"setup_requests":{},"setup_errors":{},)"
      R"("pages_followed":{},"unreadable_receipts":{},"foreign_receipts":{},"retries":{},)"
      R"("stale_retries":{},"abandoned":{},"setup_latency":{},"actions":[)",
      started_ms, r.phases_s, r.elapsed_s, r.offered_rate, r.achieved_rate, r.cpu_s,
      r.setup_requests, r.setup_errors, r.pages_followed, r.unreadable_receipts, r.foreign_receipts,
      r.retries, r.stale_retries, r.abandoned, json_quoted(r.setup_latency.encode()));
  for (std::size_t a = 0; a < action_count; ++a) {
    if (a > 0) out += ',';
    out += action_json(r.actions[a]);
  }
  out += R"(],"per_second":[)";
  for (std::size_t i = 0; i < r.per_second.size(); ++i) {
    const auto& s = r.per_second[i];
    std::string by_action;
    for (std::size_t a = 0; a < action_count; ++a) {
      by_action += fmt::format("{}{}", a > 0 ? "," : "", s.by_action[a]);
    }
    out += fmt::format(R"({}{{"count":{},"errors":{},"by_action":[{}],"latency":{}}})",
                       i > 0 ? "," : "", s.count, s.errors, by_action, json_quoted(s.latency));
  }
  out += R"(],"acks":[)";
  for (std::size_t i = 0; i < r.acks.size(); ++i) {
    if (i > 0) out += ',';
    out += json_quoted(ack_line(r.acks[i]));
  }
  return out + "]}";
}

run_report merge_reports(const std::vector<std::pair<std::string, std::string>>& reports) {
  if (reports.empty()) throw std::runtime_error("merge: no reports given");
  simdjson::dom::parser parser;
  run_report r;
  // The merged run starts with the earliest shard; the others' seconds shift by their lateness.
  std::int64_t first_ms = INT64_MAX;
  for (const auto& [name, text] : reports) {
    try {
      const element doc = parser.parse(simdjson::padded_string(text)).value();
      first_ms = std::min(first_ms, doc["shard_data"]["started_at_ms"].get_int64().value());
    } catch (const simdjson::simdjson_error& e) {
      throw std::runtime_error(
          fmt::format("{}: not a zhiyuan-loadtest --json report with shard "
                      "data ({})",
                      name, e.what()));
    }
  }
  std::vector<histogram> second_latency;
  for (const auto& [name, text] : reports) {
    try {
      const element d = parser.parse(simdjson::padded_string(text)).value()["shard_data"];
      if (u64(d, "version") != 1) throw std::runtime_error("unknown shard data version");
      const auto offset = static_cast<std::size_t>(std::llround(
          static_cast<double>(d["started_at_ms"].get_int64().value() - first_ms) / 1000.0));
      std::size_t a = 0;
      for (element st : d["actions"].get_array()) {
        if (a < action_count) add_action(st, r.actions[a++]);
      }
      r.setup_latency.merge(decoded(d, "setup_latency"));
      r.setup_requests += u64(d, "setup_requests");
      r.setup_errors += u64(d, "setup_errors");
      r.pages_followed += u64(d, "pages_followed");
      r.unreadable_receipts += u64(d, "unreadable_receipts");
      r.foreign_receipts += u64(d, "foreign_receipts");
      r.retries += u64(d, "retries");
      r.stale_retries += u64(d, "stale_retries");
      r.abandoned += u64(d, "abandoned");
      r.cpu_s += f64(d, "cpu_s");
      r.offered_rate += f64(d, "offered_rate");
      r.achieved_rate += f64(d, "achieved_rate");
      r.phases_s = std::max(r.phases_s, f64(d, "phases_s"));
      r.elapsed_s = std::max(r.elapsed_s, f64(d, "elapsed_s") + static_cast<double>(offset));
      add_seconds(d["per_second"], offset, second_latency, r.per_second);
      for (element ack : d["acks"].get_array()) {
        r.acks.push_back(parse_ack_line(std::string(ack.get_string().value())));
      }
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{}: {}", name, e.what()));
    }
  }
  r.started_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(first_ms));
  for (const auto& a : r.actions) r.overall.merge(a.latency);
  for (std::size_t i = 0; i < r.per_second.size(); ++i) {
    r.per_second[i].p50_ms = static_cast<double>(second_latency[i].value_at_percentile(50)) / 1000;
    r.per_second[i].p99_ms = static_cast<double>(second_latency[i].value_at_percentile(99)) / 1000;
    r.per_second[i].latency = second_latency[i].encode();
  }
  return r;
}

}  // namespace zhiyuan::loadtest
