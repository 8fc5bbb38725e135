#include "server/schedule_config.hpp"

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "core/batch.hpp"
#include "core/time.hpp"
#include "server/config.hpp"

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
  return s;
}

core::schedule load_schedule(const std::string& path) {
  return parse_schedule(read_text_file(path, "filing.schedule_file"), path);
}

}  // namespace zhiyuan::server
