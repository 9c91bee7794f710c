// Sources (README "Connecting real sensors"): topic templates, their matching and overlaps, dotted
// JSON paths, and local times read in IANA zones across DST changes.
#include "sources.h"

#include <gtest/gtest.h>

#include "local_time.h"
#include "source_test_support.h"
#include "test_values.h"
#include "timeutil.h"

namespace roomtemp {
namespace {

using source_test::tpl;
using test::utc;

Source source_at(std::string_view topic) {
  Source s;
  s.topic = tpl(topic);
  return s;
}

std::string template_error(std::string_view text) {
  auto parsed = parse_topic_template(text);
  if (auto* why = std::get_if<std::string>(&parsed)) return *why;
  ADD_FAILURE() << text << " parsed, but should not";
  return "";
}

TEST(TopicTemplate, ParsesCapturesPlusAndHash) {
  const TopicTemplate t = tpl("zigbee2mqtt/{building}/+/{room}/#");
  ASSERT_EQ(t.levels.size(), 5u);
  EXPECT_EQ(t.levels[0].kind, TemplateLevel::Kind::literal);
  EXPECT_EQ(t.levels[0].text, "zigbee2mqtt");
  EXPECT_EQ(t.levels[1].kind, TemplateLevel::Kind::capture);
  EXPECT_EQ(t.levels[1].capture, Capture::building);
  EXPECT_EQ(t.levels[2].kind, TemplateLevel::Kind::plus);
  EXPECT_EQ(t.levels[3].capture, Capture::room);
  EXPECT_EQ(t.levels[4].kind, TemplateLevel::Kind::hash);
  EXPECT_EQ(t.filter(), "zigbee2mqtt/+/+/+/#");
  EXPECT_TRUE(t.captures(Capture::room));
  EXPECT_FALSE(t.captures(Capture::metric));
}

TEST(TopicTemplate, RefusesWhatIsNoTemplate) {
  EXPECT_NE(template_error("").find("empty"), std::string::npos);
  EXPECT_NE(template_error("a/{floor}").find("unknown capture '{floor}'"), std::string::npos);
  EXPECT_NE(template_error("a/{room}/{room}").find("captured twice"), std::string::npos);
  EXPECT_NE(template_error("a/#/b").find("last level"), std::string::npos);
  EXPECT_NE(template_error("a/x{room}").find("whole level"), std::string::npos);
  EXPECT_NE(template_error("a/b+").find("stand alone"), std::string::npos);
}

TEST(TopicTemplate, MatchesLevelByLevelAndCaptures) {
  const TopicTemplate t = tpl("buildings/{building}/rooms/{room}/{metric}");
  TopicCaptures c;
  ASSERT_TRUE(match_template(t, "buildings/B1/rooms/101/temperature", c));
  EXPECT_EQ(c.building, "B1");
  EXPECT_EQ(c.room, "101");
  EXPECT_EQ(c.metric, "temperature");
  EXPECT_FALSE(match_template(t, "buildings/B1/rooms/101", c));
  EXPECT_FALSE(match_template(t, "buildings/B1/rooms/101/temperature/x", c));
  EXPECT_FALSE(match_template(t, "buildings/B1/room/101/temperature", c));
  // An empty level is a level, as in MQTT; the ids are checked later.
  ASSERT_TRUE(match_template(t, "buildings//rooms/101/temperature", c));
  EXPECT_EQ(c.building, "");

  const TopicTemplate dev = tpl("tele/{device}/SENSOR");
  ASSERT_TRUE(match_template(dev, "tele/kitchen/SENSOR", c));
  EXPECT_EQ(c.device, "kitchen");
  EXPECT_EQ(c.building, "");  // a new match starts from nothing
  EXPECT_FALSE(match_template(dev, "tele/kitchen/STATE", c));
}

TEST(TopicTemplate, HashMatchesTheRestAndTheParentAsInMqtt) {
  const TopicTemplate t = tpl("gw/{building}/#");
  TopicCaptures c;
  EXPECT_TRUE(match_template(t, "gw/B1/a/b/c", c));
  EXPECT_EQ(c.building, "B1");
  EXPECT_TRUE(match_template(t, "gw/B1", c));
  EXPECT_FALSE(match_template(t, "gw", c));
  // Wildcards at the first level never match $SYS topics.
  EXPECT_FALSE(match_template(tpl("#"), "$SYS/broker/uptime", c));
  EXPECT_FALSE(match_template(tpl("{device}/sensor/{metric}/state"), "$SYS/sensor/t/state", c));
}

TEST(TopicTemplate, OverlapIsWhetherSomeTopicMatchesBoth) {
  auto overlap = [](std::string_view a, std::string_view b) {
    return templates_overlap(tpl(a), tpl(b));
  };
  EXPECT_TRUE(overlap("buildings/{building}/rooms/{room}/{metric}", "buildings/+/rooms/+/+"));
  EXPECT_TRUE(overlap("zigbee2mqtt/{building}/{room}", "zigbee2mqtt/{device}/+"));
  EXPECT_TRUE(overlap("zigbee2mqtt/{building}/{room}", "zigbee2mqtt/B1/kitchen"));
  EXPECT_TRUE(overlap("zigbee2mqtt/#", "zigbee2mqtt/{building}/{room}"));
  EXPECT_TRUE(overlap("a/#", "a"));  // # matches its parent
  EXPECT_TRUE(overlap("#", "tele/{device}/SENSOR"));
  EXPECT_FALSE(overlap("zigbee2mqtt/{building}/{room}", "zigbee2mqtt/{building}/{room}/set"));
  EXPECT_FALSE(overlap("tele/{device}/SENSOR", "tele/{device}/STATE"));
  EXPECT_FALSE(
      overlap("shellies/{device}/sensor/temperature", "shellies/{device}/sensor/humidity"));
  EXPECT_FALSE(overlap("a/b/#", "a/c"));
  EXPECT_FALSE(overlap("a/+", "a"));
}

TEST(JsonPath, DotsSplitKeysAndEverythingElseIsPartOfAKey) {
  auto path = [](std::string_view text) {
    auto parsed = parse_json_path(text);
    EXPECT_TRUE(std::holds_alternative<JsonPath>(parsed)) << text;
    return std::get_if<JsonPath>(&parsed) ? std::get<JsonPath>(parsed).keys
                                          : std::vector<std::string>{};
  };
  EXPECT_TRUE(path("").empty());
  EXPECT_EQ(path("temperature"), (std::vector<std::string>{"temperature"}));
  EXPECT_EQ(path("DS18B20.Temperature"), (std::vector<std::string>{"DS18B20", "Temperature"}));
  // Shelly Gen2's component keys hold a colon.
  EXPECT_EQ(path("params.temperature:0.tC"),
            (std::vector<std::string>{"params", "temperature:0", "tC"}));
  EXPECT_EQ(path(R"(a\.b.c)"), (std::vector<std::string>{"a.b", "c"}));
  EXPECT_EQ(format_json_path(JsonPath{{"a.b", "c"}}), R"(a\.b.c)");
  for (std::string_view bad : {".a", "a.", "a..b", R"(a\b)", "a\\"})
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_json_path(bad))) << bad;
}

TEST(SourceSet, FindsTheMatchingSourceAndListsEachFilterOnce) {
  SourceSet set;
  set.sources.push_back(source_at("zigbee2mqtt/{building}/{room}"));
  set.sources.push_back(source_at("tele/{device}/SENSOR"));
  set.sources.push_back(source_at("tele/{device}/STATE"));
  TopicCaptures c;
  EXPECT_EQ(set.find("tele/k/SENSOR", c), &set.sources[1]);
  EXPECT_EQ(set.find("zigbee2mqtt/B1/kitchen", c), &set.sources[0]);
  EXPECT_EQ(set.find("other/topic", c), nullptr);
  EXPECT_EQ(set.filters(),
            (std::vector<std::string>{"zigbee2mqtt/+/+", "tele/+/SENSOR", "tele/+/STATE"}));
  SourceSet same = set;
  same.sources[0].values.emplace_back("temperature", JsonPath{{"temperature"}});
  EXPECT_TRUE(set.same_topics(same));
  same.sources[2].topic = tpl("tele/{device}/X");
  EXPECT_FALSE(set.same_topics(same));
}

// --- local times -----------------------------------------------------------------------------

TEST(LocalTime, TheSystemTzDatabaseHasTheZones) {
  EXPECT_TRUE(find_time_zone("Europe/Zurich"));
  EXPECT_TRUE(find_time_zone("America/New_York"));
  EXPECT_TRUE(find_time_zone("UTC"));
  EXPECT_FALSE(find_time_zone("Europe/Atlantis"));
  EXPECT_FALSE(find_time_zone(""));
}

TEST(LocalTime, ReadsWinterAndSummerTimeWithTheirOffsets) {
  const TimeZone zurich = find_time_zone("Europe/Zurich").value();
  EXPECT_EQ(parse_source_time("2024-01-15T12:00:00", zurich), utc("2024-01-15T11:00:00Z"));
  EXPECT_EQ(parse_source_time("2024-07-15T12:00:00", zurich), utc("2024-07-15T10:00:00Z"));
  EXPECT_EQ(parse_source_time("2024-07-15T12:00:00.250", zurich), utc("2024-07-15T10:00:00.250Z"));
  // A text with an offset means what it says, whatever the zone.
  EXPECT_EQ(parse_source_time("2024-07-15T12:00:00+05:00", zurich), utc("2024-07-15T07:00:00Z"));
  const TimeZone new_york = find_time_zone("America/New_York").value();
  EXPECT_EQ(parse_source_time("2024-07-15T12:00:00", new_york), utc("2024-07-15T16:00:00Z"));
}

TEST(LocalTime, AnAmbiguousTimeIsTheEarlierOne) {
  // Zurich, 2024-10-27: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
  const TimeZone zurich = find_time_zone("Europe/Zurich").value();
  EXPECT_EQ(parse_source_time("2024-10-27T02:30:00", zurich), utc("2024-10-27T00:30:00Z"));
  EXPECT_EQ(parse_source_time("2024-10-27T01:59:59", zurich), utc("2024-10-26T23:59:59Z"));
  EXPECT_EQ(parse_source_time("2024-10-27T03:00:00", zurich), utc("2024-10-27T02:00:00Z"));
}

TEST(LocalTime, ATimeInTheSpringGapIsShiftedForwardByTheGap) {
  // Zurich, 2024-03-31: 02:00 CET becomes 03:00 CEST; 02:30 does not exist and reads as 03:30.
  const TimeZone zurich = find_time_zone("Europe/Zurich").value();
  EXPECT_EQ(parse_source_time("2024-03-31T02:30:00", zurich), utc("2024-03-31T01:30:00Z"));
  EXPECT_EQ(parse_source_time("2024-03-31T03:30:00", zurich), utc("2024-03-31T01:30:00Z"));
  EXPECT_EQ(parse_source_time("2024-03-31T01:59:59", zurich), utc("2024-03-31T00:59:59Z"));
}

TEST(LocalTime, WithoutAZoneOnlyAnOffsetWill) {
  EXPECT_FALSE(parse_source_time("2024-07-15T12:00:00", TimeZone{}));
  EXPECT_EQ(parse_source_time("2024-07-15T12:00:00Z", TimeZone{}), utc("2024-07-15T12:00:00Z"));
  const TimeZone zurich = find_time_zone("Europe/Zurich").value();
  EXPECT_FALSE(parse_source_time("2024-07-15 noon", zurich));
  EXPECT_FALSE(parse_source_time("2024-13-15T12:00:00", zurich));
}

}  // namespace
}  // namespace roomtemp
