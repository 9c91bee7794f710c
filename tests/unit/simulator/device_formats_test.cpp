// roomtemp-sim --format: every device family's message, as the simulator writes it, is read by
// the source that config/sources/ gives for that family (README "Connecting real sensors") as
// the reading the model meant.
#include "device_formats.h"

#include <gtest/gtest.h>

#include "sensor_model.h"
#include "source_message.h"

namespace roomtemp::sim {
namespace {

JsonPath path(std::string_view text) { return std::get<JsonPath>(parse_json_path(text)); }

struct Family {
  DeviceFormat format;
  std::string topic;
  std::vector<std::pair<std::string, JsonPath>> values;
  std::optional<JsonPath> timestamp;
  bool devices = true;
};

class DeviceFormats : public ::testing::TestWithParam<Family> {};

TEST_P(DeviceFormats, TheFamilysSourceReadsWhatTheSimulatorSends) {
  const Family& f = GetParam();
  const TimeZone zurich = find_time_zone("Europe/Zurich").value();
  Config config;
  SourceSet set;
  Source& s = set.sources.emplace_back();
  s.topic = std::get<TopicTemplate>(parse_topic_template(f.topic));
  s.values = f.values;
  s.timestamp = f.timestamp;
  s.zone = zurich;
  if (f.devices) s.devices = {{device_name("B1", "101"), {"B1", "101"}}};

  const Micros ts = parse_rfc3339("2024-10-27T00:30:00Z").value();  // 02:30 CEST, the first
  std::string topic, payload;
  write_device_message(f.format, {"B1", "101", "temperature", "21.25", ts}, zurich, topic, payload);
  std::vector<SourceOutcome> out;
  classify_source_message(topic, payload, ts + kMicrosPerSecond, config, set, out);
  ASSERT_EQ(out.size(), 1u) << topic << " " << payload;
  const auto* r = std::get_if<Reading>(&out[0].item);
  ASSERT_TRUE(r) << topic << " " << payload << ": " << std::get<Rejection>(out[0].item).detail;
  EXPECT_EQ(r->building, "B1");
  EXPECT_EQ(r->room, "101");
  EXPECT_EQ(r->metric, "temperature");
  EXPECT_DOUBLE_EQ(r->value, 21.25);
  if (f.timestamp) {
    EXPECT_EQ(r->ts, ts) << payload;
  }
}

/// Each instance named by its family, and printed as it (ctest's test names show the parameter).
const char* name_of(DeviceFormat format) {
  static constexpr const char* kNames[] = {"native",      "zigbee2mqtt", "tasmota", "shelly",
                                           "shelly_gen2", "esphome",     "batch"};
  return kNames[static_cast<int>(format)];
}
std::string family_name(const ::testing::TestParamInfo<Family>& info) {
  return name_of(info.param.format);
}
void PrintTo(const Family& f, std::ostream* os) { *os << name_of(f.format); }

INSTANTIATE_TEST_SUITE_P(EveryFamily, DeviceFormats,
                         ::testing::Values(Family{DeviceFormat::zigbee2mqtt,
                                                  "zigbee2mqtt/{building}/{room}",
                                                  {{"temperature", path("temperature")}},
                                                  std::nullopt,
                                                  false},
                                           Family{DeviceFormat::tasmota,
                                                  "tele/{device}/SENSOR",
                                                  {{"temperature", path("DS18B20.Temperature")}},
                                                  path("Time")},
                                           Family{DeviceFormat::shelly,
                                                  "shellies/{device}/sensor/temperature",
                                                  {{"temperature", path("")}},
                                                  std::nullopt},
                                           Family{
                                               DeviceFormat::shelly_gen2,
                                               "{device}/events/rpc",
                                               {{"temperature", path("params.temperature:0.tC")}},
                                               path("params.ts")},
                                           Family{DeviceFormat::esphome,
                                                  "{device}/sensor/room_temperature/state",
                                                  {{"temperature", path("")}},
                                                  std::nullopt}),
                         family_name);

TEST(DeviceFormatsBatch, ABatchCarriesItsSizeOfReadingsEachWithItsOwnTime) {
  ModelSettings settings;
  settings.metrics = {{"temperature", -60, 100}};
  settings.format = DeviceFormat::batch;
  settings.batch_size = 10;
  SensorModel model(settings, 1);
  SensorMessage message;
  const Micros now = parse_rfc3339("2026-12-04T12:00:00Z").value();
  model.next(0, now, message);
  EXPECT_EQ(message.topic, "gateways/B1/101/readings");

  Config config;
  SourceSet set;
  Source& s = set.sources.emplace_back();
  s.topic = std::get<TopicTemplate>(parse_topic_template("gateways/{building}/{room}/readings"));
  s.values = {{"temperature", path("temperature")}};
  s.timestamp = path("ts");
  std::vector<SourceOutcome> out;
  classify_source_message(message.topic, message.payload, now, config, set, out);
  ASSERT_EQ(out.size(), 10u) << message.payload;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto* r = std::get_if<Reading>(&out[i].item);
    ASSERT_TRUE(r) << message.payload;
    EXPECT_EQ(r->ts, now + static_cast<Micros>(i) * 1000) << "1 ms apart, so none is a duplicate";
  }
  EXPECT_LE(message.payload.size(), 4096u);
}

TEST(DeviceFormatsNames, ParseEveryNameAndNothingElse) {
  EXPECT_EQ(parse_device_format("shelly-gen2"), DeviceFormat::shelly_gen2);
  EXPECT_EQ(parse_device_format("batch"), DeviceFormat::batch);
  EXPECT_FALSE(parse_device_format("zigbee"));
}

}  // namespace
}  // namespace roomtemp::sim
