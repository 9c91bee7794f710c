// Sensor topics, ids, the daemon's own output topics and subscription filters (README "Topics and
// payloads").
#include "topic.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace roomtemp {
namespace {

TEST(ValidId, AcceptsTheAllowedAlphabet) {
  EXPECT_TRUE(valid_id("B1"));
  EXPECT_TRUE(valid_id("101"));
  EXPECT_TRUE(valid_id("a"));
  EXPECT_TRUE(valid_id("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
  EXPECT_TRUE(valid_id("abcdefghijklmnopqrstuvwxyz"));
  EXPECT_TRUE(valid_id("0123456789_-."));
  EXPECT_TRUE(valid_id("sensor_1-a.b"));
  EXPECT_TRUE(valid_id("..."));
  EXPECT_TRUE(valid_id("-"));
}

TEST(ValidId, LengthLimitsAreInclusive) {
  EXPECT_FALSE(valid_id(""));
  EXPECT_TRUE(valid_id(std::string(1, 'x')));
  EXPECT_TRUE(valid_id(std::string(64, 'x')));
  EXPECT_FALSE(valid_id(std::string(65, 'x')));
}

TEST(ValidId, RejectsOtherCharacters) {
  for (const char* id :
       {"room 1", "room/1", "room+", "room#", "r\xc3\xa9sum\xc3\xa9", "a:b", "a,b", "tab\there",
        "new\nline", "quote\"", "back\\slash", "percent%", "at@", "star*"}) {
    EXPECT_FALSE(valid_id(id)) << id;
  }
  EXPECT_FALSE(valid_id(std::string("nul\0byte", 8)));
}

/// The refusal of a topic parse_sensor_topic refused, or a failure naming what it split.
::testing::AssertionResult Refused(const std::variant<SensorTopic, Refusal>& parsed,
                                   RejectReason want) {
  if (const auto* t = std::get_if<SensorTopic>(&parsed))
    return ::testing::AssertionFailure()
           << "accepted as " << t->building << " / " << t->room << " / " << t->metric;
  const auto& refusal = std::get<Refusal>(parsed);
  if (refusal.reason != want)
    return ::testing::AssertionFailure() << "refused as " << reason_name(refusal.reason) << " ("
                                         << refusal.detail << "), wanted " << reason_name(want);
  if (refusal.detail.empty()) return ::testing::AssertionFailure() << "no detail";
  return ::testing::AssertionSuccess();
}

TEST(ParseSensorTopic, SplitsAWellFormedTopic) {
  const auto parsed = parse_sensor_topic("buildings/B1/rooms/101/temperature");
  const auto* t = std::get_if<SensorTopic>(&parsed);
  ASSERT_NE(t, nullptr) << std::get<Refusal>(parsed).detail;
  EXPECT_EQ(t->building, "B1");
  EXPECT_EQ(t->room, "101");
  EXPECT_EQ(t->metric, "temperature");
}

TEST(ParseSensorTopic, RoomsNamedLikeOutputLevels) {
  auto parsed = parse_sensor_topic("buildings/B1/rooms/average/temperature");
  ASSERT_TRUE(std::holds_alternative<SensorTopic>(parsed));
  EXPECT_EQ(std::get<SensorTopic>(parsed).room, "average");
  parsed = parse_sensor_topic("buildings/rooms/rooms/rooms/humidity");
  ASSERT_TRUE(std::holds_alternative<SensorTopic>(parsed));
  const auto& t = std::get<SensorTopic>(parsed);
  EXPECT_EQ(t.building, "rooms");
  EXPECT_EQ(t.room, "rooms");
  EXPECT_EQ(t.metric, "humidity");
}

TEST(ParseSensorTopic, WrongShapeIsNotABadId) {
  for (const char* topic : {
           "",
           "buildings",
           "buildings/B1",
           "buildings/B1/rooms/101",
           "buildings/B1/rooms/101/temperature/extra",
           "buildings/B1/rooms/101/temperature/",
           "/buildings/B1/rooms/101/temperature",
           "building/B1/rooms/101/temperature",
           "Buildings/B1/rooms/101/temperature",
           "buildings/B1/room/101/temperature",
           "buildings/B1/floors/101/temperature",
           "buildings/B1/rooms/101/temperature/average/15m",
           "buildings/B1/temperature/average/15m",
           "roomtemp/rejected",
       }) {
    EXPECT_TRUE(Refused(parse_sensor_topic(topic), RejectReason::bad_topic)) << topic;
  }
}

TEST(ParseSensorTopic, BadBuildingOrRoomIsABadId) {
  for (const char* topic : {
           "buildings//rooms/101/temperature",
           "buildings/B1/rooms//temperature",
           "buildings/B 1/rooms/101/temperature",
           "buildings/B1/rooms/1 01/temperature",
           "buildings/B1/rooms/10+1/temperature",
           "buildings/B#/rooms/101/temperature",
       }) {
    EXPECT_TRUE(Refused(parse_sensor_topic(topic), RejectReason::bad_id)) << topic;
  }
  const std::string long_room(65, 'r');
  EXPECT_TRUE(Refused(parse_sensor_topic("buildings/B1/rooms/" + long_room + "/temperature"),
                      RejectReason::bad_id));
  EXPECT_TRUE(std::holds_alternative<SensorTopic>(
      parse_sensor_topic("buildings/B1/rooms/" + std::string(64, 'r') + "/temperature")));
}

TEST(ParseSensorTopic, AMetricLevelNoConfigurationCouldHoldIsAnUnknownMetric) {
  for (const char* topic : {
           "buildings/B1/rooms/101/temp erature",
           "buildings/B1/rooms/101/temp+",
       }) {
    EXPECT_TRUE(Refused(parse_sensor_topic(topic), RejectReason::unknown_metric)) << topic;
  }
}

TEST(ParseSensorTopic, WhySaysWhichIdIsBad) {
  auto parsed = parse_sensor_topic("buildings/B 1/rooms/101/temperature");
  ASSERT_TRUE(std::holds_alternative<Refusal>(parsed));
  EXPECT_NE(std::get<Refusal>(parsed).detail.find("building"), std::string::npos)
      << std::get<Refusal>(parsed).detail;
  parsed = parse_sensor_topic("buildings/B1/rooms/1 01/temperature");
  ASSERT_TRUE(std::holds_alternative<Refusal>(parsed));
  const std::string& why = std::get<Refusal>(parsed).detail;
  EXPECT_NE(why.find("room"), std::string::npos) << why;
  EXPECT_NE(why.find("1 01"), std::string::npos) << why;
}

TEST(IsOwnOutputTopic, RoomAverage) {
  EXPECT_TRUE(is_own_output_topic("buildings/B1/rooms/101/temperature/average/15m"));
  EXPECT_TRUE(is_own_output_topic("buildings/B1/rooms/101/humidity/average/1h"));
}

TEST(IsOwnOutputTopic, BuildingAverage) {
  EXPECT_TRUE(is_own_output_topic("buildings/B1/temperature/average/15m"));
  EXPECT_TRUE(is_own_output_topic("buildings/B1/temperature/average/1m"));
  // A building called "rooms" still has a building-average topic.
  EXPECT_TRUE(is_own_output_topic("buildings/rooms/temperature/average/1h"));
}

TEST(IsOwnOutputTopic, RoomtempNamespace) {
  EXPECT_TRUE(is_own_output_topic("roomtemp/rejected"));
  EXPECT_TRUE(is_own_output_topic("roomtemp/status"));
  EXPECT_TRUE(is_own_output_topic("roomtemp/a/b/c"));
}

TEST(IsOwnOutputTopic, TheBuildersAgreeWithTheRecogniser) {
  EXPECT_EQ(room_average_topic("B1", "101", "temperature", "15m"),
            "buildings/B1/rooms/101/temperature/average/15m");
  EXPECT_EQ(building_average_topic("B1", "temperature", "1h"),
            "buildings/B1/temperature/average/1h");
  EXPECT_EQ(kRejectedTopic, "roomtemp/rejected");
  EXPECT_TRUE(is_own_output_topic(room_average_topic("B1", "average", "temperature", "1m")));
  EXPECT_TRUE(is_own_output_topic(building_average_topic("average", "temperature", "1m")));
  EXPECT_TRUE(is_own_output_topic(kRejectedTopic));
}

TEST(IsOwnOutputTopic, SensorTopicsAreInput) {
  EXPECT_FALSE(is_own_output_topic("buildings/B1/rooms/101/temperature"));
  // A room named "average" is a real room: its sensor topic is input, not output.
  EXPECT_FALSE(is_own_output_topic("buildings/B1/rooms/average/temperature"));
  // Even a building named "average" with a room named "average".
  EXPECT_FALSE(is_own_output_topic("buildings/average/rooms/average/temperature"));
  // A room "average" whose metric is named like a window.
  EXPECT_FALSE(is_own_output_topic("buildings/B1/rooms/average/15m"));
  // Room called "temperature", sensor metric "average" is still a 5-level sensor topic.
  EXPECT_FALSE(is_own_output_topic("buildings/B1/rooms/temperature/average"));
}

TEST(IsOwnOutputTopic, OtherTopicsAreNotOutput) {
  EXPECT_FALSE(is_own_output_topic(""));
  EXPECT_FALSE(is_own_output_topic("roomtemp"));
  EXPECT_FALSE(is_own_output_topic("roomtempd/x"));
  EXPECT_FALSE(is_own_output_topic("xroomtemp/rejected"));
  EXPECT_FALSE(is_own_output_topic("buildings/B1/rooms/101/temperature/avg/15m"));
  EXPECT_FALSE(is_own_output_topic("buildings/B1/temperature/avg/15m"));
  EXPECT_FALSE(is_own_output_topic("houses/B1/temperature/average/15m"));
}

}  // namespace
}  // namespace roomtemp
