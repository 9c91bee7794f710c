#pragma once
// What the routes of the services roomtemp replaces (rest_compat.cpp, rest_compat_sensors.cpp)
// read differently from /v1: times without an offset, and readings that name only a sensor
// (README, "Coming from another service").
#include <optional>
#include <string_view>

#include "sources.h"
#include "timeutil.h"

namespace roomtemp {

struct Config;

/// The building of a sensor that no source's `devices` places: its room is the sensor id.
inline constexpr std::string_view kUnmappedSensorBuilding = "sensors";

/// RFC 3339, or the same without an offset, which those services meant as UTC
/// ("2024-12-10T16:45:00"). nullopt for anything else.
std::optional<Micros> parse_time_utc_default(std::string_view text);

/// Where a bare sensor id's readings belong: the place the first source whose `devices` names
/// it gives (README, "Connecting real sensors"), else building "sensors", room = the id.
DevicePlace sensor_place(const Config& config, std::string_view sensor_id);

}  // namespace roomtemp
