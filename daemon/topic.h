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

/// True for a well-formed MQTT subscription filter.
bool valid_subscription(const std::string& filter);

/// Output topics.
std::string room_average_topic(std::string_view building, std::string_view room,
                               std::string_view metric, std::string_view window);
std::string building_average_topic(std::string_view building, std::string_view metric,
                                   std::string_view window);
inline constexpr std::string_view kRejectedTopic = "roomtemp/rejected";

}  // namespace roomtemp
