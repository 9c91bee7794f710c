#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "reading.h"
#include "topic.h"

namespace roomtemp {

/// Sensor payloads are at most this many bytes.
inline constexpr std::size_t kMaxPayloadBytes = 4096;

/// What a payload says, before range and time checks.
struct PayloadFields {
  double value = 0;
  std::optional<Micros> ts;
  std::optional<std::string> sensor_id;
};

/// The size rule of a sensor payload (README "Topics and payloads"): too_large past
/// kMaxPayloadBytes, else nullopt. A POSTed reading is not held to it (the body has its own).
std::optional<Refusal> check_payload_size(std::string_view payload);

/// `s` without JSON's whitespace (space, tab, CR, LF) at either end.
std::string_view trim_json_whitespace(std::string_view s);

/// A bare number, strictly: the whole text is the number ("+5" yes, "+-5" no); NaN and the
/// infinities read as such (1e999 as infinity), for the caller to refuse as not_finite.
bool parse_bare_number(std::string_view s, double& out);

/// Reads a bare number or a JSON object whose value key is `metric` or `value`, with optional
/// `timestamp` (RFC 3339, epoch seconds or epoch milliseconds) and `sensor_id`. A leading UTF-8
/// byte order mark is skipped. Checks neither size (check_payload_size) nor the value's range.
/// MQTT payloads and POSTed readings are both read here, so the same fields get the same text.
std::variant<PayloadFields, Refusal> read_payload(std::string_view payload,
                                                  std::string_view metric);

/// A sensor payload whole: check_payload_size, then read_payload.
std::variant<PayloadFields, Refusal> parse_payload(std::string_view payload,
                                                   std::string_view metric);

/// Where a POSTed reading belongs (README "REST API"): the `building_id`, `room_id` and
/// `metric` (`default_metric` when absent) of a JSON object, checked by check_address. Its
/// value, timestamp and sensor_id are read_payload's to read.
std::variant<SensorTopic, Refusal> read_posted_address(std::string_view item,
                                                       std::string_view default_metric);

/// Parses a timestamp given as RFC 3339 text.
std::optional<Micros> parse_timestamp_text(std::string_view text);

/// Converts epoch seconds (possibly fractional) to Micros; nullopt when not representable
/// or before 1970.
std::optional<Micros> epoch_seconds_to_micros(double seconds);

/// A numeric timestamp at or past this is epoch milliseconds, not seconds: as seconds it would
/// lie after the year 5138, as milliseconds it is any time since 1973-03-03.
inline constexpr double kEpochMillisecondsFrom = 1e11;

/// A numeric `timestamp` as sensors send it: epoch seconds, or epoch milliseconds when at least
/// kEpochMillisecondsFrom. nullopt when not representable or before 1970.
std::optional<Micros> epoch_number_to_micros(double number);

}  // namespace roomtemp
