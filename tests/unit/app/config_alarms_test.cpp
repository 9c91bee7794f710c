// The `alarms:` list and `silence.after` (README "Alarms and silent sensors"): what a valid rule
// reads as, its defaults, and every mistake as FILE:LINE:COL naming the rule and the key; and the
// durations that zero turns off (silence.after, retention's ages). Line
// and column numbers are counted by hand from the YAML text (1-based).
#include <gtest/gtest.h>

#include "config_file.h"
#include "config_test_support.h"

namespace roomtemp {
namespace {

using namespace config_test;

TEST(ConfigAlarms, ReadsEveryKeyOfARule) {
  const Config c = valid(kHead +
                         "alarms:\n"
                         "  - name: too_hot\n"
                         "    metric: temperature\n"
                         "    above: 28\n"
                         "    clear: 27\n"
                         "    window: 1m\n"
                         "    for: 5m\n"
                         "    rooms: [\"B1/*\", \"B2/201\"]\n"
                         "  - name: too_cold\n"
                         "    metric: temperature\n"
                         "    below: 16\n"
                         "    clear: 17\n"
                         "    window: 15m\n"
                         "silence:\n"
                         "  after: 1h\n");
  ASSERT_EQ(c.alarms.size(), 2u);
  const AlarmRule& hot = c.alarms[0];
  EXPECT_EQ(hot.name, "too_hot");
  EXPECT_EQ(hot.metric, "temperature");
  EXPECT_EQ(hot.side, AlarmSide::above);
  EXPECT_EQ(hot.threshold, 28);
  EXPECT_EQ(hot.clear, 27);
  EXPECT_EQ(hot.window, std::chrono::minutes(1));
  EXPECT_EQ(hot.hold, std::chrono::minutes(5));
  EXPECT_EQ(hot.rooms, (std::vector<std::string>{"B1/*", "B2/201"}));
  const AlarmRule& cold = c.alarms[1];
  EXPECT_EQ(cold.side, AlarmSide::below);
  EXPECT_EQ(cold.threshold, 16);
  EXPECT_EQ(cold.clear, 17);
  EXPECT_EQ(cold.hold, Duration(0)) << "for defaults to 0s";
  EXPECT_TRUE(cold.rooms.empty()) << "every room";
  EXPECT_EQ(c.silence.after, std::chrono::hours(1));
}

TEST(ConfigAlarms, Defaults) {
  const Config none = valid(kHead);
  EXPECT_TRUE(none.alarms.empty());
  EXPECT_EQ(none.silence.after, std::chrono::minutes(15));
  const Config c = valid(kHead +
                         "alarms:\n"
                         "  - {name: hot, metric: temperature, above: 30, window: 15m}\n"
                         "silence: {after: 0}\n");
  EXPECT_EQ(c.alarms.at(0).clear, 30) << "clear defaults to the threshold";
  EXPECT_EQ(c.silence.after, Duration(0)) << "0 turns silence off";
  EXPECT_TRUE(valid(kHead + "alarms: []\n").alarms.empty());
}

TEST(ConfigAlarms, AboveAndBelowTogetherOrNeither) {
  ConfigError both =
      one_error(kHead +
                "alarms:\n"  // 2
                "  - {name: a, metric: temperature, above: 1, below: 2, window: 1m}\n");
  // the value of below, at column 53
  EXPECT_AT(both, 3, 53);
  EXPECT_MENTIONS(both, "alarms[0]");
  EXPECT_MENTIONS(both, "not both");
  ConfigError neither = one_error(kHead +
                                  "alarms:\n"
                                  "  - name: a\n"  // 3, the rule's map at column 5
                                  "    metric: temperature\n"
                                  "    window: 1m\n");
  EXPECT_AT(neither, 3, 5);
  EXPECT_MENTIONS(neither, "above or below");
}

TEST(ConfigAlarms, ClearMustLieOnTheSideTheAlarmGoesBackTo) {
  ConfigError above = one_error(kHead +
                                "alarms:\n"
                                "  - name: hot\n"
                                "    metric: temperature\n"
                                "    above: 28\n"
                                "    clear: 29\n"  // 6, the value at column 12
                                "    window: 1m\n");
  EXPECT_AT(above, 6, 12);
  EXPECT_MENTIONS(above, "alarms[0].clear");
  EXPECT_MENTIONS(above, "must not be above the threshold 28");
  ConfigError below = one_error(kHead +
                                "alarms:\n"
                                "  - name: cold\n"
                                "    metric: temperature\n"
                                "    below: 16\n"
                                "    clear: 15.5\n"
                                "    window: 1m\n");
  EXPECT_AT(below, 6, 12);
  EXPECT_MENTIONS(below, "must not be below the threshold 16");
  valid(kHead + "alarms: [{name: hot, metric: temperature, above: 28, clear: 28, window: 1m}]\n");
}

TEST(ConfigAlarms, WindowMustBeAConfiguredOne) {
  ConfigError e = one_error(kHead +
                            "averages: {windows: [1m, 15m]}\n"
                            "alarms:\n"
                            "  - name: hot\n"
                            "    metric: temperature\n"
                            "    above: 28\n"
                            "    window: 1h\n");  // 7, value at column 13
  EXPECT_AT(e, 7, 13);
  EXPECT_MENTIONS(e, "alarms[0].window: 1h is not one of averages.windows (1m, 15m)");
  ConfigError missing =
      one_error(kHead + "alarms:\n  - {name: hot, metric: temperature, above: 28}\n");
  EXPECT_AT(missing, 3, 5);
  EXPECT_MENTIONS(missing, "alarms[0].window is required");
}

TEST(ConfigAlarms, NamesAreShortLowercaseUniqueAndNotSilent) {
  const std::string rule = ", metric: temperature, above: 28, window: 1m}\n";
  ConfigError bad = one_error(kHead + "alarms:\n  - {name: Too-Hot" + rule);
  EXPECT_AT(bad, 3, 12);
  EXPECT_MENTIONS(bad, "'Too-Hot' is not 1-32 characters of a-z 0-9 _");
  ConfigError twice = one_error(kHead + "alarms:\n  - {name: hot" + rule + "  - {name: hot" + rule);
  EXPECT_AT(twice, 4, 12);
  EXPECT_MENTIONS(twice, "alarms[1].name: another rule is named 'hot'");
  ConfigError reserved = one_error(kHead + "alarms:\n  - {name: silent" + rule);
  EXPECT_MENTIONS(reserved, "reserved");
  ConfigError long_name = one_error(kHead + "alarms:\n  - {name: " + std::string(33, 'a') + rule);
  EXPECT_MENTIONS(long_name, "1-32");
  ConfigError no_name =
      one_error(kHead + "alarms:\n  - {metric: temperature, above: 1, window: 1m}\n");
  EXPECT_MENTIONS(no_name, "alarms[0].name is required");
}

TEST(ConfigAlarms, MetricMustBeConfigured) {
  ConfigError e =
      one_error(kHead + "alarms:\n  - {name: hot, metric: humidity, above: 1, window: 1m}\n");
  EXPECT_AT(e, 3, 25);  // the value of metric
  EXPECT_MENTIONS(e, "'humidity' is not a configured metric (metrics: temperature)");
  valid(kHead +
        "metrics: {humidity: {min: 0, max: 100, unit: \"%\"}}\n"
        "alarms:\n  - {name: damp, metric: humidity, above: 70, window: 15m}\n");
}

TEST(ConfigAlarms, RoomPatternsAreBuildingSlashRoom) {
  const std::string head = kHead +
                           "alarms:\n  - name: hot\n    metric: temperature\n"
                           "    above: 28\n    window: 1m\n";
  ConfigResult r = parse_config(head + "    rooms: [\"B1/*\", \"B1\", \"*/1*\"]\n", kFile);
  ASSERT_EQ(r.errors.size(), 2u) << dump(r);
  EXPECT_AT(r.errors[0], 7, 21);
  EXPECT_MENTIONS(r.errors[0], "alarms[0].rooms[1]: 'B1' is not building/room");
  EXPECT_MENTIONS(r.errors[1], "alarms[0].rooms[2]: '*/1*'");
  ConfigError empty = one_error(head + "    rooms: []\n");
  EXPECT_MENTIONS(empty, "non-empty list");
  valid(head + "    rooms: [\"*/101\", \"B.2/x-1\", \"*/*\"]\n");
}

TEST(ConfigAlarms, UnknownKeysAndWrongShapes) {
  ConfigError key = one_error(kHead +
                              "alarms:\n"
                              "  - name: hot\n"
                              "    metric: temperature\n"
                              "    above: 28\n"
                              "    window: 1m\n"
                              "    fro: 5m\n");  // 7, column 5
  EXPECT_AT(key, 7, 5);
  EXPECT_MENTIONS(key, "unknown key 'alarms[0].fro'");
  ConfigError map = one_error(kHead + "alarms: {name: hot}\n");
  EXPECT_AT(map, 2, 9);
  EXPECT_MENTIONS(map, "alarms: expected a list");
  ConfigError scalar = one_error(kHead + "alarms:\n  - too_hot\n");
  EXPECT_AT(scalar, 3, 5);
  ConfigError threshold =
      one_error(kHead + "alarms:\n  - {name: hot, metric: temperature, above: warm, window: 1m}\n");
  EXPECT_MENTIONS(threshold, "alarms[0].above: expected a number, got 'warm'");
  ConfigError hold = one_error(kHead +
                               "alarms:\n  - {name: hot, metric: temperature, above: 1, window: "
                               "1m, for: soon}\n");
  EXPECT_MENTIONS(hold, "alarms[0].for: expected a duration");
}

TEST(ConfigSilence, AfterIsZeroOrAtLeastASecond) {
  ConfigError e = one_error(kHead + "silence:\n  after: 500ms\n");
  EXPECT_AT(e, 3, 10);
  EXPECT_MENTIONS(e, "silence.after: 500ms is shorter than the minimum 1s");
  ConfigError key = one_error(kHead + "silence:\n  afer: 1m\n");
  EXPECT_MENTIONS(key, "unknown key 'silence.afer'");
  EXPECT_EQ(valid(kHead + "silence:\n  after: 2s\n").silence.after, std::chrono::seconds(2));
  for (const char* zero : {"0", "0s", "0ms", "0m"})
    EXPECT_EQ(valid(kHead + "silence:\n  after: " + zero + "\n").silence.after, Duration(0))
        << zero << " turns silence off";
}

TEST(ConfigAlarms, ForIsZeroWithOrWithoutAUnit) {
  for (const char* zero : {"0", "0s"}) {
    const Config c = valid(kHead +
                           "alarms:\n  - {name: hot, metric: temperature, above: 1, window: "
                           "1m, for: " +
                           zero + "}\n");
    ASSERT_EQ(c.alarms.size(), 1u);
    EXPECT_EQ(c.alarms[0].hold, Duration(0)) << zero;
  }
}

// retention ages share silence.after's rule: zero (with or without a unit) means off.
TEST(ConfigRetention, AgesAreZeroOrAtLeastADay) {
  const std::string head = "postgres: {dsn: dbname=x}\n";
  for (const char* zero : {"0", "0d", "0s"})
    EXPECT_EQ(valid(head + "retention:\n  rejected: " + zero + "\n").retention.rejected,
              Duration(0))
        << zero << " keeps rejected readings forever";
  EXPECT_EQ(valid(head + "retention:\n  readings: 90d\n").retention.readings,
            std::chrono::days(90));
  ConfigError e = one_error(head + "retention:\n  readings: 12h\n");
  EXPECT_AT(e, 3, 13);
  EXPECT_MENTIONS(e,
                  "retention.readings: 12h is shorter than the minimum 1d (stored data goes a "
                  "day at a time; 0 keeps it forever)");
}

}  // namespace
}  // namespace roomtemp
