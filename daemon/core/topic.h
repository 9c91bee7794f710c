#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "reading.h"

namespace roomtemp {

/// True for 1-64 characters of A-Z a-z 0-9 _ - . (building, room, sensor and metric ids).
bool valid_id(std::string_view id);

/// Where a reading belongs: the parts of a sensor topic
/// `buildings/{building}/rooms/{room}/{metric}`, or what a POSTed reading names in their place.
struct SensorTopic {
  std::string building;
  std::string room;
  std::string metric;
};

/// Splits a sensor topic, or refuses it: bad_topic when it is not of that shape, else as
/// check_address says.
std::variant<SensorTopic, Refusal> parse_sensor_topic(std::string_view topic);

/// The ids of an address, checked in the order a topic names them: bad_id quoting the building
/// or room id, unknown_metric for a metric name no configuration could hold; nullopt when valid.
std::optional<Refusal> check_address(std::string_view building, std::string_view room,
                                     std::string_view metric);

/// The refusal of a building or room id (`what`) that is not valid_id, quoting it.
Refusal id_refusal(std::string_view what, std::string_view id);
/// The refusal of a metric that is not configured, quoting it.
Refusal metric_refusal(std::string_view metric);
/// The detail of a sensor_id that is not valid_id.
inline constexpr std::string_view kBadSensorIdDetail =
    "sensor_id must be 1-64 characters of A-Z a-z 0-9 _ - .";

/// True for topics the daemon itself publishes (averages, roomtemp/…), which it never
/// treats as input even when a subscription would match them.
bool is_own_output_topic(std::string_view topic);

/// `text` fit for a log line or a detail that quotes input: control characters, DEL and bytes
/// that are not UTF-8 become \xNN; past `max_bytes` it is cut at a character and ends in "…".
std::string printable(std::string_view text, std::size_t max_bytes = 80);

/// `text` fit for a PostgreSQL text column, which refuses NUL and invalid UTF-8 (and with them
/// the whole batch): those bytes become \xNN, and past `max_bytes` it is cut at a character.
/// Valid text within the bound comes back unchanged; `cut` (when given) says whether it was cut.
std::string storable_text(std::string_view text, std::size_t max_bytes, bool* cut = nullptr);

/// Output topics.
std::string room_average_topic(std::string_view building, std::string_view room,
                               std::string_view metric, std::string_view window);
std::string building_average_topic(std::string_view building, std::string_view metric,
                                   std::string_view window);
/// A rule's retained state for a room's metric: buildings/{b}/rooms/{r}/{metric}/alarms/{name}.
std::string room_alarm_topic(std::string_view building, std::string_view room,
                             std::string_view metric, std::string_view alarm);
/// Whether a room's metric reports or is silent: buildings/{b}/rooms/{r}/{metric}/status.
std::string room_status_topic(std::string_view building, std::string_view room,
                              std::string_view metric);
inline constexpr std::string_view kRejectedTopic = "roomtemp/rejected";
/// Every alarm and silence transition, not retained.
inline constexpr std::string_view kEventsTopic = "roomtemp/events";

}  // namespace roomtemp
