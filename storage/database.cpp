#include "storage/database.hpp"

#include <pqxx/pqxx>

#include "storage/migrate.hpp"
#include "storage/sql/database.hpp"

namespace zhiyuan::storage {

database::database(database_config config) {
  if (config.url.empty()) {
    cluster_ = std::make_unique<embedded_cluster>(std::move(config.embedded));
    cluster_->ensure_running();
    conninfo_ = cluster_->connection_string();
  } else {
    conninfo_ = std::move(config.url);
  }
}

database::~database() = default;

std::string with_parameter(const std::string& conninfo, const std::string& key,
                           const std::string& value) {
  if (conninfo.rfind("postgres://", 0) == 0 || conninfo.rfind("postgresql://", 0) == 0) {
    return conninfo + (conninfo.find('?') == std::string::npos ? '?' : '&') + key + "=" + value;
  }
  return conninfo + " " + key + "=" + value;
}

std::string as_user(const std::string& conninfo, const std::string& user) {
  if (user.empty()) return conninfo;
  return with_parameter(conninfo, "user", user);
}

std::size_t database::migrate() {
  pqxx::connection conn(conninfo_);
  return storage::migrate(conn).size();
}

void database::stop() {
  if (cluster_) cluster_->stop();
}

health_monitor::health_monitor(std::string conninfo, std::chrono::milliseconds interval)
    : conninfo_(std::move(conninfo)), interval_(interval) {
  thread_ = std::thread([this] { run(); });
}

health_monitor::~health_monitor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool health_monitor::probe_now() {
  bool ok = false;
  try {
    // A fresh connection each time: a probe must notice a restarted server and must not
    // hold a backend open between probes.
    pqxx::connection conn(with_parameter(conninfo_, "connect_timeout", "2"));
    pqxx::nontransaction tx(conn);
    tx.exec(sql::ping);
    ok = true;
  } catch (const std::exception&) {
    ok = false;
  }
  reachable_.store(ok, std::memory_order_relaxed);
  return ok;
}

void health_monitor::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    probe_now();
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace zhiyuan::storage
