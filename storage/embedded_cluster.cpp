#include "storage/embedded_cluster.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <pqxx/pqxx>

namespace zhiyuan::storage {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// The account PostgreSQL runs as. PostgreSQL refuses to run as root, so a root process
// drops to `os_user` in the child it forks for initdb/pg_ctl.
struct os_account {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

os_account resolve_account(const std::string& name) {
  os_account a;
  if (geteuid() != 0) return a;
  const passwd* pw = getpwnam(name.c_str());
  if (pw == nullptr) {
    fail(
        fmt::format("database.embedded_user '{}' does not exist; PostgreSQL cannot run as "
                    "root (create the user, or install postgresql which creates 'postgres')",
                    name));
  }
  a.switch_user = true;
  a.uid = pw->pw_uid;
  a.gid = pw->pw_gid;
  return a;
}

// Runs argv as `account`, with stdout/stderr appended to `log`; returns the exit status.
int run(const os_account& account, const std::vector<std::string>& argv, const fs::path& log) {
  pid_t pid = fork();
  if (pid < 0) fail(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (account.switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(account.gid) != 0 || setuid(account.uid) != 0) {
        _exit(126);
      }
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail(fmt::format("waitpid failed: {}", std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

fs::path find_bin_dir(const fs::path& configured) {
  if (!configured.empty()) {
    if (!fs::exists(configured / "pg_ctl")) {
      fail(fmt::format("database.pg_bin_dir '{}' has no pg_ctl", configured.string()));
    }
    return configured;
  }
  for (const char* v : {"17", "16", "15"}) {
    fs::path p = fs::path("/usr/lib/postgresql") / v / "bin";
    if (fs::exists(p / "pg_ctl") && fs::exists(p / "initdb")) return p;
  }
  fail(
      "no PostgreSQL server binaries found under /usr/lib/postgresql/*/bin; install "
      "postgresql-15 (the README's commands do)");
}

// Whether `account` can reach `dir` (every parent must be searchable by it).
bool reachable_by(const os_account& account, const fs::path& dir) {
  if (!account.switch_user) return true;
  return run(account, {"/usr/bin/test", "-x", dir.string()}, "/dev/null") == 0;
}

// An exclusive lock on a file, held for the lifetime of the object.
class file_lock {
 public:
  explicit file_lock(const fs::path& path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) fail(fmt::format("cannot open lock {}: {}", path.string(), std::strerror(errno)));
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR)
        fail(fmt::format("cannot lock {}: {}", path.string(), std::strerror(errno)));
    }
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  ~file_lock() { close(fd_); }

 private:
  int fd_ = -1;
};

void chown_tree(const fs::path& p, const os_account& a) {
  if (!a.switch_user) return;
  if (chown(p.c_str(), a.uid, a.gid) != 0) {
    fail(fmt::format("cannot chown {}: {}", p.string(), std::strerror(errno)));
  }
}

// Settings for a write-heavy filing workload. Durability is not negotiable:
// synchronous_commit, fsync and full_page_writes stay on; throughput comes from the
// application's group commit, not from weakening COMMIT.
std::string server_settings(const embedded_options& o, const fs::path& socket_dir) {
  return fmt::format(
      "# Written by zhiyuan (storage/embedded_cluster.cpp); edits are overwritten.\n"
      "listen_addresses = ''\n"
      "unix_socket_directories = '{}'\n"
      "unix_socket_permissions = 0700\n"
      "max_connections = {}\n"
      "shared_buffers = {}\n"
      "synchronous_commit = on\n"
      "fsync = on\n"
      "full_page_writes = on\n"
      "wal_level = replica\n"
      "wal_compression = lz4\n"
      "wal_buffers = 16MB\n"
      "max_wal_size = 8GB\n"
      "min_wal_size = 1GB\n"
      "checkpoint_timeout = 15min\n"
      "checkpoint_completion_target = 0.9\n"
      "work_mem = 16MB\n"
      "maintenance_work_mem = 512MB\n"
      "effective_cache_size = 4GB\n"
      "random_page_cost = 1.1\n"
      "effective_io_concurrency = 64\n"
      "idle_in_transaction_session_timeout = 60s\n"
      "log_min_duration_statement = 1000\n"
      "log_line_prefix = '%m [%p] %q%u@%d '\n"
      "timezone = 'UTC'\n",
      socket_dir.string(), o.max_connections, o.shared_buffers);
}

}  // namespace

embedded_cluster::embedded_cluster(embedded_options options) : options_(std::move(options)) {
  root_ = fs::absolute(options_.var_dir / "pg").lexically_normal();
  data_dir_ = root_ / "data";
  socket_dir_ = root_ / "run";
  resolve_root();
}

void embedded_cluster::resolve_root() {
  if (!fs::is_symlink(root_)) return;
  root_ = fs::canonical(root_);
  data_dir_ = root_ / "data";
  socket_dir_ = root_ / "run";
}

embedded_cluster::~embedded_cluster() {
  try {
    stop();
  } catch (...) {
    // Destructors must not throw; stop() already logged to the cluster log.
  }
}

void embedded_cluster::ensure_running() {
  const os_account account = resolve_account(options_.os_user);
  bin_dir_ = find_bin_dir(options_.bin_dir);

  fs::create_directories(options_.var_dir);
  // If the unprivileged account cannot reach var/ (e.g. the clone sits under root's private
  // home directory), keep the cluster where it can and link it from var/pg.
  if (!fs::is_symlink(root_) && !fs::exists(root_) && !reachable_by(account, options_.var_dir)) {
    const fs::path target = fs::path("/var/lib/zhiyuan/clusters") /
                            fmt::format("{:016x}", std::hash<std::string>{}(root_.string()));
    fs::create_directories(target);
    fs::create_directory_symlink(target, root_);
  }
  resolve_root();
  fs::create_directories(root_);
  chown_tree(root_, account);
  file_lock lock(root_ / "start.lock");

  if (!fs::exists(data_dir_ / "PG_VERSION")) init_cluster();
  fs::create_directories(socket_dir_);
  chown_tree(socket_dir_, account);
  fs::permissions(socket_dir_, fs::perms::owner_all, fs::perm_options::replace);

  // Settings are rewritten on every start so that upgrades of zhiyuan apply them.
  {
    std::ofstream conf(data_dir_ / "zhiyuan.conf", std::ios::trunc);
    conf << server_settings(options_, socket_dir_);
  }
  chown_tree(data_dir_ / "zhiyuan.conf", account);

  if (!is_running()) {
    const fs::path log = root_ / "postgresql.log";
    if (!fs::exists(log)) {
      std::ofstream{log};
      chown_tree(log, account);
    }
    int rc = run(account,
                 {(bin_dir_ / "pg_ctl").string(), "start", "-w", "-D", data_dir_.string(), "-t",
                  std::to_string(options_.start_timeout_seconds), "-l", log.string()},
                 log);
    if (rc != 0) fail(fmt::format("pg_ctl start failed (exit {}); see {}", rc, log.string()));
    started_by_us_ = true;
  }
  create_database();
}

void embedded_cluster::init_cluster() {
  const os_account account = resolve_account(options_.os_user);
  const fs::path log = root_ / "initdb.log";
  fs::create_directories(data_dir_);
  chown_tree(data_dir_, account);
  fs::permissions(data_dir_, fs::perms::owner_all, fs::perm_options::replace);
  // Trust on the Unix socket only: the socket directory is private (0700), so only this
  // machine's root and the cluster's own account can connect.
  int rc = run(account,
               {(bin_dir_ / "initdb").string(), "-D", data_dir_.string(), "-U", "postgres",
                "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--locale=C.UTF-8",
                "--no-instructions"},
               log);
  if (rc != 0) fail(fmt::format("initdb failed (exit {}); see {}", rc, log.string()));
  std::ofstream conf(data_dir_ / "postgresql.conf", std::ios::app);
  conf << "\ninclude_if_exists = 'zhiyuan.conf'\n";
}

bool embedded_cluster::is_running() const {
  const os_account account = resolve_account(options_.os_user);
  // pg_ctl status: 0 running, 3 not running, 4 no data directory.
  return run(account, {(bin_dir_ / "pg_ctl").string(), "status", "-D", data_dir_.string()},
             "/dev/null") == 0;
}

void embedded_cluster::create_database() {
  // The server may accept connections a moment after pg_ctl -w returns when another
  // process started it; retry briefly.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.start_timeout_seconds);
  for (;;) {
    try {
      pqxx::connection admin(admin_connection_string());
      pqxx::nontransaction tx(admin);
      auto r = tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", options_.database);
      if (r.empty()) {
        try {
          tx.exec("CREATE DATABASE " + tx.quote_name(options_.database));
        } catch (const pqxx::sql_error& e) {
          // Another process created it between our check and our CREATE.
          if (e.sqlstate() != "42P04") throw;
        }
      }
      return;
    } catch (const pqxx::broken_connection&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void embedded_cluster::stop() {
  if (!started_by_us_) return;
  started_by_us_ = false;
  const os_account account = resolve_account(options_.os_user);
  run(account,
      {(bin_dir_ / "pg_ctl").string(), "stop", "-w", "-m", "fast", "-D", data_dir_.string()},
      root_ / "postgresql.log");
}

void embedded_cluster::stop_any() {
  bin_dir_ = find_bin_dir(options_.bin_dir);
  if (!fs::exists(data_dir_ / "PG_VERSION") || !is_running()) return;
  started_by_us_ = true;
  stop();
}

std::string embedded_cluster::connection_string() const {
  return fmt::format("host={} dbname={} user=postgres application_name=zhiyuan",
                     socket_dir_.string(), options_.database);
}

std::string embedded_cluster::admin_connection_string() const {
  return fmt::format("host={} dbname=postgres user=postgres application_name=zhiyuan",
                     socket_dir_.string());
}

}  // namespace zhiyuan::storage
