// Durations (`500ms`, `10s`, `15m`, `1h`, `7d`) and byte sizes (`1GiB`).
#include "duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace roomtemp {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), Duration(500));
  EXPECT_EQ(parse_duration("10s"), Duration(10'000));
  EXPECT_EQ(parse_duration("15m"), Duration(900'000));
  EXPECT_EQ(parse_duration("1h"), Duration(3'600'000));
  EXPECT_EQ(parse_duration("7d"), Duration(604'800'000));
}

TEST(ParseDuration, SpecDefaults) {
  EXPECT_EQ(parse_duration("30s"), Duration(30s));
  EXPECT_EQ(parse_duration("200ms"), Duration(200ms));
  EXPECT_EQ(parse_duration("100ms"), Duration(100ms));
  EXPECT_EQ(parse_duration("1m"), Duration(1min));
  EXPECT_EQ(parse_duration("1s"), Duration(1s));
  EXPECT_EQ(parse_duration("5m"), Duration(5min));
  EXPECT_EQ(parse_duration("10m"), Duration(10min));
}

TEST(ParseDuration, ZeroAndLargeValues) {
  EXPECT_EQ(parse_duration("0s"), Duration(0));
  EXPECT_EQ(parse_duration("0ms"), Duration(0));
  EXPECT_EQ(parse_duration("0"), Duration(0)) << "nothing needs no unit";
  EXPECT_EQ(parse_duration("90s"), Duration(90'000));
  EXPECT_EQ(parse_duration("1500ms"), Duration(1'500));
  EXPECT_EQ(parse_duration("365d"), Duration(365LL * 86'400'000));
}

TEST(ParseDuration, Rejects) {
  for (const char* text : {
           "",    "s",    "ms",   "10",    "10x",   "10 s", " 10s", "10s ",  "-5s",
           "+5s", "1.5s", "1,5s", "10S",   "10MS",  "1H",   "1D",   "10sec", "10min",
           "1w",  "1y",   "10us", "1h30m", "0x10s", "abc",  "5mss", "00",    "01",
       }) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_EQ(parse_duration("99999999999999999999s"), std::nullopt);  // beyond uint64
  EXPECT_EQ(parse_duration("18446744073709551615d"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807ms"), std::nullopt);
}

TEST(FormatDuration, ShortestExactUnit) {
  EXPECT_EQ(format_duration(Duration(500)), "500ms");
  EXPECT_EQ(format_duration(10s), "10s");
  EXPECT_EQ(format_duration(15min), "15m");
  EXPECT_EQ(format_duration(1h), "1h");
  EXPECT_EQ(format_duration(Duration(7 * 86'400'000)), "7d");
  EXPECT_EQ(format_duration(Duration(900'000)), "15m");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(Duration(1500)), "1500ms");
  EXPECT_EQ(format_duration(90min), "90m");
  EXPECT_EQ(format_duration(24h), "1d");
  EXPECT_EQ(format_duration(25h), "25h");
  EXPECT_EQ(format_duration(Duration(1)), "1ms");
  EXPECT_EQ(format_duration(Duration(0)), "0ms");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (Duration d :
       {Duration(1), Duration(999), Duration(1000), Duration(61'000), Duration(3'600'000),
        Duration(86'400'000), Duration(31LL * 86'400'000), Duration(123'456'789)}) {
    auto back = parse_duration(format_duration(d));
    ASSERT_TRUE(back.has_value()) << format_duration(d);
    EXPECT_EQ(*back, d);
  }
}

TEST(ParseByteSize, PlainAndDecimalUnits) {
  EXPECT_EQ(parse_byte_size("0"), 0u);
  EXPECT_EQ(parse_byte_size("4096"), 4096u);
  EXPECT_EQ(parse_byte_size("12B"), 12u);
  EXPECT_EQ(parse_byte_size("1KB"), 1000u);
  EXPECT_EQ(parse_byte_size("5MB"), 5'000'000u);
  EXPECT_EQ(parse_byte_size("2GB"), 2'000'000'000u);
}

TEST(ParseByteSize, BinaryUnits) {
  EXPECT_EQ(parse_byte_size("1KiB"), 1024u);
  EXPECT_EQ(parse_byte_size("512MiB"), 512ull * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("1GiB"), 1'073'741'824ull);
  EXPECT_EQ(parse_byte_size("3TiB"), 3ull * 1'099'511'627'776ull);
}

TEST(ParseByteSize, Rejects) {
  for (const char* text : {"", "GiB", "1 GiB", "1gib", "1kb", "1K", "1M", "1G", "1.5GiB", "-1",
                           "1PiB", "1TB", " 1", "1 ", "1GiBs", "0x10"}) {
    EXPECT_EQ(parse_byte_size(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseByteSize, RejectsOverflow) {
  // 2^24 TiB = 2^64 bytes does not fit; one less does.
  EXPECT_EQ(parse_byte_size("16777216TiB"), std::nullopt);
  EXPECT_EQ(parse_byte_size("16777215TiB"), 16777215ull << 40);
  EXPECT_EQ(parse_byte_size("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_byte_size("18446744073709551616"), std::nullopt);
}

}  // namespace
}  // namespace roomtemp
