// Start-up and shutdown in the states a real site meets: a spool directory that cannot be
// written (at start, and later), SIGTERM while neither PostgreSQL nor the spool takes
// readings (and a second SIGTERM), a database that does not exist yet when roomtempd starts,
// one that is not migrated while postgres.migrate is off, and configuration mistakes that must
// stop roomtempd before it touches the network.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

namespace fs = std::filesystem;

/// Puts a regular file where the spool directory is (moving the directory aside): root
/// ignores permission bits, but nobody can create a file inside a file.
void make_spool_unwritable(const std::string& spool_dir) {
  if (fs::exists(spool_dir)) fs::rename(spool_dir, spool_dir + ".moved");
  write_file(spool_dir, "not a directory\n");
}

void make_spool_writable(const std::string& spool_dir) {
  fs::remove(spool_dir);
  if (fs::exists(spool_dir + ".moved")) fs::rename(spool_dir + ".moved", spool_dir);
}

/// The readings roomtempd says it stopped without ("stopping without N accepted reading(s)").
long long readings_given_up(const std::string& log) {
  static const std::regex line("stopping without ([0-9]+) accepted reading");
  long long n = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it)
    n += std::stoll((*it)[1]);
  return n;
}

TEST(LifecycleTest, ASpoolThatCannotBeWrittenStopsTheStartWithAClearError) {
  Postgres pg;
  Broker broker;
  TempDir dir;
  write_file(dir.file("spool"), "a file where the spool directory should be\n");
  Daemon daemon(default_config(broker, pg, dir));
  const auto code = daemon.wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "roomtempd runs without a spool";
  EXPECT_EQ(*code, 1);
  const std::string log = daemon.log();
  EXPECT_NE(log.find("spool.dir " + dir.file("spool")), std::string::npos) << log;
  EXPECT_EQ(log.find("main: ready"), std::string::npos) << "it said it was ready:\n" << log;
}

TEST(LifecycleTest, ASpoolThatBreaksLaterMakesTheDaemonNotReady) {
  Postgres pg;
  Broker broker;
  TempDir dir;
  Daemon daemon(default_config(broker, pg, dir));
  ASSERT_TRUE(daemon.wait_ready(30s));
  EXPECT_EQ(daemon.metric("roomtemp_spool_writable"), 1);

  make_spool_unwritable(daemon.spool_dir());
  // The writer checks the spool every 10 s while it is idle.
  const HttpResponse broken = daemon.poll_get("/readyz", 503, 30s);
  EXPECT_EQ(broken.status, 503) << broken.body;
  EXPECT_NE(broken.body.find("spool"), std::string::npos) << broken.body;
  EXPECT_EQ(daemon.metric("roomtemp_spool_writable"), 0);
  EXPECT_NE(daemon.log().find("readings would be lost should PostgreSQL go away"),
            std::string::npos);

  make_spool_writable(daemon.spool_dir());
  EXPECT_EQ(daemon.poll_get("/readyz", 200, 30s).status, 200);
  EXPECT_EQ(daemon.metric("roomtemp_spool_writable"), 1);
}

/// PostgreSQL stopped, the spool unwritable, readings accepted: the writer can put them
/// nowhere. Returns the daemon once its writer is retrying.
void start_with_nowhere_to_write(Postgres& pg, Broker& broker, TempDir& dir,
                                 std::unique_ptr<Daemon>& daemon, int readings) {
  daemon = std::make_unique<Daemon>(default_config(broker, pg, dir));
  ASSERT_TRUE(daemon->wait_ready(30s));
  pg.stop();
  make_spool_unwritable(daemon->spool_dir());
  MqttClient sensor(broker.port());
  for (int i = 0; i < readings; ++i)
    sensor.publish("buildings/L/rooms/" + std::to_string(100 + i) + "/temperature", "21.5");
  ASSERT_TRUE(
      wait_until([&] { return daemon->log().find("retrying in 1s") != std::string::npos; }, 30s))
      << "the writer never tried the spool";
}

TEST(LifecycleTest, SigtermEndsInBoundedTimeWhenNothingCanKeepTheReadingsAndSaysWhatWasLost) {
  constexpr int kReadings = 10;
  Postgres pg;
  Broker broker;
  TempDir dir;
  std::unique_ptr<Daemon> daemon;
  ASSERT_NO_FATAL_FAILURE(start_with_nowhere_to_write(pg, broker, dir, daemon, kReadings));

  const auto sent = std::chrono::steady_clock::now();
  daemon->terminate();
  const auto code = daemon->wait_exit(15s);
  const auto took = std::chrono::steady_clock::now() - sent;
  ASSERT_TRUE(code.has_value()) << "SIGTERM did not end roomtempd within 15 s";
  EXPECT_LE(took, 11s) << "a stop may take 10 s";
  // Not a clean stop: accepted readings were lost, and the exit code says so.
  EXPECT_EQ(*code, 1);
  EXPECT_EQ(readings_given_up(daemon->log()), kReadings) << daemon->log();
}

TEST(LifecycleTest, ASecondSigtermEndsTheStopAtOnce) {
  Postgres pg;
  Broker broker;
  TempDir dir;
  std::unique_ptr<Daemon> daemon;
  ASSERT_NO_FATAL_FAILURE(start_with_nowhere_to_write(pg, broker, dir, daemon, 3));

  daemon->terminate();
  ASSERT_TRUE(
      wait_until([&] { return daemon->log().find("stopping\n") != std::string::npos; }, 5s));
  std::this_thread::sleep_for(500ms);
  const auto second = std::chrono::steady_clock::now();
  daemon->terminate();
  const auto code = daemon->wait_exit(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_LE(std::chrono::steady_clock::now() - second, 3s) << daemon->log();
  EXPECT_EQ(*code, 1);
  EXPECT_NE(daemon->log().find("second stop signal"), std::string::npos);
  EXPECT_EQ(readings_given_up(daemon->log()), 3) << daemon->log();
}

TEST(LifecycleTest, ADatabaseCreatedAfterTheStartIsMigratedAndGetsTheSpooledReadings) {
  constexpr int kReadings = 5;
  Postgres pg;
  Broker broker;
  TempDir dir;
  const std::string db = unique_name("later");
  Daemon daemon(default_config(broker, pg, dir, {.database = db}));

  // Up (subscribed, spooling) but not ready: the database is missing. (The first 503 may come
  // before the writer's first attempt, which finds the reason.)
  const HttpResponse missing = daemon.poll_get("/readyz", 503, db, 30s);
  ASSERT_EQ(missing.status, 503) << missing.body;
  EXPECT_NE(missing.body.find(db), std::string::npos) << missing.body;
  MqttClient sensor(broker.port());
  for (int i = 0; i < kReadings; ++i)
    sensor.publish("buildings/L/rooms/" + std::to_string(100 + i) + "/temperature", "20.5");
  EXPECT_TRUE(wait_until(
      [&] { return daemon.metric("roomtemp_readings_spooled_total") == kReadings; }, 15s));

  pg.create_database(db);
  EXPECT_EQ(daemon.poll_get("/readyz", 200, 30s).status, 200) << daemon.http_get("/readyz").body;
  long long rows = -1;
  EXPECT_TRUE(wait_until(
      [&] { return (rows = pg.query_count("SELECT count(*) FROM readings", db)) == kReadings; },
      15s))
      << rows << " rows";
  EXPECT_NE(daemon.log().find("applied migration 001_readings.sql"), std::string::npos);
}

TEST(LifecycleTest, WithMigrateOffAnUnmigratedDatabaseIsNotReadyUntilMigrated) {
  Postgres pg;
  Broker broker;
  TempDir dir;
  const std::string db = unique_name("unmigrated");
  pg.create_database(db);
  Daemon daemon(default_config(broker, pg, dir, {.database = db, .migrate = false}));

  // The writer's reason, which a first 503 may come without.
  const HttpResponse unmigrated = daemon.poll_get("/readyz", 503, "roomtempd --migrate", 30s);
  ASSERT_EQ(unmigrated.status, 503) << unmigrated.body;
  EXPECT_NE(unmigrated.body.find("roomtempd --migrate"), std::string::npos) << unmigrated.body;
  MqttClient sensor(broker.port());
  sensor.publish("buildings/L/rooms/101/temperature", "19.5");

  const RunResult migrate = run_roomtempd({"--migrate", "--config", daemon.config_path()});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.output;
  EXPECT_EQ(daemon.poll_get("/readyz", 200, 30s).status, 200) << daemon.http_get("/readyz").body;
  EXPECT_TRUE(
      wait_until([&] { return pg.query_count("SELECT count(*) FROM readings", db) == 1; }, 15s));
}

// Mistakes in the file are configuration errors (exit 2, FILE:LINE:COL and the key), found by
// --check-config and by a start, before roomtempd connects anywhere: a bad DSN must not look
// like a database outage, a missing password file must not surface after the warm start.
TEST(LifecycleTest, ConfigMistakesStopTheStartBeforeTheNetwork) {
  TempDir dir;
  struct Case {
    std::string what, yaml, expect;
  };
  const std::vector<Case> cases = {
      {"a DSN keyword libpq does not know",
       "postgres:\n  dsn: \"hostx=127.0.0.1 dbname=roomtemp\"\n", ":2:8: postgres.dsn: "},
      {"a missing MQTT password file",
       "postgres:\n  dsn: \"dbname=roomtemp\"\nmqtt:\n  username: u\n  password_file: " +
           dir.file("no-such-password") + "\n",
       ":5:18: mqtt.password_file: cannot read"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.file("bad.yaml");
    write_file(path, c.yaml);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--check-config", "--config", path},
          std::vector<std::string>{"--config", path}}) {
      const auto started = std::chrono::steady_clock::now();
      const RunResult r = run_roomtempd(args, 20s);
      EXPECT_EQ(r.exit_code, 2) << c.what << ": " << args[0] << "\n" << r.output;
      EXPECT_NE(r.output.find(path + c.expect), std::string::npos)
          << c.what << ": " << args[0] << "\n"
          << r.output;
      EXPECT_EQ(r.output.find("starting"), std::string::npos) << c.what << "\n" << r.output;
      EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << c.what;
    }
  }
}

}  // namespace
}  // namespace roomtemp::harness
