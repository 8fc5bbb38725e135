#pragma once

// What the browser tests share (web_journey_test.cpp, web_office_test.cpp): a command's output,
// the journey's JSON line, and the checks every journey's audit must pass.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {

// The command's standard output and exit status.
inline std::pair<std::string, int> run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return {"", -1};
  char buf[4096];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  return {out, pclose(p)};
}

inline const std::filesystem::path web_dir = std::filesystem::path(ZHIYUAN_SOURCE_DIR) / "web";

// Why a browser test cannot run here ("" when it can): it needs Debian's Chromium and
// web/node_modules/`package` (scripts/setup.sh installs both).
inline std::string browser_missing(const char* package = "playwright-core") {
  if (std::filesystem::exists("/usr/bin/chromium") &&
      std::filesystem::exists(web_dir / "node_modules" / package))
    return "";
  return "needs /usr/bin/chromium and web/node_modules (scripts/setup.sh installs both)";
}

// Builds web/dist (node web/build.mjs) and points SHOTS at the screenshots' directory; the
// build's output and status.
inline std::pair<std::string, int> build_web_app() {
  const auto shots = std::filesystem::path(ZHIYUAN_TEST_VAR_DIR) / "web-shots";
  std::filesystem::create_directories(shots);
  setenv("SHOTS", shots.c_str(), 1);
  return run("node " + (web_dir / "build.mjs").string() + " 2>&1");
}

// zhiyuan-server at the formal window of 本科批, serving the built app (web/dist).
inline server_process serve_web_app() {
  return start_server(offset_to(formal_open_instant),
                      {"--server.web_root", (web_dir / "dist").string()});
}

// The journey's one JSON line (after whatever node printed before it).
inline std::string journey_line(const std::string& out) {
  const auto at = out.find("{\"errors\"");
  return at == std::string::npos ? "{}" : out.substr(at);
}

// No script error on any page, and axe-core found no serious or critical violation on any of
// the screens it audited; how many screens that was.
inline std::size_t expect_clean_pages(simdjson::dom::element doc, const std::string& out) {
  EXPECT_EQ(simdjson::dom::array(doc["errors"]).size(), 0u) << out;
  std::size_t audited = 0;
  for (auto [screen, found] : simdjson::dom::object(doc["axe"])) {
    ++audited;
    EXPECT_EQ(simdjson::dom::array(found).size(), 0u) << screen << ": " << out;
  }
  return audited;
}

}  // namespace zhiyuan::test
