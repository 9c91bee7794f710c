#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "reading.h"

namespace roomtemp {

/// A Prometheus histogram with fixed buckets, lock-free to observe.
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1,    2.5,   10};
  void observe(double seconds);
  /// Appends the `_bucket`, `_sum` and `_count` lines.
  void render(const std::string& name, std::string& out) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

/// Every counter and gauge of the README's metrics list. Threads update them with relaxed
/// atomics.
struct Metrics {
  std::atomic<std::uint64_t> readings_received{0};  ///< every sensor message and POSTed reading
  std::atomic<std::uint64_t> readings_accepted{0};
  std::array<std::atomic<std::uint64_t>, kRejectReasonCount> readings_rejected{};
  std::atomic<std::uint64_t> readings_written{0};
  std::atomic<std::uint64_t> rejections_written{0};
  std::atomic<std::uint64_t> readings_duplicate{0};  ///< rows PostgreSQL already had
  std::atomic<std::uint64_t> readings_spooled{0};
  std::atomic<std::uint64_t> spool_bytes{0};
  std::atomic<std::uint64_t> spool_corrupt_records{0};
  std::atomic<std::uint64_t> queue_depth{0};
  std::atomic<int> mqtt_connected{0};
  std::atomic<int> postgres_connected{0};
  std::atomic<std::uint64_t> mqtt_reconnects{0};  ///< connections after the first
  /// Retained sensor messages the broker replayed on (re)subscribing that carry no timestamp:
  /// not new readings (their time is unknown), so not stored or counted again.
  std::atomic<std::uint64_t> retained_skipped{0};
  /// Accepted readings that could be neither written nor spooled before shutdown gave up.
  std::atomic<std::uint64_t> readings_lost{0};
  std::atomic<int> spool_writable{1};  ///< 0 while the spool cannot be written
  std::atomic<std::uint64_t> averages_published{0};
  std::atomic<std::uint64_t> alarm_events_published{0};  ///< transitions on roomtemp/events
  std::atomic<std::uint64_t> alarm_events_written{0};    ///< transitions committed to PostgreSQL
  /// Home Assistant discovery (README "Home Assistant").
  std::atomic<std::uint64_t> discovery_published{0};
  std::atomic<std::uint64_t> discovery_removed{0};
  std::atomic<std::uint64_t> discovery_entities{0};
  std::atomic<std::uint64_t> discovery_pending_series{0};
  /// Active/standby (README "Standby and failover"): 1 while this instance is the active (always
  /// when it runs alone), the times it took over from another instance, lease statements that
  /// failed.
  std::atomic<int> cluster_active{1};
  std::atomic<std::uint64_t> cluster_takeovers{0};
  std::atomic<std::uint64_t> cluster_lease_failures{0};
  std::atomic<std::uint64_t> write_errors{0};
  std::atomic<std::uint64_t> staged_batches{
      0};  ///< batches that needed ON CONFLICT (a copy was stored)
  std::atomic<std::uint64_t> rows_refused{0};    ///< rows PostgreSQL refused, kept as rejections
  std::atomic<std::uint64_t> http_requests{0};   ///< requests the HTTP server answered
  std::atomic<std::uint64_t> days_compacted{0};  ///< closed days whose unique key was rebuilt
  std::atomic<std::uint64_t> rollup_rows_written{0};  ///< hourly and daily rows folded or built
  /// When the last fold that succeeded began (µs since the epoch): everything committed before
  /// then is in the rollups. Starts at the daemon's start.
  std::atomic<std::int64_t> rollups_folded_at{0};
  std::atomic<std::int64_t> rollup_backfill_days_left{0};  ///< days stored before the rollups
  std::atomic<std::uint64_t> rollup_backfill_days_done{0};
  /// Rows retention dropped: raw readings, rejected_readings, rollup rows.
  std::atomic<std::uint64_t> retention_dropped_readings{0};
  std::atomic<std::uint64_t> retention_dropped_rejected{0};
  std::atomic<std::uint64_t> retention_dropped_rollups{0};
  Histogram write_batch_seconds;

  void count_rejection(RejectReason r) {
    readings_rejected[static_cast<int>(r)].fetch_add(1, std::memory_order_relaxed);
  }

  /// The Prometheus text exposition of everything above (GET /metrics adds the process's own
  /// figures and the build: api/process_metrics.h).
  std::string render() const;
};

}  // namespace roomtemp
