// What the compatibility routes read differently from /v1 (daemon/api/compat.h): times without
// an offset are UTC, durations are spelled as InfluxDB spells them, and a bare sensor id is
// placed by the sources' devices or by the default.
#include "compat.h"

#include <gtest/gtest.h>

#include <memory>

#include "config.h"

namespace roomtemp {
namespace {

TEST(CompatTime, WithoutAnOffsetIsUtc) {
  // The Flask service's README posts "recorded_at": "2024-12-10T16:45:00".
  EXPECT_EQ(parse_time_utc_default("2024-12-10T16:45:00"), parse_rfc3339("2024-12-10T16:45:00Z"));
  EXPECT_EQ(parse_time_utc_default("2024-12-10T16:45:00.250"),
            parse_rfc3339("2024-12-10T16:45:00.250Z"));
}

TEST(CompatTime, PythonsIsoformatIsUtc) {
  // datetime.isoformat(), as the device dashboard's simulator sends it: microseconds, no offset.
  EXPECT_EQ(parse_time_utc_default("2024-12-10T16:45:00.123456"),
            parse_rfc3339("2024-12-10T16:45:00.123456Z"));
}

TEST(CompatTime, PostedTimestampsWithoutAnOffsetBecomeUtc) {
  EXPECT_EQ(utc_timestamp("2024-12-10T16:45:00"),
            format_rfc3339(*parse_rfc3339("2024-12-10T16:45:00Z")));
  EXPECT_EQ(utc_timestamp("2024-12-10T17:45:00+01:00"),
            format_rfc3339(*parse_rfc3339("2024-12-10T16:45:00Z")));
  // Anything else is left for the ingest to refuse with its own reason.
  EXPECT_EQ(utc_timestamp("tomorrow"), "tomorrow");
  EXPECT_EQ(utc_timestamp(1733849100), 1733849100);
  EXPECT_TRUE(utc_timestamp(nullptr).is_null());
}

TEST(CompatDuration, OnePartAsConfiguredDurations) {
  for (const char* text : {"500ms", "30s", "15m", "1h", "7d"})
    EXPECT_EQ(parse_any_duration(text), parse_duration(text)) << text;
}

TEST(CompatDuration, WeeksAndSeveralParts) {
  using namespace std::chrono;
  EXPECT_EQ(parse_any_duration("2w"), Duration(days(14)));
  EXPECT_EQ(parse_any_duration("1h30m"), Duration(minutes(90)));
  EXPECT_EQ(parse_any_duration("1d12h"), Duration(hours(36)));
  EXPECT_EQ(parse_any_duration("1m30s500ms"), Duration(milliseconds(90'500)));
}

TEST(CompatDuration, OtherTextIsRefused) {
  for (const char* text : {"", "0", "0m", "15", "m", "15 m", "-15m", "1mo", "1y", "15m ", "1h30",
                           "99999999999999999999d"})
    EXPECT_FALSE(parse_any_duration(text).has_value()) << '"' << text << '"';
}

TEST(CompatTime, AnOffsetIsKept) {
  EXPECT_EQ(parse_time_utc_default("2025-10-22T21:00:00Z"), parse_rfc3339("2025-10-22T21:00:00Z"));
  EXPECT_EQ(parse_time_utc_default("2024-12-10T17:45:00+01:00"),
            parse_rfc3339("2024-12-10T16:45:00Z"));
}

TEST(CompatTime, OtherTextIsRefused) {
  for (const char* text : {"", "yesterday", "2024-12-10", "2024-12-10T16:45:00ZZ",
                           "2024-12-10T16:45:00+01:00Z", "1733849100"})
    EXPECT_FALSE(parse_time_utc_default(text).has_value()) << text;
}

TEST(CompatSensor, UnmappedSensorsHaveTheirOwnRoomInBuildingSensors) {
  const Config config;
  EXPECT_EQ(sensor_place(config, "sensor-1"), (DevicePlace{"sensors", "sensor-1"}));
}

TEST(CompatSensor, TheFirstSourceThatPlacesTheDeviceWins) {
  Config config;
  auto set = std::make_shared<SourceSet>();
  set->sources.resize(2);
  set->sources[0].devices.emplace("other", DevicePlace{"B9", "9"});
  set->sources[1].devices.emplace("sensor-1", DevicePlace{"R1", "lab"});
  config.sources = set;
  EXPECT_EQ(sensor_place(config, "sensor-1"), (DevicePlace{"R1", "lab"}));
  EXPECT_EQ(sensor_place(config, "sensor-2"), (DevicePlace{"sensors", "sensor-2"}));
}

}  // namespace
}  // namespace roomtemp
