// The simulator's sensor model (README "Commands"): topics, payload shapes, ranges, determinism,
// and that every kind of malformed input it produces is refused by the daemon's own classifier
// while every good reading is accepted. Built into unit_tests together with
// simulator/sensor_model.cpp and simulator/sim_options.cpp.
#include "sensor_model.h"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <variant>

#include "config.h"
#include "validate.h"

namespace roomtemp::sim {
namespace {

std::vector<MetricRange> three_metrics() {
  return {{"temperature", -60, 100}, {"humidity", 0, 100}, {"co2", 0, 5000}};
}

Config daemon_config() {
  Config c;
  c.metrics = {{"temperature", -60, 100, "°C"}, {"humidity", 0, 100, "%"}, {"co2", 0, 5000, "ppm"}};
  return c;
}

TEST(SensorModel, NamesTopicsByBuildingRoomAndMetric) {
  SensorModel m(ModelSettings{2, 3, three_metrics()}, 1);
  ASSERT_EQ(m.series_count(), 18u);
  SensorMessage msg;
  m.next(0, 0, msg);
  EXPECT_EQ(msg.topic, "buildings/B1/rooms/101/temperature");
  m.next(5, 0, msg);
  EXPECT_EQ(msg.topic, "buildings/B2/rooms/103/temperature");
  m.next(6, 0, msg);
  EXPECT_EQ(msg.topic, "buildings/B1/rooms/101/humidity");
  m.next(17, 0, msg);
  EXPECT_EQ(msg.topic, "buildings/B2/rooms/103/co2");
}

TEST(SensorModel, JsonPayloadCarriesTimestampAndSensorId) {
  ModelSettings s{1, 1, three_metrics()};
  s.sensor_ids = true;
  SensorModel m(s, 1);
  SensorMessage msg;
  m.next(0, 1733056496789123, msg);
  EXPECT_EQ(msg.payload.rfind("{\"temperature\": ", 0), 0u) << msg.payload;
  EXPECT_NE(msg.payload.find("\"timestamp\": \"2024-12-01T12:34:56.789Z\""), std::string::npos);
  EXPECT_NE(msg.payload.find("\"sensor_id\": \"s-B1-101\""), std::string::npos);
}

TEST(SensorModel, BareAndNoTimestampShapes) {
  ModelSettings s{1, 1, three_metrics()};
  s.json = false;
  SensorModel bare(s, 1);
  SensorMessage msg;
  bare.next(0, 0, msg);
  EXPECT_NO_THROW((void)std::stod(msg.payload));
  EXPECT_EQ(msg.payload.find('{'), std::string::npos);

  s.json = true;
  s.timestamps = false;
  SensorModel plain(s, 1);
  plain.next(0, 0, msg);
  EXPECT_EQ(msg.payload.find("timestamp"), std::string::npos) << msg.payload;
}

TEST(SensorModel, SameSeedSameMessages) {
  ModelSettings s{3, 10, three_metrics()};
  s.bad_fraction = 0.1;
  SensorModel a(s, 42), b(s, 42);
  SensorMessage ma, mb;
  for (int k = 0; k < 5000; ++k) {
    a.next(k, 1'000'000 + k, ma);
    b.next(k, 1'000'000 + k, mb);
    ASSERT_EQ(ma.topic, mb.topic);
    ASSERT_EQ(ma.payload, mb.payload);
  }
}

TEST(SensorModel, ExactlyTheRequestedFractionIsMalformed) {
  for (double f : {0.0, 0.01, 0.1, 0.333, 0.5, 1.0}) {
    ModelSettings s{1, 3, three_metrics()};
    s.bad_fraction = f;
    SensorModel m(s, 3);
    SensorMessage msg;
    int bad = 0;
    for (int k = 0; k < 1000; ++k) {
      m.next(k, 0, msg);
      bad += msg.bad;
    }
    EXPECT_EQ(bad, static_cast<int>(1000 * f + 1e-9)) << f;
  }
}

TEST(SensorModel, TimestampsStayUniquePerSeries) {
  ModelSettings s{1, 1, three_metrics()};
  SensorModel m(s, 1);
  SensorMessage first, second;
  m.next(0, 5'000'000, first);
  m.next(0, 5'000'100, second);  // same millisecond
  EXPECT_NE(first.payload, second.payload);
  EXPECT_NE(second.payload.find("00:00:05.001Z"), std::string::npos) << second.payload;
  EXPECT_EQ(m.max_timestamp_lead(), 900);
}

TEST(SensorModel, UniformDrawsStayWithinMinus50To50AndTheRange) {
  ModelSettings s{1, 1, {{"humidity", 0, 100}}};
  s.uniform = true;
  s.json = false;
  SensorModel m(s, 9);
  SensorMessage msg;
  for (int k = 0; k < 10000; ++k) {
    m.next(0, 0, msg);
    const double v = std::stod(msg.payload);
    ASSERT_GE(v, 0);
    ASSERT_LE(v, 50);
  }
}

TEST(SensorModel, RandomWalkStaysNearTypicalTemperature) {
  ModelSettings s{1, 1, {{"temperature", -60, 100}}};
  s.json = false;
  SensorModel m(s, 1);
  SensorMessage msg;
  for (int k = 0; k < 200000; ++k) {
    m.next(0, 0, msg);
    const double v = std::stod(msg.payload);
    ASSERT_GT(v, 5);
    ASSERT_LT(v, 37);
  }
}

// Every good message is accepted and every bad one refused by the daemon's own checks, in each
// payload shape; each of the nine kinds shows up.
TEST(SensorModel, DaemonAcceptsGoodAndRefusesEveryBadKind) {
  const Config config = daemon_config();
  for (bool json : {true, false}) {
    for (bool timestamps : {true, false}) {
      ModelSettings s{3, 10, three_metrics()};
      s.bad_fraction = 0.25;
      s.json = json;
      s.timestamps = timestamps;
      s.sensor_ids = true;
      SensorModel m(s, 7);
      const Micros now = now_micros();
      std::map<RejectReason, int> reasons;
      SensorMessage msg;
      for (int k = 0; k < 9000; ++k) {
        m.next(k, now, msg);
        const Inbound in = classify_message(msg.topic, msg.payload, now, config);
        if (const auto* r = std::get_if<Reading>(&in)) {
          ASSERT_FALSE(msg.bad) << msg.topic << " " << msg.payload;
          const MetricConfig* metric = config.find_metric(r->metric);
          ASSERT_NE(metric, nullptr);
          EXPECT_GE(r->value, metric->min);
          EXPECT_LE(r->value, metric->max);
        } else {
          ASSERT_TRUE(msg.bad) << msg.topic << " " << msg.payload << ": "
                               << std::get<Rejection>(in).detail;
          ++reasons[std::get<Rejection>(in).reason];
        }
      }
      for (std::size_t kind = 0; kind < kBadKindCount; ++kind)
        EXPECT_EQ(m.bad_counts()[kind], 250u) << bad_kind_name(static_cast<BadKind>(kind));
      for (RejectReason r :
           {RejectReason::bad_id, RejectReason::unknown_metric, RejectReason::bad_payload,
            RejectReason::out_of_range, RejectReason::future_timestamp, RejectReason::bad_timestamp,
            RejectReason::too_large})
        EXPECT_GT(reasons[r], 0) << reason_name(r);
    }
  }
}

TEST(MetricRange, ParsesNamesAndRanges) {
  EXPECT_EQ(parse_metric_range("humidity").max, 100);
  const MetricRange p = parse_metric_range("pressure:900:1100.5");
  EXPECT_EQ(p.name, "pressure");
  EXPECT_EQ(p.min, 900);
  EXPECT_EQ(p.max, 1100.5);
  EXPECT_EQ(parse_metric_range("temperature:-10:40").min, -10);
  EXPECT_THROW(parse_metric_range("pressure"), std::invalid_argument);
  EXPECT_THROW(parse_metric_range("pressure:1"), std::invalid_argument);
  EXPECT_THROW(parse_metric_range("pressure:5:1"), std::invalid_argument);
  EXPECT_THROW(parse_metric_range("pressure:a:b"), std::invalid_argument);
  EXPECT_THROW(parse_metric_range("bad name:0:1"), std::invalid_argument);
}

}  // namespace
}  // namespace roomtemp::sim
