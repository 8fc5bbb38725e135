#pragma once

// What the candidate-API integration tests share: the test database, a server started at a
// chosen instant of the filing timetable, candidates of the seeded province with valid forms,
// and sign-in. Test files take candidates from disjoint ranges of `pick_case` (ctest runs
// files in parallel against one database):
//   filing 0-99, account 100-199, catalog 200-299, state 300-399, admin 400-499, fleet 500-599.

#include <sodium.h>

#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

#include "core/choices.hpp"
#include "core/time.hpp"
#include "province/synthetic_passwords.hpp"
#include "storage/catalog_loader.hpp"
#include "storage/embedded_cluster.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

namespace zhiyuan::test {

inline constexpr const char* schedule_file = ZHIYUAN_SOURCE_DIR "/config/schedule.toml";

// Instants of config/schedule.toml (2023): formal filing of 本科批 is open at the first.
inline constexpr const char* formal_open_instant = "2023-06-30T10:00:00+08:00";

inline std::string database_url() {
  storage::embedded_options o;
  o.var_dir = ZHIYUAN_TEST_VAR_DIR;
  return storage::embedded_cluster(o).connection_string();
}

// Seconds to add to the clock so that "now" is `instant` (RFC 3339).
inline std::int64_t offset_to(const char* instant) {
  const auto target = *core::parse_rfc3339(instant);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return target - now;
}

// The command line of zhiyuan-server on an ephemeral port against the test database, its clock
// moved by `offset`.
inline std::vector<std::string> server_args(std::int64_t offset,
                                            std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--server.port",
                                   "0",
                                   "--database.url",
                                   database_url(),
                                   "--server.drain_delay_ms",
                                   "0",
                                   "--filing.schedule_file",
                                   schedule_file,
                                   "--filing.clock_offset_seconds",
                                   std::to_string(offset),
                                   "--auth.common_passwords_file",
                                   ZHIYUAN_SOURCE_DIR "/config/common-passwords.txt",
                                   "--auth.receipt_key_file",
                                   std::string(ZHIYUAN_TEST_VAR_DIR) + "/receipt.key"};
  for (auto& a : extra) args.push_back(std::move(a));
  return args;
}

inline server_process start_server(std::int64_t offset, std::vector<std::string> extra = {}) {
  return server_process(server_args(offset, std::move(extra)));
}

// A candidate eligible for 本科批 and a valid three-choice form for them.
struct subject_case {
  std::string exam_no;
  std::string body;       // the JSON of the form (with the candidate's save password)
  std::string choices;    // the JSON array of the choices alone
  std::string canonical;  // core's canonical encoding of it
};

// The `skip`-th candidate eligible for 本科批 (in id order) with three fitting groups.
inline subject_case pick_case(int skip) {
  static const auto data = storage::load_filing_data(database_url());
  for (std::int64_t id = 1; id < data.directory->id_bound(); ++id) {
    const auto* e = data.directory->find(id);
    if (e == nullptr || !e->eligible.batches.contains(core::batch::undergrad)) continue;
    core::choice_list form;
    std::string choices = "[";
    for (const auto& g : data.catalog->groups_in(core::batch::undergrad)) {
      if (g.special_type || g.trk != e->trk || g.cat != e->cat ||
          !g.requirement.first_met(e->trk) || !g.requirement.missing(e->electives).empty()) {
        continue;
      }
      const auto majors = data.catalog->majors_of(g);
      if (majors.empty()) continue;
      if (!form.empty()) choices += ',';
      choices += R"({"group":)" + std::to_string(g.id) + R"(,"majors":[")" + majors[0].code +
                 R"("],"accept_adjustment":true})";
      form.push_back({g.id, {majors[0].id}, true, false});
      if (form.size() == 3) break;
    }
    choices += "]";
    // Only candidates with a full form count, so that distinct `skip`s are distinct candidates.
    if (form.size() == 3 && skip-- == 0) {
      const std::string exam(e->exam_number());
      std::string body = R"({"choices":)" + choices + R"(,"save_password":")" +
                         loadtest::synthetic_save_password(exam) + "\"}";
      return {exam, body, choices, core::canonical_encoding(form)};
    }
  }
  throw std::runtime_error("no eligible candidate with three fitting groups in the test province");
}

inline std::string json_header() { return "Content-Type: application/json\r\n"; }
inline std::string bearer(const std::string& token) {
  return "Authorization: Bearer " + token + "\r\n";
}

// Signs in with the synthetic login password; the token, or "" after a failed expectation.
// The session token of a sign-in's answer ("" and a test failure unless it signed in).
inline std::string token_of(const http_reply& r) {
  EXPECT_EQ(r.status, 200u) << r.body;
  if (r.status != 200) return "";
  simdjson::dom::parser p;
  return std::string(std::string_view(p.parse(r.body)["token"]));
}

inline std::string login(std::uint16_t port, const std::string& exam_no) {
  return token_of(request(port, "POST", "/api/v1/auth/login", json_header(),
                          R"({"exam_no":")" + exam_no + R"(","password":")" +
                              loadtest::synthetic_login_password(exam_no) + "\"}"));
}

// Signs in and accepts the pledge (idempotent), so the session may write.
inline std::string ready_session(std::uint16_t port, const std::string& exam_no) {
  const std::string token = login(port, exam_no);
  auto r = request(port, "POST", "/api/v1/me/pledge", bearer(token), "");
  EXPECT_EQ(r.status, 200u) << r.body;
  return token;
}

// Puts a candidate back into the first-login state with its synthetic login password (the
// journey changes passwords; a rerun must start afresh).
inline void reset_to_first_login(const std::string& exam_no) {
  const std::string pw = loadtest::synthetic_login_password(exam_no);
  char hash[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str(hash, pw.data(), pw.size(), crypto_pwhash_OPSLIMIT_MIN,
                              crypto_pwhash_MEMLIMIT_MIN),
            0);
  pqxx::connection conn(database_url());
  pqxx::work tx(conn);
  tx.exec_params(
      "UPDATE candidates SET login_hash = $2, save_hash = NULL, must_set_passwords = true,"
      " pledge_at = NULL, household_confirmed_at = NULL, physical_exam_confirmed_at = NULL,"
      " phone = NULL, address = NULL WHERE exam_no = $1",
      exam_no, std::string(hash));
  tx.commit();
}

inline std::string sha256_hex(const std::string& s) {
  unsigned char d[32];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  char out[65];
  sodium_bin2hex(out, sizeof out, d, sizeof d);
  return out;
}

// A quoted version for If-Match / ETag. Built by appending: GCC 12 warns falsely (-Wrestrict)
// on `"\"" + std::to_string(n)`.
inline std::string quoted(std::int64_t n) {
  std::string out = "\"";
  out += std::to_string(n);
  out += '"';
  return out;
}

inline std::string unique_key(const char* tag) {
  return std::string(tag) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace zhiyuan::test
