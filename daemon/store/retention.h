#pragma once
// Dropping stored data by age (retention.*, docs/database.md "Retention").
#include <cstdint>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "config.h"

namespace roomtemp {

/// What one pass of retention dropped.
struct RetentionDone {
  std::uint64_t readings = 0;     ///< raw readings (whole days, and rows of readings_raw_default)
  std::uint64_t rejected = 0;     ///< rows of rejected_readings
  std::uint64_t rollups = 0;      ///< hourly and daily rollup rows
  std::vector<std::string> days;  ///< the daily partitions dropped (YYYY-MM-DD)
  bool waited = false;  ///< a day was left for the next pass: its table was busy (lock_timeout)
};

/// One pass of retention with the ages of `config`:
/// - raw readings: every daily partition of readings_raw whose day ended more than
///   retention.readings ago, never today's or yesterday's, never one whose rollups are still
///   to be built (rollup_backfill), is dropped whole (DROP TABLE, which briefly locks
///   readings_raw: it waits at most a second for that, else leaves the day for the next pass);
///   rows of readings_raw_default before the same day are deleted; readings_raw_horizon
///   moves up to the oldest day still kept;
/// - rejected_readings received more than retention.rejected ago are deleted;
/// - hourly and daily rollups of hours and days that ended more than retention.rollups ago
///   are deleted.
/// An age of 0 keeps that kind forever.
RetentionDone apply_retention(pqxx::connection& conn, const RetentionConfig& config);

}  // namespace roomtemp
