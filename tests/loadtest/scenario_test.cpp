#include "loadtest/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace zhiyuan::loadtest {
namespace {

const std::string scenario_dir = ZHIYUAN_SCENARIO_DIR;

// A valid scenario that the bad cases below each break in one place.
const std::string base = R"(name = "unit-test"
seed = 5

[target]
host = "127.0.0.1"
port = 8080

[[phases]]
duration_s = 10
rate = 100

[[phases]]
duration_s = 10
ramp = { from = 100, to = 200 }

[[phases]]
duration_s = 5
rate = 50

[think]
mean_ms = 250
distribution = "exponential"

[mix]
submit = { weight = 2, think_ms = 100, think = "constant" }
login = 1

[candidates]
first = 11
skip = 2
count = 100

[thresholds]
error_rate = 0.01
p99_ms = 50

[thresholds.submit]
p99_ms = 30

[[faults]]
at_s = 3
command = "true"
)";

// The 1-based line of the first occurrence of `marker` in `text`.
int line_of(const std::string& text, const std::string& marker) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return -1;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

TEST(scenario, base_parses_with_its_values) {
  const scenario s = parse_scenario(base, "base.toml");
  EXPECT_EQ(s.name, "unit-test");
  EXPECT_EQ(s.seed, 5u);
  EXPECT_EQ(s.target.host, "127.0.0.1");
  EXPECT_EQ(s.target.port, 8080);
  ASSERT_EQ(s.phases.size(), 3u);
  EXPECT_FALSE(s.phases[0].is_ramp());
  EXPECT_EQ(s.phases[0].rate_from, 100);
  EXPECT_EQ(s.phases[0].rate_to, 100);
  EXPECT_TRUE(s.phases[1].is_ramp());
  EXPECT_EQ(s.phases[1].rate_from, 100);
  EXPECT_EQ(s.phases[1].rate_to, 200);
  EXPECT_DOUBLE_EQ(s.phases[1].expected_requests(), 1500);
  EXPECT_DOUBLE_EQ(s.phases_duration_s(), 25);
  // Without max_duration_s the run may last its phases plus the default drain.
  EXPECT_DOUBLE_EQ(s.max_duration_s, 25 + s.drain_s);

  // The mix is in action order whatever the file's order; think times fall back to [think].
  ASSERT_EQ(s.mix.size(), 2u);
  EXPECT_EQ(s.mix[0].what, action::login);
  EXPECT_EQ(s.mix[0].weight, 1);
  EXPECT_EQ(s.mix[0].think.mean_ms, 250);
  EXPECT_EQ(s.mix[0].think.distribution, think_distribution::exponential);
  EXPECT_EQ(s.mix[1].what, action::submit);
  EXPECT_EQ(s.mix[1].weight, 2);
  EXPECT_EQ(s.mix[1].think.mean_ms, 100);
  EXPECT_EQ(s.mix[1].think.distribution, think_distribution::constant);

  EXPECT_EQ(s.candidates.count, 100);
  EXPECT_EQ(s.candidates.candidate_id(0), 11);
  EXPECT_EQ(s.candidates.candidate_id(2), 17);
  EXPECT_EQ(s.candidates.assignment, candidate_assignment::random);

  EXPECT_EQ(s.limits.max_error_rate, 0.01);
  EXPECT_FALSE(s.limits.min_achieved_ratio.has_value());
  ASSERT_EQ(s.limits.latency.size(), 2u);
  const auto submit = std::find_if(s.limits.latency.begin(), s.limits.latency.end(),
                                   [](const auto& l) { return l.endpoint == action::submit; });
  ASSERT_NE(submit, s.limits.latency.end());
  EXPECT_EQ(submit->key, "submit.p99_ms");
  EXPECT_EQ(submit->percentile, 99);
  EXPECT_EQ(submit->max_ms, 30);
  ASSERT_EQ(s.faults.size(), 1u);
  EXPECT_EQ(s.faults[0].at_s, 3);
  EXPECT_EQ(s.faults[0].command, "true");
  EXPECT_FALSE(s.knee.has_value());
}

TEST(scenario, action_names_round_trip) {
  for (std::size_t i = 0; i < action_count; ++i) {
    const auto a = static_cast<action>(i);
    EXPECT_EQ(parse_action(to_string(a)), a);
  }
  EXPECT_FALSE(parse_action("Login").has_value());
  EXPECT_FALSE(parse_action("").has_value());
}

// ---- the shipped scenarios ----

scenario shipped(const std::string& name) {
  return load_scenario(scenario_dir + "/" + name + ".toml");
}

double peak_rate(const scenario& s) {
  double peak = 0;
  for (const auto& p : s.phases) peak = std::max({peak, p.rate_from, p.rate_to});
  return peak;
}

TEST(shipped_scenarios, all_parse_and_target_loopback) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(scenario_dir)) {
    if (entry.path().extension() != ".toml") continue;
    const scenario s = load_scenario(entry.path().string());
    // A scenario's name is its file's name, so reports can be traced back to the file.
    EXPECT_EQ(s.name, entry.path().stem().string());
    EXPECT_TRUE(s.target.host == "127.0.0.1" || s.target.host == "::1" ||
                s.target.host == "localhost");
    EXPECT_GE(s.max_duration_s, s.phases_duration_s());
    found.push_back(s.name);
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<std::string>{"deadline-surge", "find-knee", "live-sessions", "ping",
                                             "smoke", "whole-province"}));
}

TEST(shipped_scenarios, smoke_is_short_and_gentle) {
  const scenario s = shipped("smoke");
  EXPECT_LE(s.max_duration_s, 60);
  EXPECT_LE(peak_rate(s), 100);
  // CI runs smoke to exercise every endpoint.
  EXPECT_EQ(s.mix.size(), action_count);
  EXPECT_FALSE(s.limits.names().empty());
  // CI gates on correctness: every request must succeed, and no limit depends on the speed of
  // a shared machine.
  EXPECT_EQ(s.limits.max_error_rate, std::optional<double>(0.0));
  EXPECT_TRUE(s.limits.latency.empty());
  EXPECT_FALSE(s.limits.min_achieved_ratio.has_value());
}

TEST(shipped_scenarios, benchmark_scenarios_keep_their_latency_limits) {
  for (const char* name : {"deadline-surge", "find-knee"}) {
    EXPECT_FALSE(shipped(name).limits.latency.empty()) << name;
  }
}

TEST(shipped_scenarios, deadline_surge_ramps_to_its_peak_at_the_end) {
  const scenario s = shipped("deadline-surge");
  ASSERT_GE(s.phases.size(), 2u);
  EXPECT_TRUE(
      std::any_of(s.phases.begin(), s.phases.end(), [](const phase& p) { return p.is_ramp(); }));
  for (std::size_t i = 1; i < s.phases.size(); ++i) {
    EXPECT_GE(s.phases[i].rate_from, s.phases[i - 1].rate_to) << "phase " << i;
    EXPECT_GE(s.phases[i].rate_to, s.phases[i].rate_from) << "phase " << i;
  }
  EXPECT_EQ(s.phases.back().rate_to, peak_rate(s));
  EXPECT_GT(peak_rate(s), s.phases.front().rate_from);
}

TEST(shipped_scenarios, whole_province_submits_every_candidate_once) {
  const scenario s = shipped("whole-province");
  EXPECT_EQ(s.candidates.assignment, candidate_assignment::once);
  EXPECT_EQ(s.candidates.first, 1);
  EXPECT_EQ(s.candidates.skip, 0);
  EXPECT_EQ(s.candidates.count, s.candidates.province_size);
  ASSERT_EQ(s.mix.size(), 1u);
  EXPECT_EQ(s.mix[0].what, action::submit);
  // The phases must offer at least one arrival per candidate.
  double offered = 0;
  for (const auto& p : s.phases) offered += p.expected_requests();
  EXPECT_GE(offered, static_cast<double>(s.candidates.count));
}

TEST(shipped_scenarios, find_knee_steps_up_and_names_its_threshold) {
  const scenario s = shipped("find-knee");
  ASSERT_TRUE(s.knee.has_value());
  const auto names = s.limits.names();
  EXPECT_NE(std::find(names.begin(), names.end(), s.knee->threshold), names.end());
  ASSERT_GE(s.phases.size(), 3u);
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    EXPECT_FALSE(s.phases[i].is_ramp()) << "phase " << i;
    if (i > 0) {
      EXPECT_GT(s.phases[i].rate_from, s.phases[i - 1].rate_from) << "phase " << i;
    }
  }
}

TEST(shipped_scenarios, find_knee_measures_deadline_surges_mix) {
  // The knee of deadline-surge is found by stepping find-knee: their mixes must be the same.
  const scenario knee = shipped("find-knee");
  const scenario surge = shipped("deadline-surge");
  ASSERT_EQ(knee.mix.size(), surge.mix.size());
  for (std::size_t i = 0; i < knee.mix.size(); ++i) {
    EXPECT_EQ(knee.mix[i].what, surge.mix[i].what) << i;
    EXPECT_EQ(knee.mix[i].weight, surge.mix[i].weight) << i;
    EXPECT_EQ(knee.mix[i].think.mean_ms, surge.mix[i].think.mean_ms) << i;
    EXPECT_EQ(knee.mix[i].think.distribution, surge.mix[i].think.distribution) << i;
  }
  EXPECT_EQ(knee.candidates.count, surge.candidates.count);
}

TEST(shipped_scenarios, live_sessions_signs_in_100k_distinct_candidates) {
  const scenario s = shipped("live-sessions");
  EXPECT_EQ(s.candidates.assignment, candidate_assignment::once);
  EXPECT_EQ(s.candidates.count, 100'000);
  ASSERT_EQ(s.mix.size(), 1u);
  EXPECT_EQ(s.mix[0].what, action::login);
  double offered = 0;
  for (const auto& p : s.phases) offered += p.expected_requests();
  EXPECT_GE(offered, static_cast<double>(s.candidates.count));
}

TEST(scenario, unreadable_file_names_the_path) {
  const std::string path = scenario_dir + "/no-such-scenario.toml";
  try {
    (void)load_scenario(path);
    FAIL() << "expected scenario_error";
  } catch (const scenario_error& e) {
    EXPECT_EQ(e.key(), path);
    EXPECT_FALSE(e.line().has_value());
  }
}

// ---- bad inputs ----

struct bad_case {
  std::string label;
  std::vector<std::pair<std::string, std::string>> edits;  // replace the first `first` by `second`
  std::string key;
  std::string line_marker;  // text on the line the error must name; empty: any line or none
};

std::string apply(const bad_case& c) {
  std::string text = base;
  for (const auto& [from, to] : c.edits) {
    const auto at = text.find(from);
    if (at == std::string::npos) return {};
    text.replace(at, from.size(), to);
  }
  return text;
}

const std::vector<bad_case>& bad_cases() {
  static const std::vector<bad_case> cases = {
      {"syntax error", {{"rate = 100", "rate = = 100"}}, "bad.toml", "rate = = 100"},
      {"name with spaces", {{"name = \"unit-test\"", "name = \"Unit Test\""}}, "name", "Unit Test"},
      {"missing name", {{"name = \"unit-test\"", ""}}, "name", ""},
      {"unknown root key", {{"seed = 5", "seed = 5\nduraton_s = 5"}}, "duraton_s", "duraton_s"},
      {"negative seed", {{"seed = 5", "seed = -5"}}, "seed", "seed = -5"},
      {"drain too long", {{"seed = 5", "seed = 5\ndrain_s = 100000"}}, "drain_s", "drain_s"},
      {"max duration below the phases",
       {{"seed = 5", "seed = 5\nmax_duration_s = 20"}},
       "max_duration_s",
       "max_duration_s"},
      {"remote host", {{"host = \"127.0.0.1\"", "host = \"10.0.0.7\""}}, "target.host", "10.0.0.7"},
      {"host not a string", {{"host = \"127.0.0.1\"", "host = 127"}}, "target.host", "host = 127"},
      {"port zero", {{"port = 8080", "port = 0"}}, "target.port", "port = 0"},
      {"port too big", {{"port = 8080", "port = 70000"}}, "target.port", "port = 70000"},
      {"missing port", {{"port = 8080", ""}}, "target.port", "[target]"},
      {"missing target", {{"[target]\nhost = \"127.0.0.1\"\nport = 8080\n", ""}}, "target", ""},
      {"zero rate", {{"rate = 50", "rate = 0"}}, "phases[2].rate", "rate = 0"},
      {"rate too high", {{"rate = 100", "rate = 2000000"}}, "phases[0].rate", "rate = 2000000"},
      {"rate as text", {{"rate = 100", "rate = \"fast\""}}, "phases[0].rate", "\"fast\""},
      {"missing rate", {{"rate = 50", ""}}, "phases[2].rate", ""},
      {"zero duration",
       {{"duration_s = 5", "duration_s = 0"}},
       "phases[2].duration_s",
       "duration_s = 0"},
      {"run longer than a day", {{"duration_s = 5", "duration_s = 86400"}}, "phases", ""},
      {"ramp from negative",
       {{"ramp = { from = 100", "ramp = { from = -1"}},
       "phases[1].ramp.from",
       "from = -1"},
      {"ramp of zeros",
       {{"ramp = { from = 100, to = 200 }", "ramp = { from = 0, to = 0 }"}},
       "phases[1].ramp",
       "from = 0, to = 0"},
      {"rate and ramp",
       {{"ramp = { from = 100, to = 200 }", "rate = 5\nramp = { from = 100, to = 200 }"}},
       "phases[1].ramp",
       "ramp = {"},
      {"unknown phase key", {{"rate = 100", "rate = 100\nrat = 5"}}, "phases[0].rat", "rat = 5"},
      {"misspelt phases", {{"[[phases]]", "[[phasez]]"}}, "phasez", ""},
      {"unknown action", {{"login = 1", "log_in = 1"}}, "mix.log_in", "log_in = 1"},
      {"negative weight", {{"login = 1", "login = -1"}}, "mix.login", "login = -1"},
      {"all weights zero",
       {{"login = 1", "login = 0"}, {"weight = 2", "weight = 0"}},
       "mix",
       "[mix]"},
      {"bad think distribution",
       {{"think = \"constant\"", "think = \"gaussian\""}},
       "mix.submit.think",
       "gaussian"},
      {"think time too long",
       {{"think_ms = 100", "think_ms = 9000000"}},
       "mix.submit.think_ms",
       "think_ms = 9000000"},
      {"default think negative",
       {{"mean_ms = 250", "mean_ms = -1"}},
       "think.mean_ms",
       "mean_ms = -1"},
      {"zero candidates", {{"count = 100", "count = 0"}}, "candidates.count", "count = 0"},
      {"fractional count", {{"count = 100", "count = 1.5"}}, "candidates.count", "count = 1.5"},
      {"pool beyond the province",
       {{"first = 11", "first = 654900"}},
       "candidates.count",
       "count = 100"},
      {"bad assignment",
       {{"count = 100", "count = 100\nassignment = \"shuffled\""}},
       "candidates.assignment",
       "shuffled"},
      {"production passwords",
       {{"count = 100", "count = 100\npasswords = \"production\""}},
       "candidates.passwords",
       "production"},
      {"error rate above one",
       {{"error_rate = 0.01", "error_rate = 1.5"}},
       "thresholds.error_rate",
       "error_rate = 1.5"},
      {"zero p99", {{"p99_ms = 50", "p99_ms = 0"}}, "thresholds.p99_ms", "p99_ms = 0"},
      {"misspelt endpoint",
       {{"[thresholds.submit]", "[thresholds.sumbit]"}},
       "thresholds.sumbit",
       "[thresholds.sumbit]"},
      {"unknown latency key",
       {{"p99_ms = 30", "p98_ms = 30"}},
       "thresholds.submit.p98_ms",
       "p98_ms = 30"},
      {"fault after the run", {{"at_s = 3", "at_s = 1000"}}, "faults[0].at_s", "at_s = 1000"},
      {"empty fault command",
       {{"command = \"true\"", "command = \"  \""}},
       "faults[0].command",
       "command = \"  \""},
      {"fault without command", {{"command = \"true\"", ""}}, "faults[0].command", ""},
      {"knee on an undefined threshold",
       {{"[[faults]]", "[knee]\nthreshold = \"scores.p99_ms\"\n\n[[faults]]"}},
       "knee.threshold",
       "scores.p99_ms"},
      {"knee without threshold", {{"[[faults]]", "[knee]\n\n[[faults]]"}}, "knee.threshold", ""},
  };
  return cases;
}

class bad_scenario : public ::testing::TestWithParam<std::size_t> {};

TEST_P(bad_scenario, error_names_the_key_and_line) {
  const bad_case& c = bad_cases()[GetParam()];
  const std::string text = apply(c);
  ASSERT_FALSE(text.empty()) << c.label << ": an edit did not apply to the base scenario";
  try {
    (void)parse_scenario(text, "bad.toml");
    FAIL() << c.label << ": parsed without error";
  } catch (const scenario_error& e) {
    EXPECT_EQ(e.key(), c.key) << c.label << ": " << e.what();
    EXPECT_FALSE(e.message().empty());
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(c.key + ": ", 0), 0u) << what;
    if (!c.line_marker.empty()) {
      const int expected = line_of(text, c.line_marker);
      ASSERT_GT(expected, 0) << c.label;
      EXPECT_EQ(e.line(), expected) << c.label << ": " << what;
      EXPECT_NE(what.find("(line " + std::to_string(expected) + ")"), std::string::npos) << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(cases, bad_scenario, ::testing::Range<std::size_t>(0, bad_cases().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           std::string name = bad_cases()[info.param].label;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(scenario, the_error_of_the_brief_reads_as_promised) {
  std::string text = base;
  text.replace(text.find("rate = 50"), 9, "rate = 0");
  try {
    (void)parse_scenario(text, "s.toml");
    FAIL();
  } catch (const scenario_error& e) {
    EXPECT_EQ(std::string(e.what()), "phases[2].rate: must be > 0 (line " +
                                         std::to_string(line_of(text, "rate = 0")) + ")");
  }
}

// --shard K/N: the shards' candidates are disjoint and together the whole pool; the rate is split.
TEST(shard, shards_split_the_pool_and_the_rate_and_keep_faults_in_the_first) {
  const scenario whole = parse_scenario(base, "base.toml");
  std::vector<std::int64_t> expected;
  for (std::int64_t i = 0; i < whole.candidates.count; ++i) {
    expected.push_back(whole.candidates.candidate_id(i));
  }
  for (const unsigned n : {1U, 2U, 3U, 7U}) {
    std::vector<std::int64_t> seen;
    double rate = 0;
    std::size_t faults = 0;
    for (unsigned k = 1; k <= n; ++k) {
      scenario part = whole;
      apply_shard(part, shard{k, n});
      for (std::int64_t i = 0; i < part.candidates.count; ++i) {
        seen.push_back(part.candidates.candidate_id(i));
      }
      rate += part.phases[1].rate_to;
      faults += part.faults.size();
      EXPECT_EQ(part.seed, whole.seed + k - 1);
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, expected) << n << " shards";
    EXPECT_NEAR(rate, whole.phases[1].rate_to, 1e-9);
    EXPECT_EQ(faults, whole.faults.size());
  }
}

TEST(shard, parse_shard_accepts_k_of_n_only) {
  const shard k = parse_shard("2/3");
  EXPECT_EQ(k.index, 2U);
  EXPECT_EQ(k.count, 3U);
  for (const char* bad : {"", "2", "0/3", "4/3", "1/1001", "a/b", "1/2/3", "-1/2", "1 /2"}) {
    EXPECT_THROW(parse_shard(bad), scenario_error) << bad;
  }
  scenario tiny = parse_scenario(base, "base.toml");
  tiny.candidates.count = 2;
  EXPECT_THROW(apply_shard(tiny, shard{1, 3}), scenario_error);
}

}  // namespace
}  // namespace zhiyuan::loadtest
