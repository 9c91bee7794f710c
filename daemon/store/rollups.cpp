#include "rollups.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <tuple>

#include "log.h"
#include "rows.h"

namespace roomtemp {
namespace {

constexpr Micros kHour = 3600 * kMicrosPerSecond;

/// The start of the UTC hour `ts` is in (a floor, for times before 1970 too).
Micros hour_of(Micros ts) { return ts - ((ts % kHour) + kHour) % kHour; }

}  // namespace

void RollupDeltas::add(std::int32_t series, Micros ts, double value) {
  Numbers& n = by_hour_[{series, hour_of(ts)}];
  if (n.count == 0) {
    n.min = n.max = value;
  } else {
    n.min = std::min(n.min, value);
    n.max = std::max(n.max, value);
  }
  ++n.count;
  n.sum += value;
}

void RollupDeltas::copy(pqxx::transaction_base& txn) const {
  static const std::vector<std::string> columns{"hour", "count", "sum", "min", "max", "series"};
  pqxx::stream_to copy(txn, "rollup_delta", columns);
  for (const auto& [key, n] : by_hour_)
    copy << std::make_tuple(format_rfc3339(key.hour), n.count, float_text(n.sum), float_text(n.min),
                            float_text(n.max), key.series);
  copy.complete();
}

std::uint64_t fold_rollups(pqxx::connection& conn) {
  pqxx::work txn(conn);
  const auto rows = txn.exec1("SELECT roomtemp_fold_rollups()")[0].as<std::uint64_t>();
  txn.commit();
  return rows;
}

std::int64_t backfill_days_left(pqxx::connection& conn) {
  pqxx::read_transaction txn(conn);
  return txn.exec1("SELECT count(*) FROM rollup_backfill")[0].as<std::int64_t>();
}

std::optional<BackfilledDay> backfill_oldest_day(pqxx::connection& conn) {
  pqxx::work txn(conn);
  const auto day = txn.exec("SELECT day::text FROM rollup_backfill ORDER BY day LIMIT 1");
  if (day.empty()) return std::nullopt;
  BackfilledDay done;
  done.day = day[0][0].as<std::string>();
  done.rows = txn.exec_params1("SELECT roomtemp_rebuild_rollups($1::date)", done.day)[0]
                  .as<std::uint64_t>();
  txn.commit();
  return done;
}

void RollupFolder::run_once() {
  pqxx::connection* conn = conn_.get();
  if (!conn) return;
  const Micros started = now_micros();
  try {
    const std::uint64_t rows = fold_rollups(*conn);
    metrics_.rollup_rows_written.fetch_add(rows, std::memory_order_relaxed);
    metrics_.rollups_folded_at.store(started, std::memory_order_relaxed);
  } catch (const std::exception& e) {
    if (!conn_.cancelled()) component_log("rollups")->warn("fold failed: {}", one_line(e.what()));
    conn_.reset();
  }
}

}  // namespace roomtemp
