// Readings published over MQTT land in PostgreSQL exactly; bad input is kept aside
// with a reason, in rejected_readings and on roomtemp/rejected; duplicates are stored once;
// the command line (--check-config, --version, --migrate); /readyz.
//
// One PostgreSQL serves the whole file (a fresh database per test); each test has its own
// broker and daemon.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

class IngestTest : public DaemonTest {
 protected:
  void start_daemon(ConfigOptions options = {}) {
    DaemonTest::start_daemon("ingest", std::move(options));
  }
};

// Whole seconds, a little in the past, so that fractions in expectations are exact.
std::int64_t recent(int seconds_ago) { return (now_micros() / kSecond - seconds_ago) * kSecond; }

TEST_F(IngestTest, EveryPayloadShapeIsStoredExactly) {
  ASSERT_NO_FATAL_FAILURE(
      start_daemon({.metrics = "  temperature: { min: -60, max: 100, unit: \"°C\" }\n"
                               "  humidity: { min: 0, max: 100, unit: \"%\" }\n"}));
  const std::int64_t t1 = recent(120) + 250'000;
  const std::int64_t t2 = recent(110);
  const std::int64_t t3 = recent(100) + 123'456;
  const std::int64_t t4 = recent(90);
  const std::int64_t t5 = recent(80) + 500'000;
  const std::int64_t t6 = recent(70);
  const std::int64_t spec_example = 1733056496 * kSecond;  // 2024-12-01T12:34:56Z

  struct Case {
    std::string topic, payload;
    std::optional<std::int64_t> ts;  // nullopt: stamped on arrival
    std::string building, room, metric, value, sensor_id;
  };
  const std::vector<Case> cases = {
      {"buildings/B1/rooms/101/temperature",
       R"({"temperature": 22.5, "timestamp": ")" + rfc3339(t1) + R"(", "sensor_id": "s1"})", t1,
       "B1", "101", "temperature", "22.5", "s1"},
      {"buildings/B1/rooms/102/temperature",
       R"({"value": 19.25, "timestamp": ")" + rfc3339(t2, 120, 0) + R"("})", t2, "B1", "102",
       "temperature", "19.25", ""},
      {"buildings/B1/rooms/103/temperature",
       R"({"temperature": -5.5, "timestamp": ")" + rfc3339(t3, -330, 6) + R"("})", t3, "B1", "103",
       "temperature", "-5.5", ""},
      {"buildings/B1/rooms/104/temperature",
       R"({"temperature": 21, "timestamp": )" + std::to_string(t4 / kSecond) + "}", t4, "B1", "104",
       "temperature", "21", ""},
      {"buildings/B1/rooms/105/temperature",
       R"({"value": 23.75, "timestamp": )" + std::to_string(t5 / kSecond) + ".5}", t5, "B1", "105",
       "temperature", "23.75", ""},
      {"buildings/B1/rooms/106/temperature", "20.5", std::nullopt, "B1", "106", "temperature",
       "20.5", ""},
      {"buildings/B1/rooms/107/temperature", "-3.25", std::nullopt, "B1", "107", "temperature",
       "-3.25", ""},
      {"buildings/B1/rooms/108/temperature", R"({"temperature": 24.0, "sensor_id": "s_1-a.B"})",
       std::nullopt, "B1", "108", "temperature", "24", "s_1-a.B"},
      {"buildings/B1/rooms/109/temperature",
       " { \"temperature\" : 100 , \"timestamp\" : \"" + rfc3339(t6, 0, 0) + "\" } ", t6, "B1",
       "109", "temperature", "100", ""},
      {"buildings/B1/rooms/110/temperature", "-60", std::nullopt, "B1", "110", "temperature", "-60",
       ""},
      {"buildings/B-2_x.y/rooms/A.1-b_2/humidity",
       R"({"humidity": 45.5, "timestamp": "2024-12-01T12:34:56.000Z", "sensor_id": "h1"})",
       spec_example, "B-2_x.y", "A.1-b_2", "humidity", "45.5", "h1"},
  };

  MqttClient sensor(broker_.port());
  const std::int64_t before = now_micros();
  for (const auto& c : cases) sensor.publish(c.topic, c.payload, 1);
  expect_count_settles("SELECT count(*) FROM readings", static_cast<long long>(cases.size()));
  const std::int64_t after = now_micros();

  const Rows rows = query("SELECT building, room, metric, value::text, coalesce(sensor_id, ''), " +
                          ts_text("ts") +
                          ", (extract(epoch FROM ts) * 1000000)::bigint, "
                          "(extract(epoch FROM received_at) * 1000000)::bigint "
                          "FROM readings ORDER BY building, room, metric");
  ASSERT_EQ(rows.size(), cases.size());
  std::vector<Case> expected = cases;
  std::sort(expected.begin(), expected.end(), [](const Case& a, const Case& b) {
    return std::tie(a.building, a.room, a.metric) < std::tie(b.building, b.room, b.metric);
  });
  // PostgreSQL sorts text by the C locale here (initdb --locale=C), as std::string does.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Case& c = expected[i];
    const Row& r = rows[i];
    SCOPED_TRACE(c.topic + " " + c.payload);
    EXPECT_EQ(r[0], c.building);
    EXPECT_EQ(r[1], c.room);
    EXPECT_EQ(r[2], c.metric);
    EXPECT_EQ(r[3], c.value);
    EXPECT_EQ(r[4], c.sensor_id);
    if (c.ts) {
      EXPECT_EQ(r[5], utc_text(*c.ts));
    } else {
      // Stamped with its arrival time.
      const std::int64_t ts = std::stoll(r[6]);
      EXPECT_GE(ts, before - kSecond);
      EXPECT_LE(ts, after + kSecond);
    }
    ASSERT_NE(r[7], kNull) << "received_at is NULL";
    EXPECT_GE(std::stoll(r[7]), before - kSecond);
    EXPECT_LE(std::stoll(r[7]), after + kSecond);
  }
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 0);
}

struct BadInput {
  std::string what, topic, payload, reason;
};

TEST_F(IngestTest, EveryBadInputClassIsRejectedWithItsReason) {
  // A broad filter, so that topics of the wrong shape reach the daemon at all.
  ASSERT_NO_FATAL_FAILURE(start_daemon({.subscriptions = {"buildings/#"}}));
  MqttClient watcher(broker_.port());
  watcher.subscribe("roomtemp/rejected", 1);

  const std::string t = "buildings/B1/rooms/101/temperature";
  const std::int64_t ahead = now_micros() + 3600 * kSecond;
  std::string too_large = R"({"temperature": 21.5, "pad": ")";
  too_large += std::string(4097 - too_large.size() - 2, 'x') + "\"}";
  const std::vector<BadInput> bad = {
      {"unknown metric", "buildings/B1/rooms/101/pressure", R"({"value": 1013})", "unknown_metric"},
      {"space in building id", "buildings/B 1/rooms/101/temperature", "21.5", "bad_id"},
      {"65-character building id", "buildings/" + std::string(65, 'B') + "/rooms/101/temperature",
       "21.5", "bad_id"},
      {"space in room id", "buildings/B1/rooms/1 01/temperature", "21.5", "bad_id"},
      {"@ in room id", "buildings/B1/rooms/1@1/temperature", "21.5", "bad_id"},
      {"value is a string", t, R"({"temperature": "warm"})", "bad_payload"},
      {"not a number", t, "hot", "bad_payload"},
      {"empty payload", t, "", "bad_payload"},
      {"truncated JSON", t, R"({"temperature": 21.5)", "bad_payload"},
      {"JSON array", t, "[21.5]", "bad_payload"},
      {"missing value key", t, R"({"temp": 21})", "bad_payload"},
      {"not UTF-8", t, std::string("\xff\xfe\x00\x01 21", 7), "bad_payload"},
      {"NaN", t, "NaN", "not_finite"},
      {"infinity", t, "-inf", "not_finite"},
      {"above max", t, "150", "out_of_range"},
      {"below min", t, R"({"value": -60.5})", "out_of_range"},
      {"timestamp an hour ahead", t,
       R"({"temperature": 21, "timestamp": ")" + rfc3339(ahead) + "\"}", "future_timestamp"},
      {"epoch an hour ahead", t,
       R"({"temperature": 21, "timestamp": )" + std::to_string(ahead / kSecond) + "}",
       "future_timestamp"},
      {"timestamp is a word", t, R"({"temperature": 21, "timestamp": "yesterday"})",
       "bad_timestamp"},
      {"timestamp without offset", t, R"({"temperature": 21, "timestamp": "2024-12-01T12:34:56"})",
       "bad_timestamp"},
      {"payload over 4 KiB", t, too_large, "too_large"},
      {"sensor_id with a space", t, R"({"temperature": 21, "sensor_id": "s 1"})", "bad_id"},
      {"four levels", "buildings/B1/rooms/101", "21", "bad_topic"},
      {"floors, not rooms", "buildings/B1/floors/101/temperature", "21", "bad_topic"},
      {"six levels", "buildings/B1/rooms/101/temperature/extra", "21", "bad_topic"},
  };
  ASSERT_EQ(too_large.size(), 4097u);

  // Each bad message is followed by a valid one: the daemon keeps going after each.
  MqttClient sensor(broker_.port());
  const std::int64_t base = recent(600);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    sensor.publish(bad[i].topic, bad[i].payload, 1);
    sensor.publish("buildings/B1/rooms/ok/temperature",
                   R"({"temperature": )" + std::to_string(i) + R"(, "timestamp": ")" +
                       rfc3339(base + static_cast<std::int64_t>(i) * kSecond) + "\"}",
                   1);
  }
  // The largest valid payload: exactly 4096 bytes.
  std::string largest = R"({"temperature": 42.5})";
  largest += std::string(4096 - largest.size(), ' ');
  sensor.publish("buildings/B1/rooms/large/temperature", largest, 1);

  expect_count_settles("SELECT count(*) FROM rejected_readings",
                       static_cast<long long>(bad.size()));
  expect_count_settles("SELECT count(*) FROM readings", static_cast<long long>(bad.size()) + 1);

  // rejected_readings: the original bytes and the reason, one row each.
  Rows rejected = query(
      "SELECT topic, encode(payload, 'hex'), reason, received_at IS NOT NULL "
      "FROM rejected_readings");
  for (const auto& b : bad) {
    SCOPED_TRACE(b.what);
    auto it = std::find_if(rejected.begin(), rejected.end(),
                           [&](const Row& r) { return r[0] == b.topic && r[1] == hex(b.payload); });
    if (it == rejected.end()) {
      ADD_FAILURE() << "not in rejected_readings: " << b.topic << " " << b.payload;
      continue;
    }
    EXPECT_EQ((*it)[2], b.reason);
    EXPECT_EQ((*it)[3], "t") << "received_at is NULL";
    rejected.erase(it);
  }
  for (const auto& r : rejected) ADD_FAILURE() << "unexpected rejection: " << r[0] << " " << r[2];

  // roomtemp/rejected: one JSON message each, not retained.
  ASSERT_TRUE(watcher.wait_for([&](auto& m) { return m.size() >= bad.size(); }, 10s))
      << watcher.messages().size() << " of " << bad.size() << " on roomtemp/rejected";
  std::vector<nlohmann::json> published;
  for (const auto& m : watcher.messages()) {
    auto j = nlohmann::json::parse(m.payload, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON object on roomtemp/rejected: " << m.payload;
    published.push_back(std::move(j));
  }
  EXPECT_EQ(published.size(), bad.size());
  for (const auto& b : bad) {
    SCOPED_TRACE(b.what);
    const bool utf8 = b.what != "not UTF-8";
    auto it = std::find_if(published.begin(), published.end(), [&](const nlohmann::json& j) {
      return j.value("topic", "") == b.topic &&
             (!utf8 || (j.contains("payload") && j["payload"] == b.payload));
    });
    if (it == published.end()) {
      ADD_FAILURE() << "not published on roomtemp/rejected: " << b.topic << " " << b.payload;
      continue;
    }
    EXPECT_EQ(it->value("reason", ""), b.reason);
    EXPECT_TRUE(it->contains("payload"));
    published.erase(it);
  }
  MqttClient late(broker_.port());
  late.subscribe("roomtemp/rejected", 1);
  EXPECT_FALSE(late.wait_for([](auto& m) { return !m.empty(); }, 300ms))
      << "roomtemp/rejected holds a retained message";

  // The valid readings in between, exactly.
  const Rows ok = query("SELECT value::text, " + ts_text("ts") +
                        " FROM readings WHERE room = 'ok' ORDER BY ts");
  ASSERT_EQ(ok.size(), bad.size());
  for (std::size_t i = 0; i < ok.size(); ++i) {
    EXPECT_EQ(ok[i][0], std::to_string(i));
    EXPECT_EQ(ok[i][1], utc_text(base + static_cast<std::int64_t>(i) * kSecond));
  }
  EXPECT_EQ(query("SELECT value::text FROM readings WHERE room = 'large'"), (Rows{{"42.5"}}));

  // Logged (rate-limited, so at least the first one), one line per event.
  const std::string log = daemon_->log();
  EXPECT_NE(log.find("rejected " + bad[0].topic), std::string::npos)
      << "no log line for the first rejection";

  // Counted, by reason (README "Operating roomtempd").
  const HttpResponse metrics = daemon_->http_get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  std::map<std::string, long long> counted, want;
  for (const auto& b : bad) ++want[b.reason];
  const std::regex line(R"re(roomtemp_readings_rejected_total\{reason="(\w+)"\} ([0-9.e+]+))re");
  for (std::sregex_iterator it(metrics.body.begin(), metrics.body.end(), line), end; it != end;
       ++it)
    if (auto n = std::stoll((*it)[2].str())) counted[(*it)[1].str()] = n;
  EXPECT_EQ(counted, want) << metrics.body;

  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(daemon_->http_get("/readyz").status, 200);
}

TEST_F(IngestTest, DuplicateDeliveriesAreStoredOnce) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  MqttClient sensor(broker_.port());
  const std::int64_t ts = recent(300) + 125'000;
  const std::string stamp = rfc3339(ts);
  auto topic = [](const std::string& room) {
    return "buildings/B7/rooms/" + room + "/temperature";
  };

  // The same reading three times, with and without sensor_id (NULL must not make copies
  // distinct).
  for (int i = 0; i < 3; ++i) {
    sensor.publish(topic("201"),
                   R"({"temperature": 21.5, "timestamp": ")" + stamp + R"(", "sensor_id": "s1"})");
    sensor.publish(topic("202"), R"({"temperature": 21.5, "timestamp": ")" + stamp + "\"}");
  }
  // The same reading in two shapes: the same key.
  sensor.publish(topic("203"), R"({"temperature": 21.5, "timestamp": ")" + stamp + "\"}");
  sensor.publish(topic("203"),
                 R"({"value": 21.5, "timestamp": )" + std::to_string(ts / kSecond) + ".125}");
  // Same time, different sensors: two readings.
  sensor.publish(topic("204"),
                 R"({"temperature": 20, "timestamp": ")" + stamp + R"(", "sensor_id": "a"})");
  sensor.publish(topic("204"),
                 R"({"temperature": 20, "timestamp": ")" + stamp + R"(", "sensor_id": "b"})");
  expect_count_settles("SELECT count(*) FROM readings", 5);

  // A copy arriving in a later batch, as a redelivery would.
  for (int i = 0; i < 2; ++i) {
    sensor.publish(topic("201"),
                   R"({"temperature": 21.5, "timestamp": ")" + stamp + R"(", "sensor_id": "s1"})");
    sensor.publish(topic("202"), R"({"temperature": 21.5, "timestamp": ")" + stamp + "\"}");
    sensor.publish(topic("sentinel"), std::to_string(i));
    expect_count_settles("SELECT count(*) FROM readings", 6 + i);
  }

  EXPECT_EQ(query("SELECT room, count(*) FROM readings GROUP BY room ORDER BY room"),
            (Rows{{"201", "1"}, {"202", "1"}, {"203", "1"}, {"204", "2"}, {"sentinel", "2"}}));
  EXPECT_EQ(query("SELECT DISTINCT " + ts_text("ts") + " FROM readings WHERE room <> 'sentinel'"),
            (Rows{{utc_text(ts)}}));
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 0);
}

TEST_F(IngestTest, CheckConfigReportsEveryProblemWithLineAndColumn) {
  const std::string bad = dir_.file("bad.yaml");
  write_file(bad,
             "postgres:\n"
             "  dsn: \"host=127.0.0.1 dbname=roomtemp\"\n"
             "mqtt:\n"
             "  prot: 1883\n"
             "  qos: 7\n");
  RunResult r = run_roomtempd({"--check-config", "--config", bad});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(bad + ":4:3: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("prot"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(bad + ":5:"), std::string::npos) << "the second problem\n" << r.output;

  const std::string good = dir_.file("good.yaml");
  write_file(good, default_config(broker_, *pg_, dir_));
  r = run_roomtempd({"--check-config", "--config", good});
  EXPECT_EQ(r.exit_code, 0) << r.output;

  r = run_roomtempd({"--check-config", "--config", dir_.file("missing.yaml")});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_roomtempd({"--no-such-option"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(IngestTest, VersionPrintsNameAndSemver) {
  RunResult r = run_roomtempd({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_match(r.output, std::regex("roomtempd [0-9]+\\.[0-9]+\\.[0-9]+\n?")))
      << r.output;
}

TEST_F(IngestTest, MigrateCreatesTheSchemaOnceAndIsIdempotent) {
  db_ = unique_name("migrate");
  pg_->create_database(db_);
  const std::string config = dir_.file("roomtemp.yaml");
  write_file(config, default_config(broker_, *pg_, dir_, {.database = db_}));

  RunResult r = run_roomtempd({"--migrate", "--config", config});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string tables =
      "SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace "
      "AND relname IN ('readings', 'readings_raw', 'series', 'rejected_readings', "
      "'schema_migrations') ORDER BY relname";
  // readings is a view over readings_raw, which is range-partitioned on ts (relkind 'p').
  EXPECT_EQ(query(tables), (Rows{{"readings", "v"},
                                 {"readings_raw", "p"},
                                 {"rejected_readings", "r"},
                                 {"schema_migrations", "r"},
                                 {"series", "r"}}));
  EXPECT_EQ(query("SELECT pg_get_partkeydef('readings_raw'::regclass)"), (Rows{{"RANGE (ts)"}}));
  const Rows applied = query("SELECT * FROM schema_migrations ORDER BY 1");
  EXPECT_FALSE(applied.empty());

  r = run_roomtempd({"--migrate", "--config", config});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(query("SELECT * FROM schema_migrations ORDER BY 1"), applied);
  EXPECT_EQ(query(tables).size(), 5u);
}

// A database the first release (001_readings.sql only) left behind, with a reading in it:
// --migrate applies what is new and keeps what is stored.
TEST_F(IngestTest, MigrateUpgradesADatabaseOfTheFirstRelease) {
  db_ = unique_name("upgrade");
  pg_->create_database(db_);
  query(
      "CREATE TABLE schema_migrations ("
      " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  query(read_file(std::string(ROOMTEMP_SOURCE_DIR) + "/sql/001_readings.sql"));
  query("INSERT INTO schema_migrations (version) VALUES ('001_readings.sql')");
  query("SELECT roomtemp_ensure_partitions(1, 1)");
  query(
      "INSERT INTO readings (ts, building, room, metric, value) "
      "VALUES (now(), 'B1', '101', 'temperature', 21.5)");
  const std::string indexes =
      "SELECT c.relname, a.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 'readings'::regclass ORDER BY 1";
  ASSERT_EQ(query(indexes), (Rows{{"readings_once", "btree"}, {"readings_ts", "btree"}}));

  const std::string config = dir_.file("roomtemp.yaml");
  write_file(config, default_config(broker_, *pg_, dir_, {.database = db_}));
  RunResult r = run_roomtempd({"--migrate", "--config", config});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Readings are stored in readings_raw now (its unique key, and BRIN for time ranges across
  // rooms, on every partition too).
  const std::string raw_indexes =
      "SELECT c.relname, a.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 'readings_raw'::regclass ORDER BY 1";
  EXPECT_EQ(query(raw_indexes),
            (Rows{{"readings_raw_once", "btree"}, {"readings_raw_ts_brin", "brin"}}));
  EXPECT_EQ(query("SELECT count(*) FROM pg_inherits h JOIN pg_index i ON i.indrelid = h.inhrelid "
                  "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                  "WHERE h.inhparent = 'readings_raw'::regclass AND a.amname = 'brin'"),
            query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings_raw'::regclass"));
  EXPECT_EQ(query("SELECT building, room, metric, value::text FROM readings"),
            (Rows{{"B1", "101", "temperature", "21.5"}}));
  EXPECT_EQ(query("SELECT count(*) FROM schema_migrations WHERE version LIKE '002_%'"),
            (Rows{{"1"}}));
}

TEST_F(IngestTest, ReadyzFollowsTheBroker) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_EQ(daemon_->http_get("/readyz").status, 200);

  broker_.stop();
  const HttpResponse down = daemon_->poll_get("/readyz", 503);
  EXPECT_EQ(down.status, 503) << down.body;
  std::string body = down.body;
  std::transform(body.begin(), body.end(), body.begin(), ::tolower);
  EXPECT_TRUE(body.find("mqtt") != std::string::npos || body.find("broker") != std::string::npos)
      << "the body does not say the broker is down: " << down.body;
  EXPECT_EQ(daemon_->http_get("/healthz").status, 200);

  broker_.start();
  EXPECT_TRUE(wait_until([&] { return daemon_->http_get("/readyz").status == 200; }, 20s));
  // Subscribed again: a reading published now is stored.
  MqttClient sensor(broker_.port());
  sensor.publish("buildings/B1/rooms/101/temperature", "21.5");
  expect_count_settles("SELECT count(*) FROM readings", 1);
}

TEST_F(IngestTest, ReadyzFollowsPostgres) {
  // Its own PostgreSQL, so that stopping it disturbs no other test.
  Postgres own;
  Daemon daemon(default_config(broker_, own, dir_));
  ASSERT_TRUE(daemon.wait_ready(30s));

  own.stop();
  const HttpResponse down = daemon.poll_get("/readyz", 503, 15s);
  EXPECT_EQ(down.status, 503) << down.body;
  std::string body = down.body;
  std::transform(body.begin(), body.end(), body.begin(), ::tolower);
  EXPECT_TRUE(body.find("postgres") != std::string::npos ||
              body.find("database") != std::string::npos)
      << "the body does not say PostgreSQL is down: " << down.body;

  own.start();
  EXPECT_TRUE(wait_until([&] { return daemon.http_get("/readyz").status == 200; }, 30s));
  MqttClient sensor(broker_.port());
  sensor.publish("buildings/B1/rooms/101/temperature", "21.5");
  EXPECT_TRUE(
      wait_until([&] { return own.query_count("SELECT count(*) FROM readings") == 1; }, 15s));
}

// A sensor that publishes retained: the broker hands its stored copy to every new
// subscription, so roomtempd sees it again at each of its restarts and each broker restart.
// A copy with a timestamp is the same reading (stored once, counted once); one without is
// not a new reading (its time is unknown): skipped and counted, never stored again.
TEST_F(IngestTest, RetainedSensorMessagesAreNotNewReadingsWhenTheBrokerReplaysThem) {
  Broker broker(BrokerOptions{.persistence = true});  // keeps retained messages across restarts
  db_ = unique_name("retained");
  pg_->create_database(db_);
  Daemon daemon(default_config(broker, *pg_, dir_, {.database = db_}));
  ASSERT_TRUE(daemon.wait_ready(30s));

  const std::string untimed = "buildings/R/rooms/untimed/temperature";
  const std::string timed = "buildings/R/rooms/timed/temperature";
  {
    MqttClient sensor(broker.port());
    sensor.publish(untimed, "21.5", 1, true);
    sensor.publish(timed, R"({"temperature": 19.5, "timestamp": ")" + rfc3339(recent(30)) + "\"}",
                   1, true);
  }
  wait_rows(2);
  // Retained copies arrive live with the retain flag clear: both were new readings.
  EXPECT_EQ(daemon.metric("roomtemp_retained_skipped_total"), 0);

  const std::string count_of = "SELECT count(*) FROM readings WHERE room = ";
  auto live_count = [&](const std::string& room) {
    const HttpResponse r =
        daemon.http_get("/v1/buildings/R/rooms/" + room + "/temperature/average?window=1h");
    auto doc = nlohmann::json::parse(r.body, nullptr, false);
    return doc.is_object() && doc.contains("count") ? doc["count"].get<long long>() : -1;
  };
  auto expect_each_once = [&](double skipped, const char* after) {
    EXPECT_TRUE(wait_until(
        [&] { return daemon.metric("roomtemp_retained_skipped_total") >= skipped; }, 15s))
        << after << ": the broker's replay of the untimed message never came";
    std::this_thread::sleep_for(500ms);  // time for a wrongly stored copy to be committed
    EXPECT_EQ(count(count_of + "'untimed'"), 1) << after;
    EXPECT_EQ(count(count_of + "'timed'"), 1) << after;
    EXPECT_EQ(live_count("untimed"), 1) << after;
    EXPECT_EQ(live_count("timed"), 1) << after;
    EXPECT_EQ(daemon.metric("roomtemp_retained_skipped_total"), skipped) << after;
    EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 0) << after;
  };

  ASSERT_EQ(daemon.restart(), 0);
  ASSERT_TRUE(daemon.wait_ready(30s));
  expect_each_once(1, "after a restart of roomtempd");
  EXPECT_NE(daemon.log().find("skipped the retained message on " + untimed), std::string::npos);

  broker.stop();
  broker.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  expect_each_once(2, "after a restart of the broker");
  // The first connection is no reconnect; the one after the broker restart is.
  EXPECT_EQ(daemon.metric("roomtemp_mqtt_reconnects_total"), 1);
}

}  // namespace
}  // namespace roomtemp::harness
