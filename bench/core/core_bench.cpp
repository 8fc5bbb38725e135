// Micro-benchmarks of core's hot paths: validating a full 本科批 form against a province-sized
// catalog, score → rank lookup, and the canonical encoding.

#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/choices.hpp"
#include "core/schedule.hpp"
#include "core/score_table.hpp"
#include "core/validation.hpp"

namespace zhiyuan::core {
namespace {

constexpr int colleges_n = 2800;
constexpr int groups_per_college = 5;  // 14,000 groups.
constexpr int majors_per_group = 5;    // 70,000 majors (1..9 per group, 5 on average).

struct world {
  std::shared_ptr<const catalog> cat;
  schedule sched;
  candidate who;
  choice_list form;
};

// A second-subject requirement in the province's mix; `r` is uniform in 0..99.
void set_second_requirement(subject_requirement& req, int r) {
  if (r < 40) {
    req.second = second_requirement::none;
  } else if (r < 75) {
    req.second = second_requirement::one;
    req.a = subject::chemistry;
  } else if (r < 90) {
    req.second = second_requirement::both;
    req.a = subject::chemistry;
    req.b = subject::biology;
  } else {
    req.second = second_requirement::either;
    req.a = subject::biology;
    req.b = subject::geography;
  }
}

// The majors of a group, with codes numbered from "01".
void add_majors(const major_group& g, int count, major_id& next_major, std::vector<major>& majors) {
  for (int j = 1; j <= count; ++j) {
    std::string code = j < 10 ? "0" : "";
    code.append(std::to_string(j));
    majors.push_back({next_major++, g.id, std::move(code), "专业名称", 4, 4, 5800});
  }
}

// A catalog of the size a province publishes: every college has groups in several batches and
// both tracks, with a mix of subject requirements; majors get 1..9 per group.
std::shared_ptr<const catalog> random_catalog(std::mt19937& rng) {
  std::vector<college> colleges;
  std::vector<major_group> groups;
  std::vector<major> majors;
  group_id next_group = 100000;
  major_id next_major = 5000000;
  std::uniform_int_distribution<int> n_majors(1, 2 * majors_per_group - 1);
  std::uniform_int_distribution<int> pick(0, 99);
  for (int c = 0; c < colleges_n; ++c) {
    const std::string code = std::to_string(10000 + c);
    colleges.push_back({code, "院校" + code, "湖南", "公办本科"});
    for (int k = 0; k < groups_per_college; ++k) {
      major_group g;
      g.id = next_group++;
      g.college_code = code;
      g.group_code = std::to_string(100 + k);
      const int p = pick(rng);
      g.b = p < 8    ? batch::early_undergrad
            : p < 60 ? batch::undergrad
            : p < 70 ? batch::early_vocational
                     : batch::vocational;
      g.trk = pick(rng) < 60 ? track::physics : track::history;
      g.requirement.first =
          g.trk == track::physics ? first_requirement::physics : first_requirement::history;
      set_second_requirement(g.requirement, pick(rng));
      g.plan_count = 20;
      add_majors(g, n_majors(rng), next_major, majors);
      groups.push_back(std::move(g));
    }
  }
  auto built = catalog::build(std::move(colleges), std::move(groups), std::move(majors));
  if (!built) throw std::runtime_error(built.error().detail);
  return *built;
}

// 本科批's formal window and the supplementary rounds of a 2023 timetable.
schedule undergrad_schedule() {
  const auto at = [](const char* t) { return parse_rfc3339(t).value(); };
  schedule sched;
  sched.year = 2023;
  sched.assisted_open = at("2023-06-22T08:00:00+08:00");
  sched.batches[index_of(batch::undergrad)].formal = {at("2023-06-29T08:00:00+08:00"),
                                                      at("2023-07-02T17:00:00+08:00")};
  for (int day = 12; day < 32; day += 3) {
    sched.supplementary.push_back({{at("2023-07-12T08:00:00+08:00") + day * 86400,
                                    at("2023-07-12T17:00:00+08:00") + day * 86400},
                                   {batch::undergrad}});
  }
  return sched;
}

// 45 distinct eligible groups spread over the batch, 6 majors each where the group has them.
choice_list full_form(const catalog& cat, const candidate& who, std::mt19937& rng) {
  std::vector<const major_group*> eligible;
  for (const major_group& g : cat.groups_in(batch::undergrad)) {
    if (g.trk == track::physics && g.requirement.missing(who.electives).empty() &&
        cat.majors_of(g).size() >= 6) {
      eligible.push_back(&g);
    }
  }
  std::shuffle(eligible.begin(), eligible.end(), rng);
  choice_list form;
  for (int i = 0; i < 45; ++i) {
    group_choice c{eligible[static_cast<std::size_t>(i)]->id, {}, i % 2 == 0, false};
    auto ms = cat.majors_of(*eligible[static_cast<std::size_t>(i)]);
    for (std::size_t j = 0; j < 6; ++j) c.majors.push_back(ms[ms.size() - 1 - j].id);
    form.push_back(std::move(c));
  }
  return form;
}

world make_world() {
  // One seed for the catalog and the form's pick, drawn in this order.
  std::mt19937 rng(2023);
  world w;
  w.cat = random_catalog(rng);
  w.sched = undergrad_schedule();
  w.who.trk = track::physics;
  w.who.cat = category::regular;
  w.who.electives = {subject::chemistry, subject::biology};
  w.who.eligible = {{batch::undergrad}, true};
  w.form = full_form(*w.cat, w.who, rng);
  return w;
}

const world& the_world() {
  static const world w = make_world();
  return w;
}

void validate_full_form(benchmark::State& state) {
  const world& w = the_world();
  const unix_seconds now = parse_rfc3339("2023-07-02T16:59:59+08:00").value();
  std::vector<finding> out;
  out.reserve(64);
  validate(w.who, batch::undergrad, w.form, *w.cat, w.sched, now, mode::formal, out);
  if (!out.empty()) state.SkipWithError("benchmark form is not valid");
  for (auto _ : state) {
    validate(w.who, batch::undergrad, w.form, *w.cat, w.sched, now, mode::formal, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["groups"] = static_cast<double>(w.cat->groups().size());
  state.counters["majors"] = static_cast<double>(w.cat->majors().size());
}
BENCHMARK(validate_full_form)->Unit(benchmark::kMicrosecond);

// 256 different forms in rotation, so each validation touches catalog memory the previous one did
// not (closer to a server validating many candidates' forms than one hot form).
void validate_full_form_rotating(benchmark::State& state) {
  const world& w = the_world();
  std::mt19937 rng(9);
  std::vector<const major_group*> eligible;
  for (const major_group& g : w.cat->groups_in(batch::undergrad)) {
    if (g.trk == track::physics && g.requirement.missing(w.who.electives).empty() &&
        w.cat->majors_of(g).size() >= 6) {
      eligible.push_back(&g);
    }
  }
  std::vector<choice_list> forms(256);
  for (choice_list& f : forms) {
    std::shuffle(eligible.begin(), eligible.end(), rng);
    for (std::size_t i = 0; i < 45; ++i) {
      group_choice c{eligible[i]->id, {}, true, false};
      for (const major& m : w.cat->majors_of(*eligible[i]).first(6)) c.majors.push_back(m.id);
      f.push_back(std::move(c));
    }
  }
  const unix_seconds now = parse_rfc3339("2023-06-30T12:00:00+08:00").value();
  std::vector<finding> out;
  out.reserve(64);
  std::size_t i = 0;
  for (auto _ : state) {
    validate(w.who, batch::undergrad, forms[i++ & 255], *w.cat, w.sched, now, mode::formal, out);
    benchmark::DoNotOptimize(out.data());
  }
  if (!out.empty()) state.SkipWithError("benchmark forms are not valid");
}
BENCHMARK(validate_full_form_rotating)->Unit(benchmark::kMicrosecond);

// The same form with defects in every choice: the slow path that formats nothing yet.
void validate_full_form_all_wrong(benchmark::State& state) {
  const world& w = the_world();
  choice_list form = w.form;
  for (group_choice& c : form) c.majors[0] = c.majors[1];
  const unix_seconds now = parse_rfc3339("2023-07-03T09:00:00+08:00").value();
  std::vector<finding> out;
  out.reserve(128);
  for (auto _ : state) {
    validate(w.who, batch::undergrad, form, *w.cat, w.sched, now, mode::formal, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["findings"] = static_cast<double>(out.size());
}
BENCHMARK(validate_full_form_all_wrong)->Unit(benchmark::kMicrosecond);

void canonical_encoding_full_form(benchmark::State& state) {
  const world& w = the_world();
  std::string buf;
  for (auto _ : state) {
    buf.clear();
    append_canonical(w.form, buf);
    benchmark::DoNotOptimize(buf.data());
  }
  state.counters["bytes"] = static_cast<double>(buf.size());
}
BENCHMARK(canonical_encoding_full_form);

void score_to_rank(benchmark::State& state) {
  std::mt19937 rng(1);
  std::vector<score_count> rows;
  for (int s = 100; s <= 700; ++s) rows.push_back({s, 200 + static_cast<int>(rng() % 300)});
  const score_table t = score_table::build(rows).value();
  std::vector<int> scores(1024);
  for (int& s : scores) s = static_cast<int>(rng() % 751);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.rank(scores[i++ & 1023]));
  }
}
BENCHMARK(score_to_rank);

void rank_to_equivalent_score(benchmark::State& state) {
  std::mt19937 rng(2);
  std::vector<score_count> a, b;
  for (int s = 100; s <= 700; ++s) {
    a.push_back({s, 200 + static_cast<int>(rng() % 300)});
    b.push_back({s, 200 + static_cast<int>(rng() % 300)});
  }
  const score_table ta = score_table::build(a).value(), tb = score_table::build(b).value();
  std::vector<int> scores(1024);
  for (int& s : scores) s = 100 + static_cast<int>(rng() % 600);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(equivalent_score(ta, scores[i++ & 1023], tb));
  }
}
BENCHMARK(rank_to_equivalent_score);

}  // namespace
}  // namespace zhiyuan::core

BENCHMARK_MAIN();
