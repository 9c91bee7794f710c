// The calls of the services roomtemp replaces (README, "Coming from another service"), replayed
// as each service's README documents them against the real roomtempd, mosquitto and PostgreSQL,
// with the answers checked and the same readings seen through /v1:
// - the FastAPI service: POST /temperature, GET /v1/temperature/average (its deployment guide);
// - the Flask service: POST …/temperatures with recorded_at without an offset (UTC), and
//   …/temperatures/average?duration= from a live window or, for any other duration, history;
// - the sensor-id service: POST /ingest, GET /get_range, /min and /hourly, a sensor placed by a
//   source's devices (its MQTT readings included) or in building "sensors";
// - the device dashboard: GET /dashboard?features&interval&NUM_TOP_DEVICES and
//   GET /devices/{device}/histogram.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "harness/harness.h"
#include "timeutil.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// A time as the Flask and sensor-id services' clients send it: RFC 3339 without an offset.
std::string without_offset(std::int64_t micros) {
  std::string text = rfc3339(micros, 0, 0);
  if (!text.empty() && text.back() == 'Z') text.pop_back();
  return text;
}

class CompatTest : public DaemonTest {
 protected:
  void start(ConfigOptions options = {}) {
    options.averages = "  windows: [1m, 15m, 1h]\n  publish_interval: 200ms\n";
    DaemonTest::start_daemon("compat", std::move(options));
    port_ = daemon_->http_port();
  }

  json get_json(const std::string& path, int status = 200) {
    const HttpResponse r = daemon_->http_get(path);
    EXPECT_EQ(r.status, status) << path << ": " << r.body;
    const json doc = json::parse(r.body, nullptr, false);
    if (doc.is_discarded()) ADD_FAILURE() << path << " did not answer JSON: " << r.body;
    return doc;
  }

  /// Waits until GET `path` answers 200 with `field` equal to `value` (the live answers are what
  /// the publish tick last computed); returns the last answer.
  json wait_for(const std::string& path, const char* field, const json& value) {
    json doc;
    EXPECT_TRUE(wait_until(
        [&] {
          const HttpResponse r = daemon_->http_get(path);
          doc = json::parse(r.body, nullptr, false);
          return r.status == 200 && doc.is_object() && doc.value(field, json()) == value;
        },
        10s, 50ms))
        << path << ": " << doc;
    return doc;
  }

  int port_ = 0;
};

// The FastAPI service's README: a reading by POST /temperature, the average where its
// deployment guide asks for it.
TEST_F(CompatTest, FastApiServiceCalls) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::int64_t now = now_micros() / 1000 * 1000;
  const json documented = {{"building_id", "B1"},
                           {"room_id", "101"},
                           {"temperature", 22.5},
                           {"timestamp", "2024-12-01T12:34:56.000Z"}};
  HttpResponse r = http_post(port_, "/temperature", documented.dump());
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json::parse(r.body), (json{{"status", "accepted"}}));
  json recent = documented;
  recent["temperature"] = 21.0;
  recent["timestamp"] = rfc3339(now - 20 * kSecond);
  r = http_post(port_, "/temperature", recent.dump());
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_NO_FATAL_FAILURE(wait_rows(2));

  const json v1 = wait_for("/v1/temperature/average?building_id=B1&room_id=101", "count", 1);
  EXPECT_EQ(v1["building_id"], "B1");
  EXPECT_EQ(v1["room_id"], "101");
  EXPECT_EQ(v1["window"], "15m");
  EXPECT_EQ(v1["average_temperature"], 21.0);
  // The same figures as the unprefixed call and as /v1's own average.
  const json plain = get_json("/temperature/average?building_id=B1&room_id=101");
  EXPECT_EQ(plain["average_temperature"], v1["average_temperature"]);
  EXPECT_EQ(plain["count"], v1["count"]);
  const json native = get_json("/v1/buildings/B1/rooms/101/temperature/average?window=15m");
  EXPECT_EQ(native["avg"], v1["average_temperature"]);
  // The documented (old) reading is in history.
  const json stored = get_json(
      "/v1/buildings/B1/rooms/101/temperature/readings?from=2024-12-01T12:34:56Z&to=2024-12-01T12:"
      "34:57Z");
  ASSERT_EQ(stored.size(), 1U) << stored;
  EXPECT_EQ(stored[0]["value"], 22.5);
  EXPECT_EQ(get_json("/v1/temperature/average?building_id=B1&room_id=999", 404).count("error"), 1U);
}

// The Flask service's README: POST a reading with recorded_at (no offset), GET the average of
// the last 15 minutes; any other duration comes from history.
TEST_F(CompatTest, FlaskServiceCalls) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string viboo = "/api/v1/buildings/viboo/rooms/meeting-room-1/temperatures";
  HttpResponse r =
      http_post(port_, viboo, R"({"temperature": 10.5, "recorded_at": "2024-12-10T16:45:00"})");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body), (json{{"building", "viboo"},
                                       {"room", "meeting-room-1"},
                                       {"temperature", 10.5},
                                       {"recorded_at", "2024-12-10T16:45:00Z"}}));

  const std::int64_t now = now_micros() / 1000 * 1000;
  const std::string room1 = "/api/v1/buildings/building1/rooms/room1/temperatures";
  for (const auto& [value, ago] : {std::pair{20.0, 30 * kSecond}, std::pair{22.0, 90 * kSecond},
                                   std::pair{24.0, 12 * kMinute}}) {
    r = http_post(port_, room1,
                  json{{"temperature", value}, {"recorded_at", without_offset(now - ago)}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
  }
  ASSERT_NO_FATAL_FAILURE(wait_rows(4));

  // The reading with no offset was stored at 16:45 UTC.
  const json stored = get_json(
      "/v1/buildings/viboo/rooms/meeting-room-1/temperature/readings?from=2024-12-10T16:45:00Z&"
      "to=2024-12-10T16:45:01Z");
  ASSERT_EQ(stored.size(), 1U) << stored;
  EXPECT_EQ(stored[0]["ts"], "2024-12-10T16:45:00Z");
  EXPECT_EQ(stored[0]["value"], 10.5);

  // 15m is a configured window: live, as /v1 answers it.
  const json live = wait_for(room1 + "/average?duration=15m", "count", 3);
  EXPECT_EQ(live["building"], "building1");
  EXPECT_EQ(live["room"], "room1");
  EXPECT_EQ(live["duration"], "15m");
  EXPECT_EQ(live["source"], "live");
  EXPECT_DOUBLE_EQ(live["average_temperature"].get<double>(), 22.0);
  EXPECT_EQ(get_json("/v1/buildings/building1/rooms/room1/temperature/average?window=15m")["avg"],
            live["average_temperature"]);
  // 10m and 2h are not: PostgreSQL over [now − duration, now).
  const json ten = get_json(room1 + "/average?duration=10m");
  EXPECT_EQ(ten["source"], "history");
  EXPECT_EQ(ten["count"], 2);
  EXPECT_DOUBLE_EQ(ten["average_temperature"].get<double>(), 21.0);
  const json two_hours = get_json(room1 + "/average?duration=2h");
  EXPECT_EQ(two_hours["source"], "history");
  EXPECT_EQ(two_hours["count"], 3);
  EXPECT_DOUBLE_EQ(two_hours["average_temperature"].get<double>(), 22.0);

  // Refusals.
  EXPECT_EQ(get_json("/api/v1/buildings/building1/rooms/nope/temperatures/average?duration=2h", 404)
                .count("error"),
            1U);
  EXPECT_EQ(get_json(room1 + "/average?duration=soon", 400).count("error"), 1U);
  r = http_post(port_, room1, R"({"temperature": 20, "recorded_at": "10.12.2024 16:45"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = http_post(port_, room1, R"({"temperature": 900})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body).count("reason"), 1U) << r.body;
}

// The sensor-id service's README, request by request; then a sensor that a source's devices
// place, fed by POST /ingest and by MQTT alike.
TEST_F(CompatTest, SensorServiceCalls) {
  ConfigOptions options;
  options.extra =
      "sources:\n"
      "  - topic: \"sensors/{device}/temperature\"\n"
      "    values: { temperature: \"\" }\n"
      "    devices: { sensor-9: { building: R1, room: lab } }\n";
  ASSERT_NO_FATAL_FAILURE(start(std::move(options)));
  const std::string documented = R"([
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T21:00:00Z", "value": 25.3},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T21:01:00Z", "value": 26.7},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T21:05:00Z", "value": 30.7},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T22:00:00Z", "value": 10.0},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T22:06:00Z", "value": 12.0},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T22:06:00Z", "value": 114.0}
  ])";
  HttpResponse r = http_post(port_, "/ingest", documented);
  EXPECT_EQ(r.status, 200) << r.body;
  // One sensor has one reading a time: the second at 22:06 is a copy of the first to roomtemp
  // (README, "Coming from another service"), so five readings are stored.
  ASSERT_NO_FATAL_FAILURE(wait_rows(5));

  const std::int64_t first = *parse_rfc3339("2025-10-22T21:00:00Z");
  const std::string range =
      "/get_range?sensor_id=sensor-1&start=2025-10-22T21:00:00Z&end=2025-10-22T21:00:01Z";
  const json data = get_json(range);
  EXPECT_EQ(data, (json{{"data",
                         {{{"id", first},
                           {"timestamp", "2025-10-22T21:00:00Z"},
                           {"sensor_id", "sensor-1"},
                           {"value", 25.3}}}}}));
  EXPECT_EQ(get_json(range), data) << "ids are stable";
  EXPECT_EQ(get_json("/min?sensor_id=sensor-1&start=2025-10-22T21:00:00Z&end=2026-10-22T21:00:01Z"),
            (json{{"min_value", 10.0}}));
  const json hours = get_json("/hourly?sensor_id=sensor-1");
  ASSERT_EQ(hours.size(), 2U) << hours;
  EXPECT_EQ(hours[0], (json{{"timestamp", "2025-10-22T21:00:00Z"},
                            {"avg", 27.566666666666666},
                            {"min", 25.3},
                            {"max", 30.7},
                            {"samples", 3}}));
  EXPECT_EQ(hours[1], (json{{"timestamp", "2025-10-22T22:00:00Z"},
                            {"avg", 11.0},
                            {"min", 10.0},
                            {"max", 12.0},
                            {"samples", 2}}));
  // The same readings through /v1: an unmapped sensor is a room of building "sensors".
  const json v1 = get_json(
      "/v1/buildings/sensors/rooms/sensor-1/temperature/readings?from=2025-10-22T21:00:00Z&to="
      "2025-10-22T23:00:00Z");
  ASSERT_EQ(v1.size(), 5U) << v1;
  EXPECT_EQ(v1[0]["sensor_id"], "sensor-1");
  EXPECT_EQ(
      get_json("/get_range?sensor_id=nobody&start=2025-10-22T21:00:00Z&end=2025-10-23T00:00:00Z"),
      (json{{"data", json::array()}}));

  // sensor-9 is placed by the source's devices: its POSTed and its MQTT readings meet in R1/lab.
  const std::int64_t now = now_micros() / 1000 * 1000;
  r = http_post(port_, "/ingest",
                json::array({{{"sensor_id", "sensor-9"},
                              {"timestamp", without_offset(now - 10 * kSecond)},
                              {"value", 19.5}}})
                    .dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["accepted"], 1) << r.body;
  MqttClient sensor(broker_.port());
  sensor.publish("sensors/sensor-9/temperature", "20.5", 1);
  ASSERT_NO_FATAL_FAILURE(wait_rows(7));
  const json nine = get_json("/get_range?sensor_id=sensor-9&start=" + rfc3339(now - kMinute) +
                             "&end=" + rfc3339(now + kMinute));
  ASSERT_EQ(nine["data"].size(), 2U) << nine;
  const json lab =
      wait_for("/v1/buildings/R1/rooms/lab/temperature/average?window=15m", "count", 2);
  EXPECT_DOUBLE_EQ(lab["avg"].get<double>(), 20.0);

  // Refusals.
  EXPECT_EQ(
      get_json("/get_range?sensor_id=sensor-1&start=2025-10-22T21:00:00Z", 400).count("error"), 1U);
  EXPECT_EQ(get_json("/min?sensor_id=sensor-1&start=tomorrow&end=2025-10-22T21:00:00Z", 400)
                .count("error"),
            1U);
  EXPECT_EQ(http_post(port_, "/ingest", R"({"sensor_id": "s", "value": 1})").status, 400);
  r = http_post(port_, "/ingest", R"([{"value": 1}, {"sensor_id": "s", "value": 900}])");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["rejected"].size(), 2U) << r.body;
}

// The device dashboard's README: the top devices by a feature over an interval, and a device's
// histogram, of readings that name their device as sensor_id.
TEST_F(CompatTest, DeviceDashboardCalls) {
  ConfigOptions options;
  options.metrics =
      "  temperature: { min: -60, max: 100, unit: \"°C\" }\n"
      "  pressure: { min: 800, max: 1200, unit: \"hPa\" }\n";
  ASSERT_NO_FATAL_FAILURE(start(std::move(options)));
  const std::int64_t now = now_micros() / 1000 * 1000;
  json items = json::array();
  for (const auto& [device, metric, value, ago] :
       std::vector<std::tuple<std::string, std::string, double, std::int64_t>>{
           {"device_1", "pressure", 1010.0, 10 * kSecond},
           {"device_1", "pressure", 1020.0, 2 * kMinute},
           {"device_2", "pressure", 1015.0, 10 * kSecond},
           {"device_3", "pressure", 1030.0, 120 * kMinute},
           {"device_1", "temperature", 21.5, 10 * kSecond}})
    items.push_back({{"building_id", "sensors"},
                     {"room_id", device},
                     {"sensor_id", device},
                     {"metric", metric},
                     {"value", value},
                     {"timestamp", rfc3339(now - ago)}});
  const HttpResponse r = http_post(port_, "/v1/readings", items.dump());
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_NO_FATAL_FAILURE(wait_rows(5));

  const auto top = [](std::initializer_list<std::pair<const char*, double>> list) {
    json out = json::array();
    for (const auto& [device, value] : list) out.push_back({{"device", device}, {"value", value}});
    return out;
  };
  EXPECT_EQ(
      get_json("/dashboard?features=pressure&interval=past_minute"),
      (json{{"interval", "past_minute"},
            {"features", {{"pressure", top({{"device_2", 1015.0}, {"device_1", 1010.0}})}}}}));
  EXPECT_EQ(get_json("/dashboard?features=pressure&interval=past_hour")["features"]["pressure"],
            top({{"device_1", 1020.0}, {"device_2", 1015.0}}));
  EXPECT_EQ(get_json("/dashboard?features=pressure")["features"]["pressure"],
            top({{"device_3", 1030.0}, {"device_1", 1020.0}, {"device_2", 1015.0}}));
  EXPECT_EQ(get_json("/dashboard?features=pressure&NUM_TOP_DEVICES=1")["features"]["pressure"],
            top({{"device_3", 1030.0}}));
  const json every = get_json("/dashboard?interval=past_hour")["features"];
  EXPECT_EQ(every["temperature"], top({{"device_1", 21.5}}));
  EXPECT_EQ(every["pressure"].size(), 2U);
  EXPECT_EQ(get_json("/dashboard?features=humidity", 400).count("error"), 1U);
  EXPECT_EQ(get_json("/dashboard?interval=yesterday", 400).count("error"), 1U);

  // A device's histogram is /v1's of its room.
  const json histogram = get_json("/devices/device_1/histogram?feature=pressure");
  EXPECT_EQ(histogram, get_json("/v1/buildings/sensors/rooms/device_1/pressure/histogram"));
  EXPECT_EQ(histogram["counts"].size(), 10U) << histogram;
  EXPECT_EQ(histogram["edges"].front(), 1010.0);
  EXPECT_EQ(histogram["edges"].back(), 1020.0);
}

}  // namespace
}  // namespace roomtemp::harness
