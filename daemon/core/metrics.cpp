#include "metrics.h"

#include <algorithm>
#include <cstdio>

namespace roomtemp {

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Histogram::render(const std::string& name, std::string& out) const {
  std::uint64_t cumulative = 0;
  char buf[128];
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (i < kBounds.size())
      std::snprintf(buf, sizeof buf, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(), kBounds[i],
                    static_cast<unsigned long long>(cumulative));
    else
      std::snprintf(buf, sizeof buf, "%s_bucket{le=\"+Inf\"} %llu\n", name.c_str(),
                    static_cast<unsigned long long>(cumulative));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "%s_sum %.6f\n%s_count %llu\n", name.c_str(),
                static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6,
                name.c_str(),
                static_cast<unsigned long long>(count_.load(std::memory_order_relaxed)));
  out += buf;
}

namespace {

template <typename T>
void metric(std::string& out, const char* name, const char* type, const char* help, T value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  auto get = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  metric(out, "roomtemp_readings_received_total", "counter",
         "Sensor messages and POSTed readings received, valid or not.", get(readings_received));
  metric(out, "roomtemp_readings_accepted_total", "counter", "Readings that passed validation.",
         get(readings_accepted));
  out +=
      "# HELP roomtemp_readings_rejected_total Input refused, by reason.\n"
      "# TYPE roomtemp_readings_rejected_total counter\n";
  for (int i = 0; i < kRejectReasonCount; ++i) {
    out += "roomtemp_readings_rejected_total{reason=\"";
    out += reason_name(static_cast<RejectReason>(i));
    out += "\"} " + std::to_string(get(readings_rejected[i])) + "\n";
  }
  metric(out, "roomtemp_readings_written_total", "counter",
         "Readings committed to PostgreSQL (including duplicates it already had).",
         get(readings_written));
  metric(out, "roomtemp_readings_duplicate_total", "counter",
         "Readings PostgreSQL already had (redeliveries), stored once.", get(readings_duplicate));
  metric(out, "roomtemp_rejections_written_total", "counter",
         "Rejected inputs committed to rejected_readings.", get(rejections_written));
  metric(out, "roomtemp_readings_spooled_total", "counter",
         "Readings written to the on-disk spool while PostgreSQL was unreachable.",
         get(readings_spooled));
  metric(out, "roomtemp_spool_bytes", "gauge", "Bytes waiting in the spool.", get(spool_bytes));
  metric(out, "roomtemp_spool_corrupt_records_total", "counter",
         "Spool records skipped because their checksum or length was damaged.",
         get(spool_corrupt_records));
  metric(out, "roomtemp_queue_depth", "gauge", "Items waiting for the writer.", get(queue_depth));
  metric(out, "roomtemp_mqtt_connected", "gauge", "1 while connected to the broker.",
         get(mqtt_connected));
  metric(out, "roomtemp_mqtt_reconnects_total", "counter",
         "Connections to the broker made again after the first one.", get(mqtt_reconnects));
  metric(out, "roomtemp_retained_skipped_total", "counter",
         "Retained sensor messages replayed by the broker without a timestamp: not new readings.",
         get(retained_skipped));
  metric(out, "roomtemp_spool_writable", "gauge",
         "1 while the spool directory can be written (0: PostgreSQL down would lose readings).",
         get(spool_writable));
  metric(out, "roomtemp_readings_lost_total", "counter",
         "Accepted readings that shutdown could write neither to PostgreSQL nor to the spool.",
         get(readings_lost));
  metric(out, "roomtemp_postgres_connected", "gauge", "1 while connected to PostgreSQL.",
         get(postgres_connected));
  metric(out, "roomtemp_write_errors_total", "counter", "Failed write attempts to PostgreSQL.",
         get(write_errors));
  metric(out, "roomtemp_staged_batches_total", "counter",
         "Batches written through the staging table because a copy of some row was stored.",
         get(staged_batches));
  metric(out, "roomtemp_rows_refused_total", "counter",
         "Rows PostgreSQL refused (SQLSTATE class 22/23), kept in rejected_readings instead.",
         get(rows_refused));
  metric(out, "roomtemp_http_requests_total", "counter",
         "HTTP requests the REST API and dashboard answered, any path and status.",
         get(http_requests));
  metric(out, "roomtemp_days_compacted_total", "counter",
         "Closed days whose readings' unique key was rebuilt with full pages.",
         get(days_compacted));
  metric(out, "roomtemp_rollup_rows_written_total", "counter",
         "Hourly and daily rollup rows written, by folding stored readings in or building a day.",
         get(rollup_rows_written));
  const std::int64_t folded_at = get(rollups_folded_at);
  metric(out, "roomtemp_rollup_lag_seconds", "gauge",
         "How far the rollups may be behind the stored readings: the time since the last fold "
         "began.",
         folded_at > 0 ? std::max(0.0, static_cast<double>(now_micros() - folded_at) / 1e6) : 0.0);
  metric(out, "roomtemp_rollup_backfill_days", "gauge",
         "Days stored before the rollups existed whose rollups are still to be built.",
         get(rollup_backfill_days_left));
  metric(out, "roomtemp_rollup_backfill_days_done_total", "counter",
         "Days whose rollups were built from the stored readings.", get(rollup_backfill_days_done));
  out +=
      "# HELP roomtemp_retention_rows_dropped_total Rows dropped for their age (retention.*), "
      "by table.\n"
      "# TYPE roomtemp_retention_rows_dropped_total counter\n"
      "roomtemp_retention_rows_dropped_total{table=\"readings\"} " +
      std::to_string(get(retention_dropped_readings)) +
      "\n"
      "roomtemp_retention_rows_dropped_total{table=\"rejected_readings\"} " +
      std::to_string(get(retention_dropped_rejected)) +
      "\n"
      "roomtemp_retention_rows_dropped_total{table=\"rollups\"} " +
      std::to_string(get(retention_dropped_rollups)) + "\n";
  metric(out, "roomtemp_averages_published_total", "counter",
         "Average messages published to the broker.", get(averages_published));
  metric(out, "roomtemp_alarm_events_published_total", "counter",
         "Alarm and silence transitions published on roomtemp/events.",
         get(alarm_events_published));
  metric(out, "roomtemp_alarm_events_written_total", "counter",
         "Alarm and silence transitions committed to alarm_events (a repeat included).",
         get(alarm_events_written));
  metric(out, "roomtemp_discovery_configs_published_total", "counter",
         "Home Assistant discovery configs published (announced again included).",
         get(discovery_published));
  metric(out, "roomtemp_discovery_configs_removed_total", "counter",
         "Home Assistant discovery configs removed with an empty retained message.",
         get(discovery_removed));
  metric(out, "roomtemp_discovery_entities", "gauge",
         "Home Assistant entities the configuration announces for the series known now.",
         get(discovery_entities));
  metric(out, "roomtemp_discovery_pending_series", "gauge",
         "Series whose Home Assistant discovery configs wait for the rate limit or the broker.",
         get(discovery_pending_series));
  metric(out, "roomtemp_cluster_active", "gauge",
         "1 while this instance is the active one of its cluster (always when it runs alone).",
         get(cluster_active));
  metric(out, "roomtemp_cluster_takeovers_total", "counter",
         "Times this instance became active after another instance had held the lease.",
         get(cluster_takeovers));
  metric(out, "roomtemp_cluster_lease_failures_total", "counter",
         "Lease statements (take, renew) that failed: PostgreSQL unreachable, slow or refusing.",
         get(cluster_lease_failures));
  out +=
      "# HELP roomtemp_write_batch_seconds Time to commit one batch to PostgreSQL.\n"
      "# TYPE roomtemp_write_batch_seconds histogram\n";
  write_batch_seconds.render("roomtemp_write_batch_seconds", out);
  return out;
}

}  // namespace roomtemp
