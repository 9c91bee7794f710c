// Sensor payloads (README "Topics and payloads"): a bare number, or a JSON object with the metric's
// name or `value`, an optional `timestamp` (RFC 3339, epoch seconds or milliseconds) and
// `sensor_id`; at most 4 KiB, a leading UTF-8 byte order mark skipped.
#include "payload.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace roomtemp {
namespace {

// 2024-12-01T12:34:56Z, computed independently.
constexpr Micros kDec1 = 1733056496LL * 1'000'000;

struct Parsed {
  bool ok = false;
  PayloadFields fields;
  Refusal refusal{RejectReason::bad_topic, ""};
};

Parsed parse(std::string_view payload, std::string_view metric = "temperature") {
  Parsed p;
  auto read = parse_payload(payload, metric);
  p.ok = std::holds_alternative<PayloadFields>(read);
  if (p.ok)
    p.fields = std::get<PayloadFields>(std::move(read));
  else
    p.refusal = std::get<Refusal>(std::move(read));
  return p;
}

::testing::AssertionResult Refused(const Parsed& p, RejectReason want) {
  if (p.ok) return ::testing::AssertionFailure() << "accepted with value " << p.fields.value;
  if (p.refusal.reason != want)
    return ::testing::AssertionFailure()
           << "refused as " << static_cast<int>(p.refusal.reason) << " (" << p.refusal.detail
           << "), wanted " << static_cast<int>(want);
  if (p.refusal.detail.empty()) return ::testing::AssertionFailure() << "no detail";
  return ::testing::AssertionSuccess();
}

// --- bare numbers ---------------------------------------------------------------------------

TEST(ParsePayloadBare, Numbers) {
  struct Case {
    const char* text;
    double value;
  } cases[] = {
      {"22.5", 22.5},   {"-5", -5.0},   {"0", 0.0},   {"-0", 0.0}, {"+3.5", 3.5}, {"1e2", 100.0},
      {"2.5E-1", 0.25}, {"100", 100.0}, {"-60", -60}, {".5", 0.5}, {"22.", 22.0}, {"007", 7.0},
  };
  for (const auto& c : cases) {
    Parsed p = parse(c.text);
    ASSERT_TRUE(p.ok) << c.text << ": " << p.refusal.detail;
    EXPECT_DOUBLE_EQ(p.fields.value, c.value) << c.text;
    EXPECT_FALSE(p.fields.ts.has_value()) << c.text;
    EXPECT_FALSE(p.fields.sensor_id.has_value()) << c.text;
  }
}

TEST(ParsePayload, LeadingByteOrderMarkIsSkipped) {
  const std::string bom = "\xEF\xBB\xBF";
  Parsed bare = parse(bom + "22.5");
  ASSERT_TRUE(bare.ok) << bare.refusal.detail;
  EXPECT_EQ(bare.fields.value, 22.5);
  Parsed object = parse(bom + R"({"temperature": 21.5, "sensor_id": "s1"})");
  ASSERT_TRUE(object.ok) << object.refusal.detail;
  EXPECT_EQ(object.fields.value, 21.5);
  // Only at the very start: anywhere else it is not part of a number.
  EXPECT_TRUE(Refused(parse("22.5" + bom), RejectReason::bad_payload));
  EXPECT_TRUE(Refused(parse(bom + bom + "22.5"), RejectReason::bad_payload));
}

TEST(ParsePayload, AValueOfTheWrongKindIsNamedByItsKey) {
  Parsed text = parse(R"({"temperature": "22.5"})");
  ASSERT_TRUE(Refused(text, RejectReason::bad_payload));
  EXPECT_NE(text.refusal.detail.find("\"temperature\""), std::string::npos) << text.refusal.detail;
  EXPECT_NE(text.refusal.detail.find("string"), std::string::npos) << text.refusal.detail;
  Parsed value = parse(R"({"value": null})", "humidity");
  ASSERT_TRUE(Refused(value, RejectReason::bad_payload));
  EXPECT_NE(value.refusal.detail.find("\"value\" is null"), std::string::npos)
      << value.refusal.detail;
  Parsed metric = parse(R"({"humidity": [40]})", "humidity");
  ASSERT_TRUE(Refused(metric, RejectReason::bad_payload));
  EXPECT_NE(metric.refusal.detail.find("\"humidity\""), std::string::npos) << metric.refusal.detail;
}

TEST(ParsePayloadBare, SurroundingWhitespaceIsIgnored) {
  for (const char* text : {" 22.5", "22.5 ", "22.5\n", "\t22.5\r\n", "\n 22.5 \n"}) {
    Parsed p = parse(text);
    ASSERT_TRUE(p.ok) << "'" << text << "'";
    EXPECT_DOUBLE_EQ(p.fields.value, 22.5);
  }
}

TEST(ParsePayloadBare, BadNumbersAreBadPayload) {
  for (const char* text : {"abc", "22.5abc", "22,5", "22.5 23", "0x1A", "--5", "++5", "+", "-", ".",
                           "e5", "1e", "true", "null", "\"22.5\"", "[22.5]", "22.5°C", "twenty"}) {
    EXPECT_TRUE(Refused(parse(text), RejectReason::bad_payload)) << "'" << text << "'";
  }
}

TEST(ParsePayloadBare, EmptyIsBadPayload) {
  EXPECT_TRUE(Refused(parse(""), RejectReason::bad_payload));
  EXPECT_TRUE(Refused(parse("   "), RejectReason::bad_payload));
  EXPECT_TRUE(Refused(parse("\n"), RejectReason::bad_payload));
}

TEST(ParsePayloadBare, NanAndInfinityAreNotFinite) {
  for (const char* text :
       {"nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "INF", "1e999", "-1e999"}) {
    EXPECT_TRUE(Refused(parse(text), RejectReason::not_finite)) << text;
  }
}

TEST(ParsePayloadBare, UnderflowIsAFiniteValueNotInfinity) {
  // 1e-400 is below the smallest double; it is (nearly) zero, certainly not infinite.
  Parsed p = parse("1e-400");
  ASSERT_TRUE(p.ok) << p.refusal.detail;
  EXPECT_TRUE(std::isfinite(p.fields.value));
  EXPECT_NEAR(p.fields.value, 0.0, 1e-300);
  Parsed n = parse("-1e-400");
  ASSERT_TRUE(n.ok) << n.refusal.detail;
  EXPECT_NEAR(n.fields.value, 0.0, 1e-300);
}

TEST(ParsePayloadBare, PlusThenMinusIsNotANumber) {
  EXPECT_TRUE(Refused(parse("+-5"), RejectReason::bad_payload));
}

// --- JSON objects ---------------------------------------------------------------------------

TEST(ParsePayloadJson, MetricNameKey) {
  Parsed p = parse(R"({"temperature": 22.5})");
  ASSERT_TRUE(p.ok) << p.refusal.detail;
  EXPECT_DOUBLE_EQ(p.fields.value, 22.5);
  EXPECT_FALSE(p.fields.ts.has_value());
  EXPECT_FALSE(p.fields.sensor_id.has_value());
}

TEST(ParsePayloadJson, ValueKey) {
  Parsed p = parse(R"({"value": -12.25})");
  ASSERT_TRUE(p.ok) << p.refusal.detail;
  EXPECT_DOUBLE_EQ(p.fields.value, -12.25);
}

TEST(ParsePayloadJson, IntegerValue) {
  Parsed p = parse(R"({"temperature": 22})");
  ASSERT_TRUE(p.ok);
  EXPECT_DOUBLE_EQ(p.fields.value, 22.0);
  Parsed n = parse(R"({"value": -3})");
  ASSERT_TRUE(n.ok);
  EXPECT_DOUBLE_EQ(n.fields.value, -3.0);
}

TEST(ParsePayloadJson, MetricNameWinsOverValue) {
  Parsed p = parse(R"({"value": 1, "temperature": 2})");
  ASSERT_TRUE(p.ok);
  EXPECT_DOUBLE_EQ(p.fields.value, 2.0);
}

TEST(ParsePayloadJson, KeyFollowsTheTopicsMetric) {
  Parsed h = parse(R"({"humidity": 40.5})", "humidity");
  ASSERT_TRUE(h.ok);
  EXPECT_DOUBLE_EQ(h.fields.value, 40.5);
  Parsed v = parse(R"({"temperature": 22, "value": 41})", "humidity");
  ASSERT_TRUE(v.ok);
  EXPECT_DOUBLE_EQ(v.fields.value, 41.0);
  // Another metric's key is not this metric's value.
  EXPECT_TRUE(Refused(parse(R"({"temperature": 22})", "humidity"), RejectReason::bad_payload));
}

TEST(ParsePayloadJson, TheSpecExample) {
  Parsed p =
      parse(R"({"temperature": 22.5, "timestamp": "2024-12-01T12:34:56.000Z", "sensor_id": "s1"})");
  ASSERT_TRUE(p.ok) << p.refusal.detail;
  EXPECT_DOUBLE_EQ(p.fields.value, 22.5);
  ASSERT_TRUE(p.fields.ts.has_value());
  EXPECT_EQ(*p.fields.ts, kDec1);
  ASSERT_TRUE(p.fields.sensor_id.has_value());
  EXPECT_EQ(*p.fields.sensor_id, "s1");
}

TEST(ParsePayloadJson, WhitespaceAndExtraKeysAreFine) {
  Parsed p = parse("\n  {\n \"unit\": \"C\", \"temperature\" : 19.0, \"battery\": 0.8 }\n");
  ASSERT_TRUE(p.ok) << p.refusal.detail;
  EXPECT_DOUBLE_EQ(p.fields.value, 19.0);
}

TEST(ParsePayloadJson, MissingValueIsBadPayload) {
  EXPECT_TRUE(Refused(parse("{}"), RejectReason::bad_payload));
  EXPECT_TRUE(Refused(parse(R"({"temp": 22.5})"), RejectReason::bad_payload));
  EXPECT_TRUE(Refused(parse(R"({"Temperature": 22.5})"), RejectReason::bad_payload));
  EXPECT_TRUE(
      Refused(parse(R"({"timestamp": "2024-12-01T12:34:56Z"})"), RejectReason::bad_payload));
}

TEST(ParsePayloadJson, NonNumericValueIsBadPayload) {
  for (const char* text :
       {R"({"temperature": "22.5"})", R"({"temperature": true})", R"({"temperature": null})",
        R"({"temperature": [22.5]})", R"({"temperature": {"value": 22.5}})", R"({"value": "hot"})",
        R"({"value": false})"}) {
    EXPECT_TRUE(Refused(parse(text), RejectReason::bad_payload)) << text;
  }
}

TEST(ParsePayloadJson, InvalidJsonIsBadPayload) {
  for (const char* text :
       {"{", "{\"temperature\": }", "{'temperature': 22.5}", "{\"temperature\": 22.5,}",
        "{\"temperature\": 22.5} x", "{\"temperature\": 22.5}}", "{temperature: 22.5}",
        "{\"temperature\": NaN}", "{\"temperature\": Infinity}", "{\"temperature\": 0x10}",
        "{\"temperature\": 22.5 23}"}) {
    EXPECT_TRUE(Refused(parse(text), RejectReason::bad_payload)) << text;
  }
}

TEST(ParsePayloadJson, InvalidUtf8IsBadPayload) {
  EXPECT_TRUE(Refused(parse("{\"temperature\": 22.5, \"sensor_id\": \"s\xff\"}"),
                      RejectReason::bad_payload));
}

TEST(ParsePayloadJson, HugeNumberIsRefused) {
  // nlohmann::json refuses numbers that overflow a double (parse error 406), so unlike the
  // bare number 1e999 this is named bad_payload; what matters is that it is refused.
  for (const char* text : {R"({"temperature": 1e999})", R"({"value": -1e999})"}) {
    Parsed p = parse(text);
    EXPECT_FALSE(p.ok) << text;
    EXPECT_TRUE(p.refusal.reason == RejectReason::not_finite ||
                p.refusal.reason == RejectReason::bad_payload)
        << text;
  }
}

TEST(ParsePayloadJson, TinyNumberIsAboutZero) {
  Parsed p = parse(R"({"temperature": 1e-400})");
  ASSERT_TRUE(p.ok) << p.refusal.detail;
  EXPECT_NEAR(p.fields.value, 0.0, 1e-300);
}

// --- timestamps -----------------------------------------------------------------------------

TEST(ParsePayloadTimestamp, Rfc3339WithOffsets) {
  struct Case {
    const char* ts;
    Micros want;
  } cases[] = {
      {"2024-12-01T12:34:56Z", kDec1},
      {"2024-12-01T12:34:56.000Z", kDec1},
      {"2024-12-01T12:34:56.5Z", kDec1 + 500'000},
      {"2024-12-01T12:34:56.123456Z", kDec1 + 123'456},
      {"2024-12-01T14:34:56+02:00", kDec1},
      {"2024-12-01T07:04:56-05:30", kDec1},
      {"2024-12-01T07:04:56.75-05:30", kDec1 + 750'000},
      {"2024-02-29T00:00:00Z", 1709164800LL * 1'000'000},
  };
  for (const auto& c : cases) {
    Parsed p = parse(std::string(R"({"temperature": 20, "timestamp": ")") + c.ts + "\"}");
    ASSERT_TRUE(p.ok) << c.ts << ": " << p.refusal.detail;
    ASSERT_TRUE(p.fields.ts.has_value()) << c.ts;
    EXPECT_EQ(*p.fields.ts, c.want) << c.ts;
  }
}

TEST(ParsePayloadTimestamp, EpochSeconds) {
  struct Case {
    const char* ts;
    Micros want;
  } cases[] = {
      {"1733056496", kDec1},
      {"1733056496.5", kDec1 + 500'000},
      {"1733056496.25", kDec1 + 250'000},
      {"0", 0},
      {"1709164800", 1709164800LL * 1'000'000},
      {"99999999999", 99999999999LL * 1'000'000},  // 5138-11-16T09:46:39Z, the last read as seconds
      {"253402300799000", 253402300799LL * 1'000'000},  // 9999-12-31T23:59:59Z in milliseconds
  };
  for (const auto& c : cases) {
    Parsed p = parse(std::string(R"({"temperature": 20, "timestamp": )") + c.ts + "}");
    ASSERT_TRUE(p.ok) << c.ts << ": " << p.refusal.detail;
    ASSERT_TRUE(p.fields.ts.has_value()) << c.ts;
    EXPECT_EQ(*p.fields.ts, c.want) << c.ts;
  }
}

TEST(ParsePayloadTimestamp, EpochSecondsWithMicroseconds) {
  Parsed p = parse(R"({"temperature": 20, "timestamp": 1733056496.123456})");
  ASSERT_TRUE(p.ok);
  ASSERT_TRUE(p.fields.ts.has_value());
  // A double holds ~16 significant digits, so allow one microsecond either way.
  EXPECT_NEAR(static_cast<double>(*p.fields.ts - kDec1), 123456.0, 1.0);
}

TEST(ParsePayloadTimestamp, NullMeansAbsent) {
  Parsed p = parse(R"({"temperature": 20, "timestamp": null})");
  ASSERT_TRUE(p.ok);
  EXPECT_FALSE(p.fields.ts.has_value());
}

TEST(ParsePayloadTimestamp, UnparsableIsBadTimestamp) {
  for (const char* ts : {
           R"("2024-12-01T12:34:56")",       // no offset
           R"("2024-12-01")",                // date only
           R"("2024-02-30T12:00:00Z")",      // no such day
           R"("2023-02-29T12:00:00Z")",      // not a leap year
           R"("2024-12-01T25:00:00Z")",      // no such hour
           R"("2024-12-01T12:34:56+0200")",  // offset without colon
           R"("yesterday")",
           R"("")",
           R"("1733056496")",  // epoch seconds must be a number, not text
           "-1",               // before 1970
           "253402300800000",  // after 9999 (epoch milliseconds)
           "1e300",
           "true",
           "[1733056496]",
           R"({"s": 1733056496})",
       }) {
    EXPECT_TRUE(Refused(parse(std::string(R"({"temperature": 20, "timestamp": )") + ts + "}"),
                        RejectReason::bad_timestamp))
        << ts;
  }
}

TEST(EpochSecondsToMicros, Conversions) {
  EXPECT_EQ(epoch_seconds_to_micros(0), 0);
  EXPECT_EQ(epoch_seconds_to_micros(1733056496.0), kDec1);
  EXPECT_EQ(epoch_seconds_to_micros(1733056496.5), kDec1 + 500'000);
  EXPECT_EQ(epoch_seconds_to_micros(0.000001), 1);
  EXPECT_EQ(epoch_seconds_to_micros(253402300799.0), 253402300799LL * 1'000'000);
  EXPECT_EQ(epoch_seconds_to_micros(253402300800.0), std::nullopt);
  EXPECT_EQ(epoch_seconds_to_micros(-1), std::nullopt);
  EXPECT_EQ(epoch_seconds_to_micros(-0.5), std::nullopt);
  EXPECT_EQ(epoch_seconds_to_micros(std::numeric_limits<double>::quiet_NaN()), std::nullopt);
  EXPECT_EQ(epoch_seconds_to_micros(std::numeric_limits<double>::infinity()), std::nullopt);
}

TEST(ParsePayloadTimestamp, EpochMillisecondsAreRecognisedWhereSecondsCannotBe) {
  // Many sensors send milliseconds. A number of seconds that large would be after the year
  // 5138, so from kEpochMillisecondsFrom on the number is read as milliseconds.
  Parsed ms = parse(R"({"temperature": 20, "timestamp": 1733056496123})");
  ASSERT_TRUE(ms.ok) << ms.refusal.detail;
  EXPECT_EQ(*ms.fields.ts, kDec1 + 123'000);
  Parsed s = parse(R"({"temperature": 20, "timestamp": 1733056496})");
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(*s.fields.ts, kDec1);
  // Either side of the boundary.
  EXPECT_EQ(epoch_number_to_micros(kEpochMillisecondsFrom - 1),
            epoch_seconds_to_micros(kEpochMillisecondsFrom - 1));
  EXPECT_EQ(epoch_number_to_micros(kEpochMillisecondsFrom),
            epoch_seconds_to_micros(kEpochMillisecondsFrom / 1000));
  EXPECT_EQ(epoch_number_to_micros(-1), std::nullopt);
  EXPECT_EQ(epoch_number_to_micros(std::numeric_limits<double>::infinity()), std::nullopt);
}

TEST(ParseTimestampText, IsRfc3339) {
  EXPECT_EQ(parse_timestamp_text("2024-12-01T14:34:56+02:00"), kDec1);
  EXPECT_EQ(parse_timestamp_text("2024-12-01T12:34:56"), std::nullopt);
}

// --- sensor_id ------------------------------------------------------------------------------

TEST(ParsePayloadSensorId, ValidIds) {
  for (std::string id :
       {std::string("s1"), std::string("sensor_01-a.b"), std::string(64, 'x'), std::string("Z")}) {
    Parsed p = parse(R"({"value": 20, "sensor_id": ")" + id + "\"}");
    ASSERT_TRUE(p.ok) << id << ": " << p.refusal.detail;
    ASSERT_TRUE(p.fields.sensor_id.has_value());
    EXPECT_EQ(*p.fields.sensor_id, id);
  }
}

TEST(ParsePayloadSensorId, NullMeansAbsent) {
  Parsed p = parse(R"({"value": 20, "sensor_id": null})");
  ASSERT_TRUE(p.ok);
  EXPECT_FALSE(p.fields.sensor_id.has_value());
}

TEST(ParsePayloadSensorId, InvalidIdsAreBadId) {
  for (std::string id : {std::string(R"("")"), std::string(R"("s 1")"), std::string(R"("s/1")"),
                         std::string(R"("s+1")"), std::string(R"("s#")"),
                         "\"" + std::string(65, 'x') + "\"", std::string("17"), std::string("true"),
                         std::string(R"(["s1"])"), std::string(R"({"id": "s1"})")}) {
    EXPECT_TRUE(Refused(parse(R"({"value": 20, "sensor_id": )" + id + "}"), RejectReason::bad_id))
        << id;
  }
}

// --- size -----------------------------------------------------------------------------------

TEST(ParsePayloadSize, ExactlyFourKibIsAccepted) {
  std::string body = R"({"temperature": 22.5, "pad": ")";
  body += std::string(kMaxPayloadBytes - body.size() - 2, 'p');
  body += "\"}";
  ASSERT_EQ(body.size(), 4096u);
  Parsed p = parse(body);
  ASSERT_TRUE(p.ok) << p.refusal.detail;
  EXPECT_DOUBLE_EQ(p.fields.value, 22.5);

  std::string bare = "22.5" + std::string(4092, ' ');
  ASSERT_EQ(bare.size(), 4096u);
  EXPECT_TRUE(parse(bare).ok);
}

TEST(ParsePayloadSize, OneByteMoreIsTooLarge) {
  EXPECT_EQ(kMaxPayloadBytes, 4096u);
  std::string body = R"({"temperature": 22.5, "pad": ")";
  body += std::string(4097 - body.size() - 2, 'p');
  body += "\"}";
  ASSERT_EQ(body.size(), 4097u);
  EXPECT_TRUE(Refused(parse(body), RejectReason::too_large));
  EXPECT_TRUE(Refused(parse("22.5" + std::string(4093, ' ')), RejectReason::too_large));
  // Size is checked before content: large garbage is too_large, not bad_payload.
  EXPECT_TRUE(Refused(parse(std::string(100'000, '!')), RejectReason::too_large));
}

// --- reuse ----------------------------------------------------------------------------------

// Nothing of one read is kept for the next (the reader holds no state between payloads).
TEST(ParsePayload, FieldsFromAnEarlierPayloadDoNotLeak) {
  Parsed p = parse(R"({"value": 1, "timestamp": 0, "sensor_id": "s1"})");
  ASSERT_TRUE(p.ok);
  ASSERT_TRUE(p.fields.ts.has_value());
  ASSERT_TRUE(p.fields.sensor_id.has_value());
  p = parse(R"({"value": 2})");
  ASSERT_TRUE(p.ok);
  EXPECT_DOUBLE_EQ(p.fields.value, 2.0);
  EXPECT_FALSE(p.fields.ts.has_value());
  EXPECT_FALSE(p.fields.sensor_id.has_value());
  ASSERT_TRUE(parse(R"({"value": 1, "timestamp": 0, "sensor_id": "s1"})").ok);
  p = parse("3");
  ASSERT_TRUE(p.ok);
  EXPECT_DOUBLE_EQ(p.fields.value, 3.0);
  EXPECT_FALSE(p.fields.ts.has_value());
  EXPECT_FALSE(p.fields.sensor_id.has_value());
}

}  // namespace
}  // namespace roomtemp
