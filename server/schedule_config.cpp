#include "server/schedule_config.hpp"

#include <fstream>
#include <sstream>

#include <simdjson.h>
#include <toml++/toml.h>

#include "core/batch.hpp"
#include "core/time.hpp"
#include "server/config.hpp"
#include "server/http/json_writer.hpp"

namespace zhiyuan::server {
namespace {

core::unix_seconds instant(const toml::table& t, std::string_view key, const std::string& path) {
  const std::string full = path + "." + std::string(key);
  auto node = t[key];
  if (!node) throw config_error(full, "missing");
  auto text = node.value<std::string>();
  if (!text)
    throw config_error(full, "must be a quoted RFC 3339 time, e.g. \"2023-06-29T08:00:00+08:00\"");
  auto parsed = core::parse_rfc3339(*text);
  if (!parsed) throw config_error(full, parsed.error().detail);
  return *parsed;
}

core::window window_of(const toml::table& t, std::string_view open, std::string_view close,
                       const std::string& path) {
  core::window w{instant(t, open, path), instant(t, close, path)};
  if (w.close <= w.open)
    throw config_error(path + "." + std::string(close), "must be after " + std::string(open));
  return w;
}

const toml::table& table_at(const toml::table& root, std::string_view key,
                            const std::string& path) {
  const auto* t = root[key].as_table();
  if (t == nullptr) throw config_error(path + std::string(key), "missing table");
  return *t;
}

// An integer score at t[key] (default when absent), 0..1000.
int toml_score(const toml::table& t, std::string_view key, int fallback, const std::string& path) {
  if (!t.contains(key)) return fallback;
  const auto v = t[key].value<std::int64_t>();
  if (!v || *v < 0 || *v > 1000) {
    throw config_error(path + "." + std::string(key), "an integer score from 0 to 1000");
  }
  return static_cast<int>(*v);
}

// The staggered slots of a batch (分时段填报): [[batches.<batch>.slots]] tables.
std::vector<core::filing_slot> toml_slots(const toml::table& batch, const std::string& path) {
  std::vector<core::filing_slot> out;
  if (!batch.contains("slots")) return out;
  const auto* list = batch["slots"].as_array();
  if (list == nullptr) throw config_error(path + ".slots", "an array of tables ([[...slots]])");
  for (auto&& node : *list) {
    const std::string at = path + ".slots[" + std::to_string(out.size()) + "]";
    const auto* t = node.as_table();
    if (t == nullptr) throw config_error(at, "must be a table");
    core::filing_slot slot;
    slot.when = window_of(*t, "open", "close", at);
    slot.min_score = toml_score(*t, "min_score", 0, at);
    slot.max_score = toml_score(*t, "max_score", 750, at);
    if (const auto* cities = (*t)["cities"].as_array()) {
      for (auto&& c : *cities) {
        auto code = c.value<std::string>();
        if (!code || code->empty()) throw config_error(at + ".cities", "city unit codes");
        slot.cities.push_back(*code);
      }
    }
    out.push_back(std::move(slot));
  }
  return out;
}

}  // namespace

core::schedule parse_schedule(std::string_view toml_text, const std::string& file_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, file_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << e.description() << " at line " << e.source().begin.line;
    throw config_error(file_name, msg.str());
  }
  core::schedule s;
  auto year = root["year"].value<std::int64_t>();
  if (!year) throw config_error("schedule.year", "missing or not an integer");
  s.year = static_cast<int>(*year);
  s.assisted_open = instant(root, "assisted_open", "schedule");
  s.confirm_deadline = instant(root, "confirm_deadline", "schedule");
  s.drill = window_of(table_at(root, "drill", "schedule."), "open", "close", "schedule.drill");

  const auto& batches = table_at(root, "batches", "schedule.");
  for (auto&& [key, node] : batches) {
    const std::string path = "schedule.batches." + std::string(key.str());
    auto b = core::parse_batch(key.str());
    if (!b) throw config_error(path, "unknown batch code");
    const auto* t = node.as_table();
    if (t == nullptr) throw config_error(path, "must be a table");
    core::batch_schedule& bs = s.batches[core::index_of(*b)];
    bs.formal = window_of(*t, "formal_open", "formal_close", path);
    if (t->contains("special_open") || t->contains("special_close")) {
      if (*b != core::batch::undergrad) {
        throw config_error(path + ".special_open", "only undergrad has a special-type window");
      }
      bs.special = window_of(*t, "special_open", "special_close", path);
    }
    bs.slots = toml_slots(*t, path);
  }
  for (auto b : core::all_batches) {
    if (s.of(b).formal.close == 0) {
      throw config_error("schedule.batches." + std::string(core::to_code(b)), "missing");
    }
  }
  if (const auto* rounds = root["supplementary"].as_array()) {
    std::size_t i = 0;
    for (auto&& node : *rounds) {
      const std::string path = "schedule.supplementary[" + std::to_string(i++) + "]";
      const auto* t = node.as_table();
      if (t == nullptr) throw config_error(path, "must be a table");
      core::supplementary_round r;
      r.when = window_of(*t, "open", "close", path);
      const auto* list = (*t)["batches"].as_array();
      if (list == nullptr || list->empty())
        throw config_error(path + ".batches", "must list batches");
      for (auto&& item : *list) {
        auto code = item.value<std::string>();
        auto b = code ? core::parse_batch(*code) : std::nullopt;
        if (!b) throw config_error(path + ".batches", "unknown batch code");
        r.batches.insert(*b);
      }
      s.supplementary.push_back(r);
    }
  }
  // The slots' rules (inside the formal window, a band) as the admin API checks them.
  for (const auto& issue : core::check_schedule(s)) {
    if (issue.field.find(".slots[") != std::string::npos) {
      throw config_error("schedule." + issue.field, issue.message);
    }
  }
  return s;
}

core::schedule load_schedule(const std::string& path) {
  return parse_schedule(read_text_file(path, "filing.schedule_file"), path);
}

std::string schedule_to_json(const core::schedule& s) {
  std::string out;
  json_writer w(out);
  auto instant = [&w](const char* key, core::unix_seconds t) {
    w.key(key).value(core::format_rfc3339(t));
  };
  w.begin_object();
  w.key("year").value(static_cast<std::int64_t>(s.year));
  instant("assisted_open", s.assisted_open);
  instant("confirm_deadline", s.confirm_deadline);
  w.key("drill").begin_object();
  instant("open", s.drill.open);
  instant("close", s.drill.close);
  w.end_object();
  w.key("batches").begin_object();
  for (const auto b : core::all_batches) {
    w.key(core::to_code(b)).begin_object();
    instant("formal_open", s.of(b).formal.open);
    instant("formal_close", s.of(b).formal.close);
    if (s.of(b).special) {
      instant("special_open", s.of(b).special->open);
      instant("special_close", s.of(b).special->close);
    }
    if (!s.of(b).slots.empty()) {
      w.key("slots").begin_array();
      for (const auto& slot : s.of(b).slots) {
        w.begin_object();
        instant("open", slot.when.open);
        instant("close", slot.when.close);
        w.key("min_score").value(static_cast<std::int64_t>(slot.min_score));
        w.key("max_score").value(static_cast<std::int64_t>(slot.max_score));
        w.key("cities").begin_array();
        for (const auto& c : slot.cities) w.value(c);
        w.end_array();
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_object();
  w.key("supplementary").begin_array();
  for (const auto& r : s.supplementary) {
    w.begin_object();
    instant("open", r.when.open);
    instant("close", r.when.close);
    w.key("batches").begin_array();
    for (const auto b : core::all_batches) {
      if (r.batches.contains(b)) w.value(core::to_code(b));
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out;
}

namespace {

namespace dom = simdjson::dom;
using issue_list = std::vector<core::schedule_issue>;

// The RFC 3339 time at obj[key]; a missing or malformed one is an issue named path + key and
// reads as 0, so that every field of the document is checked in one pass.
core::unix_seconds json_instant(dom::object obj, std::string_view key, const std::string& path,
                                issue_list& issues) {
  std::string_view text;
  const std::string field = path + std::string(key);
  if (obj[key].get_string().get(text)) {
    issues.push_back({field, "an RFC 3339 time, e.g. \"2023-06-29T08:00:00+08:00\""});
    return core::unix_seconds{0};
  }
  const auto t = core::parse_rfc3339(text);
  if (!t) {
    issues.push_back({field, "an RFC 3339 time: " + t.error().detail});
    return core::unix_seconds{0};
  }
  return *t;
}

// The window obj[open_key]..obj[close_key]; an issue with the open comes before one with the
// close.
core::window json_window(dom::object obj, std::string_view open_key, std::string_view close_key,
                         const std::string& path, issue_list& issues) {
  const auto open = json_instant(obj, open_key, path, issues);
  const auto close = json_instant(obj, close_key, path, issues);
  return {open, close};
}

void read_json_drill(dom::object root, core::schedule& s, issue_list& issues) {
  dom::object drill;
  if (root["drill"].get_object().get(drill)) {
    issues.push_back({"drill", "an object with open and close"});
  } else {
    s.drill = json_window(drill, "open", "close", "drill.", issues);
  }
}

// An optional integer score at obj[key] (default when absent).
int json_score(dom::object obj, std::string_view key, int fallback, const std::string& path,
               issue_list& issues) {
  if (obj[key].error() == simdjson::NO_SUCH_FIELD) return fallback;
  std::int64_t v = 0;
  if (obj[key].get_int64().get(v) || v < 0 || v > 1000) {
    issues.push_back({path + std::string(key), "an integer score from 0 to 1000"});
    return fallback;
  }
  return static_cast<int>(v);
}

// A slot's optional city codes.
void read_json_cities(dom::object slot_json, const std::string& at, core::filing_slot& slot,
                      issue_list& issues) {
  if (slot_json["cities"].error() == simdjson::NO_SUCH_FIELD) return;
  dom::array cities;
  if (slot_json["cities"].get_array().get(cities)) {
    issues.push_back({at + "cities", "an array of city unit codes"});
    return;
  }
  for (auto c : cities) {
    std::string_view code;
    if (c.get_string().get(code) || code.empty()) {
      issues.push_back({at + "cities", "an array of city unit codes"});
    } else {
      slot.cities.emplace_back(code);
    }
  }
}

// A batch's optional staggered slots at `path` ("batches.undergrad.").
std::vector<core::filing_slot> read_json_slots(dom::object batch, const std::string& path,
                                               issue_list& issues) {
  std::vector<core::filing_slot> out;
  if (batch["slots"].error() == simdjson::NO_SUCH_FIELD) return out;
  dom::array list;
  if (batch["slots"].get_array().get(list)) {
    issues.push_back({path + "slots", "an array of slots"});
    return out;
  }
  for (auto item : list) {
    const std::string at = path + "slots[" + std::to_string(out.size()) + "].";
    dom::object t;
    core::filing_slot slot;
    if (item.get_object().get(t)) {
      issues.push_back({at.substr(0, at.size() - 1), "an object"});
      out.push_back(slot);
      continue;
    }
    slot.when = json_window(t, "open", "close", at, issues);
    slot.min_score = json_score(t, "min_score", 0, at, issues);
    slot.max_score = json_score(t, "max_score", 750, at, issues);
    read_json_cities(t, at, slot, issues);
    out.push_back(std::move(slot));
  }
  return out;
}

void read_json_batches(dom::object root, core::schedule& s, issue_list& issues) {
  dom::object batches;
  if (root["batches"].get_object().get(batches)) {
    issues.push_back({"batches", "an object with every batch"});
    return;
  }
  for (auto [key, value] : batches) {
    const std::string path = "batches." + std::string(key) + ".";
    const auto b = core::parse_batch(key);
    dom::object t;
    if (!b || value.get_object().get(t)) {
      issues.push_back({"batches." + std::string(key), "an object of a known batch"});
      continue;
    }
    auto& bs = s.batches[core::index_of(*b)];
    bs.formal = json_window(t, "formal_open", "formal_close", path, issues);
    if (t["special_open"].error() != simdjson::NO_SUCH_FIELD ||
        t["special_close"].error() != simdjson::NO_SUCH_FIELD) {
      bs.special = json_window(t, "special_open", "special_close", path, issues);
    }
    bs.slots = read_json_slots(t, path, issues);
  }
  for (const auto b : core::all_batches) {
    if (s.of(b).formal.close == 0 && batches[core::to_code(b)].error()) {
      issues.push_back({"batches." + std::string(core::to_code(b)), "missing"});
    }
  }
}

// One supplementary round at `path` ("supplementary[2].").
core::supplementary_round read_json_round(dom::object t, const std::string& path,
                                          issue_list& issues) {
  core::supplementary_round r;
  r.when = json_window(t, "open", "close", path, issues);
  dom::array list;
  if (t["batches"].get_array().get(list)) {
    issues.push_back({path + "batches", "an array of batch codes"});
    return r;
  }
  for (auto code : list) {
    std::string_view c;
    const auto b = code.get_string().get(c) ? std::nullopt : core::parse_batch(c);
    if (!b) {
      issues.push_back({path + "batches", "unknown batch code"});
    } else {
      r.batches.insert(*b);
    }
  }
  return r;
}

// The supplementary rounds are optional; when present they must be an array of objects.
void read_json_supplementary(dom::object root, core::schedule& s, issue_list& issues) {
  if (root["supplementary"].error() == simdjson::NO_SUCH_FIELD) return;
  dom::array rounds;
  if (root["supplementary"].get_array().get(rounds)) {
    issues.push_back({"supplementary", "an array of rounds"});
    return;
  }
  std::size_t i = 0;
  for (auto item : rounds) {
    const std::string path = "supplementary[" + std::to_string(i++) + "].";
    dom::object t;
    if (item.get_object().get(t)) {
      issues.push_back({path.substr(0, path.size() - 1), "an object"});
      continue;
    }
    s.supplementary.push_back(read_json_round(t, path, issues));
  }
}

}  // namespace

core::schedule schedule_from_json(std::string_view json,
                                  std::vector<core::schedule_issue>& issues) {
  core::schedule s;
  dom::parser parser;
  dom::object root;
  if (parser.parse(json.data(), json.size()).get(root)) {
    issues.push_back({"", "a JSON object"});
    return s;
  }
  std::int64_t year = 0;
  if (root["year"].get_int64().get(year)) issues.push_back({"year", "an integer"});
  s.year = static_cast<int>(year);
  s.assisted_open = json_instant(root, "assisted_open", "", issues);
  s.confirm_deadline = json_instant(root, "confirm_deadline", "", issues);
  read_json_drill(root, s, issues);
  read_json_batches(root, s, issues);
  read_json_supplementary(root, s, issues);
  if (issues.empty()) issues = core::check_schedule(s);
  return s;
}

}  // namespace zhiyuan::server
