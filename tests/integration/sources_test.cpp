// Sources (README "Connecting real sensors"): what Zigbee2MQTT, Tasmota, Shelly (Gen1 and Gen2),
// ESPHome and a batching gateway publish, sent by a real MQTT client, lands as the right
// building/room/metric readings with the right times (a local time in its zone, across DST);
// an unmapped device and a message without a mapped value are rejected with their reasons; a
// batch with one bad element stores the rest; a reload that changes devices and values takes
// effect, and one that changes the topics says it needs a restart and keeps the old ones.
//
// The payloads are written after each project's documentation of its MQTT messages, cited at
// each: Zigbee2MQTT guide/usage/mqtt_topics_and_messages; Tasmota docs/MQTT and docs/DS18x20;
// Shelly gen1 API (H&T "MQTT") and gen2 General/Notifications (NotifyStatus); ESPHome
// components/mqtt (sensor state topic).
#include <gtest/gtest.h>

#include <csignal>
#include <map>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

const std::string kMetrics =
    "  temperature: { min: -60, max: 100, unit: \"°C\" }\n"
    "  humidity: { min: 0, max: 100, unit: \"%\" }\n";

const std::string kSources =
    "sources:\n"
    "  - topic: \"zigbee2mqtt/{building}/{room}\"\n"
    "    values: { temperature: temperature, humidity: humidity }\n"
    "  - topic: \"tele/{device}/SENSOR\"\n"
    "    values: { temperature: DS18B20.Temperature }\n"
    "    timestamp: Time\n"
    "    timezone: Europe/Zurich\n"
    "    devices: { kitchen: { building: B1, room: kitchen } }\n"
    "  - topic: \"shellies/{device}/sensor/temperature\"\n"
    "    values: { temperature: \"\" }\n"
    "    devices: { shellyht-C4D8A1: { building: B2, room: \"201\" } }\n"
    // Shelly Gen2's default prefix is its id, and "{device}/events/rpc" would overlap
    // zigbee2mqtt/{building}/{room} (a config error): its MQTT prefix is set to shelly/<id>.
    "  - topic: \"shelly/{device}/events/rpc\"\n"
    "    values: { temperature: \"params.temperature:0.tC\", humidity: \"params.humidity:0.rh\" }\n"
    "    timestamp: params.ts\n"
    "    devices: { shellyhtg3-84fce63bd0a4: { building: B2, room: \"202\" } }\n"
    "  - topic: \"{device}/sensor/room_temperature/state\"\n"
    "    values: { temperature: \"\" }\n"
    "    devices: { livingroom-esp: { building: B3, room: living } }\n"
    "  - topic: \"gateways/{building}/{room}/readings\"\n"
    "    values: { temperature: temperature, humidity: humidity }\n"
    "    timestamp: ts\n"
    // A LoRaWAN network server's uplinks: many devices on one topic, each element naming its own.
    "  - topic: \"lorawan/{building}/uplink\"\n"
    "    values: { temperature: decoded.temperature }\n"
    "    timestamp: ts\n"
    "    device: dev_eui\n"
    "    devices:\n"
    "      a84041000181c061: { building: B5, room: \"101\" }\n"
    "      a84041000181c062: { building: B5, room: \"102\" }\n";

class SourcesTest : public DaemonTest {
 protected:
  void start(const std::string& sources = kSources) {
    DaemonTest::start_daemon("sources", {.metrics = kMetrics, .extra = sources});
  }

  /// building room metric value sensor_id ts, one string per stored reading, in that order.
  std::vector<std::string> readings() const {
    std::vector<std::string> out;
    for (const Row& r :
         query("SELECT building, room, metric, value::text, coalesce(sensor_id, '-'), " +
               ts_text("ts") + " FROM readings ORDER BY building, room, metric, ts"))
      out.push_back(r[0] + " " + r[1] + " " + r[2] + " " + r[3] + " " + r[4] + " " + r[5]);
    return out;
  }
  std::map<std::string, long long> rejections() const {
    std::map<std::string, long long> out;
    for (const Row& r : query("SELECT reason, count(*) FROM rejected_readings GROUP BY reason"))
      out[r[0]] = std::stoll(r[1]);
    return out;
  }
};

std::int64_t seconds_ago(int s) { return (now_micros() / kSecond - s) * kSecond; }

TEST_F(SourcesTest, EveryFamilyLandsAsItsReadingsWithItsTimes) {
  ASSERT_NO_FATAL_FAILURE(start());
  MqttClient sensors(broker_.port());
  const std::int64_t gen2_ts = seconds_ago(60);
  const std::int64_t batch_ts = seconds_ago(30);
  // Zigbee2MQTT: one JSON object per device state, several values in it, no time.
  sensors.publish("zigbee2mqtt/B1/lab",
                  R"({"battery":97,"humidity":48.61,"linkquality":134,"temperature":21.37,)"
                  R"("voltage":2985})");
  // Tasmota: Time is local without an offset, in Europe/Zurich: summer, winter, the night
  // 02:30 happens twice (the earlier), and the spring gap (shifted forward by the hour).
  for (const auto& [time, value] :
       std::vector<std::pair<std::string, std::string>>{{"2024-07-15T12:00:00", "21.5"},
                                                        {"2024-01-15T12:00:00", "19.5"},
                                                        {"2024-10-27T02:30:00", "20.5"},
                                                        {"2024-03-31T02:30:00", "18.5"}})
    sensors.publish("tele/kitchen/SENSOR",
                    R"({"Time":")" + time + R"(","DS18B20":{"Id":"01144A0CB2AA","Temperature":)" +
                        value + R"(},"TempUnit":"C"})");
  // Shelly Gen1: a bare number per value topic.
  sensors.publish("shellies/shellyht-C4D8A1/sensor/temperature", "22.75");
  // Shelly Gen2: NotifyStatus with params.ts and "temperature:0".tC, "humidity:0".rh.
  sensors.publish("shelly/shellyhtg3-84fce63bd0a4/events/rpc",
                  R"({"src":"shellyhtg3-84fce63bd0a4","dst":"shellyhtg3-84fce63bd0a4/events",)"
                  R"("method":"NotifyStatus","params":{"ts":)" +
                      std::to_string(gen2_ts / kSecond) +
                      R"(.25,"temperature:0":{"id":0,"tC":23.4,"tF":74.1},)"
                      R"("humidity:0":{"id":0,"rh":39.5}}})");
  // ESPHome: a bare number on <node>/sensor/<object_id>/state.
  sensors.publish("livingroom-esp/sensor/room_temperature/state", "19.8");
  // A gateway's batch: every element with its own time.
  sensors.publish("gateways/B4/store/readings",
                  "[" + std::string(R"({"ts":")") + rfc3339(batch_ts) +
                      R"(","temperature":17.5,"humidity":60},{"ts":")" +
                      rfc3339(batch_ts + kSecond) + R"(","temperature":17.25}])");

  // A gateway of many devices: each element placed by its own device.
  sensors.publish("lorawan/B5/uplink",
                  "[" + std::string(R"({"dev_eui":"a84041000181c061","ts":")") + rfc3339(batch_ts) +
                      R"(","decoded":{"temperature":21.5}},{"dev_eui":"a84041000181c062","ts":")" +
                      rfc3339(batch_ts) + R"(","decoded":{"temperature":19.25}}])");

  expect_count_settles("SELECT count(*) FROM readings", 15);
  const auto got = readings();
  const std::vector<std::string> want_fixed = {
      "B1 kitchen temperature 18.5 kitchen 2024-03-31T01:30:00.000000Z",
      "B1 kitchen temperature 19.5 kitchen 2024-01-15T11:00:00.000000Z",
      "B1 kitchen temperature 20.5 kitchen 2024-10-27T00:30:00.000000Z",
      "B1 kitchen temperature 21.5 kitchen 2024-07-15T10:00:00.000000Z",
      "B2 202 humidity 39.5 shellyhtg3-84fce63bd0a4 " + utc_text(gen2_ts + 250'000),
      "B2 202 temperature 23.4 shellyhtg3-84fce63bd0a4 " + utc_text(gen2_ts + 250'000),
      "B4 store humidity 60 - " + utc_text(batch_ts),
      "B4 store temperature 17.25 - " + utc_text(batch_ts + kSecond),
      "B4 store temperature 17.5 - " + utc_text(batch_ts),
      "B5 101 temperature 21.5 a84041000181c061 " + utc_text(batch_ts),
      "B5 102 temperature 19.25 a84041000181c062 " + utc_text(batch_ts),
  };
  for (const auto& w : want_fixed)
    EXPECT_NE(std::find(got.begin(), got.end(), w), got.end()) << w << "\n"
                                                               << ::testing::PrintToString(got);
  // Stamped on arrival: compare all but the time.
  auto has_prefix = [&](const std::string& prefix) {
    return std::any_of(got.begin(), got.end(),
                       [&](const std::string& g) { return g.starts_with(prefix); });
  };
  EXPECT_TRUE(has_prefix("B1 lab humidity 48.61 - ")) << ::testing::PrintToString(got);
  EXPECT_TRUE(has_prefix("B1 lab temperature 21.37 - "));
  EXPECT_TRUE(has_prefix("B2 201 temperature 22.75 shellyht-C4D8A1 "));
  EXPECT_TRUE(has_prefix("B3 living temperature 19.8 livingroom-esp "));
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 0);
}

TEST_F(SourcesTest, UnmappedDeviceMissingValueAndABadBatchElementAreRejectedAlone) {
  ASSERT_NO_FATAL_FAILURE(start());
  MqttClient sensors(broker_.port());
  MqttClient watcher(broker_.port());
  watcher.subscribe("roomtemp/rejected", 1);
  const std::int64_t t = seconds_ago(20);
  sensors.publish(
      "tele/garage/SENSOR",
      R"({"Time":"2024-07-15T12:00:00","DS18B20":{"Temperature":12.5},"TempUnit":"C"})");
  sensors.publish("zigbee2mqtt/B1/lab", R"({"action":"single","linkquality":87})");
  const std::string bad_element = R"({"ts":")" + rfc3339(t + kSecond) + R"(","temperature":250})";
  sensors.publish("gateways/B4/store/readings", "[" + std::string(R"({"ts":")") + rfc3339(t) +
                                                    R"(","temperature":17.5},)" + bad_element +
                                                    R"(,{"ts":")" + rfc3339(t + 2 * kSecond) +
                                                    R"(","temperature":17.75}])");

  expect_count_settles("SELECT count(*) FROM rejected_readings", 3);
  expect_count_settles("SELECT count(*) FROM readings", 2);
  const auto reasons = rejections();
  EXPECT_EQ(reasons.at("unknown_device"), 1);
  EXPECT_EQ(reasons.at("bad_payload"), 1);
  EXPECT_EQ(reasons.at("out_of_range"), 1);
  EXPECT_EQ(query("SELECT convert_from(payload, 'UTF8') FROM rejected_readings "
                  "WHERE reason = 'out_of_range'")[0][0],
            bad_element)
      << "a batch's bad element is kept as itself";
  EXPECT_EQ(query("SELECT topic FROM rejected_readings WHERE reason = 'unknown_device'")[0][0],
            "tele/garage/SENSOR");
  EXPECT_EQ(daemon_->metric("roomtemp_readings_rejected_total{reason=\"unknown_device\"}"), 1);
  EXPECT_TRUE(watcher.wait_for([](const std::vector<MqttMessage>& m) { return m.size() >= 3; },
                               std::chrono::seconds(10)))
      << "every rejection is published on roomtemp/rejected";
  EXPECT_NE(daemon_->log().find("garage"), std::string::npos) << "the rejection is logged";
}

TEST_F(SourcesTest, AReloadChangesDevicesAndValuesLiveAndTopicsNeedARestart) {
  ASSERT_NO_FATAL_FAILURE(start());
  MqttClient sensors(broker_.port());
  const std::string garage = R"({"Time":"2024-07-15T12:00:00","SHT3X":{"Temperature":12.5}})";
  sensors.publish("tele/garage/SENSOR", garage);
  expect_count_settles("SELECT count(*) FROM rejected_readings WHERE reason = 'unknown_device'", 1);

  // The garage joins the devices and the values come from SHT3X now: live.
  std::string config = read_file(daemon_->config_path());
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = config.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    config.replace(at, from.size(), to);
  };
  replace("values: { temperature: DS18B20.Temperature }",
          "values: { temperature: SHT3X.Temperature }");
  replace("devices: { kitchen: { building: B1, room: kitchen } }",
          "devices: { kitchen: { building: B1, room: kitchen }, garage: { building: B1, room: "
          "garage } }");
  daemon_->write_config(config);
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return daemon_->log().find("reload done") != std::string::npos; },
                         std::chrono::seconds(10)));
  sensors.publish("tele/garage/SENSOR", garage);
  expect_count_settles("SELECT count(*) FROM readings WHERE room = 'garage' AND value = 12.5", 1);

  // A new topic would change the subscriptions: the log says a restart is needed and the old
  // sources stay whole (tele/… still works, the new topic is not read).
  replace("tele/{device}/SENSOR", "tasmota/{device}/SENSOR");
  daemon_->write_config(config);
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return daemon_->log().find("sources needs a restart") != std::string::npos; },
      std::chrono::seconds(10)))
      << daemon_->log();
  sensors.publish("tele/garage/SENSOR",
                  R"({"Time":"2024-07-15T12:01:00","SHT3X":{"Temperature":13.5}})");
  expect_count_settles("SELECT count(*) FROM readings WHERE room = 'garage'", 2);
}

}  // namespace
}  // namespace roomtemp::harness
