#include "topic.h"

#include <mosquitto.h>

#include <vector>

namespace roomtemp {

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {

std::vector<std::string_view> split_levels(std::string_view topic) {
  std::vector<std::string_view> levels;
  size_t start = 0;
  while (true) {
    size_t slash = topic.find('/', start);
    levels.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return levels;
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 80)) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "…";
  return out;
}

}  // namespace

bool parse_sensor_topic(std::string_view topic, SensorTopic& out, std::string& why, bool& bad_id) {
  bad_id = false;
  auto levels = split_levels(topic);
  if (levels.size() != 5 || levels[0] != "buildings" || levels[2] != "rooms") {
    why = "topic is not buildings/{building}/rooms/{room}/{metric}";
    return false;
  }
  if (!valid_id(levels[1])) {
    why = "bad building id '" + printable(levels[1]) + "'";
    bad_id = true;
    return false;
  }
  if (!valid_id(levels[3])) {
    why = "bad room id '" + printable(levels[3]) + "'";
    bad_id = true;
    return false;
  }
  if (!valid_id(levels[4])) {
    // Not a metric name we could ever have configured: the caller reports unknown_metric.
    why = "unknown metric '" + printable(levels[4]) + "'";
    bad_id = false;
    return false;
  }
  out.building = std::string(levels[1]);
  out.room = std::string(levels[3]);
  out.metric = std::string(levels[4]);
  return true;
}

bool is_own_output_topic(std::string_view topic) {
  if (topic.substr(0, 9) == "roomtemp/") return true;
  auto levels = split_levels(topic);
  // buildings/{b}/rooms/{r}/{metric}/average/{window} and buildings/{b}/{metric}/average/{window}
  if (levels.size() == 7 && levels[0] == "buildings" && levels[2] == "rooms" &&
      levels[5] == "average")
    return true;
  if (levels.size() == 5 && levels[0] == "buildings" && levels[2] != "rooms" &&
      levels[3] == "average")
    return true;
  return false;
}

bool valid_subscription(const std::string& filter) {
  // mosquitto_sub_topic_check accepts "", which MQTT forbids as a filter.
  return !filter.empty() && mosquitto_sub_topic_check(filter.c_str()) == MOSQ_ERR_SUCCESS;
}

std::string room_average_topic(std::string_view building, std::string_view room,
                               std::string_view metric, std::string_view window) {
  std::string t = "buildings/";
  t.append(building).append("/rooms/").append(room).append("/").append(metric);
  t.append("/average/").append(window);
  return t;
}

std::string building_average_topic(std::string_view building, std::string_view metric,
                                   std::string_view window) {
  std::string t = "buildings/";
  t.append(building).append("/").append(metric).append("/average/").append(window);
  return t;
}

}  // namespace roomtemp
