// The REST API answered from memory, with the real roomtempd, mosquitto and
// PostgreSQL (the history routes are rest_history_test's):
// - GET …/average?window= (room and building) is the same object as the retained message;
//   404 for what never reported, 400 for a window that is not configured or not a duration;
// - POST /v1/readings (an object, an array with bad items): 202 with per-item rejections,
//   accepted rows in `readings`, rejected in `rejected_readings`, and the live averages move;
// - POST /temperature and GET /temperature/average, the shapes of earlier services;
// - GET /v1/top ordering, GET /v1/buildings and /v1/buildings/{b}/rooms;
// - /metrics has every name the README's "Operating roomtempd" lists.
//
// One PostgreSQL serves the whole file (a fresh database per test); each test has its own
// broker and daemon.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>

#include "harness/harness.h"
#include "timeutil.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;

/// The SQL over [from, to) for a building (room empty) or a room's temperature.
SqlStats sql_over(const Postgres& pg, const std::string& db, const std::string& building,
                  const std::string& room, const json& from, const json& to) {
  return harness::sql_over(pg, db, building, room, "temperature", from, to);
}

/// An error answer: the status and a JSON {"error": "…"} with something in it.
void expect_error(const HttpResponse& r, int status, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(r.status, status) << r.body;
  const json doc = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.body;
  ASSERT_TRUE(doc.contains("error") && doc["error"].is_string()) << r.body;
  EXPECT_FALSE(doc["error"].get<std::string>().empty());
  EXPECT_NE(r.content_type.find("application/json"), std::string::npos) << r.content_type;
}

class RestLiveTest : public DaemonTest {
 protected:
  /// roomtempd with a 200ms publish tick unless `options.averages` says otherwise.
  void start_daemon(ConfigOptions options = {}) {
    if (options.averages.empty())
      options.averages = "  windows: [1m, 15m, 1h]\n  publish_interval: 200ms\n";
    DaemonTest::start_daemon("restlive", std::move(options));
  }

  /// GET that must answer 200 with JSON.
  json get_json(const std::string& path) {
    const HttpResponse r = daemon_->http_get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_NE(r.content_type.find("application/json"), std::string::npos) << path;
    const json doc = json::parse(r.body, nullptr, false);
    if (doc.is_discarded()) ADD_FAILURE() << path << " did not answer JSON: " << r.body;
    return doc;
  }

  /// Publishes the samples (each less than an hour old, none a copy of another) over MQTT and
  /// waits until they are stored and the live 1h answer of each of their rooms and buildings
  /// counts them: the live answers are what the publish tick last computed.
  void publish(const std::vector<Sample>& samples) {
    std::vector<Publication> batch;
    std::map<std::string, long long> in_hour;  // live 1h path → samples it must count
    for (const auto& s : samples) {
      batch.push_back(publication(s));
      ++in_hour["/v1/buildings/" + s.building + "/rooms/" + s.room + "/temperature/average"];
      ++in_hour["/v1/buildings/" + s.building + "/temperature/average"];
    }
    MqttClient sensor(broker_.port());
    sensor.publish_many(batch, 1);
    ASSERT_NO_FATAL_FAILURE(wait_rows(static_cast<long long>(samples.size())));
    for (const auto& [path, n] : in_hour) {
      long long counted = -1;
      ASSERT_TRUE(wait_until(
          [&] {
            const json doc =
                json::parse(daemon_->http_get(path + "?window=1h").body, nullptr, false);
            counted = doc.is_object() ? doc.value("count", -1LL) : -1;
            return counted == n;
          },
          10s, 50ms))
          << path << "?window=1h counts " << counted << " of " << n;
    }
  }
};

/// Whole milliseconds, two decimals: what SQL and JSON print alike.
std::vector<Sample> spread(const std::vector<std::pair<std::string, std::string>>& rooms,
                           std::int64_t now) {
  std::vector<Sample> out;
  int n = 0;
  for (const auto& [b, r] : rooms) {
    ++n;
    for (int i = 0; i < 12; ++i)
      out.push_back({b, r, now - 5 * kSecond - i * 47 * kSecond - n * 1000,
                     15.0 + static_cast<double>((n * 37 + i * 53) % 1500) / 100.0});
  }
  return out;
}

// Item 2: the REST live answer is the retained message for the same key and window.
TEST_F(RestLiveTest, LiveAnswerIsTheRetainedMessage) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  MqttClient watcher(broker_.port());
  watcher.subscribe("buildings/+/rooms/+/+/average/+", 1);
  watcher.subscribe("buildings/+/+/average/+", 1);
  const std::vector<std::pair<std::string, std::string>> rooms = {
      {"B1", "101"}, {"B1", "102"}, {"B2", "201"}};
  ASSERT_NO_FATAL_FAILURE(publish(spread(rooms, now_micros() / 1000 * 1000)));

  struct Case {
    std::string path, topic, building, room;
  };
  std::vector<Case> cases;
  for (const auto& [b, r] : rooms) {
    for (const std::string w : {"1m", "15m", "1h"})
      cases.push_back({"/v1/buildings/" + b + "/rooms/" + r + "/temperature/average?window=" + w,
                       "buildings/" + b + "/rooms/" + r + "/temperature/average/" + w, b, r});
    // No window: 15m, when configured.
    cases.push_back({"/v1/buildings/" + b + "/rooms/" + r + "/temperature/average",
                     "buildings/" + b + "/rooms/" + r + "/temperature/average/15m", b, r});
  }
  for (const std::string b : {"B1", "B2"}) {
    for (const std::string w : {"1m", "15m", "1h"})
      cases.push_back({"/v1/buildings/" + b + "/temperature/average?window=" + w,
                       "buildings/" + b + "/temperature/average/" + w, b, ""});
    cases.push_back({"/v1/buildings/" + b + "/temperature/average",
                     "buildings/" + b + "/temperature/average/15m", b, ""});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    // The newest message on the topic and the REST answer name the same publish; if a tick
    // slipped in between, ask again.
    json rest, message;
    const bool same = wait_until(
        [&] {
          const auto ms = watcher.messages_on(c.topic);
          if (ms.empty()) return false;
          message = json::parse(ms.back().payload);
          const HttpResponse r = daemon_->http_get(c.path);
          if (r.status != 200) return false;
          rest = json::parse(r.body);
          return rest == message;
        },
        5s, 100ms);
    EXPECT_TRUE(same) << "REST " << rest.dump() << "\nMQTT " << message.dump();
    if (same)
      expect_equals_sql(rest, sql_over(*pg_, db_, c.building, c.room, rest["from"], rest["to"]));
  }
  // And a newcomer's retained copy equals the REST answer too.
  MqttClient late(broker_.port());
  late.subscribe("buildings/B1/rooms/101/temperature/average/15m", 1);
  ASSERT_TRUE(late.wait_for([](const auto& ms) { return !ms.empty(); }, 10s));
  EXPECT_TRUE(late.messages()[0].retain);
  EXPECT_EQ(json::parse(late.messages()[0].payload),
            get_json("/v1/buildings/B1/rooms/101/temperature/average?window=15m"));
}

TEST_F(RestLiveTest, LiveAverageErrors) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(
      publish({{"B1", "101", now_micros() / 1000 * 1000 - 10 * kSecond, 20.5}}));
  const std::string room = "/v1/buildings/B1/rooms/101/temperature/average";
  const std::string bldg = "/v1/buildings/B1/temperature/average";
  ASSERT_EQ(daemon_->http_get(room + "?window=15m").status, 200);
  ASSERT_EQ(daemon_->http_get(bldg + "?window=15m").status, 200);

  expect_error(daemon_->http_get("/v1/buildings/B1/rooms/999/temperature/average?window=15m"), 404,
               "unknown room");
  expect_error(daemon_->http_get("/v1/buildings/B9/rooms/101/temperature/average?window=15m"), 404,
               "unknown building");
  expect_error(daemon_->http_get("/v1/buildings/B9/temperature/average?window=15m"), 404,
               "unknown building, building path");
  expect_error(daemon_->http_get("/v1/buildings/B1/rooms/101/humidity/average?window=15m"), 404,
               "metric never reported");
  for (const std::string& base : {room, bldg}) {
    expect_error(daemon_->http_get(base + "?window=2h"), 400, base + " window=2h (not configured)");
    expect_error(daemon_->http_get(base + "?window=abc"), 400, base + " window=abc");
    expect_error(daemon_->http_get(base + "?window=15"), 400, base + " window=15 (no unit)");
    expect_error(daemon_->http_get(base + "?window=-15m"), 400, base + " window=-15m");
  }
  // The message names what is configured.
  const json doc = json::parse(daemon_->http_get(room + "?window=2h").body);
  EXPECT_NE(doc["error"].get<std::string>().find("window"), std::string::npos) << doc;
}

// Item 6: POST /v1/readings, an object and an array with bad items.
TEST_F(RestLiveTest, PostReadingsAcceptsRejectsAndMovesTheAverages) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  MqttClient watcher(broker_.port());
  watcher.subscribe("buildings/P1/rooms/101/temperature/average/15m", 1);
  const std::int64_t now = now_micros() / 1000 * 1000;
  const int port = daemon_->http_port();

  // One object.
  const HttpResponse one = http_post(port, "/v1/readings",
                                     json{{"building_id", "P1"},
                                          {"room_id", "101"},
                                          {"temperature", 21.5},
                                          {"timestamp", rfc3339(now - 30 * kSecond)},
                                          {"sensor_id", "p1"}}
                                         .dump());
  ASSERT_EQ(one.status, 202) << one.body;
  EXPECT_EQ(json::parse(one.body), (json{{"accepted", 1}, {"rejected", json::array()}}));

  // An array: three good, eight bad, each bad one named by its index.
  const json items = json::array({
      {{"building_id", "P1"},
       {"room_id", "101"},
       {"temperature", 23.25},
       {"timestamp", rfc3339(now - 20 * kSecond)},
       {"sensor_id", "p1"}},                         // 0
      {{"building_id", "P1"}, {"temperature", 20}},  // 1 no room_id
      {{"building_id", "P1"},
       {"room_id", "102"},
       {"value", 19.25},
       {"timestamp", (now - 40 * kSecond) / kSecond}},                    // 2
      {{"building_id", "P1"}, {"room_id", "101"}, {"temperature", 150}},  // 3 out of range
      {{"building_id", "P 1"}, {"room_id", "101"}, {"temperature", 20}},  // 4 bad id
      {{"building_id", "P1"},
       {"room_id", "101"},
       {"metric", "pressure"},
       {"value", 1000}},  // 5 unknown metric
      {{"building_id", "P1"},
       {"room_id", "101"},
       {"temperature", 22},
       {"timestamp", "yesterday"}},  // 6 bad timestamp
      {{"building_id", "P1"},
       {"room_id", "101"},
       {"temperature", 22},
       {"timestamp", rfc3339(now + 3600 * kSecond)}},  // 7 ahead
      "21.5",                                          // 8 not an object
      {{"building_id", "P2"},
       {"room_id", "201"},
       {"metric", "temperature"},
       {"temperature", 23.75}},                                              // 9 stamped on arrival
      {{"building_id", "P1"}, {"room_id", "101"}, {"temperature", "warm"}},  // 10 not a number
  });
  const HttpResponse many = http_post(port, "/v1/readings", items.dump());
  ASSERT_EQ(many.status, 202) << many.body;
  const json answer = json::parse(many.body);
  EXPECT_EQ(answer["accepted"], 3) << answer;
  ASSERT_TRUE(answer["rejected"].is_array()) << answer;
  std::map<int, std::string> reasons;
  for (const auto& r : answer["rejected"]) {
    ASSERT_TRUE(r.contains("index") && r["index"].is_number_integer()) << r;
    ASSERT_TRUE(r.contains("reason") && r["reason"].is_string()) << r;
    reasons[r["index"].get<int>()] = r["reason"];
  }
  std::set<int> indices;
  for (const auto& [i, _] : reasons) indices.insert(i);
  EXPECT_EQ(indices, (std::set<int>{1, 3, 4, 5, 6, 7, 8, 10})) << answer;
  EXPECT_EQ(reasons[3], "out_of_range");
  EXPECT_EQ(reasons[4], "bad_id");
  EXPECT_EQ(reasons[5], "unknown_metric");
  EXPECT_EQ(reasons[6], "bad_timestamp");
  EXPECT_EQ(reasons[7], "future_timestamp");
  EXPECT_EQ(reasons[8], "bad_payload");
  EXPECT_EQ(reasons[10], "bad_payload");
  EXPECT_FALSE(reasons[1].empty());

  // Accepted rows, exactly; rejected ones kept with their reasons.
  ASSERT_NO_FATAL_FAILURE(wait_rows(4));
  const Rows rows =
      pg_->query("SELECT building, room, value::text, coalesce(sensor_id, ''), " + ts_text("ts") +
                     " FROM readings WHERE building = 'P1' ORDER BY ts",
                 db_);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0],
            (Row{"P1", "102", "19.25", "", utc_text((now - 40 * kSecond) / kSecond * kSecond)}));
  EXPECT_EQ(rows[1], (Row{"P1", "101", "21.5", "p1", utc_text(now - 30 * kSecond)}));
  EXPECT_EQ(rows[2], (Row{"P1", "101", "23.25", "p1", utc_text(now - 20 * kSecond)}));
  EXPECT_EQ(
      count(
          "SELECT count(*) FROM readings WHERE building = 'P2' AND room = '201' AND value = 23.75 "
          "AND ts > now() - interval '1 minute'"),
      1);
  ASSERT_TRUE(
      wait_until([&] { return count("SELECT count(*) FROM rejected_readings") >= 8; }, 10s, 50ms));
  std::multiset<std::string> stored;
  for (const auto& r : pg_->query("SELECT reason FROM rejected_readings", db_)) stored.insert(r[0]);
  std::multiset<std::string> answered;
  for (const auto& [i, reason] : reasons) answered.insert(reason);
  EXPECT_EQ(stored, answered);

  // The live averages moved: over REST and on the retained topic.
  json live;
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse r =
            daemon_->http_get("/v1/buildings/P1/rooms/101/temperature/average?window=15m");
        if (r.status != 200) return false;
        live = json::parse(r.body);
        return live["count"] == 2;
      },
      5s))
      << live;
  EXPECT_EQ(live["min"], 21.5);
  EXPECT_EQ(live["max"], 23.25);
  EXPECT_DOUBLE_EQ(live["avg"].get<double>(), 22.375);
  expect_equals_sql(live, sql_over(*pg_, db_, "P1", "101", live["from"], live["to"]));
  const json building = get_json("/v1/buildings/P1/temperature/average?window=15m");
  EXPECT_EQ(building["count"], 3);
  expect_equals_sql(building, sql_over(*pg_, db_, "P1", "", building["from"], building["to"]));
  EXPECT_EQ(get_json("/v1/buildings/P2/rooms/201/temperature/average?window=1m")["count"], 1);
  ASSERT_TRUE(watcher.wait_for(
      [](const auto& ms) { return !ms.empty() && json::parse(ms.back().payload)["count"] == 2; },
      5s));

  // Bodies that are not readings at all.
  expect_error(http_post(port, "/v1/readings", "{not json"), 400, "invalid JSON");
  expect_error(http_post(port, "/v1/readings", "42"), 400, "a number");
  // An empty array accepts nothing and rejects nothing.
  const HttpResponse none = http_post(port, "/v1/readings", "[]");
  EXPECT_EQ(none.status, 202);
  EXPECT_EQ(json::parse(none.body), (json{{"accepted", 0}, {"rejected", json::array()}}));
}

// The same bad reading, sent over MQTT and POSTed, is refused with the same reason and detail:
// in rejected_readings, on roomtemp/rejected and in the POST's answer (the README's "Topics and
// payloads" and "REST API": one reader serves both).
TEST_F(RestLiveTest, TheSameBadReadingGetsTheSameDetailOverMqttAndPost) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  MqttClient watcher(broker_.port());
  watcher.subscribe("roomtemp/rejected", 1);
  const int port = daemon_->http_port();

  struct Case {
    std::string what, building, metric;  // metric "": the item names none
    json fields;                         // the payload's object, and the item's other fields
  };
  const std::vector<Case> cases = {
      {"value is a string", "S1", "", {{"temperature", "warm"}}},
      {"no value", "S1", "", {{"timestamp", 1733056000}}},
      {"above max", "S1", "", {{"temperature", 150}}},
      {"timestamp is a word", "S1", "", {{"temperature", 21}, {"timestamp", "yesterday"}}},
      {"far ahead", "S1", "", {{"temperature", 21}, {"timestamp", 4102444800}}},
      {"sensor_id with a space", "S1", "", {{"temperature", 21}, {"sensor_id", "s 1"}}},
      {"space in the building id", "S 1", "", {{"temperature", 21}}},
      {"unknown metric", "S1", "pressure", {{"value", 1013}}},
  };
  json items = json::array();
  std::vector<std::string> topics, payloads;
  MqttClient sensor(broker_.port());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const std::string room = "r" + std::to_string(i);  // tells the cases apart
    topics.push_back("buildings/" + c.building + "/rooms/" + room + "/" +
                     (c.metric.empty() ? "temperature" : c.metric));
    payloads.push_back(c.fields.dump());
    sensor.publish(topics.back(), payloads.back(), 1);
    json item = c.fields;
    item["building_id"] = c.building;
    item["room_id"] = room;
    if (!c.metric.empty()) item["metric"] = c.metric;
    items.push_back(item);
  }
  sensor.wait_all_acked(10s);
  const HttpResponse answer = http_post(port, "/v1/readings", items.dump());
  ASSERT_EQ(answer.status, 202) << answer.body;
  const json posted = json::parse(answer.body);
  ASSERT_EQ(posted["accepted"], 0) << posted;
  ASSERT_EQ(posted["rejected"].size(), cases.size()) << posted;

  const auto n = static_cast<long long>(cases.size());
  expect_count_settles("SELECT count(*) FROM rejected_readings", 2 * n);
  ASSERT_TRUE(watcher.wait_for([&](const auto& ms) { return ms.size() >= 2 * cases.size(); }, 10s))
      << watcher.messages().size() << " on roomtemp/rejected";
  std::map<std::string, json> published;  // topic + payload → the message
  for (const auto& m : watcher.messages()) {
    const json j = json::parse(m.payload, nullptr, false);
    ASSERT_TRUE(j.is_object()) << m.payload;
    published[j.value("topic", "") + " " + j.value("payload", "")] = j;
  }
  std::map<std::string, std::pair<std::string, std::string>> stored;  // topic + payload → row
  for (const auto& r :
       query("SELECT topic, convert_from(payload, 'UTF8'), reason, detail FROM rejected_readings"))
    stored[r[0] + " " + r[1]] = {r[2], r[3]};

  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].what);
    const std::string mqtt_key = topics[i] + " " + payloads[i];
    const std::string post_key = "http:POST /v1/readings " + items[i].dump();
    ASSERT_TRUE(stored.count(mqtt_key)) << "not in rejected_readings: " << mqtt_key;
    ASSERT_TRUE(stored.count(post_key)) << "not in rejected_readings: " << post_key;
    const auto& [reason, detail] = stored[mqtt_key];
    EXPECT_FALSE(detail.empty());
    EXPECT_EQ(stored[post_key], std::make_pair(reason, detail));
    const json& item_answer = posted["rejected"][i];
    EXPECT_EQ(item_answer.value("index", -1), static_cast<int>(i));
    EXPECT_EQ(item_answer.value("reason", ""), reason);
    EXPECT_EQ(item_answer.value("detail", ""), detail);
    for (const auto& key : {mqtt_key, post_key}) {
      ASSERT_TRUE(published.count(key)) << "not on roomtemp/rejected: " << key;
      EXPECT_EQ(published[key].value("reason", ""), reason) << key;
      EXPECT_EQ(published[key].value("detail", ""), detail) << key;
    }
  }
  // The legacy route answers with the same detail as its error.
  const HttpResponse legacy = http_post(port, "/temperature", items[0].dump());
  EXPECT_EQ(legacy.status, 400) << legacy.body;
  EXPECT_EQ(json::parse(legacy.body).value("error", ""),
            stored[topics[0] + " " + payloads[0]].second);
}

// POST /temperature and GET /temperature/average, in the shape of earlier services.
TEST_F(RestLiveTest, LegacyTemperatureShapes) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const int port = daemon_->http_port();
  const std::int64_t now = now_micros() / 1000 * 1000;
  for (const auto& [room, value, ago] : std::vector<std::tuple<std::string, double, int>>{
           {"1", 20.5, 10}, {"1", 22.0, 20}, {"2", 18.75, 30}}) {
    const HttpResponse r = http_post(port, "/temperature",
                                     json{{"building_id", "L1"},
                                          {"room_id", room},
                                          {"temperature", value},
                                          {"timestamp", rfc3339(now - ago * kSecond)}}
                                         .dump());
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_TRUE(json::parse(r.body, nullptr, false).is_object()) << r.body;
  }
  // Without a timestamp: stamped on arrival.
  EXPECT_EQ(
      http_post(port, "/temperature", R"({"building_id":"L1","room_id":"2","temperature":21.25})")
          .status,
      202);
  // Refused: 400 with the error.
  expect_error(
      http_post(port, "/temperature", R"({"building_id":"L1","room_id":"1","temperature":200})"),
      400, "out of range");
  expect_error(http_post(port, "/temperature", R"({"building_id":"L1","temperature":20})"), 400,
               "no room");
  expect_error(
      http_post(port, "/temperature", R"([{"building_id":"L1","room_id":"1","temperature":20}])"),
      400, "an array");
  ASSERT_NO_FATAL_FAILURE(wait_rows(4));
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 2);

  json room;
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse r =
            daemon_->http_get("/temperature/average?building_id=L1&room_id=1&window=15m");
        if (r.status != 200) return false;
        room = json::parse(r.body);
        return room["count"] == 2;
      },
      5s))
      << room;
  EXPECT_EQ(room["building_id"], "L1");
  EXPECT_EQ(room["room_id"], "1");
  EXPECT_EQ(room["window"], "15m");
  EXPECT_DOUBLE_EQ(room["average_temperature"].get<double>(), 21.25);
  expect_equals_sql(room, sql_over(*pg_, db_, "L1", "1", room["from"], room["to"]), "legacy room",
                    "average_temperature", "min_temperature", "max_temperature");
  // The building: every room, and no room_id.
  const json bldg = get_json("/temperature/average?building_id=L1&window=1h");
  EXPECT_FALSE(bldg.contains("room_id")) << bldg;
  EXPECT_EQ(bldg["count"], 4);
  expect_equals_sql(bldg, sql_over(*pg_, db_, "L1", "", bldg["from"], bldg["to"]),
                    "legacy building", "average_temperature", "min_temperature", "max_temperature");
  // The default window is 15m.
  EXPECT_EQ(get_json("/temperature/average?building_id=L1&room_id=1")["window"], "15m");
  expect_error(daemon_->http_get("/temperature/average?room_id=1"), 400, "no building_id");
  expect_error(daemon_->http_get("/temperature/average?building_id=L9"), 404, "unknown building");
  expect_error(daemon_->http_get("/temperature/average?building_id=L1&room_id=9"), 404,
               "unknown room");
  expect_error(daemon_->http_get("/temperature/average?building_id=L1&window=2h"), 400,
               "window 2h");
}

// GET /v1/top, /v1/buildings, /v1/buildings/{b}/rooms.
TEST_F(RestLiveTest, TopBuildingsAndRooms) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::int64_t now = now_micros() / 1000 * 1000;
  // room → its readings (two minutes and less old, so in 15m; 1m sees only the newest).
  //           avg    min   max
  // T1/101:  20.0   10.0  30.0
  // T1/102:  21.0   17.0  25.0
  // T2/201:  22.0    9.0  35.0
  // T2/202:  10.5   10.5  10.5
  // T3/301:  only 30 minutes old: in 1h, not in 15m
  const std::map<std::string, std::vector<double>> data = {{"T1/101", {10.0, 30.0, 20.0}},
                                                           {"T1/102", {17.0, 25.0, 21.0}},
                                                           {"T2/201", {9.0, 35.0, 22.0}},
                                                           {"T2/202", {10.5}}};
  std::vector<Sample> samples;
  for (const auto& [key, values] : data)
    for (std::size_t i = 0; i < values.size(); ++i)
      samples.push_back({key.substr(0, 2), key.substr(3),
                         now - (100 - 30 * static_cast<std::int64_t>(i)) * kSecond, values[i]});
  samples.push_back({"T3", "301", now - 30 * kMinute, 50.0});
  const std::int64_t sent = now_micros();
  ASSERT_NO_FATAL_FAILURE(publish(samples));
  const std::int64_t stored = now_micros();

  auto ranked = [&](const std::string& query) {
    std::vector<std::string> out;
    const json list = get_json("/v1/top?" + query);
    EXPECT_TRUE(list.is_array()) << list;
    for (const auto& x : list) {
      out.push_back(x.value("building", "?") + "/" + x.value("room", "?"));
      // Each entry is the room's live average object.
      EXPECT_EQ(x, get_json("/v1/buildings/" + x.value("building", "?") + "/rooms/" +
                            x.value("room", "?") +
                            "/temperature/average?window=" + x.value("window", "?")));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ranked("metric=temperature&window=15m&by=max&order=desc&n=2"), (V{"T2/201", "T1/101"}));
  EXPECT_EQ(ranked("metric=temperature&window=15m&by=max&order=asc&n=2"), (V{"T2/202", "T1/102"}));
  EXPECT_EQ(ranked("metric=temperature&window=15m&by=min&order=asc&n=10"),
            (V{"T2/201", "T1/101", "T2/202", "T1/102"}));
  EXPECT_EQ(ranked("metric=temperature&window=15m&by=avg&order=desc&n=3"),
            (V{"T2/201", "T1/102", "T1/101"}));
  EXPECT_EQ(ranked("metric=temperature&window=1h&by=avg&order=desc&n=1"), (V{"T3/301"}));
  EXPECT_EQ(ranked("metric=temperature&window=1h&by=avg&order=desc&n=100").size(), 5u);
  const json first = get_json("/v1/top?metric=temperature&window=15m&by=max&order=desc&n=2")[0];
  EXPECT_EQ(first["max"], 35.0);
  EXPECT_EQ(first["count"], 3);
  EXPECT_EQ(first["window"], "15m");
  expect_equals_sql(first, sql_over(*pg_, db_, "T2", "201", first["from"], first["to"]));
  EXPECT_TRUE(get_json("/v1/top?metric=humidity&window=15m").empty());

  expect_error(daemon_->http_get("/v1/top?metric=temperature&window=15m&by=median"), 400,
               "by=median");
  expect_error(daemon_->http_get("/v1/top?metric=temperature&window=15m&order=sideways"), 400,
               "order=sideways");
  expect_error(daemon_->http_get("/v1/top?metric=temperature&window=15m&n=0"), 400, "n=0");
  expect_error(daemon_->http_get("/v1/top?metric=temperature&window=15m&n=x"), 400, "n=x");
  expect_error(daemon_->http_get("/v1/top?metric=temperature&window=2h"), 400, "window=2h");

  // What reported.
  const json buildings = get_json("/v1/buildings");
  std::map<std::string, json> by_name;
  for (const auto& b : buildings) by_name[b.value("building", "?")] = b;
  EXPECT_EQ(by_name.size(), 3u) << buildings;
  EXPECT_EQ(by_name["T1"]["rooms"], 2) << buildings;
  EXPECT_EQ(by_name["T2"]["rooms"], 2) << buildings;
  EXPECT_EQ(by_name["T3"]["rooms"], 1) << buildings;
  // Each room also says when roomtempd last received a reading of it: while the test published.
  auto without_last_reading = [&](json rooms) {
    for (auto& r : rooms) {
      const auto t = parse_rfc3339(r.value("last_reading", ""));
      EXPECT_TRUE(t && *t >= sent && *t <= stored) << r;
      r.erase("last_reading");
    }
    return rooms;
  };
  const json rooms = without_last_reading(get_json("/v1/buildings/T1/rooms"));
  EXPECT_EQ(
      rooms,
      json::parse(
          R"([{"room":"101","metrics":["temperature"]},{"room":"102","metrics":["temperature"]}])"));
  EXPECT_EQ(without_last_reading(get_json("/v1/buildings/T3/rooms")),
            json::parse(R"([{"room":"301","metrics":["temperature"]}])"));
  expect_error(daemon_->http_get("/v1/buildings/T9/rooms"), 404, "unknown building");
}

// When a room last reported survives a restart: the warm start reads it with the windows'
// buckets (not only from the readings remembered for dedupe, which a zero horizon empties).
TEST_F(RestLiveTest, EachRoomsLastReadingSurvivesARestart) {
  ASSERT_NO_FATAL_FAILURE(start_daemon(
      {.averages = "  windows: [1m, 1h]\n  publish_interval: 200ms\n  dedupe_horizon: 0s\n"}));
  MqttClient sensor(broker_.port());
  sensor.publish("buildings/LR/rooms/101/temperature", "21.5");
  ASSERT_TRUE(wait_until([&] { return count("SELECT count(*) FROM readings") == 1; }, 15s));
  const std::string stored = query(
                                 "SELECT to_char(received_at AT TIME ZONE 'UTC', "
                                 "'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM readings")
                                 .at(0)
                                 .at(0);
  auto last_reading = [&] {
    const json rooms = get_json("/v1/buildings/LR/rooms");
    return rooms.size() == 1 ? parse_rfc3339(rooms[0].value("last_reading", "")) : std::nullopt;
  };
  const auto before = last_reading();
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(daemon_->restart(), 0);
  ASSERT_TRUE(daemon_->wait_ready(30s));
  EXPECT_EQ(last_reading(), before) << "stored received_at " << stored;
  EXPECT_EQ(parse_rfc3339(stored + "Z"), before);
}

// The README's "Operating roomtempd": every metric name, in Prometheus text format.
TEST_F(RestLiveTest, MetricsHasEveryNameOfTheSpec) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(publish({{"B1", "101", now_micros() / 1000 * 1000 - 2 * kSecond, 20.5}}));
  MqttClient sensor(broker_.port());
  sensor.publish("buildings/B1/rooms/101/temperature", "150", 1);  // one out_of_range
  ASSERT_TRUE(
      wait_until([&] { return count("SELECT count(*) FROM rejected_readings") == 1; }, 10s));
  const HttpResponse r = daemon_->http_get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.content_type.find("text/plain"), std::string::npos) << r.content_type;
  const std::string& m = r.body;
  auto value_of = [&](const std::string& series) -> std::optional<double> {
    // A sample line: the series, a space, a number.
    const std::string needle = "\n" + series + " ";
    const auto p = ("\n" + m).find(needle);
    if (p == std::string::npos) return std::nullopt;
    return std::stod(m.substr(p + needle.size() - 1));
  };
  const std::vector<std::pair<std::string, std::string>> typed = {
      {"roomtemp_readings_received_total", "counter"},
      {"roomtemp_readings_rejected_total", "counter"},
      {"roomtemp_readings_written_total", "counter"},
      {"roomtemp_spool_bytes", "gauge"},
      {"roomtemp_queue_depth", "gauge"},
      {"roomtemp_mqtt_connected", "gauge"},
      {"roomtemp_postgres_connected", "gauge"},
      {"roomtemp_averages_published_total", "counter"},
      {"roomtemp_write_batch_seconds", "histogram"}};
  for (const auto& [name, type] : typed)
    EXPECT_NE(m.find("# TYPE " + name + " " + type + "\n"), std::string::npos) << name << "\n" << m;
  EXPECT_EQ(value_of("roomtemp_readings_received_total"), 2.0) << m;
  EXPECT_EQ(value_of("roomtemp_readings_written_total"), 1.0) << m;
  EXPECT_EQ(value_of("roomtemp_readings_rejected_total{reason=\"out_of_range\"}"), 1.0) << m;
  for (const char* reason : {"bad_topic", "bad_id", "unknown_metric", "too_large", "bad_payload",
                             "not_finite", "out_of_range", "bad_timestamp", "future_timestamp"})
    EXPECT_TRUE(
        value_of(std::string("roomtemp_readings_rejected_total{reason=\"") + reason + "\"}"))
        << reason;
  EXPECT_TRUE(value_of("roomtemp_spool_bytes")) << m;
  EXPECT_TRUE(value_of("roomtemp_queue_depth")) << m;
  EXPECT_EQ(value_of("roomtemp_mqtt_connected"), 1.0) << m;
  EXPECT_EQ(value_of("roomtemp_postgres_connected"), 1.0) << m;
  // (1 room + 1 building) × 3 windows published at least once.
  ASSERT_TRUE(value_of("roomtemp_averages_published_total"));
  EXPECT_GE(*value_of("roomtemp_averages_published_total"), 6.0) << m;
  EXPECT_TRUE(value_of("roomtemp_write_batch_seconds_bucket{le=\"+Inf\"}")) << m;
  EXPECT_TRUE(value_of("roomtemp_write_batch_seconds_sum")) << m;
  ASSERT_TRUE(value_of("roomtemp_write_batch_seconds_count")) << m;
  EXPECT_GE(*value_of("roomtemp_write_batch_seconds_count"), 1.0);
  EXPECT_EQ(value_of("roomtemp_write_batch_seconds_bucket{le=\"+Inf\"}"),
            value_of("roomtemp_write_batch_seconds_count"));
}

}  // namespace
}  // namespace roomtemp::harness
