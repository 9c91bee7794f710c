#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "harness/postgres.h"

namespace roomtemp::harness {

/// A query listing every UTC `period` ("hour" or "day") and room where the rollups
/// (readings_hourly or readings_daily) differ from the same figures computed over `readings`:
/// count, min and max exactly, sum to 1e-9 relative (a float sum depends on its order).
/// Columns: period, building, room, metric, then raw count, sum, min, max and rollup count,
/// sum, min, max. Only periods from `since` (an SQL timestamptz expression) on are compared:
/// before the raw horizon the rollups are all that is left.
std::string rollup_mismatches_sql(const std::string& period,
                                  const std::string& since = "'-infinity'");

/// Waits until the hourly and daily rollups equal SQL over the raw readings, for every hour
/// and day from the raw horizon on (folds come every 10 s), and says where they still differ
/// when `timeout` passes. Fails too when there are no rollups at all: equal and empty proves
/// nothing.
::testing::AssertionResult rollups_match_raw(
    const Postgres& pg, const std::string& db,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace roomtemp::harness
