#include "task_connection.h"

#include <pqxx/pqxx>

#include "log.h"
#include "migrate.h"
#include "pg_connect.h"

namespace roomtemp {

pqxx::connection* TaskConnection::get() {
  if (cancelled_) return nullptr;
  const auto config = config_.get();
  if (conn_ && conn_->is_open() && dsn_ == config->postgres.dsn) return conn_.get();
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = pg_connect(config->postgres);
    if (!missing_migrations(*conn).empty()) conn.reset();
  } catch (const std::exception& e) {
    component_log(component_)->debug("PostgreSQL not usable: {}", one_line(e.what()));
    conn.reset();
  }
  std::lock_guard lock(mutex_);
  conn_ = std::move(conn);
  dsn_ = config->postgres.dsn;
  return conn_.get();
}

void TaskConnection::reset() {
  std::lock_guard lock(mutex_);
  conn_.reset();
}

void TaskConnection::cancel() {
  cancelled_ = true;
  std::lock_guard lock(mutex_);
  if (!conn_) return;
  try {
    conn_->cancel_query();
  } catch (const std::exception&) {
    // Nothing was running, or the connection is gone: nothing to wait for either way.
  }
}

}  // namespace roomtemp
