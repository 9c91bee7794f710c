// The JSON of a published average (README "Topics and payloads"): every key in order, no room
// key for a building, nulls for an empty window, and exact values through the round trip.
//
// Every expectation is written here by hand, never taken from the implementation.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "aggregator_fixture.h"
#include "messages.h"

namespace roomtemp {
namespace {

using namespace std::chrono_literals;
using namespace aggregator_fixture;

TEST(AggregatorJson, RoomAverageHasEveryKeyInOrder) {
  WindowStats s;
  s.from = kT0 - 15 * kMin + 30 * kS;  // 2023-11-13T23:45:30Z
  s.to = kT0 + 30 * kS;                // 2023-11-14T00:00:30Z
  s.count = 4;
  s.sum = 90.0;
  s.min = 19.0;
  s.max = 25.5;
  const std::string text = average_json(SeriesKey{"B1", "101", "temperature"}, 15min, s);
  const auto doc = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"building", "room", "metric", "window", "avg", "min",
                                            "max", "count", "from", "to"}));
  EXPECT_EQ(doc["building"], "B1");
  EXPECT_EQ(doc["room"], "101");
  EXPECT_EQ(doc["metric"], "temperature");
  EXPECT_EQ(doc["window"], "15m");
  EXPECT_TRUE(doc["avg"].is_number());
  EXPECT_DOUBLE_EQ(doc["avg"].get<double>(), 22.5);
  EXPECT_EQ(doc["min"].get<double>(), 19.0);
  EXPECT_EQ(doc["max"].get<double>(), 25.5);
  EXPECT_TRUE(doc["count"].is_number_integer());
  EXPECT_EQ(doc["count"].get<int>(), 4);
  EXPECT_EQ(doc["from"], "2023-11-13T23:45:30Z");
  EXPECT_EQ(doc["to"], "2023-11-14T00:00:30Z");
  // Compact, as the README's example: no spaces.
  EXPECT_EQ(text.find(' '), std::string::npos);
}

TEST(AggregatorJson, BuildingAverageHasNoRoomKey) {
  WindowStats s;
  s.from = kT0 - kMin;
  s.to = kT0;
  s.count = 1;
  s.sum = -3.5;
  s.min = s.max = -3.5;
  const auto doc =
      nlohmann::json::parse(average_json(SeriesKey{"B-2_x.y", "", "humidity"}, 1min, s));
  EXPECT_FALSE(doc.contains("room"));
  EXPECT_EQ(doc.size(), 9u);
  EXPECT_EQ(doc["building"], "B-2_x.y");
  EXPECT_EQ(doc["metric"], "humidity");
  EXPECT_EQ(doc["window"], "1m");
  EXPECT_EQ(doc["avg"].get<double>(), -3.5);
  EXPECT_EQ(doc["from"], "2023-11-13T23:59:00Z");
  EXPECT_EQ(doc["to"], "2023-11-14T00:00:00Z");
}

TEST(AggregatorJson, EmptyWindowHasCountZeroAndNulls) {
  WindowStats s;
  s.from = kT0 - 3600 * kS;
  s.to = kT0;
  s.count = 0;
  for (const auto& key :
       {SeriesKey{"B1", "101", "temperature"}, SeriesKey{"B1", "", "temperature"}}) {
    const auto doc = nlohmann::json::parse(average_json(key, 1h, s));
    EXPECT_TRUE(doc["avg"].is_null());
    EXPECT_TRUE(doc["min"].is_null());
    EXPECT_TRUE(doc["max"].is_null());
    EXPECT_EQ(doc["count"], 0);
    EXPECT_EQ(doc["window"], "1h");
    EXPECT_EQ(doc["from"], "2023-11-13T23:00:00Z");
    EXPECT_EQ(doc["to"], "2023-11-14T00:00:00Z");
    EXPECT_EQ(doc.contains("room"), !key.room.empty());
  }
}

TEST(AggregatorJson, FractionalEdgesAndExactValuesSurviveTheRoundTrip) {
  WindowStats s;
  s.from = kT0 + 250'000;
  s.to = kT0 + 10 * kS + 250'000;
  s.count = 3;
  s.sum = 0.1 + 0.2 + 0.3;
  s.min = 0.1;
  s.max = 0.3;
  const auto doc =
      nlohmann::json::parse(average_json(SeriesKey{"B1", "101", "temperature"}, 10s, s));
  EXPECT_EQ(doc["from"], "2023-11-14T00:00:00.250Z");
  EXPECT_EQ(doc["to"], "2023-11-14T00:00:10.250Z");
  EXPECT_EQ(doc["window"], "10s");
  EXPECT_EQ(doc["min"].get<double>(), 0.1);
  EXPECT_EQ(doc["max"].get<double>(), 0.3);
  EXPECT_EQ(doc["avg"].get<double>(), (0.1 + 0.2 + 0.3) / 3);
}

}  // namespace
}  // namespace roomtemp
