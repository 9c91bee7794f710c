// The YAML configuration (README "Configuration"): defaults, full examples, durations and the DSN —
// what a valid file yields. What an invalid one says is in config_errors_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "config_file.h"
#include "config_test_support.h"

namespace roomtemp {
namespace {

using namespace std::chrono_literals;
using namespace config_test;

// --- defaults -------------------------------------------------------------------------------

void expect_spec_defaults(const Config& c) {
  EXPECT_EQ(c.mqtt.host, "127.0.0.1");
  EXPECT_EQ(c.mqtt.port, 1883);
  EXPECT_EQ(c.mqtt.client_id, "roomtempd");
  EXPECT_FALSE(c.mqtt.clean_session);
  EXPECT_EQ(c.mqtt.qos, 1);
  EXPECT_EQ(c.mqtt.keepalive, 30s);
  EXPECT_EQ(c.mqtt.username, "");
  EXPECT_EQ(c.mqtt.password_file, "");
  EXPECT_EQ(c.mqtt.tls.ca_file, "");
  EXPECT_EQ(c.mqtt.tls.cert_file, "");
  EXPECT_EQ(c.mqtt.tls.key_file, "");
  EXPECT_EQ(c.mqtt.subscriptions, std::vector<std::string>{"buildings/+/rooms/+/+"});
  EXPECT_EQ(c.postgres.password_file, "");
  EXPECT_TRUE(c.postgres.migrate);
  EXPECT_EQ(c.postgres.batch_max_rows, 5000u);
  EXPECT_EQ(c.postgres.batch_max_delay, 200ms);
  EXPECT_EQ(c.spool.dir, "/var/lib/roomtemp/spool");
  EXPECT_EQ(c.spool.max_bytes, 1024ull * 1024 * 1024);
  EXPECT_FALSE(c.spool.journal);
  EXPECT_EQ(c.spool.fsync_interval, 100ms);
  ASSERT_EQ(c.metrics.size(), 1u);
  EXPECT_EQ(c.metrics[0].name, "temperature");
  EXPECT_EQ(c.metrics[0].min, -60);
  EXPECT_EQ(c.metrics[0].max, 100);
  EXPECT_EQ(c.metrics[0].unit, "°C");
  EXPECT_EQ(c.averages.windows, (std::vector<Duration>{1min, 15min, 1h}));
  EXPECT_EQ(c.averages.publish_interval, 1s);
  EXPECT_EQ(c.averages.max_future_skew, 5min);
  EXPECT_EQ(c.averages.dedupe_horizon, 10min);
  EXPECT_EQ(c.http.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.http.token_file, "");
  EXPECT_EQ(c.log.level, "info");
}

TEST(ConfigDefaults, OnlyTheDsnGiven) {
  Config c = valid(kDsnOnly);
  EXPECT_EQ(c.postgres.dsn, "dbname=roomtemp");
  EXPECT_EQ(c.path, kFile);
  expect_spec_defaults(c);
}

TEST(ConfigDefaults, AStructNobodyParsedHasTheSameDefaults) {
  Config c;
  expect_spec_defaults(c);
}

TEST(ConfigDefaults, OmittedKeysInAGivenSectionKeepTheirDefaults) {
  Config c = valid(std::string(kDsnOnly) +
                   "mqtt:\n"
                   "  port: 1884\n"
                   "averages:\n"
                   "  publish_interval: 2s\n"
                   "spool:\n"
                   "  journal: true\n");
  EXPECT_EQ(c.mqtt.port, 1884);
  EXPECT_EQ(c.mqtt.host, "127.0.0.1");
  EXPECT_EQ(c.mqtt.client_id, "roomtempd");
  EXPECT_EQ(c.mqtt.keepalive, 30s);
  EXPECT_EQ(c.averages.publish_interval, 2s);
  EXPECT_EQ(c.averages.windows, (std::vector<Duration>{1min, 15min, 1h}));
  EXPECT_EQ(c.averages.max_future_skew, 5min);
  EXPECT_TRUE(c.spool.journal);
  EXPECT_EQ(c.spool.dir, "/var/lib/roomtemp/spool");
  EXPECT_EQ(c.spool.fsync_interval, 100ms);
}

// --- full configs ---------------------------------------------------------------------------

// The full example of every key and its default (README "Configuration").
constexpr const char* kFullExample = R"(mqtt:
  host: 127.0.0.1
  port: 1883
  client_id: roomtempd            # fixed id + persistent session: the broker queues QoS 1 while we are away
  clean_session: false
  qos: 1
  keepalive: 30s
  username: ""                    # optional
  password_file: ""               # optional; a file holding the password
  tls: { ca_file: "", cert_file: "", key_file: "" }   # TLS when ca_file is set
  subscriptions: ["buildings/+/rooms/+/+"]           # the metric is the last level
postgres:
  dsn: "host=/var/run/postgresql dbname=roomtemp"     # libpq connection string (required)
  password_file: ""
  migrate: true
  batch_max_rows: 5000
  batch_max_delay: 200ms
spool:
  dir: /var/lib/roomtemp/spool   # readings wait here, on disk, while PostgreSQL is unreachable
  max_bytes: 1GiB
  journal: false                 # true: every accepted reading is appended here before its MQTT
                                 # callback returns, so even SIGKILL loses nothing
  fsync_interval: 100ms          # journal mode: power loss loses at most this much
metrics:                          # which metrics are accepted, with their valid range
  temperature: { min: -60, max: 100, unit: "°C" }
averages:
  windows: [1m, 15m, 1h]
  publish_interval: 1s
  max_future_skew: 5m             # readings stamped further ahead than this are rejected
  dedupe_horizon: 10m
http:
  listen: 127.0.0.1:8080          # "" disables the REST API
  token_file: ""                  # when set, POST needs "Authorization: Bearer <token>"
log:
  level: info                     # trace|debug|info|warn|error
)";

TEST(ConfigFull, TheSpecExampleParsesToTheDefaults) {
  Config c = valid(kFullExample);
  EXPECT_EQ(c.postgres.dsn, "host=/var/run/postgresql dbname=roomtemp");
  expect_spec_defaults(c);
}

TEST(ConfigFull, EveryKeySetToSomethingElse) {
  Config c = valid(R"(# a config that changes every key
mqtt:
  host: broker.example
  port: 8883
  client_id: roomtempd-test
  clean_session: true
  qos: 0
  keepalive: 45s
  username: "sensor-reader"
  password_file: /etc/roomtemp/mqtt.pass
  tls: { ca_file: /etc/ssl/ca.pem, cert_file: /etc/ssl/c.pem, key_file: /etc/ssl/k.pem }
  subscriptions: ["buildings/+/rooms/+/+", "buildings/B9/rooms/+/humidity"]
postgres:
  dsn: "host=db dbname=rt user=rt"
  password_file: /etc/roomtemp/pg.pass
  migrate: false
  batch_max_rows: 1000
  batch_max_delay: 50ms
spool:
  dir: /tmp/spool
  max_bytes: 512MiB
  journal: true
  fsync_interval: 1s
metrics:
  temperature: { min: -40, max: 85.5, unit: "°C" }
  humidity: { min: 0, max: 100, unit: "%" }
  co2:
    min: 0
    max: 5000
averages:
  windows: [30s, 5m, 2h, 7d]
  publish_interval: 250ms
  max_future_skew: 2m
  dedupe_horizon: 1h
http:
  listen: "[::1]:9090"
  token_file: /etc/roomtemp/token
log:
  level: debug
)");
  EXPECT_EQ(c.mqtt.host, "broker.example");
  EXPECT_EQ(c.mqtt.port, 8883);
  EXPECT_EQ(c.mqtt.client_id, "roomtempd-test");
  EXPECT_TRUE(c.mqtt.clean_session);
  EXPECT_EQ(c.mqtt.qos, 0);
  EXPECT_EQ(c.mqtt.keepalive, 45s);
  EXPECT_EQ(c.mqtt.username, "sensor-reader");
  EXPECT_EQ(c.mqtt.password_file, "/etc/roomtemp/mqtt.pass");
  EXPECT_EQ(c.mqtt.tls.ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(c.mqtt.tls.cert_file, "/etc/ssl/c.pem");
  EXPECT_EQ(c.mqtt.tls.key_file, "/etc/ssl/k.pem");
  EXPECT_EQ(c.mqtt.subscriptions,
            (std::vector<std::string>{"buildings/+/rooms/+/+", "buildings/B9/rooms/+/humidity"}));
  EXPECT_EQ(c.postgres.dsn, "host=db dbname=rt user=rt");
  EXPECT_EQ(c.postgres.password_file, "/etc/roomtemp/pg.pass");
  EXPECT_FALSE(c.postgres.migrate);
  EXPECT_EQ(c.postgres.batch_max_rows, 1000u);
  EXPECT_EQ(c.postgres.batch_max_delay, 50ms);
  EXPECT_EQ(c.spool.dir, "/tmp/spool");
  EXPECT_EQ(c.spool.max_bytes, 512ull * 1024 * 1024);
  EXPECT_TRUE(c.spool.journal);
  EXPECT_EQ(c.spool.fsync_interval, 1s);
  ASSERT_EQ(c.metrics.size(), 3u);
  const MetricConfig* t = c.find_metric("temperature");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->min, -40);
  EXPECT_EQ(t->max, 85.5);
  EXPECT_EQ(t->unit, "°C");
  const MetricConfig* h = c.find_metric("humidity");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->min, 0);
  EXPECT_EQ(h->max, 100);
  EXPECT_EQ(h->unit, "%");
  const MetricConfig* co2 = c.find_metric("co2");
  ASSERT_NE(co2, nullptr);
  EXPECT_EQ(co2->min, 0);
  EXPECT_EQ(co2->max, 5000);
  EXPECT_EQ(co2->unit, "");
  EXPECT_EQ(c.find_metric("pressure"), nullptr);
  EXPECT_EQ(c.averages.windows, (std::vector<Duration>{30s, 5min, 2h, 7 * 24h}));
  EXPECT_EQ(c.averages.publish_interval, 250ms);
  EXPECT_EQ(c.averages.max_future_skew, 2min);
  EXPECT_EQ(c.averages.dedupe_horizon, 1h);
  EXPECT_EQ(c.http.listen, "[::1]:9090");
  EXPECT_EQ(c.http.token_file, "/etc/roomtemp/token");
  EXPECT_EQ(c.log.level, "debug");
}

TEST(ConfigFull, TheShippedExampleConfigIsValid) {
  // config/roomtemp.yaml is installed next to the binary; it must pass --check-config.
  const auto path = std::filesystem::path(ROOMTEMP_SOURCE_DIR) / "config" / "roomtemp.yaml";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " does not exist yet";
  ConfigResult r = load_config(path.string());
  EXPECT_TRUE(r.errors.empty()) << dump(r);
  ASSERT_TRUE(r.config.has_value());
  EXPECT_FALSE(r.config->postgres.dsn.empty());
  EXPECT_NE(r.config->find_metric("temperature"), nullptr);
}

TEST(ConfigFull, MetricsReplaceTheDefaultList) {
  Config c = valid(std::string(kDsnOnly) + "metrics:\n  humidity: {min: 0, max: 100}\n");
  ASSERT_EQ(c.metrics.size(), 1u);
  EXPECT_EQ(c.metrics[0].name, "humidity");
  EXPECT_EQ(c.find_metric("temperature"), nullptr);
}

TEST(ConfigFull, MinEqualToMaxIsAllowed) {
  Config c = valid(std::string(kDsnOnly) + "metrics:\n  door: {min: 0, max: 0}\n");
  ASSERT_NE(c.find_metric("door"), nullptr);
}

TEST(ConfigFull, EmptyListenDisablesHttp) {
  Config c = valid(std::string(kDsnOnly) + "http:\n  listen: \"\"\n");
  EXPECT_EQ(c.http.listen, "");
}

TEST(ConfigFull, EveryLogLevel) {
  for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
    Config c = valid(std::string(kDsnOnly) + "log:\n  level: " + level + "\n");
    EXPECT_EQ(c.log.level, level);
  }
}

TEST(ConfigFull, PortAndQosBoundaries) {
  EXPECT_EQ(valid(std::string(kDsnOnly) + "mqtt:\n  port: 1\n").mqtt.port, 1);
  EXPECT_EQ(valid(std::string(kDsnOnly) + "mqtt:\n  port: 65535\n").mqtt.port, 65535);
  EXPECT_EQ(valid(std::string(kDsnOnly) + "mqtt:\n  qos: 0\n").mqtt.qos, 0);
  EXPECT_EQ(valid(std::string(kDsnOnly) + "mqtt:\n  qos: 2\n").mqtt.qos, 2);
}

// --- durations ------------------------------------------------------------------------------

TEST(ConfigDuration, NumberWithoutUnit) {
  ConfigError e = one_error(
      "mqtt:\n"
      "  keepalive: 30\n"  // line 2, value at column 14
      "postgres: {dsn: dbname=x}\n");
  EXPECT_AT(e, 2, 14);
  EXPECT_MENTIONS(e, "mqtt.keepalive");
  EXPECT_MENTIONS(e, "30");
}

TEST(ConfigDuration, BadSpellings) {
  for (const char* d : {"1.5s", "10 s", "10sec", "-5s", "soon", "1h30m", "5M"}) {
    ConfigError e = one_error(std::string(kDsnOnly) + "averages:\n  publish_interval: " + d + "\n");
    EXPECT_AT(e, 4, 21);
    EXPECT_MENTIONS(e, "averages.publish_interval");
    EXPECT_MENTIONS(e, d);
  }
  EXPECT_MENTIONS(one_error("postgres:\n  dsn: dbname=x\n  batch_max_delay: 200\n"),
                  "postgres.batch_max_delay");
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "spool:\n  fsync_interval: fast\n"),
                  "spool.fsync_interval");
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "averages:\n  max_future_skew: 5 m\n"),
                  "averages.max_future_skew");
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "averages:\n  dedupe_horizon: ten\n"),
                  "averages.dedupe_horizon");
}

TEST(ConfigDuration, BadWindow) {
  ConfigError e = one_error(std::string(kDsnOnly) +
                            "averages:\n"
                            "  windows: [1m, 15min]\n");  // line 4, "15min" at column 17
  EXPECT_AT(e, 4, 17);
  EXPECT_MENTIONS(e, "15min");
  EXPECT_MENTIONS(e, "averages.windows");
}

TEST(ConfigDuration, WindowsListedTwiceOrEmpty) {
  ConfigError twice = one_error(std::string(kDsnOnly) + "averages:\n  windows: [1m, 60s]\n");
  EXPECT_AT(twice, 4, 17);
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "averages:\n  windows: []\n"),
                  "averages.windows");
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "averages:\n  windows: 15m\n"),
                  "averages.windows");
}

// --- postgres.dsn ---------------------------------------------------------------------------

TEST(ConfigDsn, NoPostgresSection) {
  ConfigError e = one_error("mqtt:\n  host: h\n");
  EXPECT_MENTIONS(e, "postgres.dsn");
  EXPECT_GE(e.line, 1);
  EXPECT_GE(e.column, 1);
}

TEST(ConfigDsn, SectionWithoutDsn) {
  ConfigError e = one_error(
      "postgres:\n"           // 1
      "  migrate: false\n");  // 2
  EXPECT_MENTIONS(e, "postgres.dsn");
  EXPECT_GE(e.line, 1);
  EXPECT_LE(e.line, 2);
}

TEST(ConfigDsn, EmptyDsn) {
  ConfigError e = one_error("postgres:\n  dsn: \"\"\n");  // line 2, value at column 8
  EXPECT_AT(e, 2, 8);
  EXPECT_MENTIONS(e, "postgres.dsn");
  EXPECT_MENTIONS(one_error("postgres:\n  dsn:\n"), "postgres.dsn");
}

TEST(ConfigDsn, EmptyFile) {
  for (const char* text : {"", "\n\n", "# nothing but a comment\n", "---\n"}) {
    ConfigError e = one_error(text);
    EXPECT_MENTIONS(e, "postgres.dsn");
    EXPECT_GE(e.line, 1) << "'" << text << "'";
    EXPECT_GE(e.column, 1) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace roomtemp
