// Home Assistant discovery configs (README "Home Assistant"): the exact JSON of each entity a
// series has, the ids it carries (stable, safe, never shared by two series), and the prefix.
#include "ha_discovery.h"

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace roomtemp {
namespace {

using json = nlohmann::json;

DiscoverySettings settings() {
  DiscoverySettings s;
  s.enabled = true;
  s.prefix = "homeassistant";
  s.metrics = {{"temperature", -60, 100, "°C"}, {"voc", 0, 5000, "ppb"}};
  s.windows = {std::chrono::minutes(1), std::chrono::minutes(15)};
  AlarmRule hot;
  hot.name = "too_hot";
  hot.metric = "temperature";
  hot.threshold = 28;
  hot.clear = 27;
  hot.window = std::chrono::minutes(1);
  hot.rooms = {"B1/*"};
  s.rules = {hot};
  s.silence = true;
  s.version = "1.2.3";
  return s;
}

const json kAvailability = {{"availability_topic", "roomtemp/status"},
                            {"payload_available", "online"},
                            {"payload_not_available", "offline"}};
const json kOrigin = {{"name", "roomtemp"}, {"sw_version", "1.2.3"}};
const json kRoomDevice = {{"identifiers", {"roomtemp_room_B1_101"}},
                          {"name", "B1 101"},
                          {"manufacturer", "roomtemp"},
                          {"model", "room"},
                          {"via_device", "roomtemp_building_B1"}};

json with_common(json j, const json& device) {
  for (auto& [k, v] : kAvailability.items()) j[k] = v;
  j["device"] = device;
  j["origin"] = kOrigin;
  return j;
}

TEST(HaDiscovery, ARoomHasASensorPerWindowAnAlarmPerCoveringRuleAndItsStatus) {
  const auto configs = discovery_configs(settings(), {"B1", "101", "temperature"});
  std::vector<std::string> topics;
  for (const auto& c : configs) topics.push_back(c.topic);
  EXPECT_EQ(topics,
            (std::vector<std::string>{
                "homeassistant/sensor/roomtemp/avg_B1_101_temperature_1m/config",
                "homeassistant/sensor/roomtemp/avg_B1_101_temperature_15m/config",
                "homeassistant/binary_sensor/roomtemp/alarm_B1_101_temperature_too_hot/config",
                "homeassistant/binary_sensor/roomtemp/status_B1_101_temperature/config"}));
  const std::string avg = "buildings/B1/rooms/101/temperature/average/15m";
  EXPECT_EQ(json::parse(configs[1].payload),
            with_common({{"name", "Temperature 15m average"},
                         {"unique_id", "roomtemp_avg_B1_101_temperature_15m"},
                         {"default_entity_id", "sensor.roomtemp_avg_b1_101_temperature_15m"},
                         {"state_topic", avg},
                         {"value_template", "{{ value_json.avg }}"},
                         {"json_attributes_topic", avg},
                         {"unit_of_measurement", "°C"},
                         {"device_class", "temperature"},
                         {"state_class", "measurement"}},
                        kRoomDevice));
  const std::string alarm = "buildings/B1/rooms/101/temperature/alarms/too_hot";
  EXPECT_EQ(
      json::parse(configs[2].payload),
      with_common({{"name", "Temperature alarm too_hot"},
                   {"unique_id", "roomtemp_alarm_B1_101_temperature_too_hot"},
                   {"default_entity_id", "binary_sensor.roomtemp_alarm_b1_101_temperature_too_hot"},
                   {"device_class", "problem"},
                   {"state_topic", alarm},
                   {"value_template", "{{ value_json.state }}"},
                   {"payload_on", "firing"},
                   {"payload_off", "ok"},
                   {"json_attributes_topic", alarm}},
                  kRoomDevice));
  const std::string status = "buildings/B1/rooms/101/temperature/status";
  EXPECT_EQ(json::parse(configs[3].payload),
            with_common({{"name", "Temperature reporting"},
                         {"unique_id", "roomtemp_status_B1_101_temperature"},
                         {"default_entity_id", "binary_sensor.roomtemp_status_b1_101_temperature"},
                         {"device_class", "connectivity"},
                         {"entity_category", "diagnostic"},
                         {"state_topic", status},
                         {"value_template", "{{ value_json.state }}"},
                         {"payload_on", "reporting"},
                         {"payload_off", "silent"},
                         {"json_attributes_topic", status}},
                        kRoomDevice));
}

TEST(HaDiscovery, ABuildingHasASensorPerWindowOnItsOwnDevice) {
  const auto configs = discovery_configs(settings(), {"B1", "", "temperature"});
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].topic, "homeassistant/sensor/roomtemp/bavg_B1_temperature_1m/config");
  const std::string avg = "buildings/B1/temperature/average/1m";
  EXPECT_EQ(json::parse(configs[0].payload),
            with_common({{"name", "Temperature 1m average"},
                         {"unique_id", "roomtemp_bavg_B1_temperature_1m"},
                         {"default_entity_id", "sensor.roomtemp_bavg_b1_temperature_1m"},
                         {"state_topic", avg},
                         {"value_template", "{{ value_json.avg }}"},
                         {"json_attributes_topic", avg},
                         {"unit_of_measurement", "°C"},
                         {"device_class", "temperature"},
                         {"state_class", "measurement"}},
                        {{"identifiers", {"roomtemp_building_B1"}},
                         {"name", "B1"},
                         {"manufacturer", "roomtemp"},
                         {"model", "building"}}));
}

TEST(HaDiscovery, RulesOnlyWhereTheyCoverSilenceOnlyWhenOnUnknownMetricNothing) {
  auto s = settings();
  EXPECT_EQ(discovery_configs(s, {"B2", "101", "temperature"}).size(), 3u);  // rule is B1/* only
  s.silence = false;
  EXPECT_EQ(discovery_configs(s, {"B1", "101", "temperature"}).size(), 3u);
  EXPECT_TRUE(discovery_configs(s, {"B1", "101", "pressure"}).empty());
  s.enabled = false;
  EXPECT_TRUE(discovery_configs(s, {"B1", "101", "temperature"}).empty());
  EXPECT_TRUE(discovery_topics(s, {"B1", "101", "temperature"}).empty());
}

TEST(HaDiscovery, AMetricWithoutADeviceClassHasNone) {
  const auto configs = discovery_configs(settings(), {"B1", "101", "voc"});
  ASSERT_FALSE(configs.empty());
  const json j = json::parse(configs[0].payload);
  EXPECT_FALSE(j.contains("device_class"));
  EXPECT_EQ(j["unit_of_measurement"], "ppb");
  EXPECT_EQ(metric_device_class("humidity"), "humidity");
  EXPECT_EQ(metric_device_class("co2"), "carbon_dioxide");
  EXPECT_EQ(metric_device_class("voc"), "");
}

TEST(HaDiscovery, TopicsAreTheConfigsTopics) {
  const auto s = settings();
  const SeriesKey k{"B1", "101", "temperature"};
  std::vector<std::string> from_configs;
  for (const auto& c : discovery_configs(s, k)) from_configs.push_back(c.topic);
  EXPECT_EQ(discovery_topics(s, k), from_configs);
}

TEST(DiscoveryId, CleanPartsStayReadable) {
  EXPECT_EQ(discovery_id("avg", {"B1", "101", "temperature", "15m"}),
            "roomtemp_avg_B1_101_temperature_15m");
  // The last part may hold '_': the parts before it fix where it starts.
  EXPECT_EQ(discovery_id("alarm", {"B1", "101", "temperature", "too_hot"}),
            "roomtemp_alarm_B1_101_temperature_too_hot");
}

TEST(DiscoveryId, SanitizedTextGetsAStableHash) {
  const std::string id = discovery_id("avg", {"B.1", "101", "temperature", "1m"});
  // Pinned: the same id in every run, build and machine (Home Assistant keeps entities by it).
  EXPECT_EQ(id, "roomtemp_avg_B_1_101_temperature_1m_71e86ec4");
  for (char c : id)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') << id;
  // A '_' in a part before the last could be read as a separator: hashed as well.
  EXPECT_EQ(discovery_id("avg", {"B_1", "101", "temperature", "1m"}).size(), id.size());
}

TEST(DiscoveryId, TuplesThatSanitizeAlikeNeverShareAnId) {
  std::set<std::string> ids;
  const std::vector<std::vector<std::string_view>> tuples = {
      {"B_1", "2", "temperature", "1m"}, {"B", "1_2", "temperature", "1m"},
      {"B.1", "2", "temperature", "1m"}, {"B_1", "2", "temperature", "1m "},
      {"B", "1.2", "temperature", "1m"}, {"B-1", "2", "temperature", "1m"},
      {"B1", "2", "temperature", "1m"},
  };
  for (const auto& t : tuples) EXPECT_TRUE(ids.insert(discovery_id("avg", t)).second);
  // The kind is part of the id: a building's and a room's series differ though parts align.
  EXPECT_NE(discovery_id("bavg", {"B1", "temperature", "1m"}),
            discovery_id("avg", {"B1", "temperature", "1m"}));
}

TEST(DiscoveryPrefix, Valid) {
  for (const char* p : {"homeassistant", "ha", "site-1/ha", "a_b/c-d/e"})
    EXPECT_TRUE(valid_discovery_prefix(p)) << p;
  for (const char* p : {"", "/ha", "ha/", "a//b", "ha/#", "ha/+", "h a", "hä"})
    EXPECT_FALSE(valid_discovery_prefix(p)) << p;
  EXPECT_FALSE(valid_discovery_prefix(std::string(101, 'a')));
  EXPECT_EQ(discovery_filter("homeassistant"), "homeassistant/+/roomtemp/+/config");
}

TEST(DiscoverySettings, ReadsTheConfiguration) {
  Config c;
  c.homeassistant.discovery = true;
  c.homeassistant.prefix = "ha";
  c.silence.after = Duration(0);
  const auto s = DiscoverySettings::of(c, "9.9.9");
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.prefix, "ha");
  EXPECT_FALSE(s.silence);
  EXPECT_EQ(s.windows, c.averages.windows);
  ASSERT_EQ(s.metrics.size(), 1u);
  EXPECT_EQ(s.metrics[0].name, "temperature");
  EXPECT_EQ(s.metrics[0].unit, "°C");
  EXPECT_EQ(s.version, "9.9.9");
}

// Settings keep only what the configs show, so a reload that changes a metric's range or a
// rule's threshold announces nothing again; a new unit or rule room pattern does.
TEST(DiscoverySettings, OnlyWhatTheConfigsShowCounts) {
  Config c;
  c.homeassistant.discovery = true;
  AlarmRule hot;
  hot.name = "too_hot";
  hot.metric = "temperature";
  hot.threshold = 28;
  hot.window = std::chrono::minutes(1);
  c.alarms = {hot};
  const auto before = DiscoverySettings::of(c, "1");
  Config other = c;
  other.metrics[0].max = 50;
  other.alarms[0].threshold = 30;
  other.alarms[0].clear = 29;
  EXPECT_EQ(DiscoverySettings::of(other, "1"), before);
  other.metrics[0].unit = "K";
  EXPECT_NE(DiscoverySettings::of(other, "1"), before);
  other = c;
  other.alarms[0].rooms = {"B1/*"};
  EXPECT_NE(DiscoverySettings::of(other, "1"), before);
}

}  // namespace
}  // namespace roomtemp
