#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "duration.h"
#include "timeutil.h"

namespace roomtemp {

/// One accepted measurement. Every source (MQTT, HTTP POST, spool replay) produces this.
struct Reading {
  Micros ts = 0;  ///< when it was measured (or received, when the sensor did not say)
  std::string building;
  std::string room;
  std::string metric;
  double value = 0;
  std::optional<std::string> sensor_id;
  Micros received_at = 0;
};

/// Why input was refused. The names are stable: they label metrics and fill
/// `rejected_readings.reason`.
enum class RejectReason {
  bad_topic,         ///< not buildings/{b}/rooms/{r}/{metric} (nor any configured source's)
  bad_id,            ///< building, room or sensor_id outside 1-64 of A-Z a-z 0-9 _ - .
  unknown_metric,    ///< metric not configured
  too_large,         ///< payload over 4 KiB
  bad_payload,       ///< not a number nor a JSON object with the value
  not_finite,        ///< NaN or infinity
  out_of_range,      ///< outside the metric's [min, max]
  bad_timestamp,     ///< timestamp present but unparsable
  future_timestamp,  ///< further ahead than averages.max_future_skew
  rate_limited,      ///< its building/room/metric sends faster than limits.series_rate
  too_many_series,   ///< a new building/room/metric past limits.max_series
  unknown_device,    ///< a source's {device} that its `devices` does not map
};
inline constexpr int kRejectReasonCount = 12;

std::string_view reason_name(RejectReason r);

/// Why one input is not a reading, whatever its source (a topic, a payload, a POSTed item, a
/// check or a limit): a value, so callers branch on `reason`, never on the text.
struct Refusal {
  RejectReason reason = RejectReason::bad_payload;
  std::string detail;  ///< human-readable, e.g. "150 is outside [-60, 100]"
};

/// Input that was refused, kept with its reason.
struct Rejection {
  Micros received_at = 0;
  std::string topic;
  std::string payload;
  RejectReason reason = RejectReason::bad_payload;
  std::string detail;  ///< human-readable, e.g. "150 is outside [-60, 100]"
  /// Names this rejection wherever it goes (queue, spool, journal, rejected_readings.id), so
  /// that writing it again — a replay after a crash, a commit whose answer was lost — stores
  /// it once, as the unique key does for readings. Random, from make_rejection.
  std::uint64_t id = 0;
};

/// A fresh random rejection id (never 0).
std::uint64_t new_rejection_id();

/// A transition of an alarm rule or of a silent sensor (README "Alarms and silent sensors"): a
/// row of alarm_events, waiting in the queue and the spool like readings until it is stored.
struct AlarmEvent {
  Micros ts = 0;  ///< when the new state began
  std::string building;
  std::string room;
  std::string metric;
  std::string alarm;                   ///< the rule's name, or "silent" for a sensor's silence
  std::string state;                   ///< firing | ok for a rule; silent | reporting for a sensor
  std::optional<double> value;         ///< a rule's live average then (none: an empty window)
  std::optional<Micros> last_reading;  ///< silence: the newest reading then (none: not known)
  /// A rule's transition: the rule's threshold, window and whole definition (rule_definition in
  /// alarm_rules.h) then. None for silence, and for a rule whose definition is not known.
  std::optional<double> threshold;
  std::optional<Duration> window;
  std::string rule;
};

/// What the ingest queue carries to the writer.
using Inbound = std::variant<Reading, Rejection, AlarmEvent>;

}  // namespace roomtemp
