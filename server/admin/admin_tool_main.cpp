// zhiyuan-admin: creates the first admission-office accounts (e.g. the province manager, who
// then creates everyone else through the admin API) and lists networks a unit may sign in from.
// Talks to the database directly; the server need not run.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "core/admin.hpp"
#include "server/admin/context.hpp"
#include "storage/admin_store.hpp"
#include "storage/embedded_cluster.hpp"

int main(int argc, char** argv) {
  using namespace zhiyuan;
  CLI::App app{"zhiyuan-admin: bootstrap admission-office accounts"};
  std::string url, var_dir = "var";
  app.add_option("--database-url", url, "PostgreSQL URI or conninfo (default: embedded cluster)");
  app.add_option("--var-dir", var_dir, "directory of the embedded cluster (default: var)");
  app.require_subcommand(1);
  auto* create = app.add_subcommand(
      "create", "create an account; prints its one-time password (changed at first sign-in)");
  std::string username, unit_code, role_code = "manager";
  create->add_option("--username", username, "user name (3-64 letters, digits, . _ -)")->required();
  create->add_option("--unit", unit_code, "the unit's code, e.g. the province's")->required();
  create->add_option("--role", role_code, "viewer, operator or manager (default: manager)");
  auto* allow = app.add_subcommand("allow-network",
                                   "let a network (CIDR) sign in to a unit's accounts and below");
  std::string network;
  allow->add_option("--unit", unit_code, "the unit's code")->required();
  allow->add_option("--network", network, "e.g. 10.43.0.0/16")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (url.empty()) {
      storage::embedded_options options;
      options.var_dir = var_dir;
      url = storage::embedded_cluster(options).connection_string();
    }
    if (create->parsed()) {
      const auto role = core::parse_admin_role(role_code);
      if (!role) throw std::runtime_error("--role: viewer, operator or manager");
      const std::string password = server::one_time_password();
      const auto id =
          storage::bootstrap_admin(url, username, unit_code, static_cast<std::int16_t>(*role),
                                   server::hash_password(password));
      if (id == 0) throw std::runtime_error("no unit with code " + unit_code);
      std::printf("admin_id=%d\nusername=%s\npassword=%s\n", id, username.c_str(),
                  password.c_str());
    } else if (allow->parsed()) {
      if (!storage::add_unit_network(url, unit_code, network)) {
        throw std::runtime_error("no unit with code " + unit_code + " (or already listed)");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zhiyuan-admin: %s\n", e.what());
    return 1;
  }
  return 0;
}
