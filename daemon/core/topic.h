#pragma once
#include <string>
#include <string_view>

namespace roomtemp {

/// True for 1-64 characters of A-Z a-z 0-9 _ - . (building, room, sensor and metric ids).
bool valid_id(std::string_view id);

/// The parts of a sensor topic `buildings/{building}/rooms/{room}/{metric}`.
struct SensorTopic {
  std::string building;
  std::string room;
  std::string metric;
};

/// Splits a sensor topic. On failure returns false and says why in `why`; `bad_id` tells
/// whether the shape was right but an id was not.
bool parse_sensor_topic(std::string_view topic, SensorTopic& out, std::string& why, bool& bad_id);

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
inline constexpr std::string_view kRejectedTopic = "roomtemp/rejected";

}  // namespace roomtemp
