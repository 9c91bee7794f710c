#include "lifecycle.h"

#include <pqxx/pqxx>

#include "log.h"
#include "migrate.h"
#include "partitions.h"
#include "pg_connect.h"

namespace roomtemp {

DataLifecycle::DataLifecycle(const LiveConfig& config, Metrics& metrics)
    : config_(config), metrics_(metrics) {}

pqxx::connection* DataLifecycle::connection() {
  const auto config = config_.get();
  if (conn_ && conn_->is_open() && dsn_ == config->postgres.dsn) return conn_.get();
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = pg_connect(config->postgres);
    // The writer migrates; until it has, there is nothing to look after.
    if (!missing_migrations(*conn).empty()) conn.reset();
  } catch (const std::exception& e) {
    component_log("lifecycle")->debug("PostgreSQL not usable: {}", one_line(e.what()));
    conn.reset();
  }
  std::lock_guard lock(conn_mutex_);
  conn_ = std::move(conn);
  dsn_ = config->postgres.dsn;
  return conn_.get();
}

void DataLifecycle::stop() {
  stopped_ = true;
  std::lock_guard lock(conn_mutex_);
  if (conn_) {
    try {
      conn_->cancel_query();
    } catch (const std::exception&) {
      // Nothing was running, or the connection is gone: either way nothing to wait for.
    }
  }
}

void DataLifecycle::run_once() {
  if (stopped_) return;
  pqxx::connection* conn = connection();
  if (!conn) return;
  try {
    compact_closed_days(*conn);
  } catch (const std::exception& e) {
    if (!stopped_) component_log("lifecycle")->warn("{}", one_line(e.what()));
    std::lock_guard lock(conn_mutex_);
    conn_.reset();  // a fresh start next round
  }
}

void DataLifecycle::compact_closed_days(pqxx::connection& conn) {
  // One day a round: a day of a large site takes a while, and the other steps wait meanwhile.
  const auto days = days_to_compact(conn);
  if (days.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  compact_day(conn, days.front());
  metrics_.days_compacted.fetch_add(1, std::memory_order_relaxed);
  component_log("lifecycle")
      ->info("compacted the unique key of {} in {:.1f} s", days.front().table,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace roomtemp
