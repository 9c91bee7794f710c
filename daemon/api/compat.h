#pragma once
// What the routes of the services roomtemp replaces (rest_compat*.cpp) read differently from
// /v1: times without an offset, durations in InfluxDB's spelling, and readings that name only a
// sensor or device (README, "Coming from another service").
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "duration.h"
#include "sources.h"
#include "timeutil.h"

namespace roomtemp {

struct Config;

/// The building of a sensor that no source's `devices` places: its room is the sensor id.
inline constexpr std::string_view kUnmappedSensorBuilding = "sensors";

/// RFC 3339, or the same without an offset, which those services meant as UTC
/// ("2024-12-10T16:45:00"). nullopt for anything else.
std::optional<Micros> parse_time_utc_default(std::string_view text);

/// A posted `timestamp` as /v1 reads it: a time without an offset becomes the same time in UTC
/// with "Z"; anything else is returned as it is, for the ingest to accept or refuse.
nlohmann::json utc_timestamp(const nlohmann::json& value);

/// A duration as the Flask service's `duration=` took it (InfluxDB's spelling): one or more
/// integer-and-unit parts, units ms, s, m, h, d and w ("15m", "1h30m", "2w"). nullopt for
/// anything else, zero included.
std::optional<Duration> parse_any_duration(std::string_view text);

/// Where a bare sensor id's readings belong: the place the first source whose `devices` names
/// it gives (README, "Connecting real sensors"), else building "sensors", room = the id.
DevicePlace sensor_place(const Config& config, std::string_view sensor_id);

}  // namespace roomtemp
