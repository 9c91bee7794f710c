// Turning MQTT messages into Readings or Rejections, with every RejectReason (reading.h).
#include "validate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <variant>

#include "test_values.h"
#include "timeutil.h"

namespace roomtemp {
namespace {

using test::kMinute;
using test::kNow;
using test::kTopic;

using namespace std::chrono_literals;

// 2024-12-01T12:34:56Z, computed independently.

Inbound classify(std::string_view topic, std::string_view payload,
                 const Config& config = test::test_config(), Micros now = kNow) {
  return classify_message(topic, payload, now, config);
}

::testing::AssertionResult Accepted(const Inbound& in) {
  if (const auto* r = std::get_if<Rejection>(&in))
    return ::testing::AssertionFailure()
           << "rejected as " << reason_name(r->reason) << ": " << r->detail;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RejectedAs(const Inbound& in, RejectReason want) {
  const auto* r = std::get_if<Rejection>(&in);
  if (!r) return ::testing::AssertionFailure() << "accepted";
  if (r->reason != want)
    return ::testing::AssertionFailure() << "rejected as " << reason_name(r->reason) << " ("
                                         << r->detail << "), wanted " << reason_name(want);
  if (r->detail.empty()) return ::testing::AssertionFailure() << "rejection has no detail";
  return ::testing::AssertionSuccess();
}

std::string with_ts(double value, const std::string& ts_json) {
  std::ostringstream s;
  s.precision(17);
  s << R"({"temperature": )" << value << R"(, "timestamp": )" << ts_json << "}";
  return s.str();
}

// --- reason names ---------------------------------------------------------------------------

TEST(ReasonName, StableNamesForEveryReason) {
  EXPECT_EQ(reason_name(RejectReason::bad_topic), "bad_topic");
  EXPECT_EQ(reason_name(RejectReason::bad_id), "bad_id");
  EXPECT_EQ(reason_name(RejectReason::unknown_metric), "unknown_metric");
  EXPECT_EQ(reason_name(RejectReason::too_large), "too_large");
  EXPECT_EQ(reason_name(RejectReason::bad_payload), "bad_payload");
  EXPECT_EQ(reason_name(RejectReason::not_finite), "not_finite");
  EXPECT_EQ(reason_name(RejectReason::out_of_range), "out_of_range");
  EXPECT_EQ(reason_name(RejectReason::bad_timestamp), "bad_timestamp");
  EXPECT_EQ(reason_name(RejectReason::future_timestamp), "future_timestamp");
  EXPECT_EQ(reason_name(RejectReason::rate_limited), "rate_limited");
  EXPECT_EQ(reason_name(RejectReason::too_many_series), "too_many_series");
  EXPECT_EQ(reason_name(RejectReason::unknown_device), "unknown_device");
  std::set<std::string_view> names;
  for (int i = 0; i < kRejectReasonCount; ++i)
    names.insert(reason_name(static_cast<RejectReason>(i)));
  EXPECT_EQ(names.size(), 12u);
  EXPECT_EQ(names.count("unknown"), 0u);
}

// --- accepted readings ----------------------------------------------------------------------

TEST(ClassifyMessage, BareNumberIsStampedWithArrivalTime) {
  Inbound in = classify(kTopic, "22.5");
  ASSERT_TRUE(Accepted(in));
  const auto& r = std::get<Reading>(in);
  EXPECT_EQ(r.building, "B1");
  EXPECT_EQ(r.room, "101");
  EXPECT_EQ(r.metric, "temperature");
  EXPECT_DOUBLE_EQ(r.value, 22.5);
  EXPECT_EQ(r.ts, kNow);
  EXPECT_EQ(r.received_at, kNow);
  EXPECT_FALSE(r.sensor_id.has_value());
}

TEST(ClassifyMessage, JsonWithEverything) {
  Inbound in = classify(
      kTopic,
      R"({"temperature": 21.25, "timestamp": "2024-12-01T12:30:00.500Z", "sensor_id": "s1"})");
  ASSERT_TRUE(Accepted(in));
  const auto& r = std::get<Reading>(in);
  EXPECT_DOUBLE_EQ(r.value, 21.25);
  // 12:30:00.5 is 4 min 55.5 s before 12:34:56.
  EXPECT_EQ(r.ts, kNow - (4 * 60 + 55) * 1'000'000LL - 500'000);
  EXPECT_EQ(r.received_at, kNow);
  ASSERT_TRUE(r.sensor_id.has_value());
  EXPECT_EQ(*r.sensor_id, "s1");
}

TEST(ClassifyMessage, NegativeZeroBecomesZero) {
  // Stored and published as 0, never as "-0.0" (PostgreSQL and JSON both keep the sign).
  for (const char* payload : {"-0", "-0.0", R"({"temperature": -0.0})", R"({"value": -0e5})"}) {
    Inbound in = classify(kTopic, payload);
    ASSERT_TRUE(Accepted(in)) << payload;
    EXPECT_FALSE(std::signbit(std::get<Reading>(in).value)) << payload;
  }
  Reading posted{kNow, "B1", "101", "temperature", -0.0, std::nullopt, kNow};
  ASSERT_FALSE(check_reading(posted, test::test_config()));
  EXPECT_FALSE(std::signbit(posted.value));
}

TEST(ClassifyMessage, ValueKeyAndEpochSeconds) {
  Inbound in = classify(kTopic, R"({"value": -3.5, "timestamp": 1733056400})");
  ASSERT_TRUE(Accepted(in));
  const auto& r = std::get<Reading>(in);
  EXPECT_DOUBLE_EQ(r.value, -3.5);
  EXPECT_EQ(r.ts, 1733056400LL * 1'000'000);
}

TEST(ClassifyMessage, OffsetTimestamp) {
  Inbound in = classify(kTopic, R"({"value": 20, "timestamp": "2024-12-01T14:34:56+02:00"})");
  ASSERT_TRUE(Accepted(in));
  EXPECT_EQ(std::get<Reading>(in).ts, kNow);
}

TEST(ClassifyMessage, OldTimestampsAreAccepted) {
  Inbound in = classify(kTopic, R"({"value": 20, "timestamp": "2000-02-29T12:00:00Z"})");
  ASSERT_TRUE(Accepted(in));
  EXPECT_EQ(std::get<Reading>(in).ts, 951825600LL * 1'000'000);
  EXPECT_TRUE(Accepted(classify(kTopic, R"({"value": 20, "timestamp": 0})")));
}

TEST(ClassifyMessage, RoomNamedAverageIsAnOrdinaryRoom) {
  Inbound in = classify("buildings/B1/rooms/average/temperature", "20");
  ASSERT_TRUE(Accepted(in));
  EXPECT_EQ(std::get<Reading>(in).room, "average");
}

TEST(ClassifyMessage, ConfiguredMetrics) {
  Config c = test::test_config();
  c.metrics = {{"temperature", -60, 100, "°C"}, {"humidity", 0, 100, "%"}};
  Inbound h = classify("buildings/B1/rooms/101/humidity", R"({"humidity": 45})", c);
  ASSERT_TRUE(Accepted(h));
  EXPECT_EQ(std::get<Reading>(h).metric, "humidity");
  EXPECT_DOUBLE_EQ(std::get<Reading>(h).value, 45);
  EXPECT_TRUE(
      RejectedAs(classify("buildings/B1/rooms/101/humidity", "-1", c), RejectReason::out_of_range));
  EXPECT_TRUE(Accepted(classify(kTopic, "-1", c)));
}

// --- bad_topic / bad_id / unknown_metric ----------------------------------------------------

TEST(ClassifyMessage, BadTopic) {
  for (const char* topic :
       {"", "temperature", "buildings/B1/rooms/101", "sensors/B1/101/temp",
        "buildings/B1/floors/101/temperature", "buildings/B1/rooms/101/temperature/extra"}) {
    EXPECT_TRUE(RejectedAs(classify(topic, "20"), RejectReason::bad_topic)) << topic;
  }
}

TEST(ClassifyMessage, BadBuildingOrRoomId) {
  for (std::string topic : {std::string("buildings/B 1/rooms/101/temperature"),
                            std::string("buildings/B1/rooms/1 01/temperature"),
                            std::string("buildings//rooms/101/temperature"),
                            std::string("buildings/B1/rooms//temperature"),
                            "buildings/" + std::string(65, 'b') + "/rooms/101/temperature",
                            "buildings/B1/rooms/" + std::string(65, 'r') + "/temperature",
                            std::string("buildings/B\xc3\xa9/rooms/101/temperature")}) {
    EXPECT_TRUE(RejectedAs(classify(topic, "20"), RejectReason::bad_id)) << topic;
  }
  EXPECT_TRUE(Accepted(classify(
      "buildings/" + std::string(64, 'b') + "/rooms/" + std::string(64, 'r') + "/temperature",
      "20")));
}

TEST(ClassifyMessage, BadSensorId) {
  EXPECT_TRUE(
      RejectedAs(classify(kTopic, R"({"value": 20, "sensor_id": "s 1"})"), RejectReason::bad_id));
  EXPECT_TRUE(
      RejectedAs(classify(kTopic, R"({"value": 20, "sensor_id": ""})"), RejectReason::bad_id));
  EXPECT_TRUE(
      RejectedAs(classify(kTopic, R"({"value": 20, "sensor_id": ")" + std::string(65, 's') + "\"}"),
                 RejectReason::bad_id));
}

TEST(ClassifyMessage, UnknownMetric) {
  EXPECT_TRUE(
      RejectedAs(classify("buildings/B1/rooms/101/humidity", "20"), RejectReason::unknown_metric));
  EXPECT_TRUE(RejectedAs(classify("buildings/B1/rooms/101/Temperature", "20"),
                         RejectReason::unknown_metric));
  Config c = test::test_config();
  c.metrics = {{"humidity", 0, 100, "%"}};
  EXPECT_TRUE(RejectedAs(classify(kTopic, "20", c), RejectReason::unknown_metric));
}

TEST(ClassifyMessage, MalformedMetricLevelIsRejected) {
  // The metric level is no configured metric; whether it is named bad_id or unknown_metric,
  // it must be refused and never stored.
  Inbound in = classify("buildings/B1/rooms/101/temp erature", "20");
  const auto* r = std::get_if<Rejection>(&in);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->reason == RejectReason::unknown_metric || r->reason == RejectReason::bad_id)
      << reason_name(r->reason);
}

// --- too_large / bad_payload / not_finite ---------------------------------------------------

TEST(ClassifyMessage, TooLarge) {
  EXPECT_TRUE(RejectedAs(classify(kTopic, "20" + std::string(4095, ' ')), RejectReason::too_large));
  EXPECT_TRUE(Accepted(classify(kTopic, "20" + std::string(4094, ' '))));
}

TEST(ClassifyMessage, BadPayload) {
  for (const char* payload :
       {"", "hot", "{", "{}", R"({"temperature": "20"})", "[20]", R"({"humidity": 20})", "20 21"}) {
    EXPECT_TRUE(RejectedAs(classify(kTopic, payload), RejectReason::bad_payload)) << payload;
  }
}

TEST(ClassifyMessage, NotFinite) {
  for (const char* payload : {"nan", "inf", "-inf", "1e999", "-1e999", "NaN", "Infinity"}) {
    EXPECT_TRUE(RejectedAs(classify(kTopic, payload), RejectReason::not_finite)) << payload;
  }
}

TEST(ClassifyMessage, JsonNumberOverflowIsRejected) {
  // nlohmann::json refuses to parse a number that overflows a double, so this is bad_payload
  // rather than not_finite (unlike the bare number 1e999); refused either way.
  for (const char* payload : {R"({"temperature": 1e999})", R"({"value": -1e999})"}) {
    Inbound in = classify(kTopic, payload);
    const auto* r = std::get_if<Rejection>(&in);
    ASSERT_NE(r, nullptr) << payload;
    EXPECT_TRUE(r->reason == RejectReason::not_finite || r->reason == RejectReason::bad_payload)
        << reason_name(r->reason);
  }
}

// --- out_of_range ---------------------------------------------------------------------------

TEST(ClassifyMessage, RangeBoundariesAreInclusive) {
  EXPECT_TRUE(Accepted(classify(kTopic, "-60")));
  EXPECT_TRUE(Accepted(classify(kTopic, "100")));
  EXPECT_TRUE(Accepted(classify(kTopic, "-60.0")));
  EXPECT_TRUE(Accepted(classify(kTopic, "100.000")));
  EXPECT_TRUE(Accepted(classify(kTopic, R"({"temperature": 100})")));
  EXPECT_TRUE(Accepted(classify(kTopic, R"({"temperature": -60})")));
  EXPECT_TRUE(Accepted(classify(kTopic, "0")));
}

TEST(ClassifyMessage, OutOfRange) {
  for (const char* payload : {"-60.0001", "100.0001", "150", "-273.15", "1e308",
                              R"({"temperature": 101})", R"({"value": -61})"}) {
    EXPECT_TRUE(RejectedAs(classify(kTopic, payload), RejectReason::out_of_range)) << payload;
  }
}

TEST(ClassifyMessage, OutOfRangeByTheSmallestStep) {
  Reading r{kNow, "B1", "101", "temperature", 0, std::nullopt, kNow};
  const Config c = test::test_config();
  r.value = std::nextafter(100.0, 200.0);
  auto bad = check_reading(r, c);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->reason, RejectReason::out_of_range);
  r.value = std::nextafter(-60.0, -200.0);
  bad = check_reading(r, c);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->reason, RejectReason::out_of_range);
}

TEST(ClassifyMessage, OutOfRangeDetailNamesValueAndRange) {
  Inbound in = classify(kTopic, "150");
  const auto* r = std::get_if<Rejection>(&in);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->detail.find("150"), std::string::npos) << r->detail;
  EXPECT_NE(r->detail.find("-60"), std::string::npos) << r->detail;
  EXPECT_NE(r->detail.find("100"), std::string::npos) << r->detail;
}

// --- timestamps -----------------------------------------------------------------------------

TEST(ClassifyMessage, BadTimestamp) {
  for (const char* ts : {R"("2024-02-30T12:00:00Z")", R"("2024-12-01T12:34:56")", R"("not a time")",
                         "-5", "true", R"("")"}) {
    EXPECT_TRUE(RejectedAs(classify(kTopic, with_ts(20, ts)), RejectReason::bad_timestamp)) << ts;
  }
}

TEST(ClassifyMessage, FutureTimestampDefaultSkewIsFiveMinutesInclusive) {
  // kNow + 5 min = 2024-12-01T12:39:56Z.
  EXPECT_TRUE(Accepted(classify(kTopic, with_ts(20, R"("2024-12-01T12:39:56Z")"))));
  EXPECT_TRUE(Accepted(classify(kTopic, with_ts(20, R"("2024-12-01T14:39:56+02:00")"))));
  EXPECT_TRUE(RejectedAs(classify(kTopic, with_ts(20, R"("2024-12-01T12:39:56.000001Z")")),
                         RejectReason::future_timestamp));
  EXPECT_TRUE(RejectedAs(classify(kTopic, with_ts(20, R"("2024-12-01T12:39:57Z")")),
                         RejectReason::future_timestamp));
  EXPECT_TRUE(RejectedAs(classify(kTopic, with_ts(20, R"("2025-01-01T00:00:00Z")")),
                         RejectReason::future_timestamp));
  // Epoch seconds: kNow/1e6 + 300 is the limit.
  EXPECT_TRUE(Accepted(classify(kTopic, with_ts(20, "1733056796"))));
  EXPECT_TRUE(
      RejectedAs(classify(kTopic, with_ts(20, "1733056797")), RejectReason::future_timestamp));
  // Slightly ahead of the receiver's clock is fine.
  EXPECT_TRUE(Accepted(classify(kTopic, with_ts(20, R"("2024-12-01T12:35:56Z")"))));
}

TEST(ClassifyMessage, FutureTimestampHonoursConfiguredSkew) {
  Config c = test::test_config();
  c.averages.max_future_skew = 0ms;
  EXPECT_TRUE(Accepted(classify(kTopic, with_ts(20, R"("2024-12-01T12:34:56Z")"), c)));
  EXPECT_TRUE(RejectedAs(classify(kTopic, with_ts(20, R"("2024-12-01T12:34:56.000001Z")"), c),
                         RejectReason::future_timestamp));
  c.averages.max_future_skew = 1h;
  EXPECT_TRUE(Accepted(classify(kTopic, with_ts(20, R"("2024-12-01T13:34:56Z")"), c)));
  EXPECT_TRUE(RejectedAs(classify(kTopic, with_ts(20, R"("2024-12-01T13:34:57Z")"), c),
                         RejectReason::future_timestamp));
  c.averages.max_future_skew = 1500ms;
  EXPECT_TRUE(Accepted(classify(kTopic, with_ts(20, R"("2024-12-01T12:34:57.500Z")"), c)));
  EXPECT_TRUE(RejectedAs(classify(kTopic, with_ts(20, R"("2024-12-01T12:34:57.501Z")"), c),
                         RejectReason::future_timestamp));
}

TEST(ClassifyMessage, NoTimestampIsNeverInTheFuture) {
  Config c = test::test_config();
  c.averages.max_future_skew = 0ms;
  EXPECT_TRUE(Accepted(classify(kTopic, "20", c)));
}

// --- what a rejection carries ---------------------------------------------------------------

TEST(ClassifyMessage, RejectionKeepsTopicPayloadAndTime) {
  const std::string payload = R"({"temperature": 999, "sensor_id": "s1"})";
  Inbound in = classify(kTopic, payload, test::test_config(), kNow + 42);
  const auto* r = std::get_if<Rejection>(&in);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->topic, kTopic);
  EXPECT_EQ(r->payload, payload);
  EXPECT_EQ(r->received_at, kNow + 42);
  EXPECT_EQ(r->reason, RejectReason::out_of_range);
  EXPECT_FALSE(r->detail.empty());
}

TEST(ClassifyMessage, RejectionKeepsBinaryPayload) {
  const std::string payload("\x00\x01\xff\xfe", 4);
  Inbound in = classify(kTopic, payload);
  const auto* r = std::get_if<Rejection>(&in);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->payload, payload);
  EXPECT_EQ(r->reason, RejectReason::bad_payload);
}

// --- check_reading (the path HTTP POST and spool replay share) -----------------------------

TEST(CheckReading, AcceptsAValidReading) {
  Reading r{kNow - kMinute, "B1", "101", "temperature", 22.5, std::string("s1"), kNow};
  EXPECT_FALSE(check_reading(r, test::test_config()).has_value());
}

TEST(CheckReading, EveryRefusal) {
  const Config c = test::test_config();
  auto reason = [&](Reading r) -> std::optional<RejectReason> {
    auto bad = check_reading(r, c);
    if (!bad) return std::nullopt;
    EXPECT_FALSE(bad->detail.empty());
    return bad->reason;
  };
  const Reading ok{kNow, "B1", "101", "temperature", 22.5, std::nullopt, kNow};
  EXPECT_EQ(reason(ok), std::nullopt);
  using Change = std::function<void(Reading&)>;
  const std::vector<std::tuple<const char*, Change, std::optional<RejectReason>>> cases = {
      {"empty building", [](Reading& r) { r.building = ""; }, RejectReason::bad_id},
      {"building with /", [](Reading& r) { r.building = "B/1"; }, RejectReason::bad_id},
      {"65-character room", [](Reading& r) { r.room = std::string(65, 'r'); },
       RejectReason::bad_id},
      {"sensor_id with a space", [](Reading& r) { r.sensor_id = "bad id"; }, RejectReason::bad_id},
      {"empty sensor_id", [](Reading& r) { r.sensor_id = ""; }, RejectReason::bad_id},
      {"unknown metric", [](Reading& r) { r.metric = "pressure"; }, RejectReason::unknown_metric},
      {"NaN", [](Reading& r) { r.value = std::numeric_limits<double>::quiet_NaN(); },
       RejectReason::not_finite},
      {"-infinity", [](Reading& r) { r.value = -std::numeric_limits<double>::infinity(); },
       RejectReason::not_finite},
      {"above max", [](Reading& r) { r.value = 100.5; }, RejectReason::out_of_range},
      {"exactly min", [](Reading& r) { r.value = -60; }, std::nullopt},
      {"exactly the future skew", [](Reading& r) { r.ts = kNow + 5 * kMinute; }, std::nullopt},
      {"past the future skew", [](Reading& r) { r.ts = kNow + 5 * kMinute + 1; },
       RejectReason::future_timestamp},
  };
  for (const auto& [what, change, want] : cases) {
    Reading r = ok;
    change(r);
    EXPECT_EQ(reason(r), want) << what;
  }
}

}  // namespace
}  // namespace roomtemp
