// zhiyuan-dbctl: start, stop or locate the embedded PostgreSQL cluster without the server
// (test fixtures, operators inspecting var/pg with psql).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "storage/embedded_cluster.hpp"
#include "storage/migrate.hpp"

int main(int argc, char** argv) {
  using namespace zhiyuan::storage;
  CLI::App app{"zhiyuan-dbctl: manage the embedded PostgreSQL cluster"};
  embedded_options options;
  std::string var_dir = "var";
  app.add_option("--var-dir", var_dir, "directory holding pg/ (default: var)");
  app.add_option("--user", options.os_user, "OS account to run PostgreSQL as when root");
  app.require_subcommand(1);
  auto* start = app.add_subcommand("start", "create or reuse, start, migrate; leave running");
  auto* stop = app.add_subcommand("stop", "stop the cluster, whoever started it");
  auto* url = app.add_subcommand("url", "print the libpq connection string");
  CLI11_PARSE(app, argc, argv);
  options.var_dir = var_dir;
  try {
    embedded_cluster cluster(options);
    if (start->parsed()) {
      cluster.ensure_running();
      pqxx::connection conn(cluster.connection_string());
      const auto applied = migrate(conn);
      cluster.detach();
      std::printf("%s\n", cluster.connection_string().c_str());
      std::fprintf(stderr, "zhiyuan-dbctl: running, %zu migrations applied\n", applied.size());
    } else if (stop->parsed()) {
      cluster.stop_any();
    } else if (url->parsed()) {
      std::printf("%s\n", cluster.connection_string().c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zhiyuan-dbctl: %s\n", e.what());
    return 1;
  }
  return 0;
}
