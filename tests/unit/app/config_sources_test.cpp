// `sources:` (README "Connecting real sensors"): valid lists become a SourceSet and the
// subscriptions; each mistake is one error at its FILE:LINE:COL; every example config in
// config/sources/ is valid. Line and column numbers are counted by hand (1-based).
#include <gtest/gtest.h>

#include <filesystem>

#include "config_file.h"
#include "config_test_support.h"

namespace roomtemp {
namespace {

using namespace config_test;

const std::string kSourcesHead =
    "postgres: {dsn: dbname=x}\n"            // 1
    "metrics:\n"                             // 2
    "  temperature: {min: -60, max: 100}\n"  // 3
    "  humidity: {min: 0, max: 100}\n";      // 4

TEST(ConfigSources, AbsentMeansTheNativeSchemeOnTheSubscriptions) {
  const Config c = valid(kSourcesHead);
  EXPECT_FALSE(c.sources);
  EXPECT_EQ(c.mqtt.subscriptions, (std::vector<std::string>{"buildings/+/rooms/+/+"}));
  const Config null_sources = valid(kSourcesHead + "sources: ~\n");
  EXPECT_FALSE(null_sources.sources);
}

TEST(ConfigSources, ReadsEveryKeyAndSubscribesToTheirFilters) {
  const Config c = valid(kSourcesHead +
                         "sources:\n"
                         "  - topic: \"buildings/{building}/rooms/{room}/{metric}\"\n"
                         "  - topic: \"zigbee2mqtt/{building}/{room}\"\n"
                         "    values: { temperature: temperature, humidity: humidity }\n"
                         "  - topic: \"tele/{device}/SENSOR\"\n"
                         "    values: { temperature: DS18B20.Temperature }\n"
                         "    timestamp: Time\n"
                         "    timezone: Europe/Zurich\n"
                         "    devices: { kitchen: { building: B1, room: kitchen } }\n"
                         "  - topic: \"shellies/{device}/sensor/temperature\"\n"
                         "    values: { temperature: \"\" }\n"
                         "    devices: { shellyht-1: { building: B2, room: \"201\" } }\n");
  ASSERT_TRUE(c.sources);
  ASSERT_EQ(c.sources->sources.size(), 4u);
  EXPECT_EQ(c.mqtt.subscriptions,
            (std::vector<std::string>{"buildings/+/rooms/+/+", "zigbee2mqtt/+/+", "tele/+/SENSOR",
                                      "shellies/+/sensor/temperature"}));
  const Source& tasmota = c.sources->sources[2];
  EXPECT_EQ(tasmota.values.size(), 1u);
  EXPECT_EQ(tasmota.values[0].second.keys, (std::vector<std::string>{"DS18B20", "Temperature"}));
  ASSERT_TRUE(tasmota.timestamp);
  EXPECT_TRUE(tasmota.zone.zone);
  EXPECT_EQ(tasmota.devices.at("kitchen").room, "kitchen");
  EXPECT_EQ(tasmota.line, 9);
  EXPECT_TRUE(c.sources->sources[3].values[0].second.keys.empty());
}

TEST(ConfigSources, ADevicePathPlacesEachRecordThroughDevices) {
  const Config c = valid(kSourcesHead +
                         "sources:\n"
                         "  - topic: \"lorawan/{building}/uplink\"\n"
                         "    values: { temperature: decoded.temperature }\n"
                         "    device: end_device_ids.dev_eui\n"
                         "    devices: { a84041000181c061: { building: B1, room: \"101\" } }\n");
  ASSERT_TRUE(c.sources);
  const Source& s = c.sources->sources.at(0);
  ASSERT_TRUE(s.device);
  EXPECT_EQ(s.device->keys, (std::vector<std::string>{"end_device_ids", "dev_eui"}));
  EXPECT_EQ(s.devices.at("a84041000181c061").room, "101");
}

TEST(ConfigSources, GivenSubscriptionsAreNativeSourcesBesideThem) {
  const Config c = valid(kSourcesHead +
                         "mqtt:\n"
                         "  subscriptions: [\"buildings/#\"]\n"
                         "sources:\n"
                         "  - topic: \"zigbee2mqtt/{building}/{room}\"\n"
                         "    values: { temperature: temperature }\n");
  ASSERT_TRUE(c.sources);
  ASSERT_EQ(c.sources->sources.size(), 2u);
  EXPECT_TRUE(c.sources->sources[0].subscription);
  EXPECT_EQ(c.mqtt.subscriptions, (std::vector<std::string>{"buildings/#", "zigbee2mqtt/+/+"}));
  // A filter that cannot be a native source beside them is an error, never left out.
  for (const char* filter : {"site/{x}/#", "$share/g/buildings/#"}) {
    SCOPED_TRACE(filter);
    ConfigError e = one_error(kSourcesHead + "mqtt:\n  subscriptions: [\"" + filter +
                              "\"]\nsources:\n  - topic: \"zigbee2mqtt/{building}/{room}\"\n"
                              "    values: { temperature: temperature }\n");
    EXPECT_AT(e, 6, 19);
    EXPECT_MENTIONS(e, "cannot stand beside sources");
  }
}

TEST(ConfigSources, OverlappingSourcesAreAnErrorAtTheLaterOne) {
  ConfigError e = one_error(kSourcesHead +
                            "sources:\n"                                      // 5
                            "  - topic: \"zigbee2mqtt/{building}/{room}\"\n"  // 6
                            "    values: { temperature: temperature }\n"      // 7
                            "  - topic: \"zigbee2mqtt/{device}/+\"\n"         // 8, col 12
                            "    values: { humidity: humidity }\n"
                            "    devices: { d: { building: B, room: R } }\n");
  EXPECT_AT(e, 8, 12);
  EXPECT_MENTIONS(e, "overlaps sources[0].topic");
  EXPECT_MENTIONS(e, "(line 6)");

  e = one_error(kSourcesHead +
                "mqtt:\n"                                                        // 5
                "  subscriptions: [\"buildings/+/rooms/+/+\"]\n"                 // 6
                "sources:\n"                                                     // 7
                "  - topic: \"buildings/{building}/rooms/{room}/{metric}\"\n");  // 8
  EXPECT_AT(e, 8, 12);
  EXPECT_MENTIONS(e, "overlaps mqtt.subscriptions[0]");
}

struct BadSource {
  std::string what, yaml;  ///< the source item's lines, each "  - " or "    " indented
  int line, column;        ///< counted from the first line of `yaml` as line 6
  std::string mentions;
};

TEST(ConfigSources, EachMistakeIsOneErrorAtItsPlace) {
  const std::vector<BadSource> cases = {
      {"no topic", "  - values: { temperature: t }\n", 6, 5, "sources[0].topic is required"},
      {"unknown key", "  - topic: \"a/{building}/{room}/{metric}\"\n    valuez: {}\n", 7, 5,
       "unknown key 'sources[0].valuez'"},
      {"a key twice",
       "  - topic: \"a/{building}/{room}/{metric}\"\n    topic: \"b/{building}/{room}/{metric}\"\n",
       7, 5, "key 'sources[0].topic' is given twice"},
      {"unknown key of a device's place",
       "  - topic: \"a/{device}/{metric}\"\n    devices: { d: { building: B, room: R, floor: 2 } "
       "}\n",
       7, 43, "unknown key 'sources[0].devices.d.floor' (expected one of: building, room)"},
      {"a device's building twice",
       "  - topic: \"a/{device}/{metric}\"\n    devices: { d: { building: B, building: C, room: R "
       "} }\n",
       7, 34, "key 'sources[0].devices.d.building' is given twice"},
      {"unknown capture", "  - topic: \"a/{floor}\"\n", 6, 12, "unknown capture '{floor}'"},
      {"# not last", "  - topic: \"a/#/{room}\"\n", 6, 12, "# must be the last level"},
      {"no building", "  - topic: \"a/{room}/{metric}\"\n", 6, 12, "yields no building"},
      {"no room", "  - topic: \"a/{building}/{metric}\"\n", 6, 12, "yields no room"},
      {"no metric", "  - topic: \"a/{building}/{room}\"\n", 6, 12, "yields no metric"},
      {"unknown metric in values",
       "  - topic: \"a/{building}/{room}\"\n    values: { pressure: p }\n", 7, 15,
       "'pressure' is not a configured metric"},
      {"bad path", "  - topic: \"a/{building}/{room}\"\n    values: { temperature: \"a..b\" }\n", 7,
       28, "empty key"},
      {"unknown zone",
       "  - topic: \"a/{building}/{room}\"\n    values: { temperature: t }\n    timestamp: Time\n"
       "    timezone: Europe/Atlantis\n",
       9, 15, "Europe/Atlantis"},
      {"timezone without timestamp",
       "  - topic: \"a/{building}/{room}\"\n    values: { temperature: t }\n"
       "    timezone: UTC\n",
       8, 15, "goes with timestamp"},
      {"timestamp without values",
       "  - topic: \"a/{building}/{room}/{metric}\"\n    timestamp: ts\n", 7, 16,
       "goes with values"},
      {"devices without {device}",
       "  - topic: \"a/{building}/{metric}\"\n    devices: { d: { building: B, room: R } }\n", 7,
       14, "no {device}"},
      {"device without room",
       "  - topic: \"a/{device}/{metric}\"\n    devices: { d: { building: B } }\n", 7, 19,
       "both building and room"},
      {"bad device room id",
       "  - topic: \"a/{device}/{metric}\"\n    devices: { d: { building: B, room: \"1 01\" } }\n",
       7, 40, "'1 01'"},
      {"values not a map", "  - topic: \"a/{building}/{room}\"\n    values: [t]\n", 7, 13,
       "expected a mapping of metric to JSON path"},
      {"device without devices",
       "  - topic: \"a/{building}/{room}\"\n    values: { temperature: t }\n    device: d\n", 8, 13,
       "device: needs devices"},
      {"device path and {device}",
       "  - topic: \"a/{device}\"\n    values: { temperature: t }\n    device: d\n"
       "    devices: { x: { building: B, room: R } }\n",
       8, 13, "the topic captures {device} already"},
      {"empty device path",
       "  - topic: \"a/{building}\"\n    values: { temperature: t }\n    device: \"\"\n"
       "    devices: { x: { building: B, room: R } }\n",
       8, 13, "not \"\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    ConfigError e = one_error(kSourcesHead + "sources:\n" + c.yaml);
    EXPECT_AT(e, c.line, c.column);
    EXPECT_MENTIONS(e, c.mentions);
  }
}

TEST(ConfigSources, AnEmptyListIsAnError) {
  ConfigError e = one_error(kSourcesHead + "sources: []\n");
  EXPECT_AT(e, 5, 10);
  EXPECT_MENTIONS(e, "non-empty list");
}

// Every family's example in config/sources/ (README "Connecting real sensors") is a valid config.
TEST(ConfigSources, EveryExampleConfigIsValid) {
  const std::filesystem::path dir =
      std::filesystem::path(ROOMTEMP_SOURCE_DIR) / "config" / "sources";
  std::size_t seen = 0;
  for (const char* name :
       {"zigbee2mqtt.yaml", "tasmota.yaml", "shelly.yaml", "esphome.yaml", "gateway-batch.yaml"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(std::filesystem::exists(dir / name));
    const ConfigResult r = load_config((dir / name).string());
    EXPECT_TRUE(r.errors.empty()) << dump(r);
    ASSERT_TRUE(r.config);
    EXPECT_TRUE(r.config->sources);
    ++seen;
  }
  EXPECT_EQ(seen, 5u);
}

}  // namespace
}  // namespace roomtemp
