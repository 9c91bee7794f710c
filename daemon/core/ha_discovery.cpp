#include "ha_discovery.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "alarm_rules.h"
#include "topic.h"

namespace roomtemp {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kNode = "roomtemp";  ///< the node id level of every config topic

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

/// FNV-1a, 64 bits, over the parts each ended by a NUL (no part holds one): stable across runs,
/// builds and machines, unlike std::hash.
std::uint64_t parts_hash(std::string_view kind, const std::vector<std::string_view>& parts) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0u) * 1099511628211ull;
  };
  mix(kind);
  for (auto p : parts) mix(p);
  return h;
}

/// "relative_humidity" → "Relative humidity": how Home Assistant shows an entity's name.
std::string display_name(std::string_view metric) {
  std::string out(metric);
  for (char& c : out)
    if (c == '_' || c == '.' || c == '-') c = ' ';
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string config_topic(const DiscoverySettings& s, std::string_view component,
                         const std::string& id) {
  // The topic's object id is the unique id without the node's name in front.
  const std::string_view object = std::string_view(id).substr(kNode.size() + 1);
  return fmt::format("{}/{}/{}/{}/config", s.prefix, component, kNode, object);
}

Json building_device(std::string_view b) {
  return Json{{"identifiers", Json::array({discovery_id("building", {b})})},
              {"name", std::string(b)},
              {"manufacturer", "roomtemp"},
              {"model", "building"}};
}

Json room_device(std::string_view b, std::string_view r) {
  return Json{{"identifiers", Json::array({discovery_id("room", {b, r})})},
              {"name", fmt::format("{} {}", b, r)},
              {"manufacturer", "roomtemp"},
              {"model", "room"},
              {"via_device", discovery_id("building", {b})}};
}

/// The fields every entity shares: ids, availability, device and origin around `fields`.
Json entity(const DiscoverySettings& s, std::string_view component, const std::string& id,
            std::string name, Json fields, Json device) {
  Json j{{"name", std::move(name)},
         {"unique_id", id},
         {"default_entity_id", fmt::format("{}.{}", component, lower(id))}};
  for (auto& [k, v] : fields.items()) j[k] = v;
  j["availability_topic"] = std::string(kStatusTopic);
  j["payload_available"] = std::string(kOnline);
  j["payload_not_available"] = std::string(kOffline);
  j["device"] = std::move(device);
  j["origin"] = Json{{"name", "roomtemp"}, {"sw_version", s.version}};
  return j;
}

/// A sensor of one window's average: its value is the message's `avg` (null, for an empty
/// window, renders "None", which Home Assistant shows as unknown); the whole message (min, max,
/// count, from, to) becomes its attributes.
Json average_fields(const MetricConfig& m, const std::string& state_topic) {
  Json f{{"state_topic", state_topic},
         {"value_template", "{{ value_json.avg }}"},
         {"json_attributes_topic", state_topic}};
  if (!m.unit.empty()) {
    f["unit_of_measurement"] = m.unit;
    // Home Assistant checks a device class's unit; without a unit none is claimed.
    if (auto dc = metric_device_class(m.name); !dc.empty()) f["device_class"] = std::string(dc);
  }
  f["state_class"] = "measurement";
  return f;
}

/// Calls `out(component, id, payload builder)` for each entity of the series, the payload built
/// only when asked (a removal needs topics alone).
template <typename Out>
void each_entity(const DiscoverySettings& s, const SeriesKey& k, Out&& out) {
  if (!s.enabled) return;
  const MetricConfig* metric = nullptr;
  for (const auto& m : s.metrics)
    if (m.name == k.metric) metric = &m;
  if (!metric) return;
  const std::string label = display_name(k.metric);
  for (auto w : s.windows) {
    const std::string window = format_duration(w);
    if (k.room.empty()) {
      out("sensor", discovery_id("bavg", {k.building, k.metric, window}),
          [&](const std::string& id) {
            return entity(
                s, "sensor", id, fmt::format("{} {} average", label, window),
                average_fields(*metric, building_average_topic(k.building, k.metric, window)),
                building_device(k.building));
          });
    } else {
      out("sensor", discovery_id("avg", {k.building, k.room, k.metric, window}),
          [&](const std::string& id) {
            return entity(
                s, "sensor", id, fmt::format("{} {} average", label, window),
                average_fields(*metric, room_average_topic(k.building, k.room, k.metric, window)),
                room_device(k.building, k.room));
          });
    }
  }
  if (k.room.empty()) return;
  for (const auto& rule : s.rules) {
    if (rule.metric != k.metric || !rule_covers(rule, k.building, k.room)) continue;
    out("binary_sensor", discovery_id("alarm", {k.building, k.room, k.metric, rule.name}),
        [&](const std::string& id) {
          const std::string topic = room_alarm_topic(k.building, k.room, k.metric, rule.name);
          return entity(s, "binary_sensor", id, fmt::format("{} alarm {}", label, rule.name),
                        Json{{"device_class", "problem"},
                             {"state_topic", topic},
                             {"value_template", "{{ value_json.state }}"},
                             {"payload_on", "firing"},
                             {"payload_off", "ok"},
                             {"json_attributes_topic", topic}},
                        room_device(k.building, k.room));
        });
  }
  if (s.silence) {
    out("binary_sensor", discovery_id("status", {k.building, k.room, k.metric}),
        [&](const std::string& id) {
          const std::string topic = room_status_topic(k.building, k.room, k.metric);
          return entity(s, "binary_sensor", id, fmt::format("{} reporting", label),
                        Json{{"device_class", "connectivity"},
                             {"entity_category", "diagnostic"},
                             {"state_topic", topic},
                             {"value_template", "{{ value_json.state }}"},
                             {"payload_on", "reporting"},
                             {"payload_off", "silent"},
                             {"json_attributes_topic", topic}},
                        room_device(k.building, k.room));
        });
  }
}

}  // namespace

bool valid_discovery_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 100 || prefix.front() == '/' || prefix.back() == '/')
    return false;
  char before = 0;
  for (char c : prefix) {
    if (c == '/' && before == '/') return false;
    if (c != '/' && !id_char(c)) return false;
    before = c;
  }
  return true;
}

DiscoverySettings DiscoverySettings::of(const Config& c, std::string version) {
  DiscoverySettings s;
  s.enabled = c.homeassistant.discovery;
  s.prefix = c.homeassistant.prefix;
  // Only what the configs show: a new range or threshold announces nothing again.
  for (const auto& m : c.metrics) s.metrics.push_back({m.name, 0, 0, m.unit});
  s.windows = c.averages.windows;
  for (const auto& r : c.alarms) {
    AlarmRule shown;
    shown.name = r.name;
    shown.metric = r.metric;
    shown.rooms = r.rooms;
    s.rules.push_back(std::move(shown));
  }
  s.silence = c.silence.after.count() > 0;
  s.version = std::move(version);
  return s;
}

std::string discovery_id(std::string_view kind, const std::vector<std::string_view>& parts) {
  std::string id = fmt::format("{}_{}", kNode, kind);
  bool changed = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    id += '_';
    for (char c : parts[i]) {
      if (!id_char(c)) {
        changed = true;
        c = '_';
      } else if (c == '_' && i + 1 < parts.size()) {
        changed = true;  // the '_' could be read as the separator
      }
      id += c;
    }
  }
  if (changed) id += fmt::format("_{:08x}", static_cast<std::uint32_t>(parts_hash(kind, parts)));
  return id;
}

std::string_view metric_device_class(std::string_view metric) {
  static constexpr std::pair<std::string_view, std::string_view> kClasses[] = {
      {"temperature", "temperature"},
      {"humidity", "humidity"},
      {"co2", "carbon_dioxide"},
      {"carbon_dioxide", "carbon_dioxide"},
      {"co", "carbon_monoxide"},
      {"pressure", "pressure"},
      {"illuminance", "illuminance"},
      {"lux", "illuminance"},
      {"pm1", "pm1"},
      {"pm25", "pm25"},
      {"pm10", "pm10"},
      {"battery", "battery"},
      {"voltage", "voltage"},
      {"power", "power"},
      {"energy", "energy"},
      {"moisture", "moisture"},
      {"noise", "sound_pressure"},
  };
  for (const auto& [name, dc] : kClasses)
    if (name == metric) return dc;
  return {};
}

std::vector<DiscoveryConfig> discovery_configs(const DiscoverySettings& s, const SeriesKey& key) {
  std::vector<DiscoveryConfig> out;
  each_entity(s, key, [&](std::string_view component, const std::string& id, auto&& payload) {
    out.push_back({config_topic(s, component, id), payload(id).dump()});
  });
  return out;
}

std::vector<std::string> discovery_topics(const DiscoverySettings& s, const SeriesKey& key) {
  std::vector<std::string> out;
  each_entity(s, key, [&](std::string_view component, const std::string& id, auto&&) {
    out.push_back(config_topic(s, component, id));
  });
  return out;
}

std::string discovery_filter(std::string_view prefix) {
  return fmt::format("{}/+/{}/+/config", prefix, kNode);
}

}  // namespace roomtemp
