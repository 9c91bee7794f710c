#pragma once
#include <pqxx/connection>
#include <pqxx/row>
#include <vector>

#include "aggregator.h"

namespace roomtemp {

/// The columns reading_from_row() reads, in its order: for a SELECT or a RETURNING list.
inline constexpr const char* kReadingColumnsSql =
    "building, room, metric, (extract(epoch FROM ts) * 1000000)::bigint, value, sensor_id,"
    " (extract(epoch FROM received_at) * 1000000)::bigint";

/// A row of kReadingColumnsSql as a Reading.
Reading reading_from_row(const pqxx::row& row);

/// Reads, per configured window, the buckets of the live windows from `readings`, so that a
/// restarted daemon publishes the same averages it would have without the restart.
std::vector<WarmBucket> load_warm_buckets(pqxx::connection& conn,
                                          const std::vector<Duration>& windows, Micros now);

/// Readings the live windows hold individually: those stamped after the newest bucket (up to
/// `max_future_skew` ahead) wait in memory until the clock reaches them.
std::vector<Reading> load_future_readings(pqxx::connection& conn,
                                          const std::vector<Duration>& windows,
                                          Duration max_future_skew, Micros now);

/// Readings received within the dedupe horizon and stamped within some window (oldest first,
/// at most `limit`), so that a copy redelivered after a restart is not counted twice in the
/// live windows.
std::vector<Reading> load_recent_identities(pqxx::connection& conn,
                                            const std::vector<Duration>& windows,
                                            Duration horizon, Micros now, std::size_t limit);

}  // namespace roomtemp
