// Nothing lost: faults caused for real while readings stream in. PostgreSQL stops
// and starts again (the spool holds the readings, written back in order of acceptance); the
// broker restarts (persistent sessions deliver what was queued); a spool segment's tail is
// damaged between two runs (the good part is replayed, the damage reported).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

namespace fs = std::filesystem;

/// The spool's segment files (seg-*.spool), oldest first.
std::vector<fs::path> spool_segments(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("seg-", 0) == 0 && e.path().extension() == ".spool") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Its own PostgreSQL (these tests stop it), a broker, and roomtempd with the default config.
struct Stack {
  Postgres pg;
  TempDir dir;
  Broker broker;
  Daemon daemon{default_config(broker, pg, dir)};
};

/// The regular files anywhere under `dir`: none once the spool is fully written.
std::vector<fs::path> files_under(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  return out;
}

/// Every file under `dir` with its size, for messages.
std::string listing(const std::string& dir) {
  std::string out;
  std::error_code ec;
  for (const auto& p : files_under(dir))
    out += p.string() + " (" + std::to_string(fs::file_size(p, ec)) + " bytes) ";
  return out.empty() ? "(no files)" : out;
}

/// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

/// `total` rows, each reading once, exactly the timestamps first … first+(total-1)*step.
void expect_each_reading_once(const Postgres& pg, int total, std::int64_t first,
                              std::int64_t step) {
  EXPECT_EQ(pg.query("SELECT count(*), count(DISTINCT (building, room, metric, "
                     "coalesce(sensor_id, ''), ts)) FROM readings"),
            (Rows{{std::to_string(total), std::to_string(total)}}))
      << "want every reading exactly once";
  EXPECT_EQ(pg.query("SELECT " + ts_text("min(ts)") + ", " + ts_text("max(ts)") + " FROM readings"),
            (Rows{{utc_text(first), utc_text(first + (total - 1) * step)}}));
}

// The promise of docs/database.md: while PostgreSQL is down, accepted readings wait in spool.dir,
// ingest goes on, /readyz says what is down; when it returns, every reading is written once, in the
// order the daemon accepted them, and the spool is removed.
TEST(OutageTest, PostgresStoppedMidStreamThenStartedStoresEveryReadingOnceInOrder) {
  constexpr int kTotal = 6'000;
  constexpr int kRate = 1'000;  // per second: the stream lasts 6 s
  constexpr int kStopAfterStored = 1'500;
  constexpr int kStartAfterPublished = 4'000;
  constexpr std::int64_t kStep = 10'000;

  Stack stack;
  auto& [pg, dir, broker, daemon] = stack;
  ASSERT_TRUE(daemon.wait_ready(30s));

  const std::int64_t first = (now_micros() / kSecond - 120) * kSecond;
  SteadyPublisher sensors(broker.port(), sensor_readings(kTotal, first, kStep), kRate);

  const std::string count = "SELECT count(*) FROM readings";
  long long stored = 0;
  ASSERT_TRUE(
      wait_until([&] { return (stored = pg.query_count(count)) >= kStopAfterStored; }, 30s, 10ms))
      << "only " << stored << " stored, " << sensors.published() << " published";
  pg.stop();
  const int published_at_stop = sensors.published();

  // While it is down: not ready, naming PostgreSQL; readings go to spool segments on disk.
  const HttpResponse readyz = daemon.poll_get("/readyz", 503);
  EXPECT_EQ(readyz.status, 503) << readyz.body;
  EXPECT_NE(readyz.body.find("postgresql"), std::string::npos)
      << "/readyz does not name PostgreSQL: " << readyz.body;
  EXPECT_TRUE(wait_until([&] { return daemon.metric("roomtemp_spool_bytes") > 0; }, 10s, 50ms))
      << "roomtemp_spool_bytes stayed 0";
  EXPECT_FALSE(spool_segments(daemon.spool_dir()).empty())
      << "no segment files in " << daemon.spool_dir() << ": " << listing(daemon.spool_dir());
  // … and ingest goes on.
  const double received = daemon.metric("roomtemp_readings_received_total");
  EXPECT_TRUE(wait_until(
      [&] { return daemon.metric("roomtemp_readings_received_total") >= received + 500; }, 10s,
      50ms))
      << "roomtemp_readings_received_total stuck at " << received << " while PostgreSQL is down";

  // Back while the stream still runs: the spool is written first, live readings behind it.
  ASSERT_TRUE(wait_until([&] { return sensors.published() >= kStartAfterPublished; }, 20s));
  const int published_at_start = sensors.published();
  const double spooled = daemon.metric("roomtemp_readings_spooled_total");
  pg.start();
  EXPECT_TRUE(daemon.wait_ready(30s)) << daemon.http_get("/readyz").body;
  EXPECT_NE(daemon.log().find("connected to PostgreSQL"), std::string::npos);

  ASSERT_TRUE(sensors.wait_done(60s)) << sensors.error() << " (" << sensors.acked() << " acked)";
  wait_until([&] { return (stored = pg.query_count(count)) >= kTotal; }, 60s, 50ms);
  std::this_thread::sleep_for(300ms);  // a copy stored twice would show up now
  std::cerr << "PostgreSQL stopped after " << published_at_stop << " published, started after "
            << published_at_start << "; " << spooled << " readings spooled\n";
  EXPECT_GT(spooled, 1'000) << "the outage was too short to prove much";
  expect_each_reading_once(pg, kTotal, first, kStep);
  // The readings replayed from the spool are in the rollups, once each.
  EXPECT_TRUE(rollups_match_raw(pg, "roomtemp"));

  // In order of acceptance: readings were published (and so accepted) in timestamp order, so a
  // later timestamp never sits in an earlier transaction (xmin grows with commit order here: one
  // writer, no wraparound in a fresh cluster).
  EXPECT_GT(pg.query_count("SELECT count(DISTINCT xmin::text) FROM readings_raw"), 20)
      << "too few transactions for the order to mean anything";
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM (SELECT xmin::text::bigint AS x, "
                           "lag(xmin::text::bigint) OVER (ORDER BY ts) AS p FROM readings_raw) s "
                           "WHERE x < p"),
            0)
      << "some readings were committed before readings accepted earlier";
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM (SELECT received_at AS r, lag(received_at) "
                           "OVER (ORDER BY ts) AS p FROM readings) s WHERE r < p"),
            0)
      << "received_at does not follow the order of publication";

  // The spool is gone.
  EXPECT_TRUE(wait_until([&] { return files_under(daemon.spool_dir()).empty(); }, 10s))
      << daemon.spool_dir() << ": " << listing(daemon.spool_dir());
  EXPECT_TRUE(wait_until([&] { return daemon.metric("roomtemp_spool_bytes") == 0; }, 10s))
      << "roomtemp_spool_bytes " << daemon.metric("roomtemp_spool_bytes");
  EXPECT_NE(daemon.log().find("spool replayed"), std::string::npos);
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), 0);
}

/// An admin's CHECK that refuses the value 17.5, and a trigger on `table` that ends the
/// connection of the first row inserted there for which `condition` holds: a sequence is not
/// rolled back with the transaction, so that happens once.
void refuse_17_5_and_cut_once(Postgres& pg, const std::string& table,
                              const std::string& condition) {
  pg.query("ALTER TABLE readings_raw ADD CONSTRAINT no_17_5 CHECK (value <> 17.5)");
  pg.query("CREATE SEQUENCE cut_once");
  pg.query("CREATE FUNCTION cut_connection() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF " +
           condition +
           " AND nextval('cut_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
           "END IF; RETURN NEW; END $$");
  pg.query("CREATE TRIGGER cut_connection BEFORE INSERT ON " + table +
           " FOR EACH ROW EXECUTE FUNCTION cut_connection()");
}

// PostgreSQL going away while the writer splits a batch around a refused row: what was
// committed before (the refused row, kept as a rejection) is not written again when the rest of
// the batch comes back from the spool — a rejection has no key that would make a copy harmless.
// `through_spool`: the batch is spooled first (PostgreSQL down) and the cut comes in its replay.
void cut_short_while_splitting(bool through_spool) {
  Stack stack;
  auto& [pg, dir, broker, daemon] = stack;
  ASSERT_TRUE(daemon.wait_ready(30s));
  // 17.5 is refused; the first 18.5 ever written ends its connection.
  refuse_17_5_and_cut_once(pg, "readings_raw", "NEW.value = 18.5");

  // One batch of 10 (published at once, well within batch_max_delay): split into 0–4 and 5–9,
  // 0–4 around the 17.5 at 2 (its rejection committed), then 5–9 loses the connection at 7.
  const std::int64_t t0 = (now_micros() / kSecond - 60) * kSecond;
  std::vector<Publication> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(publication({"B1", "101", t0 + i * kSecond,
                                 i == 2   ? 17.5
                                 : i == 7 ? 18.5
                                          : 20.0,
                                 std::string("s1")}));
  if (through_spool) pg.stop();
  MqttClient sensor(broker.port());
  sensor.publish_many(batch);
  if (through_spool) {
    ASSERT_TRUE(wait_until([&] { return daemon.metric("roomtemp_readings_spooled_total") >= 10; },
                           20s, 50ms));
    pg.start();
  }

  ASSERT_TRUE(
      wait_until([&] { return pg.query_count("SELECT count(*) FROM readings") == 9; }, 30s, 50ms))
      << pg.query_count("SELECT count(*) FROM readings") << " of 9 stored\n"
      << daemon.log();
  std::this_thread::sleep_for(500ms);  // a second copy of the rejection would show up now
  EXPECT_GE(pg.query_count("SELECT last_value FROM cut_once"), 2) << "no connection was cut";
  EXPECT_NE(daemon.log().find("PostgreSQL refused a row of a batch of 10"), std::string::npos)
      << "the 10 readings were not one batch: " << daemon.log();
  EXPECT_GE(daemon.metric("roomtemp_readings_spooled_total"), through_spool ? 10 : 1);
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), 1)
      << "the refused row was kept more than once";
  EXPECT_EQ(daemon.metric("roomtemp_rows_refused_total"), 1);
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM readings WHERE value = 17.5"), 0);
  EXPECT_TRUE(wait_until([&] { return files_under(daemon.spool_dir()).empty(); }, 10s))
      << listing(daemon.spool_dir());
}

TEST(OutageTest, ABatchCutShortWhileSplittingAroundARefusedRowStoresTheRefusedRowOnce) {
  cut_short_while_splitting(false);
}

TEST(OutageTest, ASpooledBatchCutShortWhileSplittingStoresTheRefusedRowOnce) {
  cut_short_while_splitting(true);
}

// PostgreSQL going away just as the writer keeps a refused row as a rejection: the row comes
// back with the rest of its batch from the spool, is refused again and kept then, once; and
// roomtemp_rows_refused_total counts it once (it counted the attempt that was cut as well).
TEST(OutageTest, ARefusedRowWhoseRejectionIsCutShortIsKeptAndCountedOnce) {
  Stack stack;
  auto& [pg, dir, broker, daemon] = stack;
  ASSERT_TRUE(daemon.wait_ready(30s));
  // 17.5 is refused; the first rejection ever inserted ends its connection.
  refuse_17_5_and_cut_once(pg, "rejected_readings", "true");

  const std::int64_t t0 = (now_micros() / kSecond - 60) * kSecond;
  std::vector<Publication> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(
        publication({"B1", "101", t0 + i * kSecond, i == 2 ? 17.5 : 20.0, std::string("s1")}));
  MqttClient sensor(broker.port());
  sensor.publish_many(batch);

  ASSERT_TRUE(
      wait_until([&] { return pg.query_count("SELECT count(*) FROM readings") == 9; }, 30s, 50ms))
      << pg.query_count("SELECT count(*) FROM readings") << " of 9 stored\n"
      << daemon.log();
  ASSERT_TRUE(wait_until(
      [&] { return pg.query_count("SELECT count(*) FROM rejected_readings") == 1; }, 30s, 50ms))
      << daemon.log();
  std::this_thread::sleep_for(500ms);  // a second copy, or a second count, would show up now
  EXPECT_GE(pg.query_count("SELECT last_value FROM cut_once"), 2) << "no connection was cut";
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), 1);
  EXPECT_EQ(daemon.metric("roomtemp_rows_refused_total"), 1);
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM readings WHERE value = 17.5"), 0);
}

// A row PostgreSQL refuses (here: a CHECK constraint an admin added) must not hold up the rows
// batched with it, live or replayed from the spool: the writer splits the batch until the row
// is alone, stores the others, and keeps the refused one in rejected_readings with the reason.
TEST(OutageTest, ARowPostgresRefusesIsKeptAsARejectionAndTheRestOfItsBatchIsStored) {
  constexpr int kTotal = 3'000;
  constexpr std::int64_t kStep = 10'000;
  Stack stack;
  auto& [pg, dir, broker, daemon] = stack;
  ASSERT_TRUE(daemon.wait_ready(30s));
  // sensor_readings() sends 15 + (i % 100) / 10: every hundredth reading is 17.5.
  pg.query("ALTER TABLE readings_raw ADD CONSTRAINT no_17_5 CHECK (value <> 17.5)");
  const auto publications =
      sensor_readings(kTotal, (now_micros() / kSecond - 120) * kSecond, kStep);
  const long long poisoned = std::count_if(publications.begin(), publications.end(), [](auto& p) {
    return p.payload.find("\"temperature\": 17.5") != std::string::npos;
  });
  ASSERT_EQ(poisoned, kTotal / 100) << publications.front().payload;

  SteadyPublisher sensors(broker.port(), publications, 1'000);
  // Half the stream goes straight in, the rest through the spool while PostgreSQL is away.
  ASSERT_TRUE(wait_until([&] { return pg.query_count("SELECT count(*) FROM readings") >= 1'000; },
                         30s, 10ms));
  pg.stop();
  ASSERT_TRUE(wait_until([&] { return daemon.metric("roomtemp_readings_spooled_total") >= 500; },
                         20s, 50ms));
  pg.start();
  ASSERT_TRUE(sensors.wait_done(60s)) << sensors.error();

  const std::string refused =
      "SELECT count(*) FROM rejected_readings WHERE reason = 'bad_payload' AND detail LIKE "
      "'PostgreSQL refused it: %no_17_5%' AND convert_from(payload, 'UTF8') LIKE '%17.5%'";
  EXPECT_TRUE(wait_until([&] { return pg.query_count(refused) == poisoned; }, 60s, 50ms))
      << pg.query_count(refused) << " of " << poisoned << " refused rows kept; "
      << pg.query("SELECT reason, detail FROM rejected_readings LIMIT 3").size() << " rejections";
  EXPECT_TRUE(wait_until(
      [&] { return pg.query_count("SELECT count(*) FROM readings") == kTotal - poisoned; }, 30s,
      50ms))
      << pg.query_count("SELECT count(*) FROM readings") << " of " << kTotal - poisoned;
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), poisoned);
  EXPECT_EQ(daemon.metric("roomtemp_rows_refused_total"), static_cast<double>(poisoned));
  EXPECT_NE(daemon.log().find("PostgreSQL refused a row"), std::string::npos);
  EXPECT_TRUE(wait_until([&] { return files_under(daemon.spool_dir()).empty(); }, 10s))
      << listing(daemon.spool_dir());
  EXPECT_TRUE(daemon.running());
}

// A broker restart (with persistence, as Debian's mosquitto runs): the daemon reconnects and
// resubscribes, its persistent session delivers what was queued meanwhile, and every reading
// the sensor had acknowledged is stored once, even those the broker redelivers.
TEST(OutageTest, BrokerRestartedMidStreamLosesNothingTheSensorHadAcknowledged) {
  constexpr int kTotal = 6'000;
  constexpr int kRate = 1'000;
  constexpr int kStopAfterStored = 1'500;
  constexpr std::int64_t kStep = 10'000;

  Postgres pg;
  TempDir dir;
  Broker broker(BrokerOptions{.persistence = true});
  const std::string client_id = unique_name("roomtempd_restart");
  Daemon daemon(default_config(broker, pg, dir, {.client_id = client_id}));
  ASSERT_TRUE(daemon.wait_ready(30s));

  const std::int64_t first = (now_micros() / kSecond - 120) * kSecond;
  const std::string sensor_id = unique_name("sensor");
  SteadyPublisher sensors(broker.port(), sensor_readings(kTotal, first, kStep), kRate,
                          {.client_id = sensor_id, .clean_session = false});

  const std::string count = "SELECT count(*) FROM readings";
  long long stored = 0;
  ASSERT_TRUE(
      wait_until([&] { return (stored = pg.query_count(count)) >= kStopAfterStored; }, 30s, 10ms))
      << "only " << stored << " stored, " << sensors.published() << " published";
  broker.stop();
  const int acked_at_stop = sensors.acked();
  const long long stored_at_stop = pg.query_count(count);

  const HttpResponse readyz = daemon.poll_get("/readyz", 503);
  EXPECT_EQ(readyz.status, 503) << readyz.body;
  EXPECT_NE(readyz.body.find("mqtt"), std::string::npos) << readyz.body;
  // Down long enough that the daemon's first retry (after 1 s) fails and its next comes
  // later than the sensor's: what the sensor sends meanwhile waits in the daemon's session,
  // which the broker kept across the restart.
  std::this_thread::sleep_for(2s);
  const std::size_t broker_log_mark = broker.log().size();

  broker.start();
  EXPECT_TRUE(daemon.wait_ready(30s)) << daemon.http_get("/readyz").body;
  const std::string log = daemon.log();
  EXPECT_NE(log.find("lost; reconnecting"), std::string::npos) << "no disconnect in the log";
  EXPECT_GE(occurrences(log, "as " + client_id + "\n"), 2u) << "no reconnect in the log";
  EXPECT_GE(occurrences(log, "subscribed to "), 2u) << "no resubscription in the log";

  ASSERT_TRUE(sensors.wait_done(60s)) << sensors.error() << " (" << sensors.acked() << " acked)";
  ASSERT_EQ(sensors.acked(), kTotal);
  wait_until([&] { return (stored = pg.query_count(count)) >= kTotal; }, 60s, 50ms);
  std::this_thread::sleep_for(300ms);
  const std::string after = broker.log().substr(broker_log_mark);
  const auto sensor_back = after.find(" as " + sensor_id + " ");
  const auto daemon_back = after.find(" as " + client_id + " ");
  std::cerr << "broker stopped with " << acked_at_stop << " acknowledged to the sensor and "
            << stored_at_stop << " stored; after the restart the "
            << (sensor_back < daemon_back ? "sensor" : "daemon") << " reconnected first\n";
  EXPECT_LT(stored_at_stop, kTotal - 1'000) << "the restart came too late to prove much";
  expect_each_reading_once(pg, kTotal, first, kStep);
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), 0);
}

// A broker that is not there yet when the daemon starts (a boot race, a broker restarting):
// the daemon comes up without it, says so on /readyz, and connects once it is there.
TEST(OutageTest, BrokerDownWhenTheDaemonStartsIsConnectedOnceItComes) {
  Postgres pg;
  TempDir dir;
  Broker broker;
  broker.stop();
  Daemon daemon(default_config(broker, pg, dir));
  const HttpResponse readyz = daemon.poll_get("/readyz", 0, 30s);
  ASSERT_NE(readyz.status, 0) << "the REST API never answered";
  EXPECT_EQ(readyz.status, 503) << readyz.body;
  EXPECT_NE(readyz.body.find("mqtt"), std::string::npos) << readyz.body;

  broker.start();
  // libmosquitto's reconnect delay grows 1 s, 4 s, 9 s …: well within 20 s.
  ASSERT_TRUE(daemon.wait_ready(20s)) << daemon.http_get("/readyz").body;
  MqttClient sensor(broker.port());
  sensor.publish("buildings/B1/rooms/101/temperature", "21.5");
  EXPECT_TRUE(
      wait_until([&] { return pg.query_count("SELECT count(*) FROM readings") == 1; }, 10s, 50ms))
      << "a reading published once the broker is up was not stored";
}

enum class Damage { torn_last_record, garbage_after_last_record };

/// Spools `kSpooled` readings with PostgreSQL down, stops the daemon (SIGTERM keeps the spool),
/// damages the newest segment's tail, and starts both again.
void damaged_spool_tail(Damage damage) {
  constexpr int kSpooled = 40;
  constexpr std::int64_t kStep = kSecond;

  Stack stack;
  auto& [pg, dir, broker, daemon] = stack;
  ASSERT_TRUE(daemon.wait_ready(30s));
  pg.stop();
  ASSERT_TRUE(wait_until([&] { return daemon.http_get("/readyz").status == 503; }, 10s, 50ms));

  const std::int64_t first = (now_micros() / kSecond - 600) * kSecond;
  {
    MqttClient sensor(broker.port());
    sensor.publish_many(sensor_readings(kSpooled, first, kStep));
  }
  ASSERT_TRUE(wait_until(
      [&] { return daemon.metric("roomtemp_readings_spooled_total") == kSpooled; }, 10s, 50ms))
      << daemon.metric("roomtemp_readings_spooled_total") << " of " << kSpooled << " spooled";

  daemon.terminate();
  const auto code = daemon.wait_exit(15s);
  ASSERT_TRUE(code.has_value()) << "roomtempd did not exit within 15 s of SIGTERM";
  EXPECT_EQ(*code, 0);

  const auto segments = spool_segments(daemon.spool_dir());
  ASSERT_FALSE(segments.empty()) << "the spool was not kept: " << listing(daemon.spool_dir());
  const fs::path newest = segments.back();
  const auto size = fs::file_size(newest);
  int expect_stored = kSpooled;
  if (damage == Damage::torn_last_record) {
    // A crash in the middle of an append: the last record loses its last bytes.
    fs::resize_file(newest, size - 3);
    expect_stored = kSpooled - 1;
  } else {
    // Junk after the last whole record: a header claiming an impossible length, then noise.
    write_file(newest.string(), read_file(newest.string()) + std::string(12, '\xff') + "junk");
  }

  pg.start();
  daemon.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  const std::string count = "SELECT count(*) FROM readings";
  long long stored = 0;
  wait_until([&] { return (stored = pg.query_count(count)) >= expect_stored; }, 20s, 50ms);
  std::this_thread::sleep_for(300ms);
  // The good part, in full: the first expect_stored readings published.
  expect_each_reading_once(pg, expect_stored, first, kStep);

  // The damage is reported: logged with the segment and counted.
  const std::string log = daemon.log();
  const std::string line = "error spool: " + newest.string() + ": ";
  EXPECT_NE(log.find(line), std::string::npos) << "no line starting '" << line << "' in the log";
  EXPECT_GE(daemon.metric("roomtemp_spool_corrupt_records_total"), 1);
  EXPECT_TRUE(wait_until([&] { return files_under(daemon.spool_dir()).empty(); }, 10s))
      << daemon.spool_dir() << ": " << listing(daemon.spool_dir());

  // And the daemon goes on: a new reading is stored.
  ASSERT_TRUE(daemon.running());
  MqttClient sensor(broker.port());
  sensor.publish("buildings/B9/rooms/900/temperature", "21.5");
  EXPECT_TRUE(wait_until([&] { return pg.query_count(count) == expect_stored + 1; }, 10s, 50ms))
      << pg.query_count(count) << " rows";
}

TEST(OutageTest, TornLastSpoolRecordIsReportedAndTheRestReplayed) {
  damaged_spool_tail(Damage::torn_last_record);
}

TEST(OutageTest, GarbageAfterTheLastSpoolRecordIsReportedAndEveryRecordReplayed) {
  damaged_spool_tail(Damage::garbage_after_last_record);
}

// A spool segment written to PostgreSQL again — a crash between the commit of its records and
// the removal of the segment leaves it behind, as does a COMMIT whose answer the broken
// connection lost — stores every record once: readings by their unique key, rejections by the
// id each carries from the moment it was refused.
TEST(OutageTest, ASpoolSegmentWrittenTwiceStoresItsReadingsAndRejectionsOnce) {
  Stack stack;
  auto& [pg, dir, broker, daemon] = stack;
  ASSERT_TRUE(daemon.wait_ready(30s));
  pg.stop();
  MqttClient sensor(broker.port());
  const std::int64_t t = (now_micros() / kSecond - 30) * kSecond;
  sensor.publish("buildings/B1/rooms/101/temperature", "not a number");
  sensor.publish("buildings/B1/rooms/101/temperature",
                 R"({"temperature": 21.5, "timestamp": ")" + rfc3339(t) + "\"}");
  ASSERT_TRUE(
      wait_until([&] { return daemon.metric("roomtemp_readings_spooled_total") >= 2; }, 20s, 50ms));
  daemon.kill();
  const auto segments = spool_segments(daemon.spool_dir());
  ASSERT_FALSE(segments.empty()) << listing(daemon.spool_dir());
  TempDir saved;
  for (const auto& seg : segments) fs::copy_file(seg, saved.file(seg.filename().string()));

  pg.start();
  daemon.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  ASSERT_TRUE(wait_until([&] { return files_under(daemon.spool_dir()).empty(); }, 20s))
      << listing(daemon.spool_dir());
  ASSERT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), 1);
  ASSERT_EQ(pg.query_count("SELECT count(*) FROM readings"), 1);
  daemon.terminate();
  ASSERT_EQ(daemon.wait_exit(15s), 0);

  // The segments again, as a crash right after their commit would have left them.
  for (const auto& seg : segments)
    fs::copy_file(saved.file(seg.filename().string()), seg, fs::copy_options::overwrite_existing);
  daemon.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  EXPECT_TRUE(wait_until([&] { return files_under(daemon.spool_dir()).empty(); }, 20s))
      << listing(daemon.spool_dir());
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), 1)
      << "the replayed rejection was stored twice";
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM readings"), 1);
  EXPECT_EQ(pg.query_count("SELECT count(DISTINCT id) FROM rejected_readings"), 1);
  EXPECT_NE(daemon.log().find("1 rejection(s) were stored already; kept once"), std::string::npos);
}

}  // namespace
}  // namespace roomtemp::harness
