#pragma once
// roomtempd's background work on what is stored (docs/database.md, "In the background").
#include <atomic>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>

#include "live_config.h"
#include "metrics.h"

namespace roomtemp {

/// The slow housekeeping of the stored data, a step at a time, on a PostgreSQL connection of
/// its own so that it never holds up the writer: compacting the unique key of each day that
/// has closed. Run from one thread (app's periodic task).
class DataLifecycle {
 public:
  DataLifecycle(const LiveConfig& config, Metrics& metrics);

  /// One round: compacts the days that wait for it. Errors are logged and end the round; the
  /// next round tries again. Does nothing until the database is migrated.
  void run_once();

  /// Cancels the statement running now (from another thread, at shutdown: a rebuild may take
  /// minutes) and makes every later round return at once.
  void stop();

 private:
  /// The connection, opened (or reopened after a failure or a new DSN); null while PostgreSQL
  /// is unreachable or not migrated yet.
  pqxx::connection* connection();
  void compact_closed_days(pqxx::connection& conn);

  const LiveConfig& config_;
  Metrics& metrics_;
  std::atomic<bool> stopped_{false};
  std::mutex conn_mutex_;  ///< guards conn_ itself (not its use) against stop()
  std::unique_ptr<pqxx::connection> conn_;
  std::string dsn_;  ///< what conn_ was opened with
};

}  // namespace roomtemp
