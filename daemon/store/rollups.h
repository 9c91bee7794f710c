#pragma once
// Hourly and daily rollups of every series, kept exact as readings are stored (docs/database.md,
// "Rollups"): the writer adds what each transaction stored to rollup_delta in that transaction,
// a task of its own folds rollup_delta into the rollups every few seconds, and the days stored
// before the rollups existed are built from the raw readings in the background.
#include <cstdint>
#include <optional>
#include <pqxx/connection>
#include <pqxx/transaction_base>
#include <string>
#include <unordered_map>

#include "live_config.h"
#include "metrics.h"
#include "task_connection.h"
#include "timeutil.h"

namespace roomtemp {

/// The count, sum, min and max of the readings one transaction stored, per series and UTC
/// hour: what the writer adds to rollup_delta in that same transaction.
class RollupDeltas {
 public:
  void add(std::int32_t series, Micros ts, double value);
  bool empty() const { return by_hour_.empty(); }
  /// COPYs them into rollup_delta.
  void copy(pqxx::transaction_base& txn) const;

 private:
  struct Key {
    std::int32_t series;
    Micros hour;  ///< the hour's start
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<Micros>()(k.hour) * 31 + static_cast<std::size_t>(k.series);
    }
  };
  struct Numbers {
    std::int64_t count = 0;
    double sum = 0, min = 0, max = 0;
  };
  std::unordered_map<Key, Numbers, KeyHash> by_hour_;
};

/// Moves every delta committed so far into the hourly and daily rollups
/// (roomtemp_fold_rollups); returns the rollup rows written.
std::uint64_t fold_rollups(pqxx::connection& conn);

/// Days whose rollups are still to be built from the raw readings (rollup_backfill).
std::int64_t backfill_days_left(pqxx::connection& conn);

/// What building one day's rollups did.
struct BackfilledDay {
  std::string day;  ///< YYYY-MM-DD
  std::uint64_t rows = 0;
};
/// Builds the rollups of the oldest day left to backfill (roomtemp_rebuild_rollups), or
/// returns nullopt when none is left.
std::optional<BackfilledDay> backfill_oldest_day(pqxx::connection& conn);

/// The fold, every few seconds on a connection of its own (app's periodic task).
class RollupFolder {
 public:
  RollupFolder(const LiveConfig& config, Metrics& metrics)
      : conn_(config, "rollups"), metrics_(metrics) {}

  /// One fold; errors are logged and the next round tries again.
  void run_once();
  /// Cancels a fold in progress (shutdown); later rounds do nothing.
  void stop() { conn_.cancel(); }

 private:
  TaskConnection conn_;
  Metrics& metrics_;
};

}  // namespace roomtemp
