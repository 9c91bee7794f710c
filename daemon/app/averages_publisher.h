#pragma once
#include <functional>
#include <memory>

#include "aggregator.h"
#include "alarm_publisher.h"
#include "live_config.h"
#include "metrics.h"
#include "mqtt_client.h"
#include "periodic_task.h"

namespace roomtemp {

/// The publish tick: every averages.publish_interval, each average whose numbers changed (or
/// whose window emptied) goes to MQTT as a retained QoS 1 message on its topic, in the shape of
/// the README's "Topics and payloads".
class AveragesPublisher {
 public:
  AveragesPublisher(Aggregator& aggregator, MqttClient& out, const LiveConfig& config,
                    Metrics& metrics);

  /// Starts the tick on its own thread.
  void start();
  /// Alarms are evaluated on every tick, on what it found changed.
  void set_alarms(AlarmPublisher* alarms) { alarms_ = alarms; }
  /// Active/standby: a tick (and its alarm step) happens only while `may_act` is true.
  void set_fence(std::function<bool()> may_act) { may_act_ = std::move(may_act); }
  /// Publishes now what changed (the tick does this; a stop does it once more at the end), and
  /// runs the alarms' step on it unless `with_alarms` is false.
  void publish_changed(bool with_alarms = true);
  /// A reload changed averages.publish_interval: publish now, then wait the new interval.
  void wake();
  /// Ends the tick (not publishing once more: the caller does, with every reading in).
  void stop();

 private:
  Aggregator& aggregator_;
  MqttClient& out_;
  const LiveConfig& config_;
  Metrics& metrics_;
  AlarmPublisher* alarms_ = nullptr;
  std::function<bool()> may_act_;
  std::unique_ptr<PeriodicTask> tick_;
};

}  // namespace roomtemp
