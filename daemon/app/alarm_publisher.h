#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "aggregator.h"
#include "alarms.h"
#include "live_config.h"
#include "metrics.h"
#include "mqtt_client.h"
#include "queue.h"

namespace roomtemp {

/// Where the alarm engine meets the rest of the daemon (README "Alarms and silent sensors"):
/// it runs the engine on the publish tick (the averages that changed, the series heard from,
/// the due times), publishes what it decided — retained states, events on roomtemp/events —
/// and hands every event to the writer's queue, which stores it in alarm_events or spools it
/// like a reading. The states of earlier runs come back from PostgreSQL once the writer has
/// written everything they left (restore_step, on the writer thread); a reload's new rules are
/// picked up at the next tick.
class AlarmPublisher {
 public:
  AlarmPublisher(AlarmEngine& engine, Aggregator& aggregator, MqttClient& out,
                 BoundedQueue<Inbound>& queue, const LiveConfig& config, Metrics& metrics);

  /// The publish tick's part (its thread): the engine's step for what changed, or the restore,
  /// or a reload's new rules, each published and queued.
  void on_tick(const std::vector<AverageUpdate>& changed, const std::vector<SeriesHeard>& heard,
               Micros now);

  /// Writer thread, once PostgreSQL is caught up: reads the stored states for the next tick.
  /// False when PostgreSQL failed meanwhile (the writer asks again later).
  bool restore_step();

  /// Also hands the room series PostgreSQL knows, once read at the restore, to `sink` (Home
  /// Assistant discovery: a room silent for longer than the windows reach is still a room).
  /// Call before start.
  void set_series_sink(std::function<void(const std::vector<SeriesKey>&)> sink) {
    series_sink_ = std::move(sink);
  }

  /// No more steps: the writer's queue is about to close (a stop).
  void stop() { stopped_ = true; }

 private:
  void publish(AlarmOutput& out);
  static AlarmSettings settings_of(const Config& c) { return {c.alarms, c.silence}; }

  AlarmEngine& engine_;
  Aggregator& aggregator_;
  MqttClient& out_;
  BoundedQueue<Inbound>& queue_;
  const LiveConfig& config_;
  Metrics& metrics_;
  std::atomic<bool> stopped_{false};
  std::mutex restore_mutex_;
  std::optional<AlarmRestore> pending_restore_;  ///< guarded by restore_mutex_
  std::function<void(const std::vector<SeriesKey>&)> series_sink_;
};

}  // namespace roomtemp
