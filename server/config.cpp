#include "server/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "server/http/client_address.hpp"

namespace zhiyuan::server {
namespace {

enum class kind { text, u16, uint, size, millis, micros, minutes, hours, i64, boolean };

// One configuration key: its name, documentation and where it lives in `config`.
// This table drives the TOML file, the environment, the command line, validation,
// the start-up log and --help, so a key is declared exactly once.
struct key_def {
  const char* name;
  const char* doc;
  kind type;
  void* (*field)(config&);
  bool secret = false;
};

template <auto Section, auto Member>
void* field_of(config& c) {
  return &((c.*Section).*Member);
}

const std::vector<key_def>& keys() {
  static const std::vector<key_def> k = {
      {"server.host", "address to listen on", kind::text,
       field_of<&config::server, &server_settings::host>},
      {"server.port", "TCP port (0: any free port)", kind::u16,
       field_of<&config::server, &server_settings::port>},
      {"server.io_threads", "I/O threads, each with its own io_context (0: one per core)",
       kind::uint, field_of<&config::server, &server_settings::io_threads>},
      {"server.io", "transport: auto (io_uring, else epoll), uring or epoll", kind::text,
       field_of<&config::server, &server_settings::io>},
      {"server.max_connections", "open connections at most, over all threads", kind::uint,
       field_of<&config::server, &server_settings::max_connections>},
      {"server.body_limit", "request body limit in bytes (413 above)", kind::size,
       field_of<&config::server, &server_settings::body_limit>},
      {"server.upload_limit", "body limit of admin uploads (documents, imports)", kind::size,
       field_of<&config::server, &server_settings::upload_limit>},
      {"server.web_root", "the built web app and /docs, served from memory (empty: none)",
       kind::text, field_of<&config::web, &web_settings::root>},
      {"server.cors_origins", "origins allowed to call the API cross-origin, comma-separated",
       kind::text, field_of<&config::web, &web_settings::cors_origins>},
      {"server.read_timeout_ms", "a started request must arrive whole within this", kind::millis,
       field_of<&config::server, &server_settings::read_timeout>},
      {"server.idle_timeout_ms", "a keep-alive connection idle this long is closed", kind::millis,
       field_of<&config::server, &server_settings::idle_timeout>},
      {"server.handler_timeout_ms",
       "a request read whole must be answered within this long, or its connection is cut "
       "(must exceed writer.deadline_ms)",
       kind::millis, field_of<&config::server, &server_settings::handler_timeout>},
      {"server.trusted_proxies",
       "CIDRs of proxies whose PROXY v2 header or X-Forwarded-For names the client (e.g. "
       "HAProxy's address); empty: the TCP peer is the client",
       kind::text, field_of<&config::server, &server_settings::trusted_proxies>},
      {"server.drain_delay_ms",
       "on SIGTERM, /readyz answers 503 this long before the "
       "listener closes",
       kind::millis, field_of<&config::server, &server_settings::drain_delay>},
      {"server.shutdown_timeout_ms", "after the drain delay, in-flight work gets this long",
       kind::millis, field_of<&config::server, &server_settings::shutdown_timeout>},
      {"database.url", "PostgreSQL URI or conninfo; empty: embedded cluster under var_dir",
       kind::text, field_of<&config::database, &database_settings::url>, true},
      {"database.var_dir", "directory of the embedded cluster (var_dir/pg)", kind::text,
       field_of<&config::database, &database_settings::var_dir>},
      {"database.embedded_user", "OS account the embedded cluster runs as when started as root",
       kind::text, field_of<&config::database, &database_settings::embedded_user>},
      {"database.pg_bin_dir", "PostgreSQL server binaries (empty: /usr/lib/postgresql/*/bin)",
       kind::text, field_of<&config::database, &database_settings::pg_bin_dir>},
      {"database.shared_buffers", "shared_buffers of the embedded cluster", kind::text,
       field_of<&config::database, &database_settings::shared_buffers>},
      {"database.app_role",
       "database user the server signs in as after migrating (zhiyuan_app of migration 0009; "
       "empty: the URL's own user)",
       kind::text, field_of<&config::database, &database_settings::app_role>},
      {"database.app_url",
       "the application role's own URI or conninfo (with its password); empty: database.url "
       "with user = database.app_role",
       kind::text, field_of<&config::database, &database_settings::app_url>, true},
      {"database.replica_url",
       "a standby's URI or conninfo (as the application role) for catalog reloads and office "
       "statistics, which may trail the primary by its replay lag; empty: the primary",
       kind::text, field_of<&config::database, &database_settings::replica_url>, true},
      {"database.health_interval_ms", "how often /readyz's database probe runs", kind::millis,
       field_of<&config::database, &database_settings::health_interval>},
      {"database.read_threads", "connections answering candidates' own-state queries", kind::uint,
       field_of<&config::database, &database_settings::read_threads>},
      {"database.read_queue", "queries waiting for a connection at most (503 beyond)", kind::size,
       field_of<&config::database, &database_settings::read_queue>},
      {"database.read_max_wait_ms",
       "a query that would wait longer for a connection gets 503 at once (0: off)", kind::millis,
       field_of<&config::database, &database_settings::read_max_wait>},
      {"filing.schedule_file", "the filing timetable (TOML, see config/schedule.toml)", kind::text,
       field_of<&config::filing, &filing_settings::schedule_file>},
      {"filing.clock_offset_seconds", "added to the clock for schedule decisions (rehearsals)",
       kind::i64, field_of<&config::filing, &filing_settings::clock_offset_seconds>},
      {"filing.schedule_refresh_seconds",
       "how often a node picks up a schedule changed through the admin API", kind::i64,
       field_of<&config::filing, &filing_settings::schedule_refresh_seconds>},
      {"writer.writers",
       "writer threads, one PostgreSQL connection each (0: one per four cores, at least one)",
       kind::uint, field_of<&config::writer, &writer_settings::writers>},
      {"writer.max_batch", "operations per transaction at most", kind::size,
       field_of<&config::writer, &writer_settings::max_batch>},
      {"writer.max_delay_us", "how long a busy writer lingers for a fuller batch", kind::micros,
       field_of<&config::writer, &writer_settings::max_delay>},
      {"writer.max_in_flight", "admitted, uncommitted writes at most (503 beyond)", kind::size,
       field_of<&config::writer, &writer_settings::max_in_flight>},
      {"writer.max_queue_per_writer", "queued writes per writer at most (503 beyond)", kind::size,
       field_of<&config::writer, &writer_settings::max_queue_per_writer>},
      {"writer.max_wait_ms",
       "a submission that would wait longer behind its writer's queue gets 503 at once; other "
       "writes at 3/4 of it, sign-ins at half (0: off)",
       kind::millis, field_of<&config::writer, &writer_settings::max_wait>},
      {"writer.deadline_ms", "a write not committed by then answers 503 (retry with its key)",
       kind::millis, field_of<&config::writer, &writer_settings::deadline>},
      {"auth.hash_threads", "threads hashing passwords (Argon2id), off the I/O threads", kind::uint,
       field_of<&config::auth, &auth_settings::hash_threads>},
      {"auth.hash_queue", "sign-ins waiting for a hashing thread at most (503 beyond)", kind::size,
       field_of<&config::auth, &auth_settings::hash_queue>},
      {"auth.hash_max_wait_ms",
       "a sign-in that would wait longer for a hashing thread gets 503 at once (0: off)",
       kind::millis, field_of<&config::auth, &auth_settings::hash_max_wait>},
      {"auth.hash_nice",
       "the hashing threads' nice value (0-19): sign-ins give way under load (above 0, "
       "one more thread at normal priority takes submissions' save-password checks)",
       kind::uint, field_of<&config::auth, &auth_settings::hash_nice>},
      {"auth.session_idle_minutes", "a session unused this long expires", kind::minutes,
       field_of<&config::auth, &auth_settings::session_idle>},
      {"auth.session_absolute_hours", "a session expires this long after sign-in", kind::hours,
       field_of<&config::auth, &auth_settings::session_absolute>},
      {"auth.save_password_memo_minutes",
       "a verified save password is remembered by the session this long", kind::minutes,
       field_of<&config::auth, &auth_settings::save_password_memo>},
      {"auth.login_ip_per_minute", "sign-in attempts per client address and minute", kind::uint,
       field_of<&config::auth, &auth_settings::login_ip_per_minute>},
      {"auth.login_failures_per_address",
       "wrong passwords per client address over all accounts before it waits", kind::uint,
       field_of<&config::auth, &auth_settings::login_failures_per_address>},
      {"auth.common_passwords_file",
       "passwords nobody may choose, one per line (empty: the shipped list)", kind::text,
       field_of<&config::auth, &auth_settings::common_passwords_file>},
      {"auth.receipt_key_file",
       "Ed25519 key signing receipts, created when missing (empty: var_dir/receipt.key)",
       kind::text, field_of<&config::auth, &auth_settings::receipt_key_file>},
      {"admin.trusted_networks",
       "CIDRs (comma-separated) every admin account may sign in from; units add their own",
       kind::text, field_of<&config::admin, &admin_settings::trusted_networks>},
      {"admin.session_idle_seconds", "an admin session unused this long ends", kind::i64,
       field_of<&config::admin, &admin_settings::session_idle_seconds>},
      {"admin.login_ip_per_minute", "admin sign-in attempts per client address and minute",
       kind::uint, field_of<&config::admin, &admin_settings::login_ip_per_minute>},
      {"admin.export_page_rows", "rows per database round trip of a streamed CSV export",
       kind::size, field_of<&config::admin, &admin_settings::export_page_rows>},
      {"admin.reminder_interval_seconds", "one reminder per unit and batch per this many seconds",
       kind::i64, field_of<&config::admin, &admin_settings::reminder_interval_seconds>},
      {"admin.document_max_bytes", "a published document at most (413 above)", kind::size,
       field_of<&config::admin, &admin_settings::document_max_bytes>},
      {"admin.import_max_bytes", "a CSV import at most (413 above)", kind::size,
       field_of<&config::admin, &admin_settings::import_max_bytes>},
      {"admin.import_max_rows", "data rows of a CSV import at most", kind::size,
       field_of<&config::admin, &admin_settings::import_max_rows>},
      {"log.level", "trace, debug, info, warn, error or critical", kind::text,
       field_of<&config::log, &log_settings::level>},
      {"log.access", "log one line per request", kind::boolean,
       field_of<&config::log, &log_settings::access>},
  };
  return k;
}

std::uint64_t parse_uint(const std::string& key, std::string_view s, std::uint64_t max) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) {
    throw config_error(key, "'" + std::string(s) + "' is not a non-negative integer");
  }
  if (v > max) throw config_error(key, std::to_string(v) + " is above " + std::to_string(max));
  return v;
}

void assign(const key_def& k, config& c, std::string_view raw) {
  void* f = k.field(c);
  const std::string key = k.name;
  switch (k.type) {
    case kind::text:
      *static_cast<std::string*>(f) = std::string(raw);
      break;
    case kind::u16:
      *static_cast<std::uint16_t*>(f) = static_cast<std::uint16_t>(parse_uint(key, raw, 65535));
      break;
    case kind::uint:
      *static_cast<unsigned*>(f) = static_cast<unsigned>(parse_uint(key, raw, 1u << 30));
      break;
    case kind::size:
      *static_cast<std::size_t*>(f) = parse_uint(key, raw, 1ull << 40);
      break;
    case kind::millis:
      *static_cast<std::chrono::milliseconds*>(f) =
          std::chrono::milliseconds(parse_uint(key, raw, 24ull * 3600 * 1000));
      break;
    case kind::micros:
      *static_cast<std::chrono::microseconds*>(f) =
          std::chrono::microseconds(parse_uint(key, raw, 10'000'000));
      break;
    case kind::minutes:
      *static_cast<std::chrono::minutes*>(f) =
          std::chrono::minutes(parse_uint(key, raw, 7 * 24 * 60));
      break;
    case kind::hours:
      *static_cast<std::chrono::hours*>(f) = std::chrono::hours(parse_uint(key, raw, 7 * 24));
      break;
    case kind::i64: {
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
      if (ec != std::errc{} || p != raw.data() + raw.size() || raw.empty()) {
        throw config_error(key, "'" + std::string(raw) + "' is not an integer");
      }
      *static_cast<std::int64_t*>(f) = v;
      break;
    }
    case kind::boolean:
      if (raw == "true" || raw == "1" || raw == "yes" || raw == "on") {
        *static_cast<bool*>(f) = true;
      } else if (raw == "false" || raw == "0" || raw == "no" || raw == "off") {
        *static_cast<bool*>(f) = false;
      } else {
        throw config_error(key, "'" + std::string(raw) + "' is not a boolean");
      }
      break;
  }
}

std::string render(const key_def& k, config& c) {
  void* f = k.field(c);
  switch (k.type) {
    case kind::text:
      return *static_cast<std::string*>(f);
    case kind::u16:
      return std::to_string(*static_cast<std::uint16_t*>(f));
    case kind::uint:
      return std::to_string(*static_cast<unsigned*>(f));
    case kind::size:
      return std::to_string(*static_cast<std::size_t*>(f));
    case kind::millis:
      return std::to_string(static_cast<std::chrono::milliseconds*>(f)->count());
    case kind::micros:
      return std::to_string(static_cast<std::chrono::microseconds*>(f)->count());
    case kind::minutes:
      return std::to_string(static_cast<std::chrono::minutes*>(f)->count());
    case kind::hours:
      return std::to_string(static_cast<std::chrono::hours*>(f)->count());
    case kind::i64:
      return std::to_string(*static_cast<std::int64_t*>(f));
    case kind::boolean:
      return *static_cast<bool*>(f) ? "true" : "false";
  }
  return {};
}

// A TOML value as the string form `assign` takes, checking that its TOML type fits.
std::string toml_scalar(const key_def& k, const toml::node& n) {
  if (k.type == kind::text) {
    if (auto s = n.value<std::string>()) return *s;
    throw config_error(k.name, "must be a string");
  }
  if (k.type == kind::boolean) {
    if (auto b = n.value<bool>()) return *b ? "true" : "false";
    throw config_error(k.name, "must be true or false");
  }
  if (n.is_integer()) {
    auto v = *n.value<std::int64_t>();
    if (v < 0 && k.type != kind::i64) throw config_error(k.name, "must not be negative");
    return std::to_string(v);
  }
  throw config_error(k.name, "must be an integer");
}

void apply_file(config& c, const config_sources& src) {
  if (src.file_text.empty()) return;
  toml::table root;
  try {
    root = toml::parse(src.file_text, src.file_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << e.description() << " at line " << e.source().begin.line;
    throw config_error(src.file_name, msg.str());
  }
  std::set<std::string> known;
  for (const auto& k : keys()) known.insert(k.name);
  // Unknown keys are errors: a typo must not silently fall back to a default.
  for (auto&& [section, node] : root) {
    const auto* tbl = node.as_table();
    if (tbl == nullptr) throw config_error(std::string(section.str()), "unknown key");
    for (auto&& [key, value] : *tbl) {
      std::string full = std::string(section.str()) + "." + std::string(key.str());
      if (known.count(full) == 0) throw config_error(full, "unknown key");
    }
  }
  for (const auto& k : keys()) {
    auto node = root.at_path(k.name);
    if (node) assign(k, c, toml_scalar(k, *node.node()));
  }
}

std::string env_name(std::string_view key) {
  std::string out = "ZHIYUAN_";
  for (char ch : key) {
    out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return out;
}

// Variables the server itself does not read but the build's tools do (tests, benchmarks).
bool tool_variable(std::string_view name) {
  static constexpr std::string_view prefixes[] = {
      "ZHIYUAN_CONFIG", "ZHIYUAN_BUILD_DIR",     "ZHIYUAN_IO",        "ZHIYUAN_TEST_",
      "ZHIYUAN_BENCH_", "ZHIYUAN_STORAGE_TEST_", "ZHIYUAN_LOADTEST_", "ZHIYUAN_DEMO_"};
  for (auto p : prefixes) {
    if (name == p || (p.back() == '_' && name.rfind(p, 0) == 0)) return true;
  }
  return false;
}

// Unknown ZHIYUAN_* variables are errors like unknown keys: a typo in a unit file must stop
// the start instead of silently leaving the default in force.
void check_env_names(const std::vector<std::string>& names) {
  std::set<std::string> known;
  for (const auto& k : keys()) known.insert(env_name(k.name));
  for (const auto& n : names) {
    if (known.count(n) == 0 && !tool_variable(n)) {
      throw config_error(n, "unknown environment variable (no such configuration key)");
    }
  }
}

void validate(const config& c) {
  const auto& s = c.server;
  if (s.host.empty()) throw config_error("server.host", "must not be empty");
  if (s.io_threads > 256) throw config_error("server.io_threads", "at most 256");
  if (s.io != "auto" && s.io != "uring" && s.io != "epoll") {
    throw config_error("server.io", "must be auto, uring or epoll");
  }
  if (s.max_connections == 0) throw config_error("server.max_connections", "must be at least 1");
  if (s.body_limit < 1024 || s.body_limit > 64ull * 1024 * 1024) {
    throw config_error("server.body_limit", "must be between 1024 and 67108864 bytes");
  }
  if (s.read_timeout.count() == 0) throw config_error("server.read_timeout_ms", "must be > 0");
  try {
    network_list{s.trusted_proxies};
  } catch (const std::invalid_argument& e) {
    throw config_error("server.trusted_proxies", e.what());
  }
  if (s.idle_timeout.count() == 0) throw config_error("server.idle_timeout_ms", "must be > 0");
  if (s.shutdown_timeout.count() == 0) {
    throw config_error("server.shutdown_timeout_ms", "must be > 0");
  }
  const auto& d = c.database;
  if (!d.url.empty() && d.url.rfind("postgres://", 0) != 0 &&
      d.url.rfind("postgresql://", 0) != 0 && d.url.find('=') == std::string::npos) {
    throw config_error("database.url", "must be a postgresql:// URI or a key=value conninfo");
  }
  if (d.app_role.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    throw config_error("database.app_role", "only a-z, 0-9 and _");
  }
  if (d.url.empty() && d.var_dir.empty()) {
    throw config_error("database.var_dir", "must not be empty when database.url is empty");
  }
  if (d.health_interval.count() < 50) {
    throw config_error("database.health_interval_ms", "must be at least 50");
  }
  const auto& w = c.writer;
  if (w.writers > 64) throw config_error("writer.writers", "at most 64");
  if (w.max_batch == 0 || w.max_batch > 10'000) {
    throw config_error("writer.max_batch", "between 1 and 10000");
  }
  if (w.max_in_flight == 0) throw config_error("writer.max_in_flight", "must be at least 1");
  if (w.max_queue_per_writer == 0) {
    throw config_error("writer.max_queue_per_writer", "must be at least 1");
  }
  if (w.deadline.count() < 100) throw config_error("writer.deadline_ms", "at least 100");
  if (s.handler_timeout <= w.deadline) {
    throw config_error("server.handler_timeout_ms", "must exceed writer.deadline_ms");
  }
  if (c.auth.hash_threads == 0 || c.auth.hash_threads > 256) {
    throw config_error("auth.hash_threads", "between 1 and 256");
  }
  if (c.auth.hash_queue == 0) throw config_error("auth.hash_queue", "must be at least 1");
  if (c.auth.hash_nice > 19) throw config_error("auth.hash_nice", "between 0 and 19");
  if (c.auth.login_ip_per_minute == 0) {
    throw config_error("auth.login_ip_per_minute", "must be at least 1");
  }
  if (c.auth.login_failures_per_address == 0) {
    throw config_error("auth.login_failures_per_address", "must be at least 1");
  }
  if (c.database.read_threads == 0 || c.database.read_threads > 256) {
    throw config_error("database.read_threads", "between 1 and 256");
  }
  if (c.database.read_queue == 0) throw config_error("database.read_queue", "must be at least 1");
  if (c.filing.schedule_file.empty()) throw config_error("filing.schedule_file", "must be set");
  for (const auto& n : split_networks(c.admin.trusted_networks)) {
    static const std::regex cidr(
        R"(^([0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*/[0-9]{1,3})$)");
    if (!std::regex_match(n, cidr)) {
      throw config_error("admin.trusted_networks", "'" + n + "' is not a CIDR such as 10.0.0.0/8");
    }
  }
  if (c.admin.session_idle_seconds < 1) {
    throw config_error("admin.session_idle_seconds", "must be at least 1");
  }
  if (c.admin.login_ip_per_minute == 0) {
    throw config_error("admin.login_ip_per_minute", "must be at least 1");
  }
  if (c.admin.reminder_interval_seconds < 0) {
    throw config_error("admin.reminder_interval_seconds", "must not be negative");
  }
  if (c.admin.import_max_rows == 0 || c.admin.import_max_rows > 1'000'000) {
    throw config_error("admin.import_max_rows", "between 1 and 1000000");
  }
  if (c.filing.schedule_refresh_seconds < 1) {
    throw config_error("filing.schedule_refresh_seconds", "must be at least 1");
  }
  if (c.admin.export_page_rows == 0 || c.admin.export_page_rows > 100'000) {
    throw config_error("admin.export_page_rows", "between 1 and 100000");
  }
  static const std::set<std::string> levels = {"trace", "debug", "info",
                                               "warn",  "error", "critical"};
  if (levels.count(c.log.level) == 0) {
    throw config_error("log.level", "must be one of trace, debug, info, warn, error, critical");
  }
}

// Hides the password of a URI (user:secret@) or a conninfo (password=secret).
std::string redact_url(const std::string& url) {
  static const std::regex uri(R"(^(postgres(?:ql)?://[^:/@]*:)[^@]*@)");
  static const std::regex kv(R"((password\s*=\s*)('[^']*'|\S+))");
  std::string out = std::regex_replace(url, uri, "$1***@");
  return std::regex_replace(out, kv, "$1***");
}

}  // namespace

std::vector<std::string> split_networks(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const auto comma = std::min(text.find(',', at), text.size());
    std::string item = text.substr(at, comma - at);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(std::move(item));
    at = comma + 1;
  }
  return out;
}

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

std::vector<std::string> process_environment_names() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.rfind("ZHIYUAN_", 0) == 0) out.emplace_back(entry.substr(0, entry.find('=')));
  }
  return out;
}

config resolve_config(const config_sources& src) {
  config c;
  c.config_file = src.file_name;
  apply_file(c, src);
  check_env_names(src.env_names);
  if (src.env) {
    for (const auto& k : keys()) {
      if (auto v = src.env(env_name(k.name))) assign(k, c, *v);
    }
  }
  // Not a structured binding: clang 14 (the fuzz and TSan builds) cannot capture one.
  for (const auto& entry : src.overrides) {
    const auto& name = entry.first;
    auto it = std::find_if(keys().begin(), keys().end(),
                           [&](const key_def& k) { return name == k.name; });
    if (it == keys().end()) throw config_error(name, "unknown key");
    assign(*it, c, entry.second);
  }
  validate(c);
  return c;
}

std::optional<config> load_config(int argc, char** argv) {
  CLI::App app{"zhiyuan-server: online college-application filing"};
  std::string file;
  app.add_option("-c,--config", file, "TOML configuration file (default: none)");
  std::map<std::string, std::string> overrides;
  // Storage for CLI values: CLI11 binds each option to a string, copied after parsing.
  std::vector<std::pair<std::string, std::string>> values(keys().size());
  std::vector<CLI::Option*> opts;
  for (std::size_t i = 0; i < keys().size(); ++i) {
    values[i].first = keys()[i].name;
    opts.push_back(
        app.add_option(std::string("--") + keys()[i].name, values[i].second,
                       std::string(keys()[i].doc) + " [env " + env_name(keys()[i].name) + "]")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    throw config_error("command line", e.what());
  }
  for (std::size_t i = 0; i < opts.size(); ++i) {
    if (opts[i]->count() > 0) overrides[values[i].first] = values[i].second;
  }
  config_sources src;
  src.env = process_environment();
  src.env_names = process_environment_names();
  if (file.empty()) {
    if (auto v = src.env("ZHIYUAN_CONFIG")) file = *v;
  }
  if (!file.empty()) {
    src.file_text = read_text_file(file, "--config");
    src.file_name = file;
  }
  src.overrides = std::move(overrides);
  return resolve_config(src);
}

std::string read_text_file(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) throw config_error(key, "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::pair<std::string, std::string>> describe(const config& c) {
  config copy = c;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : keys()) {
    std::string v = render(k, copy);
    if (k.secret) v = redact_url(v);
    out.emplace_back(k.name, std::move(v));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> documented_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : keys()) out.emplace_back(k.name, k.doc);
  return out;
}

}  // namespace zhiyuan::server
