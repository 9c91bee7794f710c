// Hourly and daily rollups (docs/database.md, "Rollups"): equal to SQL over the raw readings
// for every hour and day, whatever way the readings came (late, twice, POSTed); rebuildable from
// the raw readings; built in the background for a database that had readings before them,
// without delaying readiness, going on after a kill where it stopped. The spool replay after a
// PostgreSQL outage and the journal after a SIGKILL are checked in outage_test and crash_test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <tuple>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

class RollupsTest : public DaemonTest {};

/// A reading in the shapes the tests send it.
struct Sample {
  std::string building, room;
  std::int64_t ts;
  double value;
  std::string sensor;  ///< "" for none
  std::string topic() const { return "buildings/" + building + "/rooms/" + room + "/temperature"; }
  std::string payload() const {
    return R"({"temperature": )" + nlohmann::json(value).dump() + R"(, "timestamp": ")" +
           rfc3339(ts, 0, 6) + "\"" +
           (sensor.empty() ? "" : R"(, "sensor_id": ")" + sensor + "\"") + "}";
  }
  nlohmann::json post() const {
    nlohmann::json j = {{"building_id", building},
                        {"room_id", room},
                        {"temperature", value},
                        {"timestamp", rfc3339(ts, 0, 6)}};
    if (!sensor.empty()) j["sensor_id"] = sensor;
    return j;
  }
};

TEST_F(RollupsTest, EqualSqlOverTheRawReadingsAfterLateReadingsDuplicatesAndPosts) {
  ASSERT_NO_FATAL_FAILURE(start_daemon("rollups"));
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  const std::int64_t now = now_micros();
  // Readings at random times over the last three days (late ones: hours and days old; some in
  // the default partition), in random rooms of two buildings, with and without sensor ids.
  auto sample = [&] {
    Sample s;
    s.building = std::string("B") + char('1' + random() % 2);
    s.room = std::to_string(100 + random() % 4);
    s.ts = now - static_cast<std::int64_t>(random() % (3 * 86400)) * kSecond -
           static_cast<std::int64_t>(random() % 1000) * 1000;
    s.value = static_cast<double>(static_cast<int>(random() % 4000) - 1000) / 100.0;
    s.sensor = random() % 3 == 0 ? "" : "s" + std::to_string(random() % 2);
    return s;
  };
  std::vector<Sample> sent;
  for (int i = 0; i < 400; ++i) sent.push_back(sample());

  MqttClient sensor(broker_.port());
  std::vector<Publication> first;
  for (const auto& s : sent) first.push_back({s.topic(), s.payload()});
  sensor.publish_many(first);
  // Duplicates: a hundred of them again (a QoS 1 redelivery), and twenty with another value
  // under the same key (stored once, whichever came first).
  std::vector<Publication> again;
  for (int i = 0; i < 100; ++i) again.push_back(first[random() % first.size()]);
  for (int i = 0; i < 20; ++i) {
    Sample s = sent[random() % sent.size()];
    s.value += 1;
    again.push_back({s.topic(), s.payload()});
  }
  sensor.publish_many(again);
  // POSTs: fifty new readings and ten copies of MQTT ones, in one array.
  std::vector<Sample> posted;
  for (int i = 0; i < 50; ++i) posted.push_back(sample());
  for (int i = 0; i < 10; ++i) posted.push_back(sent[random() % sent.size()]);
  nlohmann::json body = nlohmann::json::array();
  for (const auto& s : posted) body.push_back(s.post());
  const HttpResponse r = http_post(daemon_->http_port(), "/v1/readings", body.dump());
  ASSERT_EQ(r.status, 202) << r.body;

  // Everything arrived: each distinct key once.
  std::set<std::tuple<std::string, std::string, std::int64_t, std::string>> keys;
  for (const auto* list : {&sent, &posted})
    for (const auto& s : *list) keys.insert({s.building, s.room, s.ts, s.sensor});
  expect_count_settles("SELECT count(*) FROM readings", static_cast<long long>(keys.size()), 30s);

  EXPECT_TRUE(rollups_match_raw(*pg_, db_));
  EXPECT_GT(count("SELECT count(*) FROM readings_hourly"), 100) << "too few hours to mean much";
  EXPECT_GE(count("SELECT count(*) FROM readings_daily"), 8);
  // The building figures add up the rooms'.
  EXPECT_EQ(query("SELECT b.day, b.building, b.count, r.c FROM readings_daily_building b"
                  " JOIN (SELECT date_trunc('day', ts, 'UTC') AS day, building, count(*) AS c"
                  "       FROM readings GROUP BY 1, 2) r USING (day, building)"
                  " WHERE b.count <> r.c"),
            Rows{});
  EXPECT_EQ(
      count("SELECT count(*) FROM readings_hourly_building"),
      count("SELECT count(DISTINCT (date_trunc('hour', ts, 'UTC'), building)) FROM readings"));
  EXPECT_GT(daemon_->metric("roomtemp_rollup_rows_written_total"), 0);
  EXPECT_GE(daemon_->metric("roomtemp_rollup_lag_seconds"), 0);
  EXPECT_LT(daemon_->metric("roomtemp_rollup_lag_seconds"), 30);
}

TEST_F(RollupsTest, ADayIsRebuiltFromTheRawReadings) {
  ASSERT_NO_FATAL_FAILURE(start_daemon("rebuild"));
  const std::int64_t day_ago = now_micros() - 86400 * kSecond;
  MqttClient sensor(broker_.port());
  std::vector<Publication> messages;
  for (int i = 0; i < 200; ++i)
    messages.push_back({"buildings/B1/rooms/" + std::to_string(100 + i % 3) + "/temperature",
                        R"({"temperature": )" + std::to_string(15 + i % 11) +
                            R"(, "timestamp": ")" + rfc3339(day_ago + i * 60 * kSecond) + "\"}"});
  sensor.publish_many(messages);
  wait_rows(200);
  ASSERT_TRUE(rollups_match_raw(*pg_, db_));

  // Damaged by hand, rebuilt from the raw readings: equal again.
  const std::string day =
      pg_->query_value("SELECT min(date_trunc('day', ts, 'UTC'))::date FROM readings", db_);
  query("UPDATE rollup_hourly SET count = count + 5, max = 1000 WHERE hour >= '" + day +
        "T00:00:00Z' AND hour < '" + day + "T00:00:00Z'::timestamptz + interval '1 day'");
  query("DELETE FROM rollup_daily WHERE day = '" + day + "T00:00:00Z'");
  query(
      "INSERT INTO rollup_hourly (hour, count, sum, min, max, series)"
      " SELECT '" +
      day + "T00:00:00Z'::timestamptz + interval '90 minutes', 1, 1, 1, 1, 999");
  ASSERT_FALSE(pg_->query(rollup_mismatches_sql("hour"), db_).empty());
  query("SELECT roomtemp_rebuild_rollups('" + day + "')");
  EXPECT_TRUE(pg_->query(rollup_mismatches_sql("hour"), db_).empty());
  EXPECT_TRUE(pg_->query(rollup_mismatches_sql("day"), db_).empty());
  EXPECT_EQ(count("SELECT count(*) FROM rollup_hourly WHERE series = 999"), 0);
}

TEST_F(RollupsTest, AnOlderDatabaseIsBackfilledInTheBackgroundAndAKillDoesNotLoseTheWay) {
  // A database of the release before the rollups (migrations through 004) holding 40 days of
  // readings of three rooms.
  db_ = unique_name("backfill");
  pg_->create_database(db_);
  query(
      "CREATE TABLE schema_migrations ("
      " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  for (const char* m : {"001_readings.sql", "002_readings_ts_brin.sql",
                        "003_rejected_readings_id.sql", "004_narrow_readings.sql"}) {
    query(std::string("BEGIN;") + read_file(std::string(ROOMTEMP_SOURCE_DIR) + "/sql/" + m) +
          ";INSERT INTO schema_migrations (version) VALUES ('" + m + "'); COMMIT");
  }
  query("SELECT roomtemp_ensure_partitions(40, 1)");
  query(
      "INSERT INTO readings (ts, building, room, metric, value, sensor_id)"
      " SELECT now() - i * interval '17 minutes', 'B1', (100 + i % 3)::text, 'temperature',"
      "        (i % 250) / 10.0, CASE WHEN i % 2 = 0 THEN 's' END"
      " FROM generate_series(1, 40 * 85) i");
  Daemon daemon(default_config(broker_, *pg_, dir_, {.database = db_}));
  ASSERT_TRUE(daemon.wait_ready(30s));
  // Ready while the backfill has days to go (its first round comes two seconds after the
  // start, ten days a round, a second apart).
  const long long left_when_ready = count("SELECT count(*) FROM rollup_backfill");
  EXPECT_GT(left_when_ready, 0) << "the backfill delayed readiness";
  // New readings meanwhile, for today: the backfill of today must count them once.
  MqttClient sensor(broker_.port());
  for (int i = 0; i < 20; ++i)
    sensor.publish("buildings/B1/rooms/100/temperature",
                   R"({"temperature": 30.5, "timestamp": ")" +
                       rfc3339(now_micros() - (i + 1) * kSecond) + "\"}");

  // Killed in the middle: as soon as a day is done and said so. (The day's row leaves
  // rollup_backfill when its transaction commits; the log line follows a moment later, so
  // the kill waits for both.)
  ASSERT_TRUE(wait_until(
      [&] {
        return count("SELECT count(*) FROM rollup_backfill") < left_when_ready &&
               daemon.log().find("day(s) left") != std::string::npos;
      },
      30s, 10ms))
      << daemon.log();
  daemon.kill();
  const long long left_at_kill = count("SELECT count(*) FROM rollup_backfill");
  ASSERT_GT(left_at_kill, 0) << "the backfill was over before the kill: nothing to resume";

  daemon.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  EXPECT_TRUE(
      wait_until([&] { return count("SELECT count(*) FROM rollup_backfill") == 0; }, 60s, 100ms))
      << count("SELECT count(*) FROM rollup_backfill") << " days left";
  EXPECT_TRUE(wait_until([&] { return daemon.metric("roomtemp_rollup_backfill_days") == 0; }, 10s));
  EXPECT_GE(daemon.metric("roomtemp_rollup_backfill_days_done_total"), left_at_kill);
  EXPECT_TRUE(rollups_match_raw(*pg_, db_));
  EXPECT_EQ(count("SELECT count(*) FROM readings"), 40 * 85 + 20);
}

}  // namespace
}  // namespace roomtemp::harness
