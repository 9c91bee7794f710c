#pragma once
// roomtempd's background work on what is stored (docs/database.md, "In the background").
#include <atomic>

#include "live_config.h"
#include "metrics.h"
#include "task_connection.h"

namespace roomtemp {

/// The slow housekeeping of the stored data, a step at a time, on a PostgreSQL connection of
/// its own so that it never holds up the writer: building the rollups of days stored before
/// they existed (backfill), dropping what retention.* says is too old, and compacting the
/// unique key of each day that has closed. Run from one thread (app's periodic task).
class DataLifecycle {
 public:
  DataLifecycle(const LiveConfig& config, Metrics& metrics)
      : config_(config), conn_(config, "lifecycle"), metrics_(metrics) {}

  /// One round: applies retention with the configuration in force, backfills days for a
  /// while, then compacts a day that waits for it. Errors are logged and end the round; the
  /// next round tries again. Does nothing until the database is migrated.
  void run_once();
  /// True while work is known to be left (days to backfill): the next round should come soon.
  bool busy() const { return busy_.load(); }

  /// Cancels the statement running now (from another thread, at shutdown: a rebuild may take
  /// minutes); later rounds do nothing.
  void stop() { conn_.cancel(); }

 private:
  void backfill(pqxx::connection& conn);
  void retention(pqxx::connection& conn);
  void compact_closed_days(pqxx::connection& conn);

  const LiveConfig& config_;
  TaskConnection conn_;
  Metrics& metrics_;
  std::atomic<bool> busy_{false};
};

}  // namespace roomtemp
