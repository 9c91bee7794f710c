// POSTed readings (README "REST API") are read by the code that reads MQTT messages: the same
// fields get the same refusal, reason and detail, whichever way they came; what only a POST
// has (building_id, room_id, metric) is refused in its own words.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "payload.h"
#include "test_values.h"
#include "topic.h"
#include "validate.h"

namespace roomtemp {
namespace {

using test::kNow;
using test::kTopic;

// 2024-12-01T12:34:56Z.

Config default_config() {
  Config c;  // temperature in [-60, 100], max_future_skew 5m
  c.postgres.dsn = "dbname=test";
  return c;
}

/// A POSTed item: `members` (JSON object members, without braces) and where it belongs.
std::string item_of(std::string_view members, std::string_view building = "B1",
                    std::string_view room = "101") {
  return R"({"building_id": ")" + std::string(building) + R"(", "room_id": ")" + std::string(room) +
         R"(", )" + std::string(members) + "}";
}

/// The refusal of a POSTed item, or a failure when it was accepted.
::testing::AssertionResult RefusedAs(const std::variant<Reading, Refusal>& posted,
                                     RejectReason want) {
  if (std::holds_alternative<Reading>(posted)) return ::testing::AssertionFailure() << "accepted";
  const auto& refusal = std::get<Refusal>(posted);
  if (refusal.reason != want)
    return ::testing::AssertionFailure() << "refused as " << reason_name(refusal.reason) << " ("
                                         << refusal.detail << "), wanted " << reason_name(want);
  if (refusal.detail.empty()) return ::testing::AssertionFailure() << "no detail";
  return ::testing::AssertionSuccess();
}

struct SameInput {
  const char* what;
  std::string topic;    ///< the MQTT message's
  std::string members;  ///< the payload's JSON object members, the item's too
  std::string item;     ///< the POSTed item
};

TEST(ClassifyPosted, TheSameFieldsGetTheSameRefusalAsOverMqtt) {
  const Config config = default_config();
  auto same = [](const char* what, std::string members) {
    return SameInput{what, kTopic, members, item_of(members)};
  };
  const std::vector<SameInput> cases = {
      same("value is a string", R"("temperature": "21.5")"),
      same("value is null", R"("temperature": null)"),
      same("value is an array", R"("temperature": [21])"),
      same("value is true", R"("value": true)"),
      same("no value", R"("timestamp": 1733056000)"),
      same("another key", R"("temp": 21)"),
      same("above max", R"("temperature": 150)"),
      same("below min, as value", R"("value": -61)"),
      same("1e308", R"("temperature": 1e308)"),
      same("timestamp is a word", R"("temperature": 21, "timestamp": "yesterday")"),
      same("timestamp without offset", R"("temperature": 21, "timestamp": "2024-12-01T12:34:56")"),
      same("timestamp is true", R"("temperature": 21, "timestamp": true)"),
      same("negative epoch", R"("temperature": 21, "timestamp": -5)"),
      same("1900", R"("temperature": 21, "timestamp": "1900-01-01T00:00:00Z")"),
      same("an hour ahead", R"("temperature": 21, "timestamp": "2024-12-01T13:34:56Z")"),
      same("epoch milliseconds ahead", R"("temperature": 21, "timestamp": 1733060096000)"),
      same("sensor_id with a space", R"("temperature": 21, "sensor_id": "s 1")"),
      same("sensor_id is a number", R"("temperature": 21, "sensor_id": 7)"),
      same("escaped NUL in sensor_id", R"("temperature": 21, "sensor_id": "s\u0000")"),
      {"space in the building id", "buildings/B 1/rooms/101/temperature", R"("temperature": 21)",
       item_of(R"("temperature": 21)", "B 1")},
      {"65-character room id", "buildings/B1/rooms/" + std::string(65, 'r') + "/temperature",
       R"("temperature": 21)", item_of(R"("temperature": 21)", "B1", std::string(65, 'r'))},
      {"bad building id before a string value", "buildings/B 1/rooms/101/temperature",
       R"("temperature": "21")", item_of(R"("temperature": "21")", "B 1")},
      {"unknown metric", "buildings/B1/rooms/101/pressure", R"("value": 1013)",
       item_of(R"("metric": "pressure", "value": 1013)")},
      {"unknown metric before a string value", "buildings/B1/rooms/101/pressure",
       R"("value": "1013")", item_of(R"("metric": "pressure", "value": "1013")")},
      {"a metric no configuration could hold", "buildings/B1/rooms/101/temp erature",
       R"("value": 21)", item_of(R"("metric": "temp erature", "value": 21)")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Inbound mqtt = classify_message(c.topic, "{" + c.members + "}", kNow, config);
    const auto* rejection = std::get_if<Rejection>(&mqtt);
    ASSERT_NE(rejection, nullptr) << "accepted over MQTT";
    const auto posted = classify_posted(c.item, kNow, config);
    ASSERT_TRUE(RefusedAs(posted, rejection->reason));
    EXPECT_EQ(std::get<Refusal>(posted).detail, rejection->detail);
  }
}

TEST(ClassifyPosted, AnAcceptedItemIsTheReadingTheMqttMessageMakes) {
  const Config config = default_config();
  for (const std::string members : {
           R"("temperature": 21.25, "timestamp": "2024-12-01T12:30:00.500Z", "sensor_id": "s1")",
           R"("value": -3.5, "timestamp": 1733056400)",
           R"("temperature": -0.0)",
       }) {
    SCOPED_TRACE(members);
    const Inbound mqtt = classify_message(kTopic, "{" + members + "}", kNow, config);
    ASSERT_TRUE(std::holds_alternative<Reading>(mqtt));
    const auto posted = classify_posted(item_of(members), kNow, config);
    ASSERT_TRUE(std::holds_alternative<Reading>(posted)) << std::get<Refusal>(posted).detail;
    const Reading& want = std::get<Reading>(mqtt);
    const Reading& got = std::get<Reading>(posted);
    EXPECT_EQ(got.ts, want.ts);
    EXPECT_EQ(got.building, want.building);
    EXPECT_EQ(got.room, want.room);
    EXPECT_EQ(got.metric, want.metric);
    EXPECT_EQ(got.value, want.value);
    EXPECT_EQ(std::signbit(got.value), std::signbit(want.value));
    EXPECT_EQ(got.sensor_id, want.sensor_id);
    EXPECT_EQ(got.received_at, kNow);
  }
}

TEST(ClassifyPosted, WhatOnlyAPostHasIsRefusedInItsOwnWords) {
  const Config config = default_config();
  EXPECT_TRUE(RefusedAs(classify_posted("21.5", kNow, config), RejectReason::bad_payload))
      << "a bare number is an MQTT payload, not an item";
  EXPECT_TRUE(RefusedAs(classify_posted(R"("21.5")", kNow, config), RejectReason::bad_payload));
  EXPECT_TRUE(RefusedAs(classify_posted("[1]", kNow, config), RejectReason::bad_payload));
  EXPECT_TRUE(RefusedAs(classify_posted(R"({"room_id": "101", "temperature": 21})", kNow, config),
                        RejectReason::bad_id));
  EXPECT_TRUE(RefusedAs(
      classify_posted(R"({"building_id": 1, "room_id": "101", "temperature": 21})", kNow, config),
      RejectReason::bad_id));
  EXPECT_TRUE(
      RefusedAs(classify_posted(R"({"building_id": "B1", "temperature": 21})", kNow, config),
                RejectReason::bad_id));
  EXPECT_TRUE(RefusedAs(classify_posted(item_of(R"("metric": 5, "value": 21)"), kNow, config),
                        RejectReason::unknown_metric));
  EXPECT_TRUE(RefusedAs(classify_posted(item_of(R"("metric": null, "value": 21)"), kNow, config),
                        RejectReason::unknown_metric));
}

TEST(ClassifyPosted, AnItemWithoutAMetricIsTheDefaultOne) {
  Config config = default_config();
  auto posted = classify_posted(item_of(R"("value": 21)"), kNow, config);
  ASSERT_TRUE(std::holds_alternative<Reading>(posted));
  EXPECT_EQ(std::get<Reading>(posted).metric, "temperature");
  EXPECT_EQ(std::get<Reading>(posted).ts, kNow) << "stamped on arrival";

  config.metrics = {{"humidity", 0, 100, "%"}, {"co2", 0, 5000, "ppm"}};
  posted = classify_posted(item_of(R"("humidity": 40)"), kNow, config);
  ASSERT_TRUE(std::holds_alternative<Reading>(posted));
  EXPECT_EQ(std::get<Reading>(posted).metric, "humidity");
  posted = classify_posted(item_of(R"("metric": "co2", "co2": 800)"), kNow, config);
  ASSERT_TRUE(std::holds_alternative<Reading>(posted));
  EXPECT_EQ(std::get<Reading>(posted).metric, "co2");
  EXPECT_EQ(std::get<Reading>(posted).value, 800);
}

// The 4 KiB rule is an MQTT payload's; a POSTed item is bounded by the body's limit instead.
TEST(ClassifyPosted, AnItemIsNotHeldToThePayloadSizeRule) {
  const Config config = default_config();
  const std::string pad(10'240, 'x');
  const std::string members = R"("temperature": 21, "pad": ")" + pad + "\"";
  ASSERT_TRUE(check_payload_size("{" + members + "}").has_value());
  EXPECT_TRUE(std::holds_alternative<Reading>(classify_posted(item_of(members), kNow, config)));
  EXPECT_TRUE(RefusedAs(
      classify_posted(item_of(R"("metric": ")" + pad + R"(", "value": 21)"), kNow, config),
      RejectReason::unknown_metric));
}

}  // namespace
}  // namespace roomtemp
