#include "status.h"

#include <cstdio>

namespace roomtemp {

Readiness Status::readiness() const {
  Readiness r;
  const MqttClient* subscriber = subscriber_.load();
  r.mqtt = subscriber && subscriber->ready();
  if (!r.mqtt && subscriber) r.mqtt_error = subscriber->last_error();
  if (cluster_) {
    r.role = cluster_->holds()                         ? "active"
             : cluster_->role() == Cluster::Role::lost ? "stepping down"
                                                       : "standby";
    r.active = cluster_->active_name();
    r.instance = cluster_->name();
  }
  r.postgres = writer_.connected();
  if (!r.postgres) r.postgres_error = writer_.last_error();
  r.spool_error = writer_.spool_error();
  r.spool = r.spool_error.empty();
  return r;
}

std::string Status::line() {
  auto get = [](const auto& a) { return static_cast<unsigned long long>(a.load()); };
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_at_).count();
  const auto received = get(metrics_.readings_received), written = get(metrics_.readings_written);
  const double in_rate = seconds > 0 ? static_cast<double>(received - last_received_) / seconds : 0;
  const double out_rate = seconds > 0 ? static_cast<double>(written - last_written_) / seconds : 0;
  last_at_ = now;
  last_received_ = received;
  last_written_ = written;
  char backfill[96] = "";
  if (const auto left = get(metrics_.rollup_backfill_days_left); left > 0)
    std::snprintf(backfill, sizeof backfill, "; rollups backfilling: %llu day(s) done, %llu left",
                  get(metrics_.rollup_backfill_days_done), left);
  char alarms[96] = "";
  const AlarmEngine* engine = alarms_.load();
  if (engine && !engine->restored()) {
    std::snprintf(alarms, sizeof alarms, "; alarm states not read back yet");
  } else if (engine) {
    std::size_t firing = 0;
    for (const auto& [rule, n] : engine->firing_by_rule()) firing += n;
    std::snprintf(alarms, sizeof alarms, "; %zu alarm(s) firing, %zu series silent", firing,
                  engine->silent_count());
  }
  std::string role;
  if (cluster_) {
    const Readiness r = readiness();
    role = r.role == "standby"
               ? "standby (active: " + (r.active.empty() ? "none" : r.active) + "); "
               : r.role + "; ";
  }
  const MqttClient* subscriber = subscriber_.load();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%smqtt %s, postgres %s; %.0f/s in, %.0f/s written; %llu received, %llu written, "
                "queue %llu, spool %llu bytes%s%s%s",
                role.c_str(), subscriber && subscriber->ready() ? "up" : "down",
                writer_.connected() ? "up" : "down", in_rate, out_rate, received, written,
                get(metrics_.queue_depth), get(metrics_.spool_bytes),
                writer_.spool_writable() ? "" : " (SPOOL NOT WRITABLE)", backfill, alarms);
  return buf;
}

}  // namespace roomtemp
