// Messages of configured sources (README "Connecting real sensors") turned into readings and
// rejections: one fixture per device family, written after each project's own documentation of
// its topics and payloads (cited at each test), plus batches and the refusals.
#include "source_message.h"

#include <gtest/gtest.h>

#include "source_payload.h"
#include "source_test_support.h"
#include "test_values.h"
#include "timeutil.h"

namespace roomtemp {
namespace {

using source_test::tpl;
using test::utc;
JsonPath path(std::string_view text) { return std::get<JsonPath>(parse_json_path(text)); }

class SourceMessage : public ::testing::Test {
 protected:
  SourceMessage() {
    config_.metrics = {{"temperature", -60, 100, "°C"}, {"humidity", 0, 100, "%"}};
  }

  Source& add(std::string_view topic) {
    set_.sources.emplace_back().topic = tpl(topic);
    return set_.sources.back();
  }

  std::vector<SourceOutcome> classify(std::string_view topic, std::string_view payload) {
    std::vector<SourceOutcome> out;
    classify_source_message(topic, payload, now_, config_, set_, out);
    return out;
  }

  static const Reading& reading(const SourceOutcome& o) {
    static const Reading kNone;
    const auto* r = std::get_if<Reading>(&o.item);
    EXPECT_TRUE(r) << "a rejection: "
                   << (std::get_if<Rejection>(&o.item) ? std::get<Rejection>(o.item).detail : "");
    return r ? *r : kNone;
  }
  static const Rejection& rejection(const SourceOutcome& o) {
    static const Rejection kNone;
    const auto* j = std::get_if<Rejection>(&o.item);
    EXPECT_TRUE(j) << "a reading, not a rejection";
    return j ? *j : kNone;
  }

  Config config_;
  SourceSet set_;
  Micros now_ = utc("2024-12-01T12:00:00Z");
};

// Zigbee2MQTT publishes each device's state as JSON on zigbee2mqtt/FRIENDLY_NAME, and a "/" in
// the friendly name makes more levels (www.zigbee2mqtt.io, guide/usage/mqtt_topics_and_messages).
TEST_F(SourceMessage, Zigbee2MqttOneMessageSeveralReadings) {
  Source& s = add("zigbee2mqtt/{building}/{room}");
  s.values = {{"temperature", path("temperature")}, {"humidity", path("humidity")}};
  auto out = classify("zigbee2mqtt/B1/kitchen",
                      R"({"battery":97,"humidity":48.61,"linkquality":134,"temperature":21.37,)"
                      R"("voltage":2985})");
  ASSERT_EQ(out.size(), 2u);
  const Reading& t = reading(out[0]);
  EXPECT_EQ(t.building, "B1");
  EXPECT_EQ(t.room, "kitchen");
  EXPECT_EQ(t.metric, "temperature");
  EXPECT_DOUBLE_EQ(t.value, 21.37);
  EXPECT_EQ(t.ts, now_);
  EXPECT_TRUE(out[0].stamped_on_arrival);
  EXPECT_FALSE(t.sensor_id);
  EXPECT_EQ(reading(out[1]).metric, "humidity");
  EXPECT_DOUBLE_EQ(reading(out[1]).value, 48.61);

  // A value the device has not measured yet is null or absent: the others still count.
  out = classify("zigbee2mqtt/B1/kitchen", R"({"humidity":null,"temperature":20.5})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reading(out[0]).metric, "temperature");

  // No mapped value at all (a button's message, say) is bad_payload.
  out = classify("zigbee2mqtt/B1/kitchen", R"({"action":"single","linkquality":87})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload);
  EXPECT_NE(rejection(out[0]).detail.find("no mapped value"), std::string::npos);
}

// Tasmota's telemetry: tele/<topic>/SENSOR with {"Time": local time without an offset, "<sensor>":
// {...}, "TempUnit": "C"} (tasmota.github.io/docs/MQTT and docs/DS18x20).
TEST_F(SourceMessage, TasmotaLocalTimeInItsZoneAndDevicesForThePlace) {
  Source& s = add("tele/{device}/SENSOR");
  s.values = {{"temperature", path("DS18B20.Temperature")}};
  s.timestamp = path("Time");
  s.timezone = "Europe/Zurich";
  s.zone = find_time_zone("Europe/Zurich").value();
  s.devices = {{"kitchen", {"B1", "0.12"}}};
  auto out = classify("tele/kitchen/SENSOR",
                      R"({"Time":"2024-10-27T02:30:00","DS18B20":{"Id":"01144A0CB2AA",)"
                      R"("Temperature":21.8},"TempUnit":"C"})");
  ASSERT_EQ(out.size(), 1u);
  const Reading& r = reading(out[0]);
  EXPECT_EQ(r.building, "B1");
  EXPECT_EQ(r.room, "0.12");
  EXPECT_EQ(r.sensor_id, "kitchen");  // the device names the sensor
  EXPECT_DOUBLE_EQ(r.value, 21.8);
  EXPECT_EQ(r.ts, utc("2024-10-27T00:30:00Z"));  // 02:30 twice that night: the earlier
  EXPECT_FALSE(out[0].stamped_on_arrival);

  out = classify("tele/garage/SENSOR",
                 R"({"Time":"2024-07-01T12:00:00","DS18B20":{"Temperature":5}})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::unknown_device);
  EXPECT_NE(rejection(out[0]).detail.find("garage"), std::string::npos);

  out = classify("tele/kitchen/SENSOR", R"({"Time":"yesterday","DS18B20":{"Temperature":5}})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_timestamp);
}

// Shelly Gen1 publishes each value on its own topic, the payload a bare number:
// shellies/<id>/sensor/temperature (shelly-api-docs.shelly.cloud/gen1, "MQTT" of Shelly H&T).
TEST_F(SourceMessage, ShellyGen1BareNumberPerTopic) {
  Source& s = add("shellies/{device}/sensor/{metric}");
  s.values = {{"temperature", path("")}, {"humidity", path("")}};
  s.devices = {{"shellyht-C4D8A1", {"B2", "201"}}};
  auto out = classify("shellies/shellyht-C4D8A1/sensor/temperature", "22.75");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reading(out[0]).metric, "temperature");
  EXPECT_DOUBLE_EQ(reading(out[0]).value, 22.75);
  EXPECT_EQ(reading(out[0]).room, "201");
  out = classify("shellies/shellyht-C4D8A1/sensor/humidity", "41");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reading(out[0]).metric, "humidity");
  // Its battery level is no metric of ours.
  out = classify("shellies/shellyht-C4D8A1/sensor/battery", "98");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::unknown_metric);
}

// Shelly Gen2 sends JSON-RPC notifications on <id>/events/rpc; NotifyStatus carries params.ts
// (Unix time) and the changed components under keys like "temperature:0"
// (shelly-api-docs.shelly.cloud/gen2/General/Notifications).
// A bare number on a source is read and refused as a native one is.
TEST_F(SourceMessage, ABareNumberIsCheckedAsANativeOne) {
  Source& s = add("shellies/{building}/{room}/sensor/temperature");
  s.values = {{"temperature", path("")}};
  for (const char* text : {"nan", "inf", "-inf", "1e999"}) {
    auto out = classify("shellies/B1/101/sensor/temperature", text);
    ASSERT_EQ(out.size(), 1u) << text;
    EXPECT_EQ(rejection(out[0]).reason, RejectReason::not_finite) << text;
  }
  auto out = classify("shellies/B1/101/sensor/temperature", "+-5");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload);
  out = classify("shellies/B1/101/sensor/temperature", "+21.5");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(reading(out[0]).value, 21.5);
}

TEST_F(SourceMessage, ShellyGen2NotifyStatusKeysWithAColon) {
  Source& s = add("{device}/events/rpc");
  s.values = {{"temperature", path("params.temperature:0.tC")},
              {"humidity", path("params.humidity:0.rh")}};
  s.timestamp = path("params.ts");
  s.devices = {{"shellyhtg3-84fce63bd0a4", {"B2", "202"}}};
  auto out = classify("shellyhtg3-84fce63bd0a4/events/rpc",
                      R"({"src":"shellyhtg3-84fce63bd0a4","dst":"shellyhtg3-84fce63bd0a4/events",)"
                      R"("method":"NotifyStatus","params":{"ts":1733054400.52,)"
                      R"("temperature:0":{"id":0,"tC":21.6,"tF":70.9}}})");
  ASSERT_EQ(out.size(), 1u);
  const Reading& r = reading(out[0]);
  EXPECT_EQ(r.metric, "temperature");
  EXPECT_DOUBLE_EQ(r.value, 21.6);
  EXPECT_EQ(r.ts, utc("2024-12-01T12:00:00.520Z"));
  EXPECT_EQ(r.room, "202");
}

// ESPHome's MQTT sensors publish the state as a bare number on
// <topic_prefix>/sensor/<object_id>/state (esphome.io/components/mqtt, "MQTT Component Base").
TEST_F(SourceMessage, EsphomeStateTopic) {
  Source& s = add("{device}/sensor/room_temperature/state");
  s.values = {{"temperature", path("")}};
  s.devices = {{"livingroom-esp", {"B3", "living"}}};
  auto out = classify("livingroom-esp/sensor/room_temperature/state", "19.8");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reading(out[0]).room, "living");
  EXPECT_DOUBLE_EQ(reading(out[0]).value, 19.8);
  // ESPHome writes "nan" for a sensor without a value: refused as not_finite, as a native bare
  // "nan" is.
  out = classify("livingroom-esp/sensor/room_temperature/state", "nan");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::not_finite);
}

TEST_F(SourceMessage, ABatchStoresEveryGoodElementAndRejectsEachBadOneAlone) {
  Source& s = add("gateways/{building}/{room}");
  s.values = {{"temperature", path("t")}, {"humidity", path("h")}};
  s.timestamp = path("ts");
  const std::string bad_range = R"({"ts":"2024-12-01T11:59:02Z","t":250})";
  auto out = classify("gateways/B1/101", R"([{"ts":"2024-12-01T11:59:00Z","t":21.0,"h":40},)"
                                         R"( {"ts":"2024-12-01T11:59:01Z","t":21.1},)" +
                                             bad_range +
                                             R"(,{"ts":"2024-12-01T11:59:03Z","x":1},)"
                                             R"({"ts":"2024-12-01T11:59:04Z","t":21.4}])");
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(reading(out[0]).metric, "temperature");
  EXPECT_EQ(reading(out[1]).metric, "humidity");
  EXPECT_EQ(reading(out[2]).ts, utc("2024-12-01T11:59:01Z"));
  EXPECT_EQ(rejection(out[3]).reason, RejectReason::out_of_range);
  EXPECT_EQ(rejection(out[3]).payload, bad_range);  // the element, not the whole batch
  EXPECT_EQ(rejection(out[4]).reason, RejectReason::bad_payload);
  EXPECT_DOUBLE_EQ(reading(out[5]).value, 21.4);

  out = classify("gateways/B1/101", R"([{"t":1},{"t":2])");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload);
  out = classify("gateways/B1/101", "[]");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload);

  // Elements without a time: the first of a series gets the arrival time; a second of the same
  // series would be the same reading, so it is refused with its reason, not silently merged.
  out = classify("gateways/B1/101", R"([{"t":21},{"t":22},{"h":40}])");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(reading(out[0]).ts, now_);
  EXPECT_TRUE(out[0].stamped_on_arrival);
  EXPECT_EQ(out[0].text, R"({"t":21})") << "a limit's refusal would quote the element";
  EXPECT_EQ(rejection(out[1]).reason, RejectReason::bad_timestamp);
  EXPECT_EQ(rejection(out[1]).payload, R"({"t":22})");
  EXPECT_EQ(reading(out[2]).metric, "humidity");
}

// A gateway (LoRaWAN, BLE) batches the readings of many devices in one message, each element
// naming its device: `device` places each element through `devices`, one bad or unknown device
// rejecting that element alone.
TEST_F(SourceMessage, AGatewaysBatchPlacesEachElementByItsDevice) {
  Source& s = add("gateway/{building}/up");
  s.values = {{"temperature", path("temperature")}};
  s.timestamp = path("ts");
  s.device = path("dev.eui");
  s.devices = {{"a84041000181c061", {"HQ", "101"}}, {"a84041000181c062", {"HQ", "102"}}};
  // The building comes from the topic, the room from the device's place.
  auto out = classify(
      "gateway/B7/up",
      R"([{"dev":{"eui":"a84041000181c061"},"ts":"2024-12-01T11:59:00Z","temperature":21.5},)"
      R"({"dev":{"eui":"a84041000181c062"},"ts":"2024-12-01T11:59:01Z","temperature":19.0},)"
      R"({"dev":{"eui":"a84041000181c0ff"},"ts":"2024-12-01T11:59:02Z","temperature":18.0},)"
      R"({"ts":"2024-12-01T11:59:03Z","temperature":17.0},)"
      R"({"dev":{"eui":7},"ts":"2024-12-01T11:59:04Z","temperature":16.0}])");
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(reading(out[0]).building, "B7");
  EXPECT_EQ(reading(out[0]).room, "101");
  EXPECT_EQ(reading(out[0]).sensor_id, "a84041000181c061");
  EXPECT_EQ(reading(out[1]).room, "102");
  EXPECT_EQ(reading(out[1]).ts, utc("2024-12-01T11:59:01Z"));
  EXPECT_EQ(rejection(out[2]).reason, RejectReason::unknown_device);
  EXPECT_EQ(rejection(out[2]).payload,
            R"({"dev":{"eui":"a84041000181c0ff"},"ts":"2024-12-01T11:59:02Z","temperature":18.0})");
  EXPECT_EQ(rejection(out[3]).reason, RejectReason::bad_payload);
  EXPECT_NE(rejection(out[3]).detail.find("\"dev.eui\" is missing"), std::string::npos)
      << rejection(out[3]).detail;
  EXPECT_EQ(rejection(out[4]).reason, RejectReason::bad_payload);
  // A topic that captures neither building nor room: both from the device.
  Source& t = add("ble/{room}/x");
  t.values = {{"temperature", path("t")}};
  t.device = path("mac");
  t.devices = {{"c4-7c-8d-6a-2f-01", {"B2", "7"}}};
  out = classify("ble/r9/x", R"({"mac":"c4-7c-8d-6a-2f-01","t":22})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reading(out[0]).building, "B2");
  EXPECT_EQ(reading(out[0]).room, "r9") << "the room the topic captures stays";
  out = classify("ble/r9/x", "22");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload) << "a bare number names no device";
}

TEST_F(SourceMessage, NativeSourcesReadTheNativePayloadAndBatchesOfIt) {
  add("buildings/{building}/rooms/{room}/{metric}");
  auto out =
      classify("buildings/B1/rooms/101/temperature", R"({"temperature":22.5,"sensor_id":"s1"})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reading(out[0]).sensor_id, "s1");
  out = classify("buildings/B1/rooms/101/temperature",
                 R"([{"value":1,"timestamp":1733054000},{"value":2,"timestamp":1733054001}])");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(reading(out[1]).ts, 1733054001 * kMicrosPerSecond);
  out = classify("buildings/B 1/rooms/101/temperature", "1");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_id);
  out = classify("buildings/B1/rooms/101/pressure", "1");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::unknown_metric);
}

TEST_F(SourceMessage, ASubscriptionFilterIsTheNativeScheme) {
  Source& s = add("buildings/#");
  s.subscription = true;
  auto out = classify("buildings/B1/rooms/101/temperature", "21");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reading(out[0]).room, "101");
  out = classify("buildings/B1/101/temperature", "21");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_topic);
  out = classify("elsewhere/x", "21");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_topic);
}

TEST_F(SourceMessage, AValueOfTheWrongTypeIsRefusedAndTheOthersStay) {
  Source& s = add("zigbee2mqtt/{building}/{room}");
  s.values = {{"temperature", path("temperature")}, {"humidity", path("humidity")}};
  auto out = classify("zigbee2mqtt/B1/k", R"({"temperature":"21.5","humidity":50})");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload);
  EXPECT_EQ(reading(out[1]).metric, "humidity");
  out = classify("zigbee2mqtt/B1/k", R"({"temperature":{"v":1}})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload);
  out = classify("zigbee2mqtt/B1/k", R"({"temperature":21)");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rejection(out[0]).reason, RejectReason::bad_payload);
}

TEST(SplitJsonArray, KeepsStringsAndNestingWhole) {
  auto parts = split_json_array(R"([ {"a":"x,]}"}, {"b":[1,2]} ,3 ])");
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0], R"({"a":"x,]}"})");
  EXPECT_EQ((*parts)[1], R"({"b":[1,2]})");
  EXPECT_EQ((*parts)[2], "3");
  EXPECT_FALSE(split_json_array(R"([{"a":"x})"));
  EXPECT_FALSE(split_json_array(R"([{"a":1}]])"));
  EXPECT_TRUE(split_json_array("[]")->empty());
}

}  // namespace
}  // namespace roomtemp
