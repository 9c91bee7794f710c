#include "harness/rollups.h"

#include "harness/wait.h"

namespace roomtemp::harness {

namespace {
constexpr const char* kHorizon = "(SELECT horizon FROM readings_raw_horizon)";
}  // namespace

std::string rollup_mismatches_sql(const std::string& period, const std::string& since) {
  const std::string view = period == "hour" ? "readings_hourly" : "readings_daily";
  return "SELECT coalesce(r.p, x." + period +
         "), coalesce(r.building, x.building),"
         " coalesce(r.room, x.room), coalesce(r.metric, x.metric), r.c, r.s, r.lo, r.hi,"
         " x.count, x.sum, x.min, x.max"
         " FROM (SELECT date_trunc('" +
         period +
         "', ts, 'UTC') AS p, building, room, metric,"
         "        count(*) AS c, sum(value) AS s, min(value) AS lo, max(value) AS hi"
         "        FROM readings GROUP BY 1, 2, 3, 4) r"
         " FULL JOIN " +
         view + " x ON x." + period +
         " = r.p AND x.building = r.building"
         "  AND x.room = r.room AND x.metric = r.metric"
         " WHERE coalesce(r.p, x." +
         period + ") >= " + since +
         "   AND (x.count IS DISTINCT FROM r.c OR x.min IS DISTINCT FROM r.lo"
         "    OR x.max IS DISTINCT FROM r.hi OR NOT abs(x.sum - r.s) <= 1e-9 * abs(r.s) + 1e-12)"
         " ORDER BY 1, 2, 3, 4";
}

::testing::AssertionResult rollups_match_raw(const Postgres& pg, const std::string& db,
                                             std::chrono::milliseconds timeout) {
  Rows hours, days;
  const bool equal = wait_until(
      [&] {
        hours = pg.query(rollup_mismatches_sql("hour", kHorizon), db);
        days = pg.query(rollup_mismatches_sql("day", kHorizon), db);
        return hours.empty() && days.empty();
      },
      timeout, std::chrono::milliseconds(250));
  if (!equal) {
    auto result = ::testing::AssertionFailure()
                  << hours.size() << " hour(s) and " << days.size()
                  << " day(s) differ from the raw readings (raw count, sum, min, max | rollup "
                     "count, sum, min, max):";
    for (const Rows* rows : {&hours, &days})
      for (std::size_t i = 0; i < rows->size() && i < 5; ++i) {
        result << "\n ";
        for (const auto& v : (*rows)[i]) result << " " << v;
      }
    return result;
  }
  const long long total =
      pg.query_count(std::string("SELECT count(*) FROM readings WHERE ts >= ") + kHorizon, db);
  const long long hourly = pg.query_count(
      std::string("SELECT coalesce(sum(count), 0) FROM readings_hourly WHERE hour >= ") + kHorizon,
      db);
  if (total == 0 || hourly != total)
    return ::testing::AssertionFailure()
           << total << " readings from the raw horizon ("
           << pg.query_value(std::string("SELECT ") + kHorizon, db) << ") on, " << hourly
           << " in the rollups (nothing to compare, or they disagree)";
  return ::testing::AssertionSuccess() << hourly << " readings in the rollups";
}

}  // namespace roomtemp::harness
