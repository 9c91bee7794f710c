// Hostile input at the pure logic (tests/integration/hostile_mqtt_test.cpp throws the same
// at the running daemon): what a rejection keeps must be storable in PostgreSQL text columns
// (UTF-8, no NUL) and bounded, whatever the input; topic checks see every byte, not up to a NUL.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "config_file.h"
#include "ingest.h"
#include "messages.h"
#include "mqtt_client.h"
#include "test_values.h"
#include "topic.h"
#include "validate.h"

namespace roomtemp {
namespace {

using namespace std::string_literals;

// 2024-12-01T12:34:56Z.
constexpr Micros kNow = 1733056496LL * 1'000'000;
constexpr const char* kTopic = "buildings/B1/rooms/101/temperature";

using test::repeat;

/// What PostgreSQL accepts in a text column: well-formed UTF-8 (nlohmann's strict dump checks
/// it: no overlong forms, surrogates or code points past U+10FFFF) without NUL.
::testing::AssertionResult Storable(const std::string& text) {
  if (text.find('\0') != std::string::npos)
    return ::testing::AssertionFailure() << "holds a NUL: " << nlohmann::json(text).dump();
  try {
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::type_error&) {
    return ::testing::AssertionFailure()
           << "not UTF-8: "
           << nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return ::testing::AssertionSuccess();
}

Rejection rejection(const Inbound& in) {
  const auto* j = std::get_if<Rejection>(&in);
  EXPECT_NE(j, nullptr) << "accepted";
  return j ? *j : Rejection{};
}

TEST(Printable, EscapesControlsNulAndBytesThatAreNotUtf8) {
  EXPECT_EQ(printable("room 101"), "room 101");
  EXPECT_EQ(printable("a\nb\tc\x7f"), "a\\x0ab\\x09c\\x7f");
  EXPECT_EQ(printable("n\0l"s), "n\\x00l");
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  // An overlong '/', a UTF-16 surrogate, past U+10FFFF, a lone continuation byte, a cut-off
  // three-byte character.
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  EXPECT_EQ(printable("\x80"), "\\x80");
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");
  // Characters of every length pass.
  EXPECT_EQ(printable("é€😀"), "é€😀");
}

TEST(Printable, CutsAtACharacterNeverInsideOne) {
  // 27 "€" are 81 bytes: a cut at byte 80 would split the last one.
  const std::string out = printable(repeat("€", 27), 80);
  EXPECT_EQ(out, repeat("€", 26) + "…");
  EXPECT_TRUE(Storable(out));
  EXPECT_EQ(printable(std::string(100, 'x'), 10), std::string(10, 'x') + "…");
  EXPECT_EQ(printable(std::string(10, 'x'), 10), std::string(10, 'x'));
  // An escape is not cut either.
  EXPECT_EQ(printable("abcdefgh\n", 10), "abcdefgh…");
}

TEST(StorableText, KeepsValidTextAndReplacesOnlyWhatPostgresRefuses) {
  bool cut = true;
  EXPECT_EQ(storable_text("buildings/B 1/rooms/\n/x", 1024, &cut), "buildings/B 1/rooms/\n/x");
  EXPECT_FALSE(cut);
  EXPECT_EQ(storable_text("a\0b\xff"s, 1024), "a\\x00b\\xff");
  EXPECT_TRUE(Storable(storable_text("\xed\xa0\x80\xc3\x28", 1024)));
  const std::string cut_euro = storable_text(repeat("€", 400), 1024, &cut);
  EXPECT_TRUE(cut);
  EXPECT_EQ(cut_euro, repeat("€", 341));  // 1023 bytes: the 342nd would end at 1026
  EXPECT_TRUE(Storable(cut_euro));
}

TEST(ValidSubscription, SeesEveryByteNotJustUpToANul) {
  EXPECT_FALSE(valid_subscription("buildings/+/rooms/+/+\0junk"s));
  EXPECT_FALSE(valid_subscription("a/+\0#"s));
  EXPECT_FALSE(valid_subscription("\0"s));
  EXPECT_FALSE(valid_subscription("buildings/\xff/#"));
  EXPECT_FALSE(valid_subscription("buildings/\n/#"));
  EXPECT_TRUE(valid_subscription(std::string(65535, 'a')));
  EXPECT_FALSE(valid_subscription(std::string(65536, 'a'))) << "MQTT's limit is 65535 bytes";
  EXPECT_TRUE(valid_subscription("buildings/€/rooms/+/+"));
}

TEST(ValidSubscription, AConfigFilterWithANulIsAnError) {
  // YAML's "\0" escape puts a NUL in the scalar; the part before it alone is a valid filter.
  const auto r = parse_config(
      "postgres: { dsn: \"dbname=x\" }\n"
      "mqtt: { subscriptions: [\"buildings/+/rooms/+/+\\0#\"] }\n",
      "t.yaml");
  EXPECT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2) << r.errors[0].to_string();
}

TEST(ParseSensorTopic, ANulInsideALevelIsABadId) {
  auto parsed = parse_sensor_topic("buildings/B1/rooms/1"s + '\0' + "01/temperature");
  ASSERT_TRUE(std::holds_alternative<Refusal>(parsed));
  EXPECT_EQ(std::get<Refusal>(parsed).reason, RejectReason::bad_id);
  EXPECT_TRUE(Storable(std::get<Refusal>(parsed).detail)) << std::get<Refusal>(parsed).detail;
  parsed = parse_sensor_topic("buildings/B1/rooms/101/temperature\0/x"s);
  ASSERT_TRUE(std::holds_alternative<Refusal>(parsed));
  EXPECT_NE(std::get<Refusal>(parsed).reason, RejectReason::bad_id)
      << "the metric level holds the NUL: unknown metric";
}

TEST(ParseSensorTopic, ATopicOfThousandsOfLevelsIsJustTheWrongShape) {
  const auto parsed = parse_sensor_topic(std::string(65535, '/'));
  ASSERT_TRUE(std::holds_alternative<Refusal>(parsed));
  EXPECT_EQ(std::get<Refusal>(parsed).reason, RejectReason::bad_topic);
  EXPECT_FALSE(is_own_output_topic(std::string(65535, '/')));
  EXPECT_FALSE(is_own_output_topic("buildings/B1/rooms/101/temperature/average/15m/x"));
}

// Each rejection's topic and detail must be storable: one that is not fails the writer's whole
// batch, and the retry fails the same way, so nothing at all is written any more.
TEST(ClassifyMessage, EveryRejectionIsStorableWhateverTheTopic) {
  const Config config = test::test_config();
  const std::vector<std::string> topics = {
      "buildings/" + repeat("€", 30) + "/rooms/1/temperature",  // detail quotes 80 bytes
      "buildings/B1/rooms/" + repeat("€", 30) + "/temperature",
      "buildings/B1/rooms/1/" + repeat("€", 30),  // unknown metric
      "buildings/B"s + '\0' + "1/rooms/1/temperature",
      "buildings/B1/rooms/1/temp\0erature"s,
      "buildings/\xff/rooms/1/temperature",
      "buildings/B1/rooms/\xed\xa0\x80/temperature",
      "buildings/B1/rooms/1/temperature/\xc3",
      "\0"s,
      "buildings/" + std::string(65535 - 10, 'x'),
      "buildings/B1/rooms/" + repeat("😀", 5000) + "/temperature",
  };
  for (const auto& topic : topics) {
    SCOPED_TRACE(printable(topic));
    const Rejection j = rejection(classify_message(topic, "21.5", kNow, config));
    EXPECT_TRUE(Storable(j.topic));
    EXPECT_TRUE(Storable(j.detail));
    EXPECT_LE(j.topic.size(), kMaxRejectedTopicBytes);
    EXPECT_LE(j.detail.size(), kMaxRejectedDetailBytes + 200);
    if (topic.size() <= kMaxRejectedTopicBytes && Storable(topic)) {
      EXPECT_EQ(j.topic, topic);
    }
  }
}

TEST(ClassifyMessage, ALongTopicIsCutAndTheDetailSaysSo) {
  const std::string topic = "buildings/B1/rooms/" + std::string(10'000, 'r') + "/temperature";
  const Rejection j = rejection(classify_message(topic, "21.5", kNow, test::test_config()));
  EXPECT_EQ(j.reason, RejectReason::bad_id);
  EXPECT_EQ(j.topic, topic.substr(0, kMaxRejectedTopicBytes));
  EXPECT_NE(j.detail.find("topic of " + std::to_string(topic.size()) + " bytes: first 1024 kept"),
            std::string::npos)
      << j.detail;
}

TEST(ClassifyMessage, AHugePayloadKeepsABoundedPrefix) {
  const std::string huge(1 << 20, '7');
  const Rejection j = rejection(classify_message(kTopic, huge, kNow, test::test_config()));
  EXPECT_EQ(j.reason, RejectReason::too_large);
  EXPECT_EQ(j.payload, huge.substr(0, kMaxRejectedPayloadBytes));
  EXPECT_NE(j.detail.find("first 8192 of 1048576 bytes kept"), std::string::npos) << j.detail;
  EXPECT_LT(rejection_json(j).size(), kMaxRejectedPayloadBytes + 1024);

  // Just over the limit: kept whole, for a look at what the sensor sent.
  const std::string over(kMaxPayloadBytes + 1, ' ');
  const Rejection k = rejection(classify_message(kTopic, over, kNow, test::test_config()));
  EXPECT_EQ(k.reason, RejectReason::too_large);
  EXPECT_EQ(k.payload, over);
  EXPECT_EQ(k.detail.find("kept"), std::string::npos) << k.detail;
}

TEST(MakeRejection, BoundsEveryFieldWhateverTheSource) {
  // As the REST API hands them over: a fixed source, a raw item of up to 1 MB, and a detail
  // that may quote what the client sent.
  const Rejection j = make_rejection(kNow, "http:POST /v1/readings", std::string(900'000, '{'),
                                     RejectReason::unknown_metric,
                                     "unknown metric '\0"s + std::string(5000, 'm') + "'");
  EXPECT_EQ(j.topic, "http:POST /v1/readings");
  EXPECT_EQ(j.payload.size(), kMaxRejectedPayloadBytes);
  EXPECT_TRUE(Storable(j.detail));
  EXPECT_LE(j.detail.size(), kMaxRejectedDetailBytes + 100);
  EXPECT_NE(j.detail.find("of 900000 bytes kept"), std::string::npos);
}

TEST(CheckReading, AnUnknownMetricIsQuotedStorably) {
  Reading r{kNow, "B1", "101", "temp\0er\xff"s + repeat("€", 100), 21, std::nullopt, kNow};
  const auto refusal = check_reading(r, test::test_config());
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, RejectReason::unknown_metric);
  EXPECT_TRUE(Storable(refusal->detail)) << refusal->detail;
  EXPECT_LT(refusal->detail.size(), 200u);
}

struct PayloadCase {
  const char* what;
  std::string payload;
  RejectReason reason;
};

// The payload classes of tests/integration/hostile_mqtt_test.cpp, at the logic.
TEST(ClassifyMessage, EveryHostilePayloadHasItsReason) {
  const std::string ts = R"({"temperature": 21, "timestamp": )";
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  const std::vector<PayloadCase> cases = {
      {"invalid UTF-8", "\xc3\x28\xa0\xa1", RejectReason::bad_payload},
      {"invalid UTF-8 in a string", "{\"temperature\": 21, \"sensor_id\": \"\xff\"}",
       RejectReason::bad_payload},
      {"NUL after a number", "21.5\0"s, RejectReason::bad_payload},
      {"escaped NUL in sensor_id", R"({"temperature": 21, "sensor_id": "s\u0000"})",
       RejectReason::bad_id},
      {"4096 [", std::string(4096, '['), RejectReason::bad_payload},
      {"deep JSON without a value",
       "{\"x\": " + std::string(2000, '[') + std::string(2000, ']') + "}",
       RejectReason::bad_payload},
      {"100k [", std::string(100'000, '['), RejectReason::too_large},
      {"bare 1e400", "1e400", RejectReason::not_finite},
      {"JSON 1e400", R"({"temperature": 1e400})", RejectReason::bad_payload},
      {"1e308", "1e308", RejectReason::out_of_range},
      {"NaN", "NaN", RejectReason::not_finite},
      {"-Infinity", "-Infinity", RejectReason::not_finite},
      {"NaN in JSON", R"({"temperature": NaN})", RejectReason::bad_payload},
      {"a string value", R"({"temperature": "21.5"})", RejectReason::bad_payload},
      {"missing value", R"({"timestamp": 1733056000})", RejectReason::bad_payload},
      {"1900", ts + R"("1900-01-01T00:00:00Z"})", RejectReason::bad_timestamp},
      {"year 0", ts + R"("0000-01-01T00:00:00Z"})", RejectReason::bad_timestamp},
      {"negative epoch", ts + "-1}", RejectReason::bad_timestamp},
      {"epoch 1e300", ts + "1e300}", RejectReason::bad_timestamp},
      {"9999", ts + R"("9999-12-31T23:59:59Z"})", RejectReason::future_timestamp},
      {"February 30", ts + R"("2024-02-30T00:00:00Z"})", RejectReason::bad_timestamp},
      {"NUL in timestamp", ts + R"("2024-12-01T12:00:00Z\u0000"})", RejectReason::bad_timestamp},
      {"trailing garbage", "21.5abc", RejectReason::bad_payload},
      {"trailing garbage after JSON", R"({"temperature": 21} x)", RejectReason::bad_payload},
      {"empty", "", RejectReason::bad_payload},
      {"binary", binary, RejectReason::bad_payload},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Rejection j = rejection(classify_message(kTopic, c.payload, kNow, test::test_config()));
    EXPECT_EQ(reason_name(j.reason), reason_name(c.reason)) << j.detail;
    EXPECT_TRUE(Storable(j.detail));
    EXPECT_EQ(j.payload, c.payload.substr(0, kMaxRejectedPayloadBytes));
  }
}

}  // namespace
}  // namespace roomtemp
