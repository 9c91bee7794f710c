#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config.h"
#include "payload.h"
#include "reading.h"

namespace roomtemp {

/// What a rejection keeps of the input, so that a flood of oversized messages cannot fill
/// rejected_readings, the queue or roomtemp/rejected: the payload's first 8 KiB (twice the
/// largest valid payload, so one just over the limit is kept whole) and the topic's first KiB
/// (ids are at most 64 characters; MQTT allows 64 KiB).
inline constexpr std::size_t kMaxRejectedPayloadBytes = 2 * kMaxPayloadBytes;
inline constexpr std::size_t kMaxRejectedTopicBytes = 1024;
/// The longest detail kept (details quote input, e.g. an unknown metric's name).
inline constexpr std::size_t kMaxRejectedDetailBytes = 1024;

/// A Rejection fit to store and publish, whatever the input: payload and topic cut to the
/// bounds above (the detail then says so, with the original size), topic and detail made
/// valid UTF-8 without NUL as PostgreSQL text requires. Every rejection is made here.
Rejection make_rejection(Micros received_at, std::string_view topic, std::string_view payload,
                         RejectReason reason, std::string_view detail);

/// The checks every reading passes whatever its source: ids, metric, finite value within the
/// metric's range, timestamp not too far ahead of `received_at`.
/// Returns the refusal, or nullopt when the reading is acceptable.
std::optional<Refusal> check_reading(Reading& r, const Config& config);

/// Turns one MQTT message into a Reading or a Rejection. `stamped_on_arrival` (when given) is
/// set to whether an accepted reading carried no timestamp of its own.
Inbound classify_message(std::string_view topic, std::string_view payload, Micros now,
                         const Config& config, bool* stamped_on_arrival = nullptr);

/// Turns one POSTed reading (README "REST API"), the JSON text of its object, into a Reading or
/// a refusal: its address from read_posted_address, then the steps of an MQTT message's
/// payload, so that the same fields get the same refusal whichever way they came.
std::variant<Reading, Refusal> classify_posted(std::string_view item, Micros now,
                                               const Config& config);

/// The metric of a POSTed reading that names none: temperature when configured, else the
/// first configured metric.
std::string_view default_posted_metric(const Config& config);

}  // namespace roomtemp
