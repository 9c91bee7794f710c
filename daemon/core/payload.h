#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "reading.h"

namespace roomtemp {

/// Sensor payloads are at most this many bytes.
inline constexpr std::size_t kMaxPayloadBytes = 4096;

/// What a payload says, before range and time checks.
struct PayloadFields {
  double value = 0;
  std::optional<Micros> ts;
  std::optional<std::string> sensor_id;
};

/// A refusal: the reason and a human-readable detail.
struct Refusal {
  RejectReason reason;
  std::string detail;
};

/// Parses a bare number or a JSON object whose value key is `metric` or `value`, with optional
/// `timestamp` (RFC 3339, epoch seconds or epoch milliseconds) and `sensor_id`. A leading
/// UTF-8 byte order mark is skipped. Returns false and fills `refusal`
/// when the payload is unusable. Does not check the value's range.
bool parse_payload(std::string_view payload, std::string_view metric, PayloadFields& out,
                   Refusal& refusal);

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
