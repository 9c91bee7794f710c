// The calls of the services roomtemp replaces (README, "Coming from another service"), replayed
// as each service's README documents them against the real roomtempd, mosquitto and PostgreSQL.
// Every expected answer is computed here from the readings the test sent; the same readings are
// then checked through /v1 and through the retained averages on the broker:
// - the FastAPI service: POST /temperature, GET /temperature/average and its /v1 spelling;
// - the Flask service: POST …/temperatures with recorded_at without an offset (UTC), and
//   …/temperatures/average?duration= from a live window or, for any other duration, history;
// - the sensor-id service: POST /ingest, GET /get_range, /min and /hourly, a sensor placed by a
//   source's devices (its MQTT readings included) or in building "sensors";
// - the device dashboard: POST /devicedata, GET /dashboard?features&interval&NUM_TOP_DEVICES and
//   GET /devices/{device}/histogram.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "duration.h"
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

/// A reading the test sent, where roomtemp should place it.
struct Sent {
  std::string building;
  std::string room;
  double value = 0;
  std::int64_t ts = 0;
  std::string sensor{};
};

/// What the readings of a room (all rooms of the building when `room` is "") in [from, to] add
/// up to, in the order they were sent.
struct Figures {
  std::int64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  double avg() const { return sum / static_cast<double>(count); }
};

Figures figures_of(const std::vector<Sent>& sent, const std::string& building,
                   const std::string& room, std::int64_t from, std::int64_t to) {
  Figures f;
  for (const Sent& s : sent) {
    if (s.building != building || (!room.empty() && s.room != room) || s.ts < from || s.ts > to)
      continue;
    f.min = f.count ? std::min(f.min, s.value) : s.value;
    f.max = f.count ? std::max(f.max, s.value) : s.value;
    f.sum += s.value;
    ++f.count;
  }
  return f;
}

/// `answer`'s count, and its avg, min and max under the given names, are `f`'s.
void expect_figures(const json& answer, const Figures& f, const char* avg = "avg",
                    const char* min = "min", const char* max = "max") {
  ASSERT_TRUE(answer.is_object()) << answer;
  EXPECT_EQ(answer.value("count", std::int64_t{-1}), f.count) << answer;
  ASSERT_TRUE(answer.value(avg, json()).is_number()) << answer;
  EXPECT_DOUBLE_EQ(answer[avg].get<double>(), f.avg()) << answer;
  if (min) {
    EXPECT_EQ(answer.value(min, json()), f.min) << answer;
  }
  if (max) {
    EXPECT_EQ(answer.value(max, json()), f.max) << answer;
  }
}

/// The span an answer's `from` and `to` cover.
std::int64_t span_of(const json& answer) {
  const auto from = parse_rfc3339(answer.value("from", ""));
  const auto to = parse_rfc3339(answer.value("to", ""));
  EXPECT_TRUE(from && to) << answer;
  return from && to ? *to - *from : -1;
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
    json doc = json::parse(r.body, nullptr, false);
    if (doc.is_discarded()) ADD_FAILURE() << path << " did not answer JSON: " << r.body;
    return doc;
  }

  /// POSTs `body`, expects `status`, returns the answer.
  json post_json(const std::string& path, const std::string& body, int status) {
    const HttpResponse r = http_post(port_, path, body);
    EXPECT_EQ(r.status, status) << path << " " << body << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  /// Waits until GET `path` answers 200 with a count of `count` (the live answers are what the
  /// publish tick last computed); returns the last answer.
  json wait_count(const std::string& path, std::int64_t count) {
    json doc;
    EXPECT_TRUE(wait_until(
        [&] {
          const HttpResponse r = daemon_->http_get(path);
          doc = json::parse(r.body, nullptr, false);
          return r.status == 200 && doc.is_object() && doc.value("count", json()) == count;
        },
        10s, 50ms))
        << path << ": " << doc;
    return doc;
  }

  /// The retained average on `topic` once it counts `count` readings.
  json retained_average(const std::string& topic, std::int64_t count) {
    MqttClient watcher(broker_.port());
    watcher.subscribe(topic);
    json last;
    EXPECT_TRUE(watcher.wait_for(
        [&](const std::vector<MqttMessage>& messages) {
          if (messages.empty()) return false;
          last = json::parse(messages.back().payload, nullptr, false);
          return last.is_object() && last.value("count", json()) == count;
        },
        10s))
        << topic << ": " << last;
    return last;
  }

  int port_ = 0;
};

// The FastAPI service's README: readings by POST /temperature for its simulator's rooms, the
// average where its deployment guide asks for it (/v1/temperature/average) and where its API
// serves it (/temperature/average).
TEST_F(CompatTest, FastApiServiceCalls) {
  ASSERT_NO_FATAL_FAILURE(start());
  const json documented = {{"building_id", "B1"},
                           {"room_id", "101"},
                           {"temperature", 22.5},
                           {"timestamp", "2024-12-01T12:34:56.000Z"}};
  EXPECT_EQ(post_json("/temperature", documented.dump(), 202), (json{{"status", "accepted"}}));

  // Recent readings of the simulator's rooms; one stamped as Python's utcnow().isoformat()
  // stamps, without an offset (UTC).
  const std::int64_t now = now_micros() / kSecond * kSecond;
  const std::vector<Sent> recent = {{"B1", "101", 21.0, now - 20 * kSecond},
                                    {"B1", "101", 23.5, now - 5 * kMinute},
                                    {"B1", "101", 30.0, now - 40 * kMinute},
                                    {"B1", "102", 19.5, now - 2 * kMinute},
                                    {"B2", "201", -4.5, now - 3 * kMinute}};
  for (std::size_t i = 0; i < recent.size(); ++i) {
    const Sent& s = recent[i];
    const json reading = {{"building_id", s.building},
                          {"room_id", s.room},
                          {"temperature", s.value},
                          {"timestamp", i == 1 ? without_offset(s.ts) : rfc3339(s.ts)}};
    EXPECT_EQ(post_json("/temperature", reading.dump(), 202), (json{{"status", "accepted"}}));
  }
  ASSERT_NO_FATAL_FAILURE(wait_rows(6));

  const Figures room = figures_of(recent, "B1", "101", now - 15 * kMinute, now);
  const std::string query = "/temperature/average?building_id=B1&room_id=101";
  json v1 = wait_count("/v1" + query, room.count);
  EXPECT_EQ(span_of(v1), 15 * kMinute);
  v1.erase("from");
  v1.erase("to");
  EXPECT_EQ(v1, (json{{"building_id", "B1"},
                      {"room_id", "101"},
                      {"window", "15m"},
                      {"average_temperature", room.avg()},
                      {"min_temperature", room.min},
                      {"max_temperature", room.max},
                      {"count", room.count}}));
  json plain = get_json(query);
  plain.erase("from");
  plain.erase("to");
  EXPECT_EQ(plain, v1) << "the call with and without the /v1 prefix";
  const Figures hour = figures_of(recent, "B1", "101", now - kHour, now);
  expect_figures(get_json(query + "&window=1h"), hour, "average_temperature", "min_temperature",
                 "max_temperature");
  const Figures building = figures_of(recent, "B1", "", now - 15 * kMinute, now);
  const json b1 = get_json("/v1/temperature/average?building_id=B1");
  EXPECT_EQ(b1.count("room_id"), 0U) << b1;
  expect_figures(b1, building, "average_temperature", "min_temperature", "max_temperature");

  // The same readings through /v1 and the retained averages.
  expect_figures(get_json("/v1/buildings/B1/rooms/101/temperature/average?window=15m"), room);
  expect_figures(retained_average("buildings/B1/rooms/101/temperature/average/15m", room.count),
                 room);
  expect_figures(retained_average("buildings/B2/rooms/201/temperature/average/15m", 1),
                 figures_of(recent, "B2", "201", now - 15 * kMinute, now));
  const json stamped =
      get_json("/v1/buildings/B1/rooms/101/temperature/readings?from=" + rfc3339(recent[1].ts) +
               "&to=" + rfc3339(recent[1].ts + 1000));
  ASSERT_EQ(stamped.size(), 1U) << "the time without an offset is UTC: " << stamped;
  EXPECT_EQ(stamped[0]["value"], recent[1].value);
  const std::int64_t old = *parse_rfc3339(documented["timestamp"].get<std::string>());
  const json stored =
      get_json("/v1/buildings/B1/rooms/101/temperature/readings?from=" + rfc3339(old) +
               "&to=" + rfc3339(old + kSecond));
  ASSERT_EQ(stored.size(), 1U) << stored;
  EXPECT_EQ(stored[0]["value"], documented["temperature"]);

  // Refusals.
  EXPECT_EQ(get_json("/v1/temperature/average?building_id=B1&room_id=999", 404).count("error"), 1U);
  EXPECT_EQ(get_json(query + "&window=5m", 400).count("error"), 1U);
  const json refused = post_json(
      "/temperature", R"({"building_id": "B1", "room_id": "101", "temperature": 900})", 400);
  EXPECT_EQ(refused.count("reason"), 1U) << refused;
}

// The Flask service's README: POST a reading with recorded_at (no offset), GET the average of
// the last 15 minutes; any other duration comes from history.
TEST_F(CompatTest, FlaskServiceCalls) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string viboo = "/api/v1/buildings/viboo/rooms/meeting-room-1/temperatures";
  const json documented = {{"temperature", 10.5}, {"recorded_at", "2024-12-10T16:45:00"}};
  const std::string documented_utc =
      format_rfc3339(*parse_rfc3339(documented["recorded_at"].get<std::string>() + "Z"));
  EXPECT_EQ(post_json(viboo, documented.dump(), 201), (json{{"building", "viboo"},
                                                            {"room", "meeting-room-1"},
                                                            {"temperature", 10.5},
                                                            {"recorded_at", documented_utc}}));

  const std::int64_t now = now_micros() / kSecond * kSecond;
  const std::vector<Sent> sent = {{"building1", "room1", 20.0, now - 30 * kSecond},
                                  {"building1", "room1", 22.0, now - 90 * kSecond},
                                  {"building1", "room1", 24.0, now - 12 * kMinute},
                                  {"building1", "room1", 27.5, now - 50 * kMinute},
                                  {"building1", "room1", 16.0, now - 3 * kHour}};
  const std::string room1 = "/api/v1/buildings/building1/rooms/room1/temperatures";
  for (const Sent& s : sent) {
    const json answer = post_json(
        room1, json{{"temperature", s.value}, {"recorded_at", without_offset(s.ts)}}.dump(), 201);
    EXPECT_EQ(answer.value("recorded_at", ""), format_rfc3339(s.ts)) << answer;
  }
  ASSERT_NO_FATAL_FAILURE(wait_rows(1 + static_cast<long long>(sent.size())));

  // The documented reading with no offset was stored at 16:45 UTC.
  const json stored = get_json(
      "/v1/buildings/viboo/rooms/meeting-room-1/temperature/readings?from=" + documented_utc +
      "&to=" + format_rfc3339(*parse_rfc3339(documented_utc) + kSecond));
  ASSERT_EQ(stored.size(), 1U) << stored;
  EXPECT_EQ(stored[0]["ts"], documented_utc);
  EXPECT_EQ(stored[0]["value"], documented["temperature"]);

  // The README's 15m, the other configured windows (live), and durations that are not
  // (PostgreSQL over [now − duration, now)), in the spellings InfluxDB takes.
  const Figures quarter = figures_of(sent, "building1", "room1", now - 15 * kMinute, now);
  json live = wait_count(room1 + "/average?duration=15m", quarter.count);
  EXPECT_EQ(span_of(live), 15 * kMinute);
  live.erase("from");
  live.erase("to");
  EXPECT_EQ(live, (json{{"building", "building1"},
                        {"room", "room1"},
                        {"duration", "15m"},
                        {"average_temperature", quarter.avg()},
                        {"count", quarter.count},
                        {"source", "live"}}));
  struct Asked {
    const char* duration;
    std::int64_t span;
    const char* source;
  };
  for (const Asked& a :
       {Asked{"1m", kMinute, "live"}, Asked{"1h", kHour, "live"}, Asked{"60m", kHour, "live"},
        Asked{"10m", 10 * kMinute, "history"}, Asked{"1h30m", 90 * kMinute, "history"},
        Asked{"1w", 7 * kDay, "history"}, Asked{"2d", 2 * kDay, "history"}}) {
    SCOPED_TRACE(a.duration);
    const json answer = get_json(room1 + "/average?duration=" + a.duration);
    EXPECT_EQ(answer.value("source", ""), a.source);
    EXPECT_EQ(answer.value("duration", ""),
              format_duration(std::chrono::milliseconds(a.span / 1000)));
    EXPECT_EQ(span_of(answer), a.span);
    expect_figures(answer, figures_of(sent, "building1", "room1", now - a.span, now),
                   "average_temperature", nullptr, nullptr);
  }
  EXPECT_EQ(get_json(room1 + "/average")["duration"], "15m") << "the default";

  // Without recorded_at: stamped on arrival, and the answer says when.
  const std::int64_t before = now_micros();
  const json arrived = post_json(room1, R"({"temperature": 21})", 201);
  const auto at = parse_rfc3339(arrived.value("recorded_at", ""));
  ASSERT_TRUE(at.has_value()) << arrived;
  EXPECT_GE(*at, before / 1000 * 1000);
  EXPECT_LE(*at, now_micros());

  // The same readings through /v1 and the retained average (the one just posted too).
  std::vector<Sent> all = sent;
  all.push_back({"building1", "room1", 21.0, *at});
  const Figures live_now = figures_of(all, "building1", "room1", now - 15 * kMinute, *at);
  expect_figures(
      retained_average("buildings/building1/rooms/room1/temperature/average/15m", live_now.count),
      live_now);
  expect_figures(get_json("/v1/buildings/building1/rooms/room1/temperature/average?window=15m"),
                 live_now);
  const json v1 = get_json("/v1/buildings/building1/rooms/room1/temperature/readings?from=" +
                           format_rfc3339(now - 4 * kHour) + "&to=" + format_rfc3339(now));
  ASSERT_EQ(v1.size(), sent.size()) << v1;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Sent& s = sent[sent.size() - 1 - i];  // oldest first
    EXPECT_EQ(v1[i]["ts"], format_rfc3339(s.ts)) << v1[i];
    EXPECT_EQ(v1[i]["value"], s.value) << v1[i];
  }

  // Refusals.
  EXPECT_EQ(get_json("/api/v1/buildings/building1/rooms/nope/temperatures/average?duration=2h", 404)
                .count("error"),
            1U);
  for (const char* bad : {"soon", "1mo", "0m", "400d"})
    EXPECT_EQ(get_json(room1 + "/average?duration=" + bad, 400).count("error"), 1U) << bad;
  EXPECT_EQ(post_json(room1, R"({"temperature": 20, "recorded_at": "10.12.2024 16:45"})", 400)
                .count("error"),
            1U);
  EXPECT_EQ(post_json(room1, R"({"temperature": 900})", 400).count("reason"), 1U);
}

/// One reading per sensor and time: a second one at the same time is a copy (README, "Coming
/// from another service"). The first sent stays.
std::vector<Sent> as_stored(const std::vector<Sent>& sent) {
  std::vector<Sent> out;
  for (const Sent& s : sent)
    if (std::none_of(out.begin(), out.end(), [&](const Sent& o) {
          return o.building == s.building && o.room == s.room && o.sensor == s.sensor &&
                 o.ts == s.ts;
        }))
      out.push_back(s);
  return out;
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
  // The README's readings go up to 114.0: wider than the default range of temperature.
  options.metrics = "  temperature: { min: -60, max: 150, unit: \"°C\" }\n";
  ASSERT_NO_FATAL_FAILURE(start(std::move(options)));
  const json documented = json::parse(R"([
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T21:00:00Z", "value": 25.3},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T21:01:00Z", "value": 26.7},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T21:05:00Z", "value": 30.7},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T22:00:00Z", "value": 10.0},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T22:06:00Z", "value": 12.0},
    {"sensor_id": "sensor-1", "timestamp": "2025-10-22T22:06:00Z", "value": 114.0}
  ])");
  std::vector<Sent> sent;
  for (const json& r : documented)
    sent.push_back({"sensors", r["sensor_id"].get<std::string>(), r["value"].get<double>(),
                    *parse_rfc3339(r["timestamp"].get<std::string>()),
                    r["sensor_id"].get<std::string>()});
  const std::vector<Sent> stored = as_stored(sent);
  ASSERT_EQ(stored.size(), sent.size() - 1);
  const json ingested = post_json("/ingest", documented.dump(), 200);
  EXPECT_EQ(ingested.value("rejected", json()), json::array()) << ingested;
  ASSERT_NO_FATAL_FAILURE(wait_rows(static_cast<long long>(stored.size())));

  // GET /get_range: the readings in [start, end], both in.
  const auto readings_in = [&](std::int64_t from, std::int64_t to) {
    json data = json::array();
    for (const Sent& s : stored)
      if (s.sensor == "sensor-1" && s.ts >= from && s.ts <= to)
        data.push_back({{"id", s.ts},
                        {"timestamp", format_rfc3339(s.ts)},
                        {"sensor_id", s.sensor},
                        {"value", s.value}});
    return json{{"data", data}};
  };
  const std::string start = "2025-10-22T21:00:00Z";
  const json range =
      get_json("/get_range?sensor_id=sensor-1&start=" + start + "&end=2025-10-22T21:00:01Z");
  EXPECT_EQ(range, readings_in(*parse_rfc3339(start), *parse_rfc3339("2025-10-22T21:00:01Z")));
  ASSERT_EQ(range["data"].size(), 1U) << "the README's answer has one reading";
  // The ids are stable: the same reading has the same id in any range, and no two share one.
  const json all =
      get_json("/get_range?sensor_id=sensor-1&start=" + start + "&end=2025-10-23T00:00:00Z");
  EXPECT_EQ(all, readings_in(*parse_rfc3339(start), *parse_rfc3339("2025-10-23T00:00:00Z")));
  ASSERT_FALSE(all["data"].empty());
  EXPECT_EQ(all["data"][0]["id"], range["data"][0]["id"]);
  std::vector<std::int64_t> ids;
  for (const json& r : all["data"]) ids.push_back(r["id"]);
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());

  // GET /min.
  const std::string end = "2026-10-22T21:00:01Z";
  const Figures whole =
      figures_of(stored, "sensors", "sensor-1", *parse_rfc3339(start), *parse_rfc3339(end));
  EXPECT_EQ(get_json("/min?sensor_id=sensor-1&start=" + start + "&end=" + end),
            (json{{"min_value", whole.min}}));

  // GET /hourly: one object per UTC hour, oldest first.
  std::map<std::int64_t, std::vector<Sent>> by_hour;
  for (const Sent& s : stored) by_hour[s.ts / kHour * kHour].push_back(s);
  const json hours = get_json("/hourly?sensor_id=sensor-1");
  ASSERT_EQ(hours.size(), by_hour.size()) << hours;
  std::size_t i = 0;
  for (const auto& [hour, in_hour] : by_hour) {
    const Figures f = figures_of(in_hour, "sensors", "sensor-1", hour, hour + kHour - 1);
    const json& h = hours[i++];
    EXPECT_EQ(h.value("timestamp", ""), format_rfc3339(hour)) << h;
    EXPECT_EQ(h.value("samples", -1), f.count) << h;
    expect_figures(json{{"count", h.value("samples", -1)},
                        {"avg", h["avg"]},
                        {"min", h["min"]},
                        {"max", h["max"]}},
                   f);
    EXPECT_EQ(h.size(), 5U) << h;
  }

  // The same readings through /v1: an unmapped sensor is a room of building "sensors", and its
  // hours are /v1's series.
  const json v1 =
      get_json("/v1/buildings/sensors/rooms/sensor-1/temperature/readings?from=" + start +
               "&to=2025-10-23T00:00:00Z");
  ASSERT_EQ(v1.size(), stored.size()) << v1;
  for (std::size_t k = 0; k < stored.size(); ++k) {
    EXPECT_EQ(v1[k]["value"], stored[k].value) << v1[k];
    EXPECT_EQ(v1[k]["sensor_id"], "sensor-1") << v1[k];
  }
  const json series = get_json(
      "/v1/buildings/sensors/rooms/sensor-1/temperature/series?from=2025-10-22T21:00:00Z&to="
      "2025-10-22T23:00:00Z&step=1h");
  ASSERT_EQ(series.size(), hours.size()) << series;
  for (std::size_t k = 0; k < hours.size(); ++k) {
    EXPECT_EQ(series[k]["count"], hours[k]["samples"]);
    EXPECT_DOUBLE_EQ(series[k]["avg"].get<double>(), hours[k]["avg"].get<double>());
  }

  // Unknown sensors answer empty.
  EXPECT_EQ(get_json("/get_range?sensor_id=nobody&start=" + start + "&end=" + end),
            (json{{"data", json::array()}}));
  EXPECT_EQ(get_json("/min?sensor_id=nobody&start=" + start + "&end=" + end),
            (json{{"min_value", nullptr}}));
  EXPECT_EQ(get_json("/hourly?sensor_id=nobody"), json::array());

  // sensor-9 is placed by the source's devices: its POSTed (no offset: UTC) and its MQTT
  // readings meet in R1/lab, in /v1 and in the retained average.
  const std::int64_t now = now_micros() / kSecond * kSecond;
  const Sent posted{"R1", "lab", 19.5, now - 10 * kSecond, "sensor-9"};
  EXPECT_EQ(post_json("/ingest",
                      json::array({{{"sensor_id", posted.sensor},
                                    {"timestamp", without_offset(posted.ts)},
                                    {"value", posted.value}}})
                          .dump(),
                      200)["accepted"],
            1);
  MqttClient sensor(broker_.port());
  sensor.publish("sensors/sensor-9/temperature", "20.5", 1);
  ASSERT_NO_FATAL_FAILURE(wait_rows(static_cast<long long>(stored.size()) + 2));
  const json nine =
      get_json("/get_range?sensor_id=sensor-9&start=" + without_offset(now - kMinute) +
               "&end=" + without_offset(now + kMinute));
  ASSERT_EQ(nine["data"].size(), 2U) << nine;
  EXPECT_EQ(nine["data"][0], (json{{"id", posted.ts},
                                   {"timestamp", format_rfc3339(posted.ts)},
                                   {"sensor_id", "sensor-9"},
                                   {"value", posted.value}}));
  EXPECT_EQ(nine["data"][1]["value"], 20.5);
  Figures lab;
  lab.count = 2;
  lab.sum = posted.value + 20.5;
  lab.min = posted.value;
  lab.max = 20.5;
  expect_figures(wait_count("/v1/buildings/R1/rooms/lab/temperature/average?window=15m", 2), lab);
  expect_figures(retained_average("buildings/R1/rooms/lab/temperature/average/15m", 2), lab);

  // Refusals.
  EXPECT_EQ(get_json("/get_range?sensor_id=sensor-1&start=" + start, 400).count("error"), 1U);
  EXPECT_EQ(get_json("/min?sensor_id=sensor-1&start=tomorrow&end=" + start, 400).count("error"),
            1U);
  EXPECT_EQ(http_post(port_, "/ingest", R"({"sensor_id": "s", "value": 1})").status, 400);
  const json refused =
      post_json("/ingest", R"([{"value": 1}, {"sensor_id": "s", "value": 900}])", 200);
  EXPECT_EQ(refused["accepted"], 0) << refused;
  EXPECT_EQ(refused["rejected"].size(), 2U) << refused;
}

/// A reading of the device dashboard's simulator: every feature of one device at one time.
struct DeviceReading {
  std::string device;
  std::int64_t ts = 0;
  double pressure = 0;
  double temperature = 0;
};

// The device dashboard's README: readings posted as its simulator posts them, the top devices
// by a feature over an interval (NUM_TOP_DEVICES, default 10), and a device's histogram.
TEST_F(CompatTest, DeviceDashboardCalls) {
  ConfigOptions options;
  options.metrics =
      "  temperature: { min: 0, max: 250, unit: \"°C\" }\n"
      "  pressure: { min: 0, max: 30, unit: \"bar\" }\n";
  ASSERT_NO_FATAL_FAILURE(start(std::move(options)));

  // Twelve devices (more than the default ten), each with a reading in the past minute, one in
  // the past hour and one before; values distinct, so that the ranking has no ties.
  const std::int64_t now = now_micros() / kSecond * kSecond;
  std::vector<DeviceReading> sent;
  for (int d = 1; d <= 12; ++d)
    for (const std::int64_t ago : {10 * kSecond, 20 * kMinute, 3 * kHour}) {
      const double k = static_cast<double>((d * 7 + static_cast<int>(ago / kSecond)) % 97);
      sent.push_back({"device_" + std::to_string(d), now - ago, k / 4.0, 100.0 + k});
    }
  for (const DeviceReading& r : sent) {
    const json body = {{"deviceId", r.device},
                       {"timestamp", without_offset(r.ts)},
                       {"status", "ON"},
                       {"pressure", r.pressure},
                       {"temperature", r.temperature}};
    EXPECT_EQ(post_json("/devicedata", body.dump(), 200),
              (json{{"deviceId", r.device},
                    {"pressure", r.pressure},
                    {"temperature", r.temperature},
                    {"timestamp", format_rfc3339(r.ts)}}));
  }
  ASSERT_NO_FATAL_FAILURE(wait_rows(2 * static_cast<long long>(sent.size())));

  // Each device's reading with the highest value of `feature` since `from`, highest first.
  const auto top = [&](const std::string& feature, std::int64_t from, std::size_t n) {
    const auto value = [&](const DeviceReading& r) {
      return feature == "pressure" ? r.pressure : r.temperature;
    };
    std::map<std::string, DeviceReading> best;
    for (const DeviceReading& r : sent) {
      if (r.ts < from) continue;
      auto [it, added] = best.emplace(r.device, r);
      if (!added && value(r) > value(it->second)) it->second = r;
    }
    std::vector<DeviceReading> ranked;
    ranked.reserve(best.size());
    for (const auto& [device, r] : best) ranked.push_back(r);
    std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
      return value(a) != value(b) ? value(a) > value(b) : a.device < b.device;
    });
    json out = json::array();
    for (std::size_t k = 0; k < ranked.size() && k < n; ++k)
      out.push_back({{"deviceId", ranked[k].device},
                     {"timestamp", format_rfc3339(ranked[k].ts)},
                     {"pressure", ranked[k].pressure},
                     {"temperature", ranked[k].temperature}});
    return out;
  };
  const std::int64_t minute_ago = now_micros() - kMinute;
  const std::int64_t hour_ago = now_micros() - kHour;
  EXPECT_EQ(get_json("/dashboard"), (json{{"temperature", top("temperature", 0, 10)},
                                          {"pressure", top("pressure", 0, 10)}}));
  EXPECT_EQ(get_json("/dashboard?features=pressure"), (json{{"pressure", top("pressure", 0, 10)}}));
  EXPECT_EQ(get_json("/dashboard?features=pressure&interval=past_minute"),
            (json{{"pressure", top("pressure", minute_ago, 10)}}));
  EXPECT_EQ(get_json("/dashboard?features=pressure&interval=past_hour"),
            (json{{"pressure", top("pressure", hour_ago, 10)}}));
  EXPECT_EQ(get_json("/dashboard?features=temperature&interval=all_time&NUM_TOP_DEVICES=3"),
            (json{{"temperature", top("temperature", 0, 3)}}));
  EXPECT_EQ(
      get_json("/dashboard?features=pressure,temperature&NUM_TOP_DEVICES=12"),
      (json{{"pressure", top("pressure", 0, 12)}, {"temperature", top("temperature", 0, 12)}}));
  EXPECT_EQ(get_json("/dashboard?features=humidity", 400).count("error"), 1U);
  EXPECT_EQ(get_json("/dashboard?interval=yesterday", 400).count("error"), 1U);
  EXPECT_EQ(get_json("/dashboard?NUM_TOP_DEVICES=0", 400).count("error"), 1U);

  // A device's histogram is /v1's of its room over all its readings: its temperatures, between
  // their extremes.
  const json histogram = get_json("/devices/device_1/histogram");
  EXPECT_EQ(histogram, get_json("/v1/buildings/sensors/rooms/device_1/temperature/histogram?from=" +
                                format_rfc3339(now - 4 * kHour)));
  EXPECT_EQ(get_json("/devices/device_1/histogram?feature=pressure&bins=4&from=" +
                     format_rfc3339(now - kHour)),
            get_json("/v1/buildings/sensors/rooms/device_1/pressure/histogram?bins=4&from=" +
                     format_rfc3339(now - kHour)));
  Figures device_1;
  std::vector<Sent> device_1_sent;
  for (const DeviceReading& r : sent)
    if (r.device == "device_1")
      device_1_sent.push_back({"sensors", "device_1", r.temperature, r.ts});
  device_1 = figures_of(device_1_sent, "sensors", "device_1", 0, now);
  ASSERT_EQ(histogram.value("counts", json()).size(), 10U) << histogram;
  std::int64_t counted = 0;
  for (const json& c : histogram["counts"]) counted += c.get<std::int64_t>();
  EXPECT_EQ(counted, device_1.count);
  EXPECT_EQ(histogram["edges"].front(), device_1.min);
  EXPECT_EQ(histogram["edges"].back(), device_1.max);

  // The same readings through /v1 and the retained averages of the device's room.
  std::vector<Sent> pressures;
  pressures.reserve(sent.size());
  for (const DeviceReading& r : sent)
    pressures.push_back({"sensors", r.device, r.pressure, r.ts, r.device});
  const Figures recent = figures_of(pressures, "sensors", "device_2", now - 15 * kMinute, now);
  expect_figures(get_json("/v1/buildings/sensors/rooms/device_2/pressure/average?window=15m"),
                 recent);
  expect_figures(
      retained_average("buildings/sensors/rooms/device_2/pressure/average/15m", recent.count),
      recent);

  // Refusals: no device, no feature, a reading out of range (the others of the POST stay).
  EXPECT_EQ(post_json("/devicedata", R"({"pressure": 1})", 400).count("error"), 1U);
  EXPECT_EQ(
      post_json("/devicedata", R"({"deviceId": "device_1", "status": "ON"})", 400).count("error"),
      1U);
  EXPECT_EQ(post_json("/devicedata", R"({"deviceId": "device_1", "pressure": 99})", 400)
                .value("reason", ""),
            "out_of_range");
}

}  // namespace
}  // namespace roomtemp::harness
