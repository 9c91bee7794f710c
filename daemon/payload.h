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
/// `timestamp` (RFC 3339 or epoch seconds) and `sensor_id`. Returns false and fills `refusal`
/// when the payload is unusable. Does not check the value's range.
bool parse_payload(std::string_view payload, std::string_view metric, PayloadFields& out,
                   Refusal& refusal);

/// Parses a timestamp given as RFC 3339 text.
std::optional<Micros> parse_timestamp_text(std::string_view text);

/// Converts epoch seconds (possibly fractional) to Micros; nullopt when not representable
/// or before 1970.
std::optional<Micros> epoch_seconds_to_micros(double seconds);

}  // namespace roomtemp
