#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/http/settings.hpp"

namespace zhiyuan::server {

/// Where the data lives. An empty url means the embedded cluster under var_dir.
struct database_settings {
  std::string url;
  std::string var_dir = "var";
  std::string embedded_user = "postgres";
  std::string pg_bin_dir;
  std::string shared_buffers = "512MB";
  /// The user the server signs in as after migrating (storage::as_user on the URL); empty: the
  /// URL's own. `app_url`, when set, is used as it is instead (a role with its own password).
  std::string app_role = "zhiyuan_app";
  std::string app_url;
  /// A read-only standby (libpq URI or conninfo) for reads that may trail the primary by its
  /// replay lag: catalog reloads and office statistics. Empty: everything reads the primary.
  std::string replica_url;
  std::chrono::milliseconds health_interval{1'000};
  unsigned read_threads = 4;        ///< connections serving candidates' own-state queries
  std::size_t read_queue = 10'000;  ///< queued queries at most (503 beyond)
  /// A query that would wait longer than this for a connection gets 503 at once (0: off).
  std::chrono::milliseconds read_max_wait{20};
};

/// The filing rules' inputs.
struct filing_settings {
  std::string schedule_file = "config/schedule.toml";
  /// Added to the system clock for every schedule decision: rehearse filing day at any date.
  std::int64_t clock_offset_seconds = 0;
  /// How often a node looks for a schedule changed through the admin API (on another node).
  std::int64_t schedule_refresh_seconds = 5;
};

/// The durable write path (storage::write_path_options).
struct writer_settings {
  unsigned writers = 0;  ///< 0: one per four cores, at least one
  std::size_t max_batch = 512;
  std::chrono::microseconds max_delay{0};
  std::size_t max_in_flight = 100'000;
  std::size_t max_queue_per_writer = 50'000;
  /// A submission that would wait longer than this behind the writes queued on its writer gets
  /// 503 at once; other writes at 3/4 of it, sign-ins at half (core::class_budget_us; 0: off).
  std::chrono::milliseconds max_wait{20};
  std::chrono::milliseconds deadline{10'000};  ///< a write not committed by then gets 503
};

/// Sign-in: the Argon2id pool and sessions.
struct auth_settings {
  unsigned hash_threads = 1;
  std::size_t hash_queue = 256;
  /// A sign-in that would wait longer than this for a hashing thread gets 503 at once (0: off).
  std::chrono::milliseconds hash_max_wait{250};
  /// The hashing threads' nice value: under overload the I/O threads, writers and PostgreSQL
  /// get the CPU first, and sign-ins (retried later) give way.
  unsigned hash_nice = 10;
  std::chrono::minutes session_idle{20};
  std::chrono::hours session_absolute{8};
  std::chrono::minutes save_password_memo{10};  ///< a verified save password is remembered
  unsigned login_ip_per_minute = 600;           ///< sign-in attempts per client address
  /// Wrong passwords per client address, whatever the accounts, before it waits (refilled at a
  /// sixth of it per minute; core::sign_in_policy, fleet-wide).
  unsigned login_failures_per_address = 60;
  std::string common_passwords_file;  ///< refused passwords; empty: the list shipped inside
  std::string receipt_key_file;  ///< Ed25519 key, created when missing; empty: var_dir/receipt.key
};

/// The admission offices' API.
struct admin_settings {
  /// CIDRs every admin account may sign in from, comma-separated (units add their own).
  std::string trusted_networks = "127.0.0.0/8,::1/128";
  std::int64_t session_idle_seconds = 15 * 60;
  unsigned login_ip_per_minute = 60;              ///< admin sign-in attempts per client address
  std::size_t export_page_rows = 2000;            ///< rows per database round trip of a CSV export
  std::int64_t reminder_interval_seconds = 1800;  ///< one reminder per unit and batch per this
  std::size_t document_max_bytes = 4u << 20;      ///< a published document at most (413)
  std::size_t import_max_bytes = 8u << 20;        ///< a CSV import at most (413)
  std::size_t import_max_rows = 100'000;          ///< data rows of a CSV import at most (422)
};

/// The trusted networks of `admin.trusted_networks` as a list.
std::vector<std::string> split_networks(const std::string& text);

struct log_settings {
  std::string level = "info";
  bool access = false;  ///< one line per request; off by default (volume at peak)
};

/// The effective configuration: defaults < config file < environment < command line.
/// The hosted web app (server/web/).
struct web_settings {
  /// The built app and /docs, served from memory; empty or absent: no files, the API only.
  std::string root = "web/dist";
  /// Browser origins allowed to call the API from elsewhere ("https://a.example, ..."); empty:
  /// none (the app served from web_root is same-origin and needs none).
  std::string cors_origins;
};

struct config {
  std::string config_file;
  server_settings server;
  web_settings web;
  database_settings database;
  filing_settings filing;
  writer_settings writer;
  auth_settings auth;
  admin_settings admin;
  log_settings log;
};

/// A configuration value that cannot be used; `key` names it as `section.key`.
class config_error : public std::runtime_error {
 public:
  config_error(std::string key, const std::string& message)
      : std::runtime_error(key + ": " + message), key_(std::move(key)) {}
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

/// Environment lookup, injectable for tests.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;
env_lookup process_environment();
/// The names of the ZHIYUAN_* variables of this process's environment.
std::vector<std::string> process_environment_names();

/// Sources of configuration, lowest precedence first.
struct config_sources {
  std::string file_text;  ///< TOML text of the config file (may be empty)
  std::string file_name;  ///< for messages
  env_lookup env;         ///< ZHIYUAN_<SECTION>_<KEY>
  /// Every ZHIYUAN_* name set in the environment: a name that is no key is an error.
  std::vector<std::string> env_names;
  std::map<std::string, std::string> overrides;  ///< "section.key" → value (command line)
};

/// Builds and validates the configuration; throws config_error naming the bad key.
config resolve_config(const config_sources& sources);

/// Parses argv (`--config FILE`, `--section.key VALUE` for every key, `--help`), reads the
/// file and the environment, and resolves. Returns nullopt when `--help` was printed.
/// Throws config_error or CLI parse errors with a message for the operator.
std::optional<config> load_config(int argc, char** argv);

/// The whole text of a file named by configuration key `key`; throws config_error naming the
/// key when it cannot be read.
std::string read_text_file(const std::string& path, const std::string& key);

/// config/common-passwords.txt as shipped, compiled into the binary.
std::string_view shipped_common_passwords();

/// Every key with its effective value, secrets redacted, for the start-up log.
std::vector<std::pair<std::string, std::string>> describe(const config& c);

/// Every key: name, one-line documentation (used for --help and the README check).
std::vector<std::pair<std::string, std::string>> documented_keys();

}  // namespace zhiyuan::server
