#pragma once
#include <atomic>
#include <chrono>
#include <string>

#include "alarms.h"
#include "cluster.h"
#include "http_api.h"
#include "metrics.h"
#include "mqtt_client.h"
#include "writer.h"

namespace roomtemp {

/// What roomtempd says about itself: /readyz's readiness, and the STATUS= line systemd shows
/// (`systemctl status`): connections, rates since the last line, totals, queue and spool, and
/// how many alarms fire and series are silent.
class Status {
 public:
  Status(const Metrics& metrics, const Writer& writer) : metrics_(metrics), writer_(writer) {}

  /// The subscriber, once it exists (it is made after the status is).
  void set_subscriber(const MqttClient* subscriber) { subscriber_ = subscriber; }
  /// The alarms whose counts the line ends with.
  void set_alarms(const AlarmEngine* alarms) { alarms_ = alarms; }
  /// Active/standby: the line begins with the role, and a standby is not ready.
  void set_cluster(const Cluster* cluster) { cluster_ = cluster; }

  Readiness readiness() const;
  /// A STATUS= line; its rates are over the time since the previous call.
  std::string line();

 private:
  const Metrics& metrics_;
  const Writer& writer_;
  /// Set by the main thread while HTTP threads read them.
  std::atomic<const MqttClient*> subscriber_{nullptr};
  std::atomic<const AlarmEngine*> alarms_{nullptr};
  const Cluster* cluster_ = nullptr;  ///< set before the threads start
  std::chrono::steady_clock::time_point last_at_ = std::chrono::steady_clock::now();
  unsigned long long last_received_ = 0, last_written_ = 0;
};

}  // namespace roomtemp
