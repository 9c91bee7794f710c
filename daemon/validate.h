#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config.h"
#include "payload.h"
#include "reading.h"

namespace roomtemp {

/// The checks every reading passes whatever its source: ids, metric, finite value within the
/// metric's range, timestamp not too far ahead of `received_at`.
/// Returns the refusal, or nullopt when the reading is acceptable.
std::optional<Refusal> check_reading(Reading& r, const Config& config);

/// Turns one MQTT message into a Reading or a Rejection.
Inbound classify_message(std::string_view topic, std::string_view payload, Micros now,
                         const Config& config);

}  // namespace roomtemp
