// History over REST (README, REST API): averages over [from, to), raw readings, series and
// histograms, all answered from PostgreSQL, checked against numbers this test computes itself
// from the readings it published; bad parameters (400), unknown rooms (404), PostgreSQL down
// (503) and back; the OpenAPI description.
//
// One PostgreSQL, broker and daemon serve the read-only tests; the readings are published
// once, three days in the past (history does not care that the live windows dropped them).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "duration.h"
#include "harness/harness.h"
#include "openapi.h"
#include "rest_history_fixture.h"
#include "timeutil.h"

namespace roomtemp::harness {
namespace {

TEST_F(RestHistoryTest, RoomAverageOverARangeIsExactAndHalfOpen) {
  // from is the timestamp of the reading at 10m (included), to that of 40m (excluded).
  const std::int64_t from = t0_ + 10 * kMinute, to = t0_ + 40 * kMinute;
  const json doc = get(room_path("B1", "101", "average?" + range_query(from, to)));
  EXPECT_EQ(doc["building"], "B1");
  EXPECT_EQ(doc["room"], "101");
  EXPECT_EQ(doc["metric"], "temperature");
  EXPECT_EQ(doc["window"], "30m");
  EXPECT_EQ(doc["from"], expected_time(from));
  EXPECT_EQ(doc["to"], expected_time(to));
  const Stats st = stats_of(select("B1", "101", from, to));
  EXPECT_EQ(st.count, 30u);
  expect_stats(doc, st);

  // The same as the README's own statement (Topics and payloads).
  const Rows sql = pg_->query(
      "SELECT avg(value), min(value), max(value), count(*) FROM readings WHERE building='B1' "
      "AND room='101' AND metric='temperature' AND ts >= '" +
          rfc3339(from) + "' AND ts < '" + rfc3339(to) + "'",
      db_);
  ASSERT_EQ(sql.size(), 1u);
  EXPECT_NEAR(doc["avg"].get<double>(), std::stod(sql[0][0]), std::stod(sql[0][0]) * 1e-9);
  EXPECT_EQ(doc["count"].get<long long>(), std::stoll(sql[0][3]));

  // Epoch seconds mean the same times; the whole hour includes both same-timestamp extras.
  const json epoch = get(room_path(
      "B1", "101",
      "average?from=" + std::to_string(from / kSecond) + "&to=" + std::to_string(to / kSecond)));
  EXPECT_EQ(epoch, doc);
  const json hour = get(room_path("B1", "101", "average?" + range_query(t0_, t0_ + 60 * kMinute)));
  EXPECT_EQ(hour["window"], "1h");
  expect_stats(hour, stats_of(select("B1", "101", t0_, t0_ + 60 * kMinute)));
  EXPECT_EQ(hour["count"], 62);
}

TEST_F(RestHistoryTest, EmptyRangeOfAKnownRoomIsCountZeroWithNulls) {
  const std::int64_t from = t0_ - 2 * 3600 * kSecond, to = t0_ - 3600 * kSecond;
  const json doc = get(room_path("B1", "101", "average?" + range_query(from, to)));
  expect_stats(doc, Stats{});
  EXPECT_EQ(doc["window"], "1h");
}

TEST_F(RestHistoryTest, BuildingAverageCoversEveryRoomOfThatBuildingOnly) {
  const std::int64_t from = t0_, to = t0_ + 30 * kMinute;
  const json doc = get("/v1/buildings/B1/temperature/average?" + range_query(from, to));
  EXPECT_EQ(doc["building"], "B1");
  EXPECT_FALSE(doc.contains("room")) << doc;
  EXPECT_EQ(doc["window"], "30m");
  const Stats st = stats_of(select("B1", "", from, to));
  EXPECT_EQ(st.count, 30u + 2 + 10 + 5);
  expect_stats(doc, st);
  EXPECT_LT(doc["max"].get<double>(), 99.0);  // B2's readings stay out

  // Only `from` or only `to` still means history (the other defaults).
  const json only_to =
      get("/v1/buildings/B2/temperature/average?to=" + rfc3339(t0_ + 30 * kMinute, 0, 0));
  EXPECT_EQ(only_to["window"], "1h");
  expect_stats(only_to, stats_of(select("B2", "", t0_ - 30 * kMinute, t0_ + 30 * kMinute)));
}

/// The one rule of an average's window (README, REST API): `window` is a duration as the
/// config spells one, its shortest spelling, and exactly to − from.
void expect_window_is_to_minus_from(const json& doc) {
  SCOPED_TRACE(doc.dump());
  ASSERT_TRUE(doc["window"].is_string() && doc["from"].is_string() && doc["to"].is_string());
  const auto window = parse_duration(doc["window"].get<std::string>());
  const auto from = parse_rfc3339(doc["from"].get<std::string>());
  const auto to = parse_rfc3339(doc["to"].get<std::string>());
  ASSERT_TRUE(window && from && to);
  EXPECT_EQ(*to - *from, std::chrono::microseconds(*window).count());
  EXPECT_EQ(doc["window"], format_duration(*window));
}

TEST_F(RestHistoryTest, AverageWindowIsToMinusFromForRoomAndBuilding) {
  const std::string room = room_path("B1", "101", "average?");
  const std::string building = "/v1/buildings/B1/temperature/average?";
  for (const std::string& path : {room, building}) {
    SCOPED_TRACE(path);
    const bool is_room = path == room;
    // from and to given: a day, 90 s, 1.5 s.
    for (const std::int64_t span : {86400 * kSecond, 90 * kSecond, std::int64_t{1500 * 1000}}) {
      const json doc = get(path + range_query(t0_, t0_ + span));
      expect_window_is_to_minus_from(doc);
      EXPECT_EQ(doc["from"], expected_time(t0_));
      EXPECT_EQ(doc["to"], expected_time(t0_ + span));
      expect_stats(doc, stats_of(select("B1", is_room ? "101" : "", t0_, t0_ + span)));
    }

    // Only from (a whole second a day before the readings): to is the end of the second the
    // request was answered in, so the window is whole seconds too.
    const std::int64_t from = t0_ - 86400 * kSecond;
    const std::int64_t before = now_micros();
    const json since = get(path + "from=" + rfc3339(from, 0, 0));
    const std::int64_t after = now_micros();
    expect_window_is_to_minus_from(since);
    EXPECT_EQ(since["from"], expected_time(from));
    const auto to = parse_rfc3339(since["to"].get<std::string>());
    ASSERT_TRUE(to);
    EXPECT_EQ(*to % kSecond, 0) << since;
    EXPECT_GE(*to, (before / kSecond + 1) * kSecond) << since;
    EXPECT_LE(*to, (after / kSecond + 1) * kSecond) << since;
    expect_stats(since, stats_of(select("B1", is_room ? "101" : "", from, *to)));

    // Only to (with a fraction): from is an hour before it.
    const std::int64_t until = t0_ + 30 * kMinute + 123'456;
    const json hour = get(path + "to=" + rfc3339(until, 0, 6));
    expect_window_is_to_minus_from(hour);
    EXPECT_EQ(hour["window"], format_duration(std::chrono::hours(1)));
    EXPECT_EQ(hour["to"], expected_time(until));
    expect_stats(hour, stats_of(select("B1", is_room ? "101" : "", until - 3600 * kSecond, until)));

    // A range that is not whole milliseconds has no window to spell: 400.
    expect_error(path + range_query(t0_, t0_ + kSecond + 1), 400);
    expect_error(path + "to=" + rfc3339(t0_, 0, 0) + "&from=" + rfc3339(t0_ - 1, 0, 6), 400);
  }

  // The other history routes take the same defaults: with neither from nor to, the hour
  // before the end of the current second.
  const json pts = get(room_path("B1", "101", "series?step=15m"));
  ASSERT_EQ(pts.size(), 4u) << pts;
  const auto from = parse_rfc3339(pts.front()["from"].get<std::string>());
  const auto to = parse_rfc3339(pts.back()["to"].get<std::string>());
  ASSERT_TRUE(from && to) << pts;
  EXPECT_EQ(*to % kSecond, 0) << pts;
  EXPECT_EQ(*to - *from, 3600 * kSecond) << pts;
  EXPECT_LE(*to, (now_micros() / kSecond + 1) * kSecond) << pts;
  EXPECT_GT(*to, now_micros() - 5 * kSecond) << pts;
}

TEST_F(RestHistoryTest, ReadingsComeOldestFirstWithTiesBySensorAndRespectTheLimit) {
  const std::int64_t from = t0_, to = t0_ + 10 * kMinute;
  const json list = get(room_path("B1", "101", "readings?" + range_query(from, to)));
  std::vector<Sample> expected = select("B1", "101", from, to);
  // Oldest first; at the same ts by sensor_id, a reading without one last.
  std::sort(expected.begin(), expected.end(), [](const Sample& a, const Sample& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    if (a.sensor.has_value() != b.sensor.has_value()) return a.sensor.has_value();
    return a.sensor < b.sensor;
  });
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), expected.size());
  ASSERT_EQ(list.size(), 12u);
  for (std::size_t i = 0; i < list.size(); ++i) {
    SCOPED_TRACE(list[i].dump());
    EXPECT_EQ(list[i]["ts"], expected_time(expected[i].ts));
    EXPECT_EQ(list[i]["value"].get<double>(), expected[i].value);
    if (expected[i].sensor)
      EXPECT_EQ(list[i]["sensor_id"], *expected[i].sensor);
    else
      EXPECT_TRUE(list[i]["sensor_id"].is_null());
    ASSERT_TRUE(list[i]["received_at"].is_string());
  }
  EXPECT_EQ(list[3]["sensor_id"], "s9");  // 3m: s9 before the reading without sensor_id
  EXPECT_TRUE(list[4]["sensor_id"].is_null());
  EXPECT_EQ(list[6]["sensor_id"], "s0");  // 5m: s0 before s2
  EXPECT_EQ(list[7]["sensor_id"], "s2");

  // The limit keeps the oldest; X-Truncated says more exist.
  httplib::Client client("127.0.0.1", daemon_->http_port());
  auto limited =
      client.Get(room_path("B1", "101", "readings?" + range_query(from, to) + "&limit=5").c_str());
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 200);
  const json five = json::parse(limited->body);
  ASSERT_EQ(five.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(five[i], list[i]);
  EXPECT_EQ(limited->get_header_value("X-Truncated"), "true");
  auto exact =
      client.Get(room_path("B1", "101", "readings?" + range_query(from, to) + "&limit=12").c_str());
  ASSERT_TRUE(exact);
  EXPECT_EQ(json::parse(exact->body), list);
  EXPECT_FALSE(exact->has_header("X-Truncated"));
}

TEST_F(RestHistoryTest, ReadingsKeepMicrosecondsAndStampReceivedAt) {
  const json list = get(
      room_path("B1", "101", "readings?" + range_query(t0_ + 61 * kMinute, t0_ + 62 * kMinute)));
  ASSERT_EQ(list.size(), 1u) << list;
  EXPECT_EQ(list[0]["ts"], rfc3339(t0_ + 61 * kMinute + 123'456, 0, 6));
  EXPECT_EQ(list[0]["value"], 18.125);
  EXPECT_EQ(list[0]["sensor_id"], "frac");
  // received_at is when the daemon took it: between publishing and now.
  const std::string received = list[0]["received_at"];
  const Rows r = pg_->query("SELECT (extract(epoch FROM '" + received +
                                "'::timestamptz) * "
                                "1000000)::bigint",
                            db_);
  const std::int64_t at = std::stoll(r.at(0).at(0));
  EXPECT_GE(at, published_at_ - kSecond);
  EXPECT_LE(at, now_micros() + kSecond);
}

TEST_F(RestHistoryTest, SeriesHasEveryStepAlignedToFrom) {
  {
    const json pts =
        get(room_path("B1", "101", "series?" + range_query(t0_, t0_ + 60 * kMinute) + "&step=15m"));
    ASSERT_EQ(pts.size(), 4u) << pts;
    std::size_t total = 0;
    for (int i = 0; i < 4; ++i) {
      SCOPED_TRACE(i);
      const std::int64_t from = t0_ + i * 15 * kMinute, to = from + 15 * kMinute;
      EXPECT_EQ(pts[i]["from"], expected_time(from));
      EXPECT_EQ(pts[i]["to"], expected_time(to));
      expect_stats(pts[i], stats_of(select("B1", "101", from, to)));
      total += pts[i]["count"].get<std::size_t>();
    }
    EXPECT_EQ(total, 62u);
  }
  {
    // 70 minutes in 20-minute steps: the last step is cut at `to` and holds the 61m reading.
    const json pts =
        get(room_path("B1", "101", "series?" + range_query(t0_, t0_ + 70 * kMinute) + "&step=20m"));
    ASSERT_EQ(pts.size(), 4u) << pts;
    EXPECT_EQ(pts[3]["from"], expected_time(t0_ + 60 * kMinute));
    EXPECT_EQ(pts[3]["to"], expected_time(t0_ + 70 * kMinute));
    EXPECT_EQ(pts[3]["count"], 1);
    EXPECT_EQ(pts[3]["avg"], 18.125);
    for (int i = 0; i < 3; ++i)
      expect_stats(pts[i], stats_of(select("B1", "101", t0_ + i * 20 * kMinute,
                                           t0_ + (i + 1) * 20 * kMinute)));
  }
  {
    // Steps without readings are present, count 0 with nulls; step defaults to 1h.
    const json pts = get(room_path(
        "B1", "101", "series?" + range_query(t0_ - 2 * 3600 * kSecond, t0_ + 3600 * kSecond)));
    ASSERT_EQ(pts.size(), 3u) << pts;
    expect_stats(pts[0], Stats{});
    expect_stats(pts[1], Stats{});
    expect_stats(pts[2], stats_of(select("B1", "101", t0_, t0_ + 3600 * kSecond)));
  }
}

TEST_F(RestHistoryTest, HistogramCountsEveryValueBetweenMinAndMax) {
  const std::int64_t from = t0_, to = t0_ + 60 * kMinute;
  const int bins = 7;
  const json h = get(room_path("B1", "101", "histogram?" + range_query(from, to) + "&bins=7"));
  const auto values = select("B1", "101", from, to);
  const Stats st = stats_of(values);
  ASSERT_EQ(h["edges"].size(), static_cast<std::size_t>(bins + 1)) << h;
  ASSERT_EQ(h["counts"].size(), static_cast<std::size_t>(bins)) << h;
  EXPECT_EQ(h["edges"].front().get<double>(), st.min);
  EXPECT_EQ(h["edges"].back().get<double>(), st.max);
  std::vector<std::size_t> expected(bins, 0);
  for (const auto& s : values) {
    const double pos = (s.value - st.min) / (st.max - st.min) * bins;
    // The data keeps every value clear of an inner edge, so rounding cannot move one.
    ASSERT_TRUE(s.value == st.max || std::abs(pos - std::round(pos)) > 1e-6 || pos == 0) << s.value;
    ++expected[std::min(static_cast<int>(pos), bins - 1)];
  }
  std::size_t total = 0;
  for (int i = 0; i < bins; ++i) {
    EXPECT_EQ(h["counts"][i].get<std::size_t>(), expected[i]) << "bin " << i << " of " << h;
    EXPECT_NEAR(h["edges"][i].get<double>(), st.min + (st.max - st.min) * i / bins, 1e-12);
    total += h["counts"][i].get<std::size_t>();
  }
  EXPECT_EQ(total, st.count);
  EXPECT_EQ(h["counts"][bins - 1], 1);  // the maximum (30.0) alone, in the last bin

  const json ten = get(room_path("B1", "101", "histogram?" + range_query(from, to)));
  EXPECT_EQ(ten["counts"].size(), 10u);

  // All values equal: every edge is that value and the first bin holds them all.
  const json flat = get(room_path("B1", "103", "histogram?" + range_query(from, to) + "&bins=3"));
  EXPECT_EQ(flat, json::parse(R"({"edges":[20.0,20.0,20.0,20.0],"counts":[5,0,0]})"));

  // No readings in range (known room): empty arrays.
  const json none =
      get(room_path("B1", "101", "histogram?" + range_query(t0_ - 3600 * kSecond, t0_)));
  EXPECT_EQ(none, json::parse(R"({"edges":[],"counts":[]})"));
}

TEST_F(RestHistoryTest, BadParametersAre400) {
  const std::string r = range_query(t0_, t0_ + 60 * kMinute);
  const std::string same = range_query(t0_, t0_);
  const std::string reversed = range_query(t0_ + kMinute, t0_);
  for (const std::string what : {"average", "readings", "series", "histogram"}) {
    expect_error(room_path("B1", "101", what + "?" + same), 400);
    expect_error(room_path("B1", "101", what + "?" + reversed), 400);
    expect_error(room_path("B1", "101", what + "?from=yesterday&to=" + rfc3339(t0_, 0, 0)), 400);
    expect_error(
        room_path("B1", "101", what + "?from=" + rfc3339(t0_, 0, 0) + "&to=2024-13-01T00:00:00Z"),
        400);
    // More than 366 days.
    expect_error(
        room_path("B1", "101", what + "?" + range_query(t0_ - 400LL * 86400 * kSecond, t0_)), 400);
    // Bad ids: a space, and 65 characters.
    expect_error("/v1/buildings/B%201/rooms/101/temperature/" + what + "?" + r, 400);
    expect_error(
        "/v1/buildings/B1/rooms/" + std::string(65, 'r') + "/temperature/" + what + "?" + r, 400);
  }
  expect_error(room_path("B1", "101", "average?" + r + "&window=15m"), 400);
  expect_error(room_path("B1", "101", "average?window=abc"), 400);
  expect_error("/v1/buildings/B1/temperature/average?window=abc", 400);
  for (const std::string limit : {"-1", "0", "100001", "abc", "1.5", ""})
    expect_error(room_path("B1", "101", "readings?" + r + "&limit=" + limit), 400);
  for (const std::string bins : {"0", "-3", "1001", "x"})
    expect_error(room_path("B1", "101", "histogram?" + r + "&bins=" + bins), 400);
  for (const std::string step : {"0s", "abc", "-1h", "15"})
    expect_error(room_path("B1", "101", "series?" + r + "&step=" + step), 400);
  // A day in 1-second steps is 86400 points: over the limit.
  expect_error(
      room_path("B1", "101", "series?" + range_query(t0_, t0_ + 86400 * kSecond) + "&step=1s"),
      400);
  // Limits that are fine.
  get(room_path("B1", "101", "readings?" + r + "&limit=100000"));
  get(room_path("B1", "101", "histogram?" + r + "&bins=1000"));
  get(room_path("B1", "101", "series?" + range_query(t0_, t0_ + 10000 * kSecond) + "&step=1s"));
}

TEST_F(RestHistoryTest, UnknownRoomBuildingOrMetricIs404) {
  const std::string r = range_query(t0_, t0_ + 60 * kMinute);
  for (const std::string what : {"average", "readings", "series", "histogram"}) {
    expect_error(room_path("B1", "999", what + "?" + r), 404);
    expect_error(room_path("B9", "101", what + "?" + r), 404);
    expect_error("/v1/buildings/B1/rooms/101/humidity/" + what + "?" + r, 404);
  }
  expect_error("/v1/buildings/B9/temperature/average?" + r, 404);
  expect_error("/v1/buildings/B1/humidity/average?" + r, 404);
}

TEST_F(RestHistoryTest, WindowWithoutFromOrToIsTheLiveAverage) {
  MqttClient sensor(broker_->port());
  sensor.publish("buildings/B3/rooms/live/temperature", "21.5", 1);
  json doc;
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse res = daemon_->http_get(room_path("B3", "live", "average?window=1m"));
        if (res.status != 200) return false;
        doc = json::parse(res.body, nullptr, false);
        return doc.is_object() && doc["count"] == 1;
      },
      10s, 50ms))
      << doc;
  EXPECT_EQ(doc["window"], "1m");
  EXPECT_EQ(doc["avg"], 21.5);
  const json building = get("/v1/buildings/B3/temperature/average?window=1h");
  EXPECT_EQ(building["window"], "1h");
  EXPECT_FALSE(building.contains("room"));
}

// That the document describes exactly the routes the server registers (and is valid OpenAPI)
// is checked against the server's own route table in tests/unit/api_contract_test.cpp.

// The daemon serves the same document at GET /openapi.json.
TEST_F(RestHistoryTest, OpenApiIsServed) {
  const HttpResponse r = daemon_->http_get("/openapi.json");
  ASSERT_EQ(r.status, 200) << "GET /openapi.json is not served: register_openapi_route()";
  EXPECT_NE(r.content_type.find("application/json"), std::string::npos);
  EXPECT_TRUE(json::parse(r.body) == json::parse(openapi_json()));
}

// PostgreSQL down: history answers 503 and says so; once it is back, the very next request
// works again (a connection broken by the restart is replaced, not reported).
TEST(RestHistoryFaultTest, PostgresDownIs503AndRecovers) {
  Postgres pg;
  Broker broker;
  TempDir dir;
  const std::string db = unique_name("history_fault");
  pg.create_database(db);
  Daemon daemon(default_config(broker, pg, dir, {.database = db}));
  ASSERT_TRUE(daemon.wait_ready(30s));
  const std::int64_t t = (now_micros() / kSecond - 600) * kSecond;
  MqttClient sensor(broker.port());
  sensor.publish("buildings/F1/rooms/1/temperature",
                 R"({"temperature": 20.5, "timestamp": ")" + rfc3339(t) + "\"}", 1);
  ASSERT_TRUE(wait_until([&] { return pg.query_count("SELECT count(*) FROM readings", db) == 1; },
                         15s, 50ms));
  const std::string path = room_path("F1", "1", "average?" + range_query(t, t + kSecond));
  // Touch every worker thread's connection, so that the restart breaks some of them.
  for (int i = 0; i < 16; ++i) {
    const HttpResponse r = daemon.http_get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["count"], 1);
  }

  pg.stop();
  for (int i = 0; i < 4; ++i) {
    const HttpResponse r = daemon.http_get(path, 10s);
    EXPECT_EQ(r.status, 503) << r.body;
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_NE(body.value("error", "").find("postgresql unavailable"), std::string::npos) << r.body;
  }

  pg.start();
  for (int i = 0; i < 16; ++i) {
    const HttpResponse r = daemon.http_get(path, 10s);
    ASSERT_EQ(r.status, 200) << "request " << i << " after the restart: " << r.body;
    EXPECT_EQ(json::parse(r.body)["count"], 1);
  }
}

}  // namespace
}  // namespace roomtemp::harness
