#pragma once

// Admin accounts for integration tests: made through storage with a known password (the first
// login's change already done) and signed in over HTTP.

#include <simdjson.h>

#include <cstdint>
#include <string>

#include <pqxx/pqxx>

#include "core/admin.hpp"
#include "server/admin/context.hpp"
#include "storage/admin_store.hpp"
#include "tests/support/candidate_fixture.hpp"

namespace zhiyuan::test {

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
