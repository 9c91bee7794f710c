// A trusted system service: SIGHUP reloads (a broken file leaves the daemon running
// on its old config; a valid one swaps what can change live and keeps the rest), and sd_notify
// (EXTEND_TIMEOUT_USEC= while migrating, READY=1 once subscribed, WATCHDOG=1, STATUS=,
// RELOADING=1 … READY=1, STOPPING=1) on a NOTIFY_SOCKET the test listens on, as systemd would.
//
// One PostgreSQL serves the whole file (a fresh database per test).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

class ServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pg_ = new Postgres; }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override {
    db_ = unique_name("service");
    pg_->create_database(db_);
  }

  long long stored() const { return pg_->query_count("SELECT count(*) FROM readings", db_); }

  static Postgres* pg_;
  std::string db_;
  TempDir dir_;
  Broker broker_;
};

Postgres* ServiceTest::pg_ = nullptr;

/// `text` with the one occurrence of `from` replaced by `to` (fails the test if absent).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto p = text.find(from);
  EXPECT_NE(p, std::string::npos) << "'" << from << "' not in the config";
  if (p != std::string::npos) text.replace(p, from.size(), to);
  return text;
}

/// `text` as a regular expression matching itself.
std::string regex_escaped(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

TEST_F(ServiceTest, SighupWithBrokenConfigKeepsRunningThenValidReloadSwapsLiveKeys) {
  const std::string original_id = unique_name("roomtempd_reload");
  const std::string config = default_config(broker_, *pg_, dir_,
                                            {.database = db_,
                                             .client_id = original_id,
                                             .log_level = "trace",
                                             .averages = "  windows: [1m, 15m, 1h]\n"});
  Daemon daemon(config);
  ASSERT_TRUE(daemon.wait_ready(30s));
  MqttClient sensor(broker_.port());
  const std::string topic = "buildings/B1/rooms/101/temperature";
  // Each reading a second after the one before (from 30 s ago): none is a copy of another.
  const std::int64_t first = now_micros() / kSecond * kSecond - 30 * kSecond;
  int sent = 0;
  auto reading = [&](double value) {
    const std::int64_t ts = first + sent++ * kSecond;
    sensor.publish(topic, R"({"temperature": )" + std::to_string(value) + R"(, "timestamp": ")" +
                              rfc3339(ts) + "\"}");
  };
  reading(20.0);
  ASSERT_TRUE(wait_until([&] { return stored() == 1; }, 10s, 50ms));
  // log.level trace is in effect: every committed batch is logged.
  EXPECT_NE(daemon.log().find("trace writer: committed"), std::string::npos);

  // 1. A file that is not YAML: the reload fails, the daemon runs on as before.
  daemon.write_config(replaced(config, "  qos: 1\n", "  qos: [1\n"));
  std::size_t mark = daemon.log().size();
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return daemon.log().find("reload failed", mark) != std::string::npos; }, 10s))
      << daemon.log().substr(mark);
  std::string since = daemon.log().substr(mark);
  // The reason, as FILE:LINE:COL: message.
  const std::regex located("error main: reload: " + regex_escaped(daemon.config_path()) +
                           ":[0-9]+:[0-9]+: .+");
  EXPECT_TRUE(std::regex_search(since, located)) << "no 'FILE:LINE:COL: message' in:\n" << since;
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(daemon.running()) << "the daemon exited on a broken config";
  EXPECT_EQ(daemon.http_get("/readyz").status, 200);
  reading(21.0);
  EXPECT_TRUE(wait_until([&] { return stored() == 2; }, 10s, 50ms))
      << "not ingesting after a failed reload: " << stored() << " rows";
  EXPECT_EQ(daemon.http_get("/v1/buildings/B1/rooms/101/temperature/average?window=7m").status, 400)
      << "7m is not a configured window yet";

  // 2. A valid file changing a live key (log.level, averages.windows) and one that needs a
  // restart (mqtt.client_id).
  std::string next = replaced(config, "  level: trace\n", "  level: info\n");
  next = replaced(next, "  windows: [1m, 15m, 1h]\n", "  windows: [1m, 7m, 15m, 1h]\n");
  const std::string new_id = unique_name("roomtempd_renamed");
  next = replaced(next, "  client_id: " + original_id + "\n", "  client_id: " + new_id + "\n");
  daemon.write_config(next);
  mark = daemon.log().size();
  daemon.signal(SIGHUP);
  ASSERT_TRUE(
      wait_until([&] { return daemon.log().find("reload done", mark) != std::string::npos; }, 10s))
      << daemon.log().substr(mark);
  since = daemon.log().substr(mark);
  EXPECT_TRUE(std::regex_search(
      since, std::regex("warn main: reload: mqtt\\.client_id changed[^\n]*keeping the old value")))
      << since;
  EXPECT_NE(since.find("reload: windows are now 1m, 7m, 15m, 1h"), std::string::npos) << since;
  EXPECT_EQ(since.find("log.level"), std::string::npos) << "log.level is live: " << since;

  reading(22.0);
  ASSERT_TRUE(wait_until([&] { return stored() == 3; }, 10s, 50ms)) << stored() << " rows";
  const HttpResponse avg =
      daemon.poll_get("/v1/buildings/B1/rooms/101/temperature/average?window=7m", 200, 5s);
  EXPECT_EQ(avg.status, 200) << avg.body;
  if (avg.status == 200) {
    const auto doc = nlohmann::json::parse(avg.body);
    EXPECT_EQ(doc.value("window", ""), "7m") << avg.body;
    EXPECT_GE(doc.value("count", 0), 1) << avg.body;
  }
  // The level is info now: the batch just committed left no trace line.
  EXPECT_EQ(daemon.log().find("trace writer: committed", mark), std::string::npos)
      << daemon.log().substr(mark);
  // The client id was kept: the broker never saw the new one.
  EXPECT_EQ(broker_.log().find(new_id), std::string::npos);
  EXPECT_TRUE(daemon.running());
}

TEST_F(ServiceTest, NotifiesReadyWatchdogStatusReloadingAndStopping) {
  NotifySocket notify(dir_.file("notify.sock"));
  // What the daemon had done when it said READY=1, looked at right then.
  std::mutex seen_mu;
  std::optional<std::string> log_at_ready;
  std::optional<long long> migrations_at_ready;
  std::atomic<Daemon*> watched{nullptr};
  notify.on_line([&](const std::string& line) {
    if (line != "READY=1") return;
    std::lock_guard lock(seen_mu);
    if (log_at_ready) return;
    if (Daemon* d = watched.load()) log_at_ready = d->log();
    try {
      migrations_at_ready = pg_->query_count("SELECT count(*) FROM schema_migrations", db_);
    } catch (const std::exception&) {
      migrations_at_ready = -1;
    }
  });

  const std::string config = default_config(broker_, *pg_, dir_, {.database = db_});
  Daemon daemon(config, {.env = {{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "1000000"}}});
  watched = &daemon;

  const auto ready = notify.wait_for("READY=1", 0, 30s);
  ASSERT_TRUE(ready) << "no READY=1 within 30 s";
  {
    std::lock_guard lock(seen_mu);
    ASSERT_TRUE(log_at_ready.has_value());
    EXPECT_NE(log_at_ready->find("info mqtt: subscribed to"), std::string::npos)
        << "READY=1 came before the daemon was subscribed; its log then:\n"
        << *log_at_ready;
    EXPECT_GE(migrations_at_ready.value_or(-1), 1) << "READY=1 came before the migrations";
  }
  // Migrations and the warm start asked for more start-up time than TimeoutStartSec's 90 s.
  const auto extend = notify.wait_for("EXTEND_TIMEOUT_USEC=600000000", 0, 1s);
  ASSERT_TRUE(extend) << "no EXTEND_TIMEOUT_USEC= while starting";
  EXPECT_LT(*extend, *ready);
  // (PostgreSQL is migrated; the writer's own connection may take a moment more.)
  EXPECT_TRUE(daemon.wait_ready(10s));

  // WATCHDOG=1 at half of WATCHDOG_USEC: at least 2 in the 2 s after READY=1.
  const auto ping = notify.wait_for("WATCHDOG=1", *ready + 1, 10s);
  const auto second_ping = ping ? notify.wait_for("WATCHDOG=1", *ping + 1, 10s) : std::nullopt;
  ASSERT_TRUE(second_ping) << "fewer than 2 WATCHDOG=1 after READY=1";
  const auto after_ready = notify.messages().at(*second_ping).at - notify.messages().at(*ready).at;
  EXPECT_LE(after_ready, 2s)
      << "the second WATCHDOG=1 came "
      << std::chrono::duration_cast<std::chrono::milliseconds>(after_ready).count()
      << " ms after READY=1";

  // A one-line STATUS= summary once running (while starting, STATUS= says which step).
  const auto status = notify.wait_for("STATUS=", *ready, 10s, true);
  ASSERT_TRUE(status) << "no STATUS= line";
  const std::string status_line = notify.messages().at(*status).line;
  EXPECT_GT(status_line.size(), std::string("STATUS=").size()) << status_line;
  EXPECT_NE(status_line.find("queue"), std::string::npos) << status_line;
  EXPECT_NE(status_line.find("spool"), std::string::npos) << status_line;

  // SIGHUP: RELOADING=1, then READY=1 again.
  std::size_t from = notify.messages().size();
  daemon.signal(SIGHUP);
  const auto reloading = notify.wait_for("RELOADING=1", from, 10s);
  ASSERT_TRUE(reloading) << "no RELOADING=1 after SIGHUP";
  EXPECT_TRUE(notify.wait_for("READY=1", *reloading + 1, 10s)) << "no READY=1 after RELOADING=1";

  // SIGTERM: STOPPING=1, exit 0.
  from = notify.messages().size();
  daemon.terminate();
  EXPECT_TRUE(notify.wait_for("STOPPING=1", from, 10s)) << "no STOPPING=1 after SIGTERM";
  const auto code = daemon.wait_exit(15s);
  ASSERT_TRUE(code.has_value()) << "roomtempd did not exit within 15 s of SIGTERM";
  EXPECT_EQ(*code, 0);

  // Without WATCHDOG_USEC (no WatchdogSec=) there are no pings.
  daemon.set_env({{"NOTIFY_SOCKET", notify.path()}});
  from = notify.messages().size();
  daemon.start();
  const auto ready2 = notify.wait_for("READY=1", from, 30s);
  ASSERT_TRUE(ready2) << "no READY=1 after the restart";
  std::this_thread::sleep_for(1500ms);
  int unasked = 0;
  for (std::size_t i = from; i < notify.messages().size(); ++i)
    unasked += notify.messages()[i].line == "WATCHDOG=1";
  EXPECT_EQ(unasked, 0) << "WATCHDOG=1 sent although the watchdog is off";
}

// READY=1 means "migrated and subscribed" (README "Operating roomtempd"), also when a reload comes
// first: a SIGHUP while the broker is still unreachable must not end systemd's start-up wait early.
TEST_F(ServiceTest, SighupBeforeSubscribedDoesNotSayReady) {
  NotifySocket notify(dir_.file("notify.sock"));
  broker_.stop();
  Daemon daemon(default_config(broker_, *pg_, dir_, {.database = db_}),
                {.env = {{"NOTIFY_SOCKET", notify.path()}}});
  // Up, serving HTTP, not subscribed.
  ASSERT_TRUE(wait_until([&] { return daemon.http_get("/healthz").status == 200; }, 30s, 50ms));
  EXPECT_EQ(daemon.http_get("/readyz").status, 503);

  // The reload itself happens, but systemd hears nothing of it while start-up is not finished:
  // RELOADING=1 … READY=1 would end its wait for READY=1.
  daemon.signal(SIGHUP);
  ASSERT_TRUE(
      wait_until([&] { return daemon.log().find("reload done") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(notify.wait_for("RELOADING=1", 0, 0ms)) << "RELOADING=1 before start-up finished";
  EXPECT_FALSE(notify.wait_for("READY=1", 0, 0ms))
      << "READY=1 while the daemon is not subscribed; /readyz says "
      << daemon.http_get("/readyz").body;

  // Once the broker is there, the daemon subscribes and says READY=1.
  const std::size_t from = notify.messages().size();
  broker_.start();
  ASSERT_TRUE(daemon.wait_ready(20s)) << daemon.http_get("/readyz").body;
  EXPECT_TRUE(notify.wait_for("READY=1", from, 5s)) << "no READY=1 once subscribed";
}

}  // namespace
}  // namespace roomtemp::harness
