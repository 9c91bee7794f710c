#include "retention.h"

#include <pqxx/pqxx>

#include "partitions.h"

namespace roomtemp {
namespace {

/// Rows deleted per statement, so that no single delete holds its locks for long.
constexpr int kDeleteChunk = 10000;

/// lock_timeout's SQLSTATE.
constexpr const char* kLockNotAvailable = "55P03";

std::string interval(Duration age) { return std::to_string(age.count()) + " milliseconds"; }

/// Deletes the rows of `table` that `condition` selects, a chunk per transaction; returns how
/// many. `condition` may use $1, bound to `param`.
std::uint64_t delete_chunked(pqxx::connection& conn, const std::string& table,
                             const std::string& condition, const std::string& param) {
  std::string sql = "DELETE FROM ";
  sql.append(table)
      .append(" WHERE ctid IN (SELECT ctid FROM ")
      .append(table)
      .append(" WHERE ")
      .append(condition)
      .append(" LIMIT ")
      .append(std::to_string(kDeleteChunk))
      .append(")");
  std::uint64_t total = 0;
  while (true) {
    pqxx::work txn(conn);
    const auto res = txn.exec_params(sql, param);
    txn.commit();
    total += res.affected_rows();
    if (res.affected_rows() < static_cast<std::size_t>(kDeleteChunk)) return total;
  }
}

/// Raw readings: whole days before the cutoff, then the default partition's rows before it.
void drop_raw_readings(pqxx::connection& conn, Duration age, RetentionDone& done) {
  // The first day kept: the day that (now − age) falls in, at the latest yesterday, and no
  // later than the oldest day whose rollups are still to be built from it.
  std::string keep_from;
  {
    pqxx::read_transaction txn(conn);
    keep_from = txn.exec1("SELECT least(date_trunc('day', now() - interval '" + interval(age) +
                          "', 'UTC'), date_trunc('day', now(), 'UTC') - interval '1 day',"
                          " (SELECT min(day)::timestamp AT TIME ZONE 'UTC' FROM rollup_backfill))"
                          "::date::text")[0]
                    .as<std::string>();
  }
  for (const RawDay& day : daily_partitions(conn)) {
    if (day.day >= keep_from) break;  // YYYY-MM-DD: text order is date order
    try {
      pqxx::work txn(conn);
      // DROP TABLE of a partition locks readings_raw too: never queue the writer behind a long
      // history query for it.
      txn.exec("SET LOCAL lock_timeout = '1s'");
      const auto rows =
          txn.exec1("SELECT count(*) FROM " + txn.quote_name(day.table))[0].as<std::uint64_t>();
      txn.exec("DROP TABLE " + txn.quote_name(day.table));
      txn.exec_params("DELETE FROM readings_raw_compacted WHERE day = $1::date", day.day);
      txn.commit();
      done.readings += rows;
      done.days.push_back(day.day);
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != kLockNotAvailable) throw;
      done.waited = true;
      break;
    }
  }
  done.readings += delete_chunked(conn, "readings_raw_default",
                                  "ts < $1::date::timestamp AT TIME ZONE 'UTC'", keep_from);
  // The horizon: the oldest day still kept (a day left for the next pass keeps it back).
  std::string horizon = keep_from;
  if (const auto days = daily_partitions(conn); !days.empty() && days.front().day < horizon)
    horizon = days.front().day;
  pqxx::work txn(conn);
  txn.exec_params(
      "UPDATE readings_raw_horizon SET horizon = greatest(horizon,"
      " $1::date::timestamp AT TIME ZONE 'UTC')",
      horizon);
  txn.commit();
}

}  // namespace

RetentionDone apply_retention(pqxx::connection& conn, const RetentionConfig& config) {
  RetentionDone done;
  if (config.readings.count() > 0) drop_raw_readings(conn, config.readings, done);
  if (config.rejected.count() > 0)
    done.rejected = delete_chunked(conn, "rejected_readings", "received_at < now() - $1::interval",
                                   interval(config.rejected));
  if (config.rollups.count() > 0) {
    // Whole days: an hour goes with its day, so the hourly and daily rollups agree.
    const std::string cutoff = "date_trunc('day', now() - $1::interval, 'UTC')";
    done.rollups +=
        delete_chunked(conn, "rollup_hourly", "hour < " + cutoff, interval(config.rollups));
    done.rollups +=
        delete_chunked(conn, "rollup_daily", "day < " + cutoff, interval(config.rollups));
    // Deltas of readings that old (late ones) would only bring back a sliver of a dropped day.
    delete_chunked(conn, "rollup_delta", "hour < " + cutoff, interval(config.rollups));
  }
  return done;
}

}  // namespace roomtemp
