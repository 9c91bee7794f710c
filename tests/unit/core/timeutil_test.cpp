// RFC 3339 parsing and formatting. Expected epoch values were computed independently
// (Python's datetime) and are written here as constants.
#include "timeutil.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace roomtemp {
namespace {

constexpr Micros s(std::int64_t seconds) { return seconds * kMicrosPerSecond; }

// 2024-12-01T12:34:56Z
constexpr std::int64_t kDec1Seconds = 1733056496;

TEST(ParseRfc3339, UtcWithZ) {
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56Z"), s(kDec1Seconds));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2038-01-19T03:14:08Z"), s(2147483648));
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59Z"), s(253402300799));
}

TEST(ParseRfc3339, LowercaseTAndZAndSpaceSeparator) {
  EXPECT_EQ(parse_rfc3339("2024-12-01t12:34:56z"), s(kDec1Seconds));
  EXPECT_EQ(parse_rfc3339("2024-12-01 12:34:56Z"), s(kDec1Seconds));
}

TEST(ParseRfc3339, PositiveOffset) {
  EXPECT_EQ(parse_rfc3339("2024-12-01T14:34:56+02:00"), s(kDec1Seconds));
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56+00:00"), s(kDec1Seconds));
  EXPECT_EQ(parse_rfc3339("2024-12-02T02:04:56+13:30"), s(kDec1Seconds));
}

TEST(ParseRfc3339, NegativeOffset) {
  EXPECT_EQ(parse_rfc3339("2024-12-01T07:04:56-05:30"), s(kDec1Seconds));
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56-00:00"), s(kDec1Seconds));
}

TEST(ParseRfc3339, OffsetCrossesYearBoundary) {
  // 2023-12-31T23:30:00-01:00 is 2024-01-01T00:30:00Z = 1704069000.
  EXPECT_EQ(parse_rfc3339("2023-12-31T23:30:00-01:00"), s(1704069000));
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:30:00Z"), s(1704069000));
}

TEST(ParseRfc3339, FractionalDigits) {
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.000Z"), s(kDec1Seconds));
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.5Z"), s(kDec1Seconds) + 500000);
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.12Z"), s(kDec1Seconds) + 120000);
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.789Z"), s(kDec1Seconds) + 789000);
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.000001Z"), s(kDec1Seconds) + 1);
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.123456Z"), s(kDec1Seconds) + 123456);
  EXPECT_EQ(parse_rfc3339("2024-12-01T14:34:56.250+02:00"), s(kDec1Seconds) + 250000);
}

TEST(ParseRfc3339, DigitsPastMicrosecondsAreTruncated) {
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.1234567Z"), s(kDec1Seconds) + 123456);
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.999999999Z"), s(kDec1Seconds) + 999999);
  EXPECT_EQ(parse_rfc3339("2024-12-01T12:34:56.000000999999Z"), s(kDec1Seconds));
}

TEST(ParseRfc3339, LeapYears) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), s(1709164800));
  EXPECT_EQ(parse_rfc3339("2000-02-29T12:00:00Z"), s(951825600));  // divisible by 400
  EXPECT_EQ(parse_rfc3339("1900-02-29T00:00:00Z"), std::nullopt);  // divisible by 100 only
  EXPECT_EQ(parse_rfc3339("2100-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2023-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("1900-03-01T00:00:00Z"), s(-2203891200));
}

TEST(ParseRfc3339, BeforeTheEpoch) {
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), s(-1));
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.5Z"), s(-1) + 500000);
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z"), s(-62135596800));
}

TEST(ParseRfc3339, LeapSecondFoldsIntoTheNextSecond) {
  // 2017-01-01T00:00:00Z = 1483228800.
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), s(1483228800));
}

TEST(ParseRfc3339, InvalidDates) {
  for (const char* text : {
           "2024-02-30T00:00:00Z",
           "2024-02-31T00:00:00Z",
           "2024-04-31T00:00:00Z",
           "2024-06-31T00:00:00Z",
           "2024-09-31T00:00:00Z",
           "2024-11-31T00:00:00Z",
           "2024-00-10T00:00:00Z",
           "2024-13-01T00:00:00Z",
           "2024-12-00T00:00:00Z",
           "2024-12-32T00:00:00Z",
           "2024-12-01T24:00:00Z",
           "2024-12-01T12:60:00Z",
           "2024-12-01T12:34:61Z",
       }) {
    EXPECT_EQ(parse_rfc3339(text), std::nullopt) << text;
  }
  // The last day of every month is fine.
  for (const char* text :
       {"2023-01-31T00:00:00Z", "2023-02-28T00:00:00Z", "2023-03-31T00:00:00Z",
        "2023-04-30T00:00:00Z", "2023-05-31T00:00:00Z", "2023-06-30T00:00:00Z",
        "2023-07-31T00:00:00Z", "2023-08-31T00:00:00Z", "2023-09-30T00:00:00Z",
        "2023-10-31T00:00:00Z", "2023-11-30T00:00:00Z", "2023-12-31T00:00:00Z"}) {
    EXPECT_NE(parse_rfc3339(text), std::nullopt) << text;
  }
}

TEST(ParseRfc3339, MalformedText) {
  for (const char* text : {
           "",
           "2024",
           "2024-12-01",
           "2024-12-01T12:34:56",        // no offset
           "2024-12-01T12:34:56.123",    // no offset
           "2024-12-01T12:34Z",          // no seconds
           "2024-12-01T12:34:56.Z",      // empty fraction
           "2024-12-01T12:34:56+02",     // offset without minutes
           "2024-12-01T12:34:56+0200",   // offset without colon
           "2024-12-01T12:34:56+24:00",  // offset hours out of range
           "2024-12-01T12:34:56+02:60",  // offset minutes out of range
           "2024-12-01T12:34:56ZZ",      // trailing garbage
           "2024-12-01T12:34:56Z ",      // trailing space
           " 2024-12-01T12:34:56Z",      // leading space
           "2024-12-01T12:34:56+02:00x",
           "2024/12/01T12:34:56Z",
           "2024-12-01X12:34:56Z",
           "2024-12-01T12-34-56Z",
           "24-12-01T12:34:56Z",
           "2024-1-01T12:34:56Z",
           "2024-12-1T12:34:56Z",
           "2024-12-01T1:34:56Z",
           "2024-12-01T12:34:56UTC",
           "2024-12-01T12:34:56 +02:00",
           "abcd-ef-ghTij:kl:mnZ",
           "+2024-12-01T12:34:56Z",
           "1733056496",
       }) {
    EXPECT_EQ(parse_rfc3339(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(FormatRfc3339, WholeSeconds) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(s(kDec1Seconds)), "2024-12-01T12:34:56Z");
  EXPECT_EQ(format_rfc3339(s(1709164800)), "2024-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(s(951825600)), "2000-02-29T12:00:00Z");
  EXPECT_EQ(format_rfc3339(s(253402300799)), "9999-12-31T23:59:59Z");
}

TEST(FormatRfc3339, FractionUsesThreeOrSixDigits) {
  EXPECT_EQ(format_rfc3339(s(kDec1Seconds) + 500000), "2024-12-01T12:34:56.500Z");
  EXPECT_EQ(format_rfc3339(s(kDec1Seconds) + 789000), "2024-12-01T12:34:56.789Z");
  EXPECT_EQ(format_rfc3339(s(kDec1Seconds) + 1000), "2024-12-01T12:34:56.001Z");
  EXPECT_EQ(format_rfc3339(s(kDec1Seconds) + 1), "2024-12-01T12:34:56.000001Z");
  EXPECT_EQ(format_rfc3339(s(kDec1Seconds) + 123456), "2024-12-01T12:34:56.123456Z");
  EXPECT_EQ(format_rfc3339(s(kDec1Seconds) + 999999), "2024-12-01T12:34:56.999999Z");
}

TEST(FormatRfc3339, BeforeTheEpoch) {
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(s(-1)), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(s(-1) + 500000), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(format_rfc3339(s(-2203891200)), "1900-03-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(s(-62135596800)), "0001-01-01T00:00:00Z");
}

TEST(Rfc3339RoundTrip, FormatThenParseIsIdentity) {
  for (Micros t : {Micros{0}, s(kDec1Seconds), s(kDec1Seconds) + 1, s(kDec1Seconds) + 1000,
                   s(kDec1Seconds) + 999999, s(1709164800) + 123456, s(-1), Micros{-1},
                   s(-62135596800), s(253402300799) + 999999, s(2147483648)}) {
    auto back = parse_rfc3339(format_rfc3339(t));
    ASSERT_TRUE(back.has_value()) << format_rfc3339(t);
    EXPECT_EQ(*back, t) << format_rfc3339(t);
  }
}

TEST(Rfc3339RoundTrip, EveryDayOfALeapYearAndAnOrdinaryYear) {
  // 2024-01-01T00:00:00Z = 1704067200; walk two years a day and a few hours at a time.
  for (Micros t = s(1704067200); t < s(1704067200 + 2 * 366 * 86400);
       t += s(86400 + 3 * 3600 + 7)) {
    auto back = parse_rfc3339(format_rfc3339(t));
    ASSERT_TRUE(back.has_value()) << format_rfc3339(t);
    EXPECT_EQ(*back, t);
  }
}

TEST(Rfc3339RoundTrip, ParseThenFormatNormalisesToUtc) {
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-12-01T14:34:56+02:00")), "2024-12-01T12:34:56Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-12-01T07:04:56.250-05:30")),
            "2024-12-01T12:34:56.250Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-12-01T12:34:56.000Z")), "2024-12-01T12:34:56Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-12-01T12:34:56.120000Z")),
            "2024-12-01T12:34:56.120Z");
}

TEST(NowMicros, IsCloseToTheSystemClock) {
  using namespace std::chrono;
  const Micros before = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  const Micros now = now_micros();
  const Micros after = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_GT(now, s(kDec1Seconds));  // after this test was written
}

}  // namespace
}  // namespace roomtemp
