#include "loadtest/scenario.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace zhiyuan::loadtest {
namespace {

// Bounds of every value, in one place.
constexpr double max_phase_s = 86'400;  // one day per phase and for the whole run
constexpr double max_rate = 1'000'000;  // requests/s
constexpr double max_drain_s = 600;
constexpr std::size_t max_phases = 1'000;
constexpr double max_weight = 1'000'000;
constexpr double max_think_ms = 600'000;
constexpr std::int64_t max_candidates = 10'000'000;
constexpr double max_latency_ms = 3'600'000;
constexpr std::size_t max_faults = 64;
constexpr std::size_t max_command = 4'096;
constexpr std::size_t max_name = 64;
constexpr std::size_t max_description = 1'000;
constexpr std::int64_t max_seed = std::int64_t{1} << 53;

// Latency keys of [thresholds] and the percentile each stands for.
constexpr std::array<std::pair<std::string_view, double>, 7> latency_keys = {{
    {"p50_ms", 50},
    {"p90_ms", 90},
    {"p95_ms", 95},
    {"p99_ms", 99},
    {"p999_ms", 99.9},
    {"p9999_ms", 99.99},
    {"max_ms", 100},
}};

std::optional<int> line_of(const toml::node* n) {
  if (n == nullptr || n->source().begin.line == 0) return std::nullopt;
  return static_cast<int>(n->source().begin.line);
}

[[noreturn]] void fail(const std::string& key, const std::string& message, const toml::node* at) {
  throw scenario_error(key, message, line_of(at));
}

std::string join(const std::string& path, std::string_view key) {
  std::string out = path;
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string indexed(std::string_view path, std::size_t i) {
  std::string out(path);
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

// Bounds print as integers when they are (1000000, not 1e+06).
std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

// Unknown keys are errors: a typo must not silently fall back to a default.
void only_keys(const toml::table& t, const std::string& path,
               std::initializer_list<std::string_view> allowed) {
  for (auto&& [key, node] : t) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
      std::string known;
      for (auto k : allowed) {
        if (!known.empty()) known += ", ";
        known += k;
      }
      fail(join(path, key.str()), "unknown key (expected one of: " + known + ")", &node);
    }
  }
}

// A number in [lo, hi] (or (lo, hi] when lo_open); nullopt when absent.
std::optional<double> opt_number(const toml::table& t, const std::string& path,
                                 std::string_view key, double lo, double hi, bool lo_open) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  const std::string k = join(path, key);
  double v = 0;
  if (const auto* i = n->as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* f = n->as_floating_point()) {
    v = f->get();
  } else {
    fail(k, "must be a number", n);
  }
  if (!std::isfinite(v)) fail(k, "must be a finite number", n);
  if (lo_open && v <= lo) fail(k, "must be > " + number_text(lo), n);
  if (!lo_open && v < lo) fail(k, "must be >= " + number_text(lo), n);
  if (v > hi) fail(k, "must be <= " + number_text(hi), n);
  return v;
}

double number(const toml::table& t, const std::string& path, std::string_view key, double lo,
              double hi, bool lo_open) {
  auto v = opt_number(t, path, key, lo, hi, lo_open);
  if (!v) fail(join(path, key), "missing", &t);
  return *v;
}

std::optional<std::int64_t> opt_integer(const toml::table& t, const std::string& path,
                                        std::string_view key, std::int64_t lo, std::int64_t hi) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  const std::string k = join(path, key);
  const auto* i = n->as_integer();
  if (i == nullptr) fail(k, "must be an integer", n);
  const std::int64_t v = i->get();
  if (v < lo) fail(k, "must be >= " + std::to_string(lo), n);
  if (v > hi) fail(k, "must be <= " + std::to_string(hi), n);
  return v;
}

std::optional<std::string> opt_text(const toml::table& t, const std::string& path,
                                    std::string_view key, std::size_t max_length) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  const std::string k = join(path, key);
  const auto* s = n->as_string();
  if (s == nullptr) fail(k, "must be a string", n);
  if (s->get().size() > max_length) {
    fail(k, "must be at most " + std::to_string(max_length) + " characters", n);
  }
  return s->get();
}

const toml::table* opt_table(const toml::table& t, const std::string& path, std::string_view key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return nullptr;
  const auto* table = n->as_table();
  if (table == nullptr) fail(join(path, key), "must be a table", n);
  return table;
}

const toml::table& table(const toml::table& t, const std::string& path, std::string_view key) {
  const auto* table = opt_table(t, path, key);
  if (table == nullptr) fail(join(path, key), "missing table", &t);
  return *table;
}

void parse_target(const toml::table& root, scenario& s) {
  const auto& t = table(root, "", "target");
  only_keys(t, "target", {"host", "port"});
  auto host = opt_text(t, "target", "host", 255);
  if (!host) fail("target.host", "missing", &t);
  // The generator is for the operator's own deployment, reached over loopback.
  if (*host != "127.0.0.1" && *host != "::1" && *host != "localhost") {
    fail("target.host", "must be a loopback address (127.0.0.1, ::1 or localhost)", t.get("host"));
  }
  s.target.host = *host;
  auto port = opt_integer(t, "target", "port", 1, 65'535);
  if (!port) fail("target.port", "missing", &t);
  s.target.port = static_cast<std::uint16_t>(*port);
}

void parse_phases(const toml::table& root, scenario& s) {
  const toml::node* n = root.get("phases");
  if (n == nullptr) fail("phases", "missing (give at least one [[phases]])", &root);
  const auto* list = n->as_array();
  if (list == nullptr) fail("phases", "must be an array of tables ([[phases]])", n);
  if (list->empty()) fail("phases", "must have at least one phase", n);
  if (list->size() > max_phases) fail("phases", "at most " + std::to_string(max_phases), n);
  double total = 0;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = indexed("phases", i);
    const auto* t = (*list)[i].as_table();
    if (t == nullptr) fail(path, "must be a table", &(*list)[i]);
    only_keys(*t, path, {"name", "duration_s", "rate", "ramp"});
    phase p;
    p.name = opt_text(*t, path, "name", max_name).value_or("");
    p.duration_s = number(*t, path, "duration_s", 0, max_phase_s, true);
    const auto* ramp = opt_table(*t, path, "ramp");
    if (t->contains("rate") && ramp != nullptr) {
      fail(join(path, "ramp"), "give either rate or ramp, not both", ramp);
    }
    if (ramp != nullptr) {
      const std::string rp = join(path, "ramp");
      only_keys(*ramp, rp, {"from", "to"});
      p.rate_from = number(*ramp, rp, "from", 0, max_rate, false);
      p.rate_to = number(*ramp, rp, "to", 0, max_rate, false);
      if (p.rate_from == 0 && p.rate_to == 0) fail(rp, "from and to must not both be 0", ramp);
    } else {
      auto rate = opt_number(*t, path, "rate", 0, max_rate, true);
      if (!rate) fail(join(path, "rate"), "missing (give rate or ramp = { from, to })", t);
      p.rate_from = p.rate_to = *rate;
    }
    total += p.duration_s;
    s.phases.push_back(std::move(p));
  }
  if (total > max_phase_s) {
    fail("phases",
         "total duration " + number_text(total) + " s exceeds " + number_text(max_phase_s) + " s",
         n);
  }
}

think_distribution distribution_of(const toml::table& t, const std::string& path,
                                   std::string_view key, think_distribution fallback) {
  auto d = opt_text(t, path, key, 32);
  if (!d) return fallback;
  if (*d == "constant") return think_distribution::constant;
  if (*d == "exponential") return think_distribution::exponential;
  fail(join(path, key), "must be \"constant\" or \"exponential\"", t.get(key));
}

void parse_mix(const toml::table& root, scenario& s) {
  if (const auto* think = opt_table(root, "", "think")) {
    only_keys(*think, "think", {"mean_ms", "distribution"});
    s.default_think.mean_ms =
        opt_number(*think, "think", "mean_ms", 0, max_think_ms, false).value_or(0);
    s.default_think.distribution =
        distribution_of(*think, "think", "distribution", s.default_think.distribution);
  }
  const auto& mix = table(root, "", "mix");
  double total = 0;
  for (auto&& [key, node] : mix) {
    const std::string path = join("mix", key.str());
    auto a = parse_action(key.str());
    if (!a) {
      std::string known;
      for (auto name : action_names) {
        if (!known.empty()) known += ", ";
        known += name;
      }
      fail(path, "unknown action (one of: " + known + ")", &node);
    }
    mix_entry e;
    e.what = *a;
    e.think = s.default_think;
    if (const auto* t = node.as_table()) {
      only_keys(*t, path, {"weight", "think_ms", "think"});
      e.weight = number(*t, path, "weight", 0, max_weight, false);
      e.think.mean_ms =
          opt_number(*t, path, "think_ms", 0, max_think_ms, false).value_or(e.think.mean_ms);
      e.think.distribution = distribution_of(*t, path, "think", e.think.distribution);
    } else {
      if (!node.is_number()) fail(path, "must be a weight or { weight, think_ms, think }", &node);
      e.weight = node.is_integer() ? static_cast<double>(*node.value<std::int64_t>())
                                   : *node.value<double>();
      if (!std::isfinite(e.weight) || e.weight < 0) fail(path, "must be >= 0", &node);
      if (e.weight > max_weight) fail(path, "must be <= " + number_text(max_weight), &node);
    }
    total += e.weight;
    s.mix.push_back(e);
  }
  if (s.mix.empty()) fail("mix", "must name at least one action", &mix);
  if (total <= 0) fail("mix", "weights must not all be 0", &mix);
  // File order is not meaningful to a draw; action order keeps reports stable.
  std::sort(s.mix.begin(), s.mix.end(),
            [](const mix_entry& a, const mix_entry& b) { return a.what < b.what; });
}

void parse_candidates(const toml::table& root, scenario& s) {
  const auto& t = table(root, "", "candidates");
  const std::string path = "candidates";
  only_keys(t, path, {"first", "skip", "count", "province_size", "assignment", "passwords"});
  auto& c = s.candidates;
  c.first = opt_integer(t, path, "first", 1, max_candidates).value_or(1);
  c.skip = opt_integer(t, path, "skip", 0, max_candidates).value_or(0);
  auto count = opt_integer(t, path, "count", 1, max_candidates);
  if (!count) fail("candidates.count", "missing", &t);
  c.count = *count;
  c.province_size =
      opt_integer(t, path, "province_size", 1, max_candidates).value_or(c.province_size);
  const std::int64_t last = c.candidate_id(c.count - 1);
  if (last > c.province_size) {
    fail("candidates.count",
         "the pool's last candidate_id first + (count - 1) * (skip + 1) = " + std::to_string(last) +
             " exceeds province_size " + std::to_string(c.province_size),
         t.get("count"));
  }
  if (auto a = opt_text(t, path, "assignment", 32)) {
    if (*a == "random") {
      c.assignment = candidate_assignment::random;
    } else if (*a == "once") {
      c.assignment = candidate_assignment::once;
    } else {
      fail("candidates.assignment", "must be \"random\" or \"once\"", t.get("assignment"));
    }
  }
  // Only the synthetic province's documented passwords exist; the key makes that explicit.
  if (auto p = opt_text(t, path, "passwords", 32); p && *p != "synthetic") {
    fail("candidates.passwords", "must be \"synthetic\"", t.get("passwords"));
  }
}

void parse_latency_keys(const toml::table& t, const std::string& path, std::string_view prefix,
                        std::optional<action> endpoint, thresholds& out) {
  for (auto [key, percentile] : latency_keys) {
    auto v = opt_number(t, path, key, 0, max_latency_ms, true);
    if (!v) continue;
    std::string name(prefix);
    if (!name.empty()) name += '.';
    name += key;
    out.latency.push_back({std::move(name), endpoint, percentile, *v});
  }
}

void parse_thresholds(const toml::table& root, scenario& s) {
  const auto* t = opt_table(root, "", "thresholds");
  if (t == nullptr) return;
  const std::string path = "thresholds";
  for (auto&& [key, node] : *t) {
    // A plain variable: clang 14 (the fuzz and TSan builds) cannot capture a binding.
    const std::string_view name = key.str();
    const bool known_scalar = name == "error_rate" || name == "min_achieved_ratio" ||
                              std::any_of(latency_keys.begin(), latency_keys.end(),
                                          [&](const auto& k) { return k.first == name; });
    if (known_scalar) continue;
    const std::string kp = join(path, key.str());
    auto a = parse_action(key.str());
    if (!a)
      fail(kp,
           "unknown key (expected error_rate, min_achieved_ratio, p50_ms, p90_ms, p95_ms, p99_ms, "
           "p999_ms, p9999_ms, max_ms, or an action's table of latency limits)",
           &node);
    const auto* at = node.as_table();
    if (at == nullptr) fail(kp, "must be a table of latency limits, e.g. { p99_ms = 30 }", &node);
    only_keys(*at, kp, {"p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "p9999_ms", "max_ms"});
    if (at->empty()) fail(kp, "must give at least one latency limit", &node);
    parse_latency_keys(*at, kp, key.str(), *a, s.limits);
  }
  parse_latency_keys(*t, path, "", std::nullopt, s.limits);
  s.limits.max_error_rate = opt_number(*t, path, "error_rate", 0, 1, false);
  s.limits.min_achieved_ratio = opt_number(*t, path, "min_achieved_ratio", 0, 1, true);
}

void parse_faults(const toml::table& root, scenario& s) {
  const toml::node* n = root.get("faults");
  if (n == nullptr) return;
  const auto* list = n->as_array();
  if (list == nullptr) fail("faults", "must be an array of tables ([[faults]])", n);
  if (list->size() > max_faults) fail("faults", "at most " + std::to_string(max_faults), n);
  const double run = s.phases_duration_s();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = indexed("faults", i);
    const auto* t = (*list)[i].as_table();
    if (t == nullptr) fail(path, "must be a table", &(*list)[i]);
    only_keys(*t, path, {"at_s", "command"});
    fault f;
    f.at_s = number(*t, path, "at_s", 0, run, false);
    auto command = opt_text(*t, path, "command", max_command);
    if (!command) fail(join(path, "command"), "missing", t);
    if (command->find_first_not_of(" \t\r\n") == std::string::npos) {
      fail(join(path, "command"), "must not be empty", t->get("command"));
    }
    f.command = std::move(*command);
    s.faults.push_back(std::move(f));
  }
}

void parse_knee(const toml::table& root, scenario& s) {
  const auto* t = opt_table(root, "", "knee");
  if (t == nullptr) return;
  only_keys(*t, "knee", {"threshold"});
  auto name = opt_text(*t, "knee", "threshold", 128);
  if (!name) fail("knee.threshold", "missing", t);
  const auto names = s.limits.names();
  if (std::find(names.begin(), names.end(), *name) == names.end()) {
    std::string known;
    for (const auto& k : names) {
      if (!known.empty()) known += ", ";
      known += k;
    }
    fail("knee.threshold",
         "names no threshold defined in [thresholds] (defined: " +
             (known.empty() ? std::string("none") : known) + ")",
         t->get("threshold"));
  }
  // The knee is found by stepping: with one phase there is nothing to step through.
  if (s.phases.size() < 2) fail("knee", "needs at least two phases (the rate steps)", t);
  s.knee = knee_spec{*name};
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= max_name &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

}  // namespace

std::string_view to_string(action a) noexcept { return action_names[static_cast<std::size_t>(a)]; }

std::optional<action> parse_action(std::string_view name) noexcept {
  for (std::size_t i = 0; i < action_names.size(); ++i) {
    if (action_names[i] == name) return static_cast<action>(i);
  }
  return std::nullopt;
}

std::vector<std::string> thresholds::names() const {
  std::vector<std::string> out;
  if (max_error_rate) out.emplace_back("error_rate");
  if (min_achieved_ratio) out.emplace_back("min_achieved_ratio");
  for (const auto& l : latency) out.push_back(l.key);
  return out;
}

double scenario::phases_duration_s() const noexcept {
  double total = 0;
  for (const auto& p : phases) total += p.duration_s;
  return total;
}

namespace {
std::string error_text(const std::string& key, const std::string& message,
                       std::optional<int> line) {
  std::string out = key;
  out += ": ";
  out += message;
  if (line) {
    out += " (line ";
    out += std::to_string(*line);
    out += ')';
  }
  return out;
}
}  // namespace

scenario_error::scenario_error(std::string key, std::string message, std::optional<int> line)
    : std::runtime_error(error_text(key, message, line)),
      key_(std::move(key)),
      message_(std::move(message)),
      line_(line) {}

scenario parse_scenario(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw scenario_error(std::string(source_name), std::string(e.description()),
                         static_cast<int>(e.source().begin.line));
  }
  only_keys(root, "",
            {"name", "description", "seed", "drain_s", "max_duration_s", "target", "phases",
             "think", "mix", "candidates", "thresholds", "faults", "knee"});
  scenario s;
  auto name = opt_text(root, "", "name", max_name);
  if (!name) fail("name", "missing", nullptr);
  if (!valid_name(*name)) {
    fail("name", "must be 1 to 64 characters of a-z, 0-9, '-' and '_'", root.get("name"));
  }
  s.name = *name;
  s.description = opt_text(root, "", "description", max_description).value_or("");
  s.seed = static_cast<std::uint64_t>(opt_integer(root, "", "seed", 0, max_seed).value_or(1));
  parse_target(root, s);
  parse_phases(root, s);
  s.drain_s = opt_number(root, "", "drain_s", 0, max_drain_s, false).value_or(s.drain_s);
  const double planned = s.phases_duration_s();
  if (auto m = opt_number(root, "", "max_duration_s", 0, max_phase_s + max_drain_s, true)) {
    if (*m < planned) {
      fail("max_duration_s",
           "must be >= the phases' total duration (" + number_text(planned) + " s)",
           root.get("max_duration_s"));
    }
    s.max_duration_s = *m;
  } else {
    s.max_duration_s = planned + s.drain_s;
  }
  parse_mix(root, s);
  parse_candidates(root, s);
  parse_thresholds(root, s);
  parse_faults(root, s);
  parse_knee(root, s);
  return s;
}

scenario load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw scenario_error(path, "cannot open the scenario file", std::nullopt);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw scenario_error(path, "cannot read the scenario file", std::nullopt);
  return parse_scenario(text.str(), path);
}

shard parse_shard(std::string_view text) {
  shard k;
  const auto slash = text.find('/');
  const auto number = [](std::string_view t, unsigned& out) {
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc() && end == t.data() + t.size();
  };
  if (slash == std::string_view::npos || !number(text.substr(0, slash), k.index) ||
      !number(text.substr(slash + 1), k.count) || k.index < 1 || k.index > k.count ||
      k.count > 1000) {
    throw scenario_error("--shard", fmt::format("'{}' is not K/N with 1 <= K <= N <= 1000", text),
                         std::nullopt);
  }
  return k;
}

void apply_shard(scenario& s, shard k) {
  if (k.count == 1) return;
  auto& pool = s.candidates;
  const auto n = static_cast<std::int64_t>(k.count);
  const auto before = static_cast<std::int64_t>(k.index) - 1;
  if (pool.count < n) {
    throw scenario_error("candidates.count",
                         fmt::format("{} candidates cannot be split into {} shards", pool.count, n),
                         std::nullopt);
  }
  pool.first += before * (pool.skip + 1);
  pool.count = (pool.count - before + n - 1) / n;
  pool.skip = (pool.skip + 1) * n - 1;
  for (auto& p : s.phases) {
    p.rate_from /= static_cast<double>(n);
    p.rate_to /= static_cast<double>(n);
  }
  // Shards draw different arrival times and candidates, yet each is reproducible.
  s.seed += before;
  if (k.index != 1) s.faults.clear();
}

}  // namespace zhiyuan::loadtest
