#pragma once
#include <pqxx/connection>
#include <pqxx/row>
#include <pqxx/transaction_base>
#include <vector>

#include "aggregator.h"
#include "config.h"
#include "rows.h"

namespace roomtemp {

/// Reads, per configured window, the buckets of the live windows from `readings`, so that a
/// restarted daemon publishes the same averages it would have without the restart.
std::vector<WarmBucket> load_warm_buckets(pqxx::transaction_base& txn,
                                          const std::vector<Duration>& windows, Micros now);

/// Readings the live windows hold individually: those stamped after the newest bucket (up to
/// `max_future_skew` ahead) wait in memory until the clock reaches them.
std::vector<Reading> load_future_readings(pqxx::transaction_base& txn,
                                          const std::vector<Duration>& windows,
                                          Duration max_future_skew, Micros now);

/// Readings received within the dedupe horizon and stamped within some window (oldest first,
/// at most `limit`), so that a copy redelivered after a restart is not counted twice in the
/// live windows.
std::vector<Reading> load_recent_identities(pqxx::transaction_base& txn,
                                            const std::vector<Duration>& windows, Duration horizon,
                                            Micros now, std::size_t limit);

/// Loads the live windows' history from PostgreSQL into `aggregator`: the buckets, the readings
/// stamped ahead, and the identities seen within the dedupe horizon (all of the above).
void warm_aggregator(pqxx::connection& conn, const Config& config, Aggregator& aggregator);

}  // namespace roomtemp
