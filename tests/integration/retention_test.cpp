// Retention (docs/database.md, "Retention"): raw readings go a whole day at a time once the day
// is older than retention.readings — never a day whose rollups are still to be built, never
// today or yesterday — and what the rollups say about the dropped days stays the same;
// rejected readings and rollups go by their own ages; a reload changes the ages live.
#include <gtest/gtest.h>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

class RetentionTest : public DaemonTest {
 protected:
  /// The config with a `retention:` section of `body` (lines indented two spaces); the rest
  /// stays the same from call to call (its port and client id are chosen once).
  std::string config_with(const std::string& body) {
    if (base_.empty()) base_ = default_config(broker_, *pg_, dir_, {.database = db_});
    return base_ + "retention:\n" + body;
  }
  std::string base_;
  /// The days up to today (YYYYMMDD) that have a raw partition (roomtempd makes the coming
  /// week's too).
  Rows raw_days() {
    return query(
        "SELECT substr(tablename, 15) FROM pg_tables WHERE tablename ~ '^readings_raw_p[0-9]{8}$'"
        " AND substr(tablename, 15) <= to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') ORDER BY 1");
  }
  /// The UTC day `n` days before today, as YYYYMMDD.
  std::string day(int n) {
    return pg_->query_value(
        "SELECT to_char((now() AT TIME ZONE 'UTC')::date - " + std::to_string(n) + ", 'YYYYMMDD')",
        db_);
  }
  /// Days n..m before today (n ≥ m), as raw_days() lists them.
  Rows days(int from, int to) {
    Rows out;
    for (int n = from; n >= to; --n) out.push_back({day(n)});
    return out;
  }
  std::string horizon() {
    return pg_->query_value(
        "SELECT to_char(horizon AT TIME ZONE 'UTC', 'YYYYMMDD') FROM readings_raw_horizon", db_);
  }
};

TEST_F(RetentionTest, DropsExactlyTheDaysItShouldAndTheRollupsKeepThem) {
  // Eleven days of readings (ten back to today, 3 rooms, one an hour), one far-off day in the
  // default partition, and rejected readings 40 and 10 days old.
  db_ = unique_name("retention");
  pg_->create_database(db_);
  {
    const std::string config = dir_.file("migrate.yaml");
    write_file(config, default_config(broker_, *pg_, dir_, {.database = db_}));
    ASSERT_EQ(run_roomtempd({"--migrate", "--config", config}).exit_code, 0);
  }
  query("SELECT roomtemp_ensure_partitions(10, 1)");
  query(
      "INSERT INTO readings (ts, building, room, metric, value)"
      " SELECT date_trunc('day', now()) - d * interval '1 day' + h * interval '1 hour'"
      "        + r * interval '1 minute', 'B1', (100 + r)::text, 'temperature', d + h / 10.0 + r"
      " FROM generate_series(0, 10) d, generate_series(0, 23) h, generate_series(0, 2) r"
      " WHERE date_trunc('day', now()) - d * interval '1 day' + h * interval '1 hour' < now()");
  query(
      "INSERT INTO readings (ts, building, room, metric, value)"
      " VALUES (now() - interval '40 days', 'B1', '100', 'temperature', 1)");
  query(
      "INSERT INTO rejected_readings (received_at, topic, payload, reason) VALUES"
      " (now() - interval '40 days', 't', '\\x00', 'bad_payload'),"
      " (now() - interval '10 days', 't', '\\x00', 'bad_payload')");
  // Day 8 back: its rollups are still to be built, as after an upgrade.
  query("INSERT INTO rollup_backfill (day) VALUES ((now() AT TIME ZONE 'UTC')::date - 8)");
  ASSERT_EQ(raw_days(), days(10, 0));
  const long long stored = count("SELECT count(*) FROM readings");

  // Readings kept 5 days: the first round may drop only the days before day 8.
  Daemon daemon(config_with("  readings: 5d\n"));
  ASSERT_TRUE(daemon.wait_ready(30s));
  const std::string built =
      "rollups of " +
      pg_->query_value("SELECT to_char((now() AT TIME ZONE 'UTC')::date - 8, 'YYYY-MM-DD')", db_) +
      " built";
  ASSERT_TRUE(wait_until([&] { return daemon.log().find(built) != std::string::npos; }, 30s, 100ms))
      << daemon.log();
  EXPECT_EQ(raw_days(), days(8, 0)) << "day 8 was dropped before its rollups were built";
  EXPECT_EQ(horizon(), day(8));
  EXPECT_EQ(count("SELECT count(*) FROM readings_raw_default"), 0) << "the far-off day stayed";
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings WHERE received_at < now() - "
                  "interval '30 days'"),
            0);
  ASSERT_TRUE(rollups_match_raw(*pg_, db_));
  // What the rollups say about every day, raw readings kept or not.
  const std::string daily =
      "SELECT day, room, count, sum::text, min, max FROM readings_daily ORDER BY 1, 2";
  const Rows rollups = query(daily);
  ASSERT_GE(rollups.size(), 3u * 10);

  // A reload makes it 3 days: days 8 to 4 go now.
  daemon.write_config(config_with("  readings: 3d\n"));
  daemon.signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] { return raw_days() == days(3, 0); }, 20s, 100ms))
      << raw_days().size() << " days\n"
      << daemon.log();
  EXPECT_EQ(horizon(), day(3));

  // 1 day: never today, never yesterday.
  daemon.write_config(config_with("  readings: 1d\n"));
  daemon.signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] { return raw_days() == days(1, 0); }, 20s, 100ms))
      << raw_days().size() << " days\n"
      << daemon.log();
  EXPECT_EQ(horizon(), day(1));
  EXPECT_EQ(query(daily), rollups) << "dropping raw readings changed the rollups";
  const long long kept = count("SELECT count(*) FROM readings");
  EXPECT_TRUE(wait_until(
      [&] {
        return daemon.metric("roomtemp_retention_rows_dropped_total{table=\"readings\"}") ==
               static_cast<double>(stored - kept);
      },
      10s))
      << daemon.metric("roomtemp_retention_rows_dropped_total{table=\"readings\"}") << " vs "
      << stored - kept;
  EXPECT_EQ(daemon.metric("roomtemp_retention_rows_dropped_total{table=\"rejected_readings\"}"), 1);

  // Rollups kept 5 days: the older days' rollup rows go, hourly and daily alike.
  daemon.write_config(config_with("  readings: 1d\n  rollups: 5d\n"));
  daemon.signal(SIGHUP);
  EXPECT_TRUE(wait_until(
      [&] {
        return count(
                   "SELECT count(*) FROM readings_daily WHERE day < date_trunc('day', now() - "
                   "interval '5 days')") == 0;
      },
      20s, 100ms));
  EXPECT_EQ(count("SELECT count(*) FROM readings_hourly WHERE hour < date_trunc('day', now() - "
                  "interval '5 days')"),
            0);
  EXPECT_GT(count("SELECT count(*) FROM readings_daily"), 0);
  EXPECT_GT(daemon.metric("roomtemp_retention_rows_dropped_total{table=\"rollups\"}"), 0);
}

TEST_F(RetentionTest, AgesAreCheckedWithTheirPlaceInTheFile) {
  db_ = "unused";
  const std::string config = dir_.file("bad.yaml");
  write_file(config, config_with("  readings: 12h\n  rollups: 2d\n  rejected: forever\n"));
  const RunResult r = run_roomtempd({"--check-config", "--config", config});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("retention.readings: 12h is shorter than the minimum 1d"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("retention.rejected: expected a duration"), std::string::npos)
      << r.output;
  write_file(config, config_with("  readings: 90d\n  rollups: 30d\n"));
  const RunResult r2 = run_roomtempd({"--check-config", "--config", config});
  EXPECT_EQ(r2.exit_code, 2) << r2.output;
  EXPECT_NE(r2.output.find("retention.rollups: 30d drops the rollups before the raw readings"),
            std::string::npos)
      << r2.output;
  EXPECT_NE(r2.output.find(config + ":"), std::string::npos) << r2.output;
}

}  // namespace
}  // namespace roomtemp::harness
