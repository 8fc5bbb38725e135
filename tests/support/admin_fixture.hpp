#pragma once

// Admin accounts for integration tests: made through storage with a known password (the first
// login's change already done) and signed in over HTTP.

#include <unistd.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <pqxx/pqxx>

#include "core/admin.hpp"
#include "server/admin/context.hpp"
#include "storage/admin_store.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {

// A tag unique to this run (process and instant), for the names of accounts a test makes.
inline std::string run_unique_tag() {
  static const std::string tag =
      std::to_string(getpid()) + "x" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000'007);
  return tag;
}

// A suite sharing one server, at the formal window of 本科批, whose per-address admin sign-in
// limit is lifted (its tests sign many accounts in from one address). `Suite` keeps each
// suite's server its own.
template <typename Suite>
class admin_server_suite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new server_process(
        server_args(offset_to(formal_open_instant), {"--admin.login_ip_per_minute", "100000"}));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::uint16_t port() { return server_->port(); }
  static inline server_process* server_ = nullptr;
};

struct admin_account {
  std::int32_t id = 0;
  std::string username, password, token;
};

// An account of unit `unit_code` with `role`, named `username` (unique per run).
inline admin_account make_admin_account(pqxx::connection& conn, const std::string& unit_code,
                                        core::admin_role role, const std::string& username) {
  admin_account a;
  a.username = username;
  a.password = server::one_time_password();
  const auto hash = server::hash_password(a.password);
  a.id =
      storage::bootstrap_admin(conn, a.username, unit_code, static_cast<std::int16_t>(role), hash);
  storage::admin_actor who;
  who.admin_id = a.id;
  who.username = a.username;
  {
    pqxx::work tx(conn);
    who.unit_id = tx.exec_params1("SELECT id FROM units WHERE code = $1", unit_code)[0].as<int>();
    tx.commit();
  }
  storage::set_own_admin_password(conn, who, hash, "");
  return a;
}

// Signs `a` in; its token, or "" (with a failed expectation).
inline std::string admin_login(std::uint16_t port, admin_account& a) {
  auto r = request(port, "POST", "/api/v1/admin/auth/login", json_header(),
                   R"({"username":")" + a.username + R"(","password":")" + a.password + "\"}");
  EXPECT_EQ(r.status, 200u) << r.body;
  simdjson::dom::parser p;
  std::string_view t;
  if (r.status != 200 || p.parse(r.body)["token"].get(t)) return "";
  a.token = std::string(t);
  return a.token;
}

}  // namespace zhiyuan::test
