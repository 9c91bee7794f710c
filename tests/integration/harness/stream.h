#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/mqtt_client.h"

namespace roomtemp::harness {

/// `count` sensor readings as JSON payloads, spread over buildings B0…B3 and rooms 100…104,
/// the i-th stamped `first_micros + i * step_micros` (so timestamps follow publish order and
/// each reading is unique).
std::vector<Publication> sensor_readings(int count, std::int64_t first_micros,
                                         std::int64_t step_micros);

/// One reading as a test knows it.
struct Sample {
  std::string building, room;
  std::int64_t ts;  ///< microseconds since the epoch
  double value;
  std::optional<std::string> sensor{};
};

/// A sample as a sensor publishes it: on buildings/{b}/rooms/{r}/temperature, the JSON
/// {"temperature", "timestamp" (RFC 3339, microseconds), "sensor_id" when it has one}.
Publication publication(const Sample& s);

/// Publishes `messages` in order, QoS 1, at a steady `rate_per_second` (0: as fast as the broker
/// acknowledges) from its own thread and MQTT client, so that a test can cause a fault
/// mid-stream. With a fixed client id and clean_session false the publisher's session survives
/// a broker restart; while the broker is away, messages wait in libmosquitto and go out after
/// the reconnect. The destructor stops publishing and joins.
class SteadyPublisher {
 public:
  SteadyPublisher(int port, std::vector<Publication> messages, int rate_per_second,
                  MqttClientOptions options = {});
  ~SteadyPublisher();
  SteadyPublisher(const SteadyPublisher&) = delete;
  SteadyPublisher& operator=(const SteadyPublisher&) = delete;

  /// Messages handed to libmosquitto so far.
  int published() const { return published_.load(); }
  /// Messages the broker has acknowledged so far.
  int acked() const { return acked_.load(); }
  /// Waits until every message is acknowledged (or the publisher failed); false after `timeout`.
  bool wait_done(std::chrono::milliseconds timeout);
  /// What went wrong in the publishing thread ("" when nothing).
  std::string error() const;

 private:
  std::vector<Publication> messages_;
  std::atomic<int> published_{0};
  std::atomic<int> acked_{0};
  std::atomic<bool> finished_{false};
  mutable std::mutex mu_;
  std::string error_;
  std::jthread thread_;
};

/// The value of one series in Prometheus text (`name` or `name{labels}` exactly as printed),
/// or nullopt when it is not there.
std::optional<double> prometheus_value(std::string_view metrics_text, std::string_view series);

}  // namespace roomtemp::harness
