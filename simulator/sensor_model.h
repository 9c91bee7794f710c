#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "device_formats.h"
#include "sim_options.h"
#include "timeutil.h"

namespace roomtemp::sim {

/// The kinds of malformed input `--bad-fraction` mixes in, in the order they are cycled.
/// Each one must be rejected by roomtempd with the reason noted.
enum class BadKind {
  bad_building_id,   ///< a space in the building id (bad_id)
  unknown_metric,    ///< a metric nobody configures (unknown_metric)
  garbage,           ///< neither JSON nor a number (bad_payload)
  nan_value,         ///< NaN as the value, bare text in JSON (not_finite or bad_payload)
  out_of_range,      ///< beyond the metric's range (out_of_range)
  future_timestamp,  ///< stamped a day ahead (future_timestamp)
  bad_timestamp,     ///< unparsable timestamp text (bad_timestamp)
  too_large,         ///< payload over 4 KiB (too_large)
  missing_value,     ///< JSON object without the value key (bad_payload)
};
inline constexpr std::size_t kBadKindCount = 9;

std::string_view bad_kind_name(BadKind kind);

/// One MQTT message to publish.
struct SensorMessage {
  std::string topic;
  std::string payload;
  bool bad = false;
};

/// What the model needs from the options; a subset so tests can build it directly.
struct ModelSettings {
  int buildings = 1;
  int rooms = 1;
  std::vector<MetricRange> metrics;
  bool uniform = false;
  double bad_fraction = 0;
  bool json = true;
  bool timestamps = true;
  bool sensor_ids = false;
  DeviceFormat format = DeviceFormat::native;  ///< the device family whose payloads to send
  TimeZone zone{};                             ///< tasmota: the zone of its local Time
  int batch_size = 10;                         ///< batch: readings per message
};

ModelSettings model_settings(const SimOptions& options);

/// Formats RFC 3339 UTC with exactly three fraction digits: 2024-12-01T12:34:56.789Z.
std::string format_timestamp_ms(Micros t);

/// Plays every sensor: one series per building, room and metric, each a random walk (or
/// uniform draws) within the metric's range. Deterministic for a given seed and call
/// sequence; no I/O, no clock (callers pass the time in).
class SensorModel {
 public:
  SensorModel(ModelSettings settings, std::uint64_t seed);

  /// buildings × rooms × metrics.
  std::size_t series_count() const { return series_.size(); }

  /// Fills `out` with the next message of series `index` (wrapped modulo series_count()),
  /// measured at `now`. Every `1/bad_fraction`-th message on average (exactly
  /// floor(n × bad_fraction) of the first n) is malformed instead of a reading.
  void next(std::size_t index, Micros now, SensorMessage& out);

  /// Fills `out` with a malformed message of the given kind for series `index`.
  void make_bad(BadKind kind, std::size_t index, Micros now, SensorMessage& out);

  /// Malformed messages produced so far, by kind.
  const std::array<std::uint64_t, kBadKindCount>& bad_counts() const { return bad_counts_; }

  /// The largest amount by which a timestamp had to run ahead of `now` to stay unique
  /// within its series (more than 1000 readings per second per series at millisecond
  /// resolution would otherwise repeat, and the daemon would treat them as duplicates).
  Micros max_timestamp_lead() const { return max_lead_; }

 private:
  struct Series {
    std::string building;
    std::string room;
    std::size_t metric = 0;  ///< index into settings_.metrics
    std::string topic;
    std::string sensor_id;
    double value = 0;
    std::int64_t last_ms = 0;  ///< last timestamp sent, in ms since the epoch
  };

  double step(Series& s);
  std::int64_t unique_ms(Series& s, Micros now);
  void write_reading(const Series& s, std::string_view value_key, std::string_view value,
                     std::int64_t ms, std::string& out) const;

  ModelSettings settings_;
  std::vector<Series> series_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> normal_{0.0, 1.0};
  std::uint64_t emitted_ = 0;
  std::uint64_t bad_emitted_ = 0;
  std::array<std::uint64_t, kBadKindCount> bad_counts_{};
  Micros max_lead_ = 0;
};

}  // namespace roomtemp::sim
