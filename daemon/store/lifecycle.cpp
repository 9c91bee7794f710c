#include "lifecycle.h"

#include <chrono>
#include <pqxx/pqxx>

#include "log.h"
#include "partitions.h"
#include "retention.h"
#include "rollups.h"

namespace roomtemp {
namespace {

using Clock = std::chrono::steady_clock;

/// A round's backfill stops after this many days or this long, so that the other steps get
/// their turn and a stop is not kept waiting; the next round follows at once.
constexpr int kBackfillDaysPerRound = 10;
constexpr auto kBackfillTimePerRound = std::chrono::seconds(20);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

void DataLifecycle::run_once() {
  pqxx::connection* conn = conn_.get();
  if (!conn) return;
  try {
    // Retention first: a day it cannot drop yet because its rollups are still to be built is
    // dropped in a later round, after the backfill has built them.
    retention(*conn);
    backfill(*conn);
    compact_closed_days(*conn);
  } catch (const std::exception& e) {
    if (!conn_.cancelled()) component_log("lifecycle")->warn("{}", one_line(e.what()));
    conn_.reset();  // a fresh start next round
  }
}

void DataLifecycle::backfill(pqxx::connection& conn) {
  auto log = component_log("lifecycle");
  const auto start = Clock::now();
  std::int64_t left = backfill_days_left(conn);
  metrics_.rollup_backfill_days_left.store(left, std::memory_order_relaxed);
  busy_ = left > 0;
  for (int done = 0; left > 0 && done < kBackfillDaysPerRound; ++done) {
    if (Clock::now() - start > kBackfillTimePerRound || conn_.cancelled()) return;
    const auto day_start = Clock::now();
    const auto day = backfill_oldest_day(conn);
    if (!day) break;
    metrics_.rollup_rows_written.fetch_add(day->rows, std::memory_order_relaxed);
    metrics_.rollup_backfill_days_done.fetch_add(1, std::memory_order_relaxed);
    left = backfill_days_left(conn);
    metrics_.rollup_backfill_days_left.store(left, std::memory_order_relaxed);
    log->info("rollups of {} built from the stored readings ({} rows, {:.1f} s); {} day(s) left",
              day->day, day->rows, seconds_since(day_start), left);
  }
  busy_ = left > 0;
}

void DataLifecycle::retention(pqxx::connection& conn) {
  const auto config = config_.get();
  const RetentionDone done = apply_retention(conn, config->retention);
  metrics_.retention_dropped_readings.fetch_add(done.readings, std::memory_order_relaxed);
  metrics_.retention_dropped_rejected.fetch_add(done.rejected, std::memory_order_relaxed);
  metrics_.retention_dropped_rollups.fetch_add(done.rollups, std::memory_order_relaxed);
  auto log = component_log("lifecycle");
  for (const auto& day : done.days)
    log->info("retention: dropped the raw readings of {} (retention.readings {})", day,
              format_duration(config->retention.readings));
  if (done.readings || done.rejected || done.rollups)
    log->info("retention: dropped {} reading(s), {} rejected reading(s), {} rollup row(s)",
              done.readings, done.rejected, done.rollups);
  if (done.waited)
    log->info("retention: readings_raw was busy; the next day goes in the next round");
}

void DataLifecycle::compact_closed_days(pqxx::connection& conn) {
  // One day a round: a day of a large site takes a while, and the other steps wait meanwhile.
  const auto days = days_to_compact(conn);
  if (days.empty()) return;
  const auto start = Clock::now();
  compact_day(conn, days.front());
  metrics_.days_compacted.fetch_add(1, std::memory_order_relaxed);
  component_log("lifecycle")
      ->info("compacted the unique key of {} in {:.1f} s", days.front().table,
             seconds_since(start));
}

}  // namespace roomtemp
