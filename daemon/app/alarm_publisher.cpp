#include "alarm_publisher.h"

#include "alarm_restore.h"
#include "log.h"
#include "pg_connect.h"
#include "topic.h"

namespace roomtemp {

AlarmPublisher::AlarmPublisher(AlarmEngine& engine, Aggregator& aggregator, MqttClient& out,
                               BoundedQueue<Inbound>& queue, const LiveConfig& config,
                               Metrics& metrics)
    : engine_(engine),
      aggregator_(aggregator),
      out_(out),
      queue_(queue),
      config_(config),
      metrics_(metrics) {}

bool AlarmPublisher::restore_step() {
  auto log = component_log("alarms");
  try {
    const auto config = config_.get();
    std::vector<std::string> metrics;
    for (const auto& m : config->metrics) metrics.push_back(m.name);
    auto conn = pg_connect(config->postgres);
    AlarmRestore stored = load_alarm_restore(*conn, metrics);
    log->info("{} alarm state(s) and {} room series read from PostgreSQL", stored.states.size(),
              stored.series.size());
    if (series_sink_) series_sink_(stored.series);
    std::lock_guard lock(restore_mutex_);
    pending_restore_ = std::move(stored);
    return true;
  } catch (const std::exception& e) {
    log->warn("alarm states not read yet ({}); trying again", one_line(e.what()));
    return false;
  }
}

void AlarmPublisher::on_tick(const std::vector<AverageUpdate>& changed,
                             const std::vector<SeriesHeard>& heard, Micros now) {
  if (stopped_) return;
  std::optional<AlarmRestore> restore;
  {
    std::lock_guard lock(restore_mutex_);
    restore.swap(pending_restore_);
  }
  const AlarmSettings wanted = settings_of(*config_.get());
  if (restore) {
    // The windows now include this tick's changes: the restore evaluates every room on them.
    if (!(engine_.settings() == wanted)) engine_.reconfigure(wanted, {}, now);
    AlarmOutput out = engine_.restore(*restore, aggregator_.rooms_snapshot(now), now);
    const AlarmsNow active = engine_.active();
    component_log("alarms")->info(
        "alarm states restored: {} firing, {} silent; {} transition(s) while roomtempd was "
        "away or since",
        active.firing.size(), active.silent.size(), out.events.size());
    publish(out);
    return;
  }
  AlarmOutput out = engine_.tick(changed, heard, now);
  if (!out.handles.empty()) aggregator_.set_handles(out.handles);
  publish(out);
  if (!(engine_.settings() == wanted)) {
    AlarmOutput changes = engine_.reconfigure(wanted, aggregator_.rooms_snapshot(now), now);
    component_log("alarms")->info("alarm rules reloaded: {} rule(s), silence after {}; {} event(s)",
                                  wanted.rules.size(), format_duration(wanted.silence.after),
                                  changes.events.size());
    publish(changes);
  }
}

void AlarmPublisher::publish(AlarmOutput& out) {
  // A line per transition, but not ten thousand when a site's network goes down at once.
  constexpr std::size_t kLoggedPerStep = 20;
  auto log = component_log("alarms");
  for (const RetainedState& r : out.retained) out_.publish(r.topic, r.payload, 1, true);
  for (std::size_t i = 0; i < out.events.size(); ++i) {
    if (out_.publish(std::string(kEventsTopic), out.event_payloads[i], 1, false))
      metrics_.alarm_events_published.fetch_add(1, std::memory_order_relaxed);
    const AlarmEvent& e = out.events[i];
    if (i < kLoggedPerStep)
      log->info("{} {}/{}/{}: {} since {}", e.alarm, e.building, e.room, e.metric, e.state,
                format_rfc3339(e.ts));
    else if (i == kLoggedPerStep)
      log->info("… and {} more transition(s) in this step (roomtemp/events has them all)",
                out.events.size() - kLoggedPerStep);
    // Stored like a reading: in alarm_events, or the spool while PostgreSQL is away.
    Inbound item{std::move(out.events[i])};
    // NOLINTNEXTLINE(bugprone-use-after-move): push() leaves `item` untouched when it refuses
    if (!queue_.push(std::move(item))) queue_.push(std::move(item), true);
  }
}

}  // namespace roomtemp
