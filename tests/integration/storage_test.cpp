// How readings are stored (docs/database.md): narrowly under series and sensor ids, with
// `readings` a view of the columns it always had; migration 004 moves every reading of an
// existing database exactly; a closed day's unique key is compacted in the background.
#include <gtest/gtest.h>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

class StorageTest : public DaemonTest {
 protected:
  /// A fresh database as a release before 004 left it: migrations 001–003 applied by their
  /// SQL files, with daily partitions from `days_back` days ago to tomorrow.
  void make_old_database(const std::string& prefix, int days_back) {
    db_ = unique_name(prefix);
    pg_->create_database(db_);
    query(
        "CREATE TABLE schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    for (const char* m :
         {"001_readings.sql", "002_readings_ts_brin.sql", "003_rejected_readings_id.sql"}) {
      query(read_file(std::string(ROOMTEMP_SOURCE_DIR) + "/sql/" + m));
      query(std::string("INSERT INTO schema_migrations (version) VALUES ('") + m + "')");
    }
    query("SELECT roomtemp_ensure_partitions(" + std::to_string(days_back) + ", 1)");
  }

  RunResult migrate() {
    const std::string config = dir_.file("roomtemp.yaml");
    write_file(config, default_config(broker_, *pg_, dir_, {.database = db_}));
    return run_roomtempd({"--migrate", "--config", config});
  }
};

/// Every column of every reading, as text, in one order.
const char* const kAllReadings =
    "SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), building, room, metric,"
    " value::text, coalesce(sensor_id, '<none>'),"
    " to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    " FROM readings ORDER BY building, room, metric, ts, sensor_id NULLS FIRST";

TEST_F(StorageTest, MigrationMovesEveryStoredReadingExactly) {
  make_old_database("migrate004", 3);
  // Four days of partitions, the default partition (a far-off day), readings with and without
  // sensor ids — the same room and time under two sensors and none — and values whose text
  // needs all 17 digits.
  query(
      "INSERT INTO readings (ts, building, room, metric, value, sensor_id, received_at)"
      " SELECT date_trunc('day', now()) - (i % 4) * interval '1 day' + i * interval '7 s',"
      "        'B' || (i % 3), (100 + i % 7)::text, CASE WHEN i % 5 = 0 THEN 'humidity'"
      "        ELSE 'temperature' END, (i * 0.1 + 1.0 / 3)::float8,"
      "        CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 's-' || (i % 3) ELSE 'x.' || (i % 2) END,"
      "        now() - i * interval '1 ms'"
      " FROM generate_series(1, 3000) i");
  query(
      "INSERT INTO readings (ts, building, room, metric, value, sensor_id) VALUES"
      " ('2001-02-03T04:05:06.789012Z', 'B0', '100', 'temperature', 21.5, NULL),"
      " ('2001-02-03T04:05:06.789012Z', 'B0', '100', 'temperature', 22.5, 'a'),"
      " ('2001-02-03T04:05:06.789012Z', 'B0', '100', 'temperature', 23.5, 'b')");
  ASSERT_EQ(count("SELECT count(*) FROM readings_default"), 3);
  const Rows before = query(kAllReadings);
  ASSERT_EQ(before.size(), 3003u);

  const RunResult r = migrate();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(query(kAllReadings), before);
  EXPECT_EQ(count("SELECT count(*) FROM readings_raw"), 3003);
  EXPECT_EQ(count("SELECT count(*) FROM readings_raw_default"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM series"), 3 * 7 * 2);
  EXPECT_EQ(count("SELECT count(*) FROM sensors"), 7);  // s-0..2, x.0, x.1, a, b
  // Every day kept its own partition.
  EXPECT_EQ(
      count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings_raw'::regclass"),
      count("SELECT count(*) FROM pg_tables WHERE tablename ~ '^readings_raw_p[0-9]{8}$'") + 1);

  // The view still takes an INSERT; a second copy of a reading is still refused.
  query(
      "INSERT INTO readings (ts, building, room, metric, value, sensor_id) VALUES"
      " ('2001-02-03T04:05:07Z', 'B0', '100', 'temperature', 24.5, 'c')");
  EXPECT_EQ(count("SELECT count(*) FROM readings WHERE sensor_id = 'c' AND value = 24.5"), 1);
  EXPECT_THROW(query("INSERT INTO readings (ts, building, room, metric, value, sensor_id) VALUES"
                     " ('2001-02-03T04:05:06.789012Z', 'B0', '100', 'temperature', 1, 'a')"),
               std::exception);
  EXPECT_THROW(query("INSERT INTO readings (ts, building, room, metric, value) VALUES"
                     " ('2001-02-03T04:05:06.789012Z', 'B0', '100', 'temperature', 1)"),
               std::exception);
}

TEST_F(StorageTest, TheDaemonStoresEachReadingOnceUnderItsSeriesAndSensor) {
  ASSERT_NO_FATAL_FAILURE(start_daemon("store"));
  const std::int64_t t = (now_micros() / kSecond - 30) * kSecond;
  const std::string ts = rfc3339(t);
  MqttClient sensor(broker_.port());
  for (int copy = 0; copy < 2; ++copy) {  // everything twice, as a QoS 1 redelivery would
    sensor.publish("buildings/B1/rooms/101/temperature",
                   R"({"temperature": 20.5, "timestamp": ")" + ts + R"("})");
    sensor.publish("buildings/B1/rooms/101/temperature",
                   R"({"temperature": 21.5, "timestamp": ")" + ts + R"(", "sensor_id": "a"})");
    sensor.publish("buildings/B1/rooms/101/temperature",
                   R"({"temperature": 22.5, "timestamp": ")" + ts + R"(", "sensor_id": "b"})");
    sensor.publish("buildings/B1/rooms/102/temperature",
                   R"({"temperature": 23.5, "timestamp": ")" + ts + R"(", "sensor_id": "a"})");
  }
  expect_count_settles("SELECT count(*) FROM readings", 4);
  EXPECT_EQ(query("SELECT room, coalesce(sensor_id, '-'), value::text, " + ts_text("ts") + " = '" +
                  utc_text(t) + "' FROM readings ORDER BY room, sensor_id NULLS FIRST"),
            (Rows{{"101", "-", "20.5", "t"},
                  {"101", "a", "21.5", "t"},
                  {"101", "b", "22.5", "t"},
                  {"102", "a", "23.5", "t"}}));
  EXPECT_EQ(count("SELECT count(*) FROM series"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM sensors"), 2);
  EXPECT_EQ(count("SELECT count(DISTINCT (series, sensor)) FROM readings_raw"), 4);
}

TEST_F(StorageTest, AClosedDaysUniqueKeyIsCompactedInTheBackgroundWithEveryRowKept) {
  // A database of the current release with a day three days back, filled with readings of 500
  // series interleaved (as a live site writes them).
  db_ = unique_name("compact");
  pg_->create_database(db_);
  ASSERT_EQ(migrate().exit_code, 0);
  query("SELECT roomtemp_ensure_partitions(3, 1)");
  const std::string day =
      pg_->query_value("SELECT to_char((now() AT TIME ZONE 'UTC')::date - 3, 'YYYYMMDD')", db_);
  const std::string table = "readings_raw_p" + day;
  query(
      "INSERT INTO series (building, room, metric) SELECT 'B1', i::text, 'temperature'"
      " FROM generate_series(1, 500) i");
  // 200 rounds of 500 series, each round one COPY-like insert in series order.
  query(
      "INSERT INTO readings_raw (ts, value, received_at, series, sensor)"
      " SELECT to_date('" +
      day +
      "', 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC'"
      "        + (i / 500) * interval '10 s', i % 97, now(), 1 + i % 500, 0"
      " FROM generate_series(0, 99999) i ORDER BY i / 500, i % 500");
  const std::string key_size =
      "SELECT pg_relation_size(i.indexrelid) FROM pg_index i WHERE i.indrelid = '" + table +
      "'::regclass AND i.indisunique";
  const long long loose = count(key_size);
  ASSERT_EQ(count("SELECT count(*) FROM readings_raw_compacted WHERE day = to_date('" + day +
                  "', 'YYYYMMDD')"),
            0);

  Daemon daemon(default_config(broker_, *pg_, dir_, {.database = db_}));
  ASSERT_TRUE(daemon.wait_ready(30s));
  ASSERT_TRUE(wait_until(
      [&] {
        return count("SELECT count(*) FROM readings_raw_compacted WHERE day = to_date('" + day +
                     "', 'YYYYMMDD')") == 1;
      },
      60s, 200ms))
      << daemon.log();
  EXPECT_GE(daemon.metric("roomtemp_days_compacted_total"), 1);
  const long long compact = count(key_size);
  EXPECT_LT(compact * 10, loose * 9) << "key " << loose << " → " << compact << " bytes";
  EXPECT_EQ(count("SELECT count(*) FROM " + table), 100000);
  // One valid unique key, as before: a copy is still refused.
  EXPECT_EQ(count("SELECT count(*) FROM pg_index WHERE indrelid = '" + table +
                  "'::regclass AND indisunique AND indisvalid"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM pg_index WHERE indrelid = '" + table +
                  "'::regclass AND NOT indisvalid"),
            0);
  EXPECT_THROW(query("INSERT INTO readings_raw (ts, value, series) SELECT ts, 1, series FROM " +
                     table + " LIMIT 1"),
               std::exception);
}

}  // namespace
}  // namespace roomtemp::harness
