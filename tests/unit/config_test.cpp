// The YAML configuration (SPEC §2): defaults, a full example, and errors that name
// FILE:LINE:COL, the key and the value. Line and column numbers below are counted by hand
// from the YAML text (1-based).
#include "config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace roomtemp {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFile = "test.yaml";
constexpr const char* kDsnOnly = "postgres:\n  dsn: \"dbname=roomtemp\"\n";

std::string dump(const ConfigResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += "\n  " + e.to_string();
  return s;
}

/// Parses text that must be valid.
Config valid(const std::string& text) {
  ConfigResult r = parse_config(text, kFile);
  EXPECT_TRUE(r.errors.empty()) << dump(r);
  EXPECT_TRUE(r.config.has_value());
  return r.config.value_or(Config{});
}

/// Parses text that must have exactly one error, and returns it.
ConfigError one_error(const std::string& text) {
  ConfigResult r = parse_config(text, kFile);
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(r.errors.size(), 1u) << text << dump(r);
  if (r.errors.empty()) return {};
  return r.errors.front();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

#define EXPECT_AT(err, l, c)                           \
  do {                                                 \
    EXPECT_EQ((err).line, (l)) << (err).to_string();   \
    EXPECT_EQ((err).column, (c)) << (err).to_string(); \
    EXPECT_EQ((err).file, kFile) << (err).to_string(); \
  } while (0)

#define EXPECT_MENTIONS(err, text)             \
  EXPECT_TRUE(contains((err).message, (text))) \
      << (err).to_string() << "\n  should mention " << (text)

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

// SPEC.md §2, verbatim.
constexpr const char* kSpecExample = R"(mqtt:
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
  Config c = valid(kSpecExample);
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
  const auto path = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                    "config" / "roomtemp.yaml";
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

// --- unknown keys ---------------------------------------------------------------------------

TEST(ConfigUnknownKey, TopLevel) {
  ConfigError e = one_error(
      "postgres:\n"  // 1
      "  dsn: x\n"   // 2
      "mqqt:\n"      // 3, the key at column 1
      "  host: h\n");
  EXPECT_AT(e, 3, 1);
  EXPECT_MENTIONS(e, "mqqt");
  EXPECT_MENTIONS(e, "unknown");
}

TEST(ConfigUnknownKey, NestedInMqtt) {
  ConfigError e = one_error(
      "mqtt:\n"              // 1
      "  host: 127.0.0.1\n"  // 2
      "  hots: x\n"          // 3, column 3
      "postgres:\n"
      "  dsn: x\n");
  EXPECT_AT(e, 3, 3);
  EXPECT_MENTIONS(e, "mqtt.hots");
  EXPECT_EQ(e.to_string().rfind("test.yaml:3:3: ", 0), 0u) << e.to_string();
}

TEST(ConfigUnknownKey, TwoLevelsDeepInBlockStyle) {
  ConfigError e = one_error(
      "postgres: {dsn: x}\n"  // 1
      "mqtt:\n"               // 2
      "  tls:\n"              // 3
      "    ca_file: /ca\n"    // 4
      "    cafile: /x\n");    // 5, column 5
  EXPECT_AT(e, 5, 5);
  EXPECT_MENTIONS(e, "cafile");
}

TEST(ConfigUnknownKey, TwoLevelsDeepInFlowStyle) {
  //         1234567890123456789012345
  ConfigError e = one_error(
      "postgres: {dsn: x}\n"
      "mqtt:\n"
      "  tls: { ca_file: \"\", cafile: \"x\" }\n");  // line 3, "cafile" at column 23
  EXPECT_AT(e, 3, 23);
  EXPECT_MENTIONS(e, "cafile");
}

TEST(ConfigUnknownKey, InAMetric) {
  ConfigError e = one_error(
      "postgres: {dsn: x}\n"
      "metrics:\n"
      "  temperature: {min: -60, max: 100, units: C}\n");  // line 3, "units" at column 37
  EXPECT_AT(e, 3, 37);
  EXPECT_MENTIONS(e, "units");
}

TEST(ConfigUnknownKey, InEverySection) {
  for (const char* section : {"mqtt", "spool", "averages", "http", "log"}) {
    // Lines 1-2 are the dsn, line 3 the section, line 4 "  bogus: 1" with the key at column 3.
    ConfigError e = one_error(std::string(kDsnOnly) + section + ":\n  bogus: 1\n");
    EXPECT_AT(e, 4, 3);
    EXPECT_MENTIONS(e, std::string(section) + ".bogus");
  }
  ConfigError e = one_error(
      "postgres:\n"
      "  dsn: x\n"
      "  dns: y\n");  // line 3, column 3
  EXPECT_AT(e, 3, 3);
  EXPECT_MENTIONS(e, "postgres.dns");
}

TEST(ConfigUnknownKey, KeysAreCaseSensitive) {
  ConfigError e = one_error(std::string(kDsnOnly) + "Log:\n  level: info\n");
  EXPECT_AT(e, 3, 1);
  EXPECT_MENTIONS(e, "Log");
}

// --- wrong types and values -----------------------------------------------------------------

TEST(ConfigWrongType, PortNotANumber) {
  ConfigError e = one_error(
      "mqtt:\n"
      "  port: abc\n"  // line 2, value at column 9
      "postgres: {dsn: x}\n");
  EXPECT_AT(e, 2, 9);
  EXPECT_MENTIONS(e, "mqtt.port");
  EXPECT_MENTIONS(e, "abc");
}

TEST(ConfigWrongType, PortOutOfRange) {
  for (const char* port : {"0", "65536", "70000", "-1", "99999999999"}) {
    ConfigError e = one_error(std::string("mqtt:\n  port: ") + port + "\npostgres: {dsn: x}\n");
    EXPECT_AT(e, 2, 9);
    EXPECT_MENTIONS(e, "mqtt.port");
    EXPECT_MENTIONS(e, port);
  }
}

TEST(ConfigWrongType, PortNotAnInteger) {
  for (const char* port : {"1.5", "1883x", "\"\"", "0x50", "1e3"}) {
    ConfigError e = one_error(std::string("mqtt:\n  port: ") + port + "\npostgres: {dsn: x}\n");
    EXPECT_EQ(e.line, 2) << port;
    EXPECT_MENTIONS(e, "mqtt.port");
  }
}

TEST(ConfigWrongType, BooleanThatIsNot) {
  ConfigError e = one_error(
      "mqtt:\n"
      "  clean_session: maybe\n"  // line 2, value at column 18
      "postgres: {dsn: x}\n");
  EXPECT_AT(e, 2, 18);
  EXPECT_MENTIONS(e, "mqtt.clean_session");
  EXPECT_MENTIONS(e, "maybe");
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "spool:\n  journal: 2\n"), "spool.journal");
  EXPECT_MENTIONS(one_error("postgres:\n  dsn: x\n  migrate: sure\n"), "postgres.migrate");
}

TEST(ConfigWrongType, QosOutOfRange) {
  ConfigError e = one_error(std::string(kDsnOnly) + "mqtt:\n  qos: 3\n");  // line 4, column 8
  EXPECT_AT(e, 4, 8);
  EXPECT_MENTIONS(e, "mqtt.qos");
}

TEST(ConfigWrongType, ListWhereAValueIsExpected) {
  ConfigError e = one_error(std::string(kDsnOnly) + "mqtt:\n  host: [a, b]\n");  // 4:9
  EXPECT_AT(e, 4, 9);
  EXPECT_MENTIONS(e, "mqtt.host");
}

TEST(ConfigWrongType, ValueWhereASectionIsExpected) {
  ConfigError e = one_error(std::string(kDsnOnly) + "mqtt: 5\n");  // line 3, "5" at column 7
  EXPECT_AT(e, 3, 7);
  EXPECT_MENTIONS(e, "mqtt");
}

TEST(ConfigWrongType, TopLevelIsNotAMapping) {
  ConfigResult r = parse_config("- a\n- b\n", kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].line, 1);
  EXPECT_EQ(r.errors[0].column, 1);
  // The message reads as a sentence, not "test.yaml:1:1: : expected a mapping".
  EXPECT_NE(r.errors[0].message.rfind(":", 0), 0u) << r.errors[0].to_string();
}

TEST(ConfigWrongType, SubscriptionsMustBeAListOfFilters) {
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "mqtt:\n  subscriptions: \"buildings/#\"\n"),
                  "mqtt.subscriptions");
  ConfigError e = one_error(std::string(kDsnOnly) +
                            "mqtt:\n"
                            "  subscriptions: [\"buildings/#\", \"a/#/b\"]\n");  // line 4
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.column, 34);  // the second element's opening quote
  EXPECT_MENTIONS(e, "a/#/b");
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "mqtt:\n  subscriptions: []\n"),
                  "mqtt.subscriptions");
}

TEST(ConfigWrongType, BatchMaxRows) {
  EXPECT_MENTIONS(one_error("postgres:\n  dsn: x\n  batch_max_rows: 0\n"), "batch_max_rows");
  EXPECT_MENTIONS(one_error("postgres:\n  dsn: x\n  batch_max_rows: many\n"), "batch_max_rows");
}

TEST(ConfigWrongType, ByteSizes) {
  ConfigError e = one_error(std::string(kDsnOnly) + "spool:\n  max_bytes: lots\n");  // 4:14
  EXPECT_AT(e, 4, 14);
  EXPECT_MENTIONS(e, "spool.max_bytes");
  EXPECT_MENTIONS(e, "lots");
  EXPECT_MENTIONS(one_error(std::string(kDsnOnly) + "spool:\n  max_bytes: 1 GiB\n"),
                  "spool.max_bytes");
}

TEST(ConfigWrongType, HttpListen) {
  for (const char* listen : {"localhost", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536"}) {
    ConfigError e = one_error(std::string(kDsnOnly) + "http:\n  listen: \"" + listen + "\"\n");
    EXPECT_AT(e, 4, 11);
    EXPECT_MENTIONS(e, "http.listen");
    EXPECT_MENTIONS(e, listen);
  }
}

TEST(ConfigWrongType, LogLevel) {
  ConfigError e = one_error(std::string(kDsnOnly) + "log:\n  level: loud\n");  // 4:10
  EXPECT_AT(e, 4, 10);
  EXPECT_MENTIONS(e, "log.level");
  EXPECT_MENTIONS(e, "loud");
}

TEST(ConfigWrongType, Metrics) {
  const std::string base = kDsnOnly;
  // min above max: the error points into that metric.
  ConfigError swapped = one_error(base + "metrics:\n  temperature: {min: 100, max: -60}\n");
  EXPECT_EQ(swapped.line, 4);
  EXPECT_MENTIONS(swapped, "temperature");
  // A bound that is not a number.
  ConfigError cold = one_error(base + "metrics:\n  temperature: {min: cold, max: 100}\n");
  EXPECT_AT(cold, 4, 22);
  EXPECT_MENTIONS(cold, "metrics.temperature.min");
  EXPECT_MENTIONS(cold, "cold");
  // A missing bound.
  ConfigError nomax = one_error(base + "metrics:\n  temperature: {min: -60}\n");
  EXPECT_EQ(nomax.line, 4);
  EXPECT_MENTIONS(nomax, "max");
  // A metric name that could never appear in a topic.
  ConfigError name = one_error(base + "metrics:\n  \"temp erature\": {min: 0, max: 1}\n");
  EXPECT_AT(name, 4, 3);
  // Not a mapping at all.
  EXPECT_MENTIONS(one_error(base + "metrics: [temperature]\n"), "metrics");
  EXPECT_MENTIONS(one_error(base + "metrics: {}\n"), "metrics");
  // "value" would clash with the payload's generic value key.
  EXPECT_MENTIONS(one_error(base + "metrics:\n  value: {min: 0, max: 1}\n"), "value");
}

// --- durations ------------------------------------------------------------------------------

TEST(ConfigDuration, NumberWithoutUnit) {
  ConfigError e = one_error(
      "mqtt:\n"
      "  keepalive: 30\n"  // line 2, value at column 14
      "postgres: {dsn: x}\n");
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
  EXPECT_MENTIONS(one_error("postgres:\n  dsn: x\n  batch_max_delay: 200\n"),
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

// --- YAML syntax ----------------------------------------------------------------------------

TEST(ConfigSyntax, UnclosedFlowSequence) {
  ConfigResult r = parse_config(
      "postgres:\n"
      "  dsn: x\n"
      "mqtt:\n"
      "  subscriptions: [\"buildings/#\"\n"  // line 4: never closed
      "  host: h\n",
      kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_GE(r.errors[0].line, 4) << r.errors[0].to_string();
  EXPECT_GE(r.errors[0].column, 1);
  EXPECT_EQ(r.errors[0].file, kFile);
}

TEST(ConfigSyntax, UnclosedFlowMapping) {
  ConfigResult r = parse_config("postgres:\n  dsn: x\nmqtt: {host: h\n", kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_GE(r.errors[0].line, 3) << r.errors[0].to_string();
  EXPECT_TRUE(contains(r.errors[0].message, "YAML")) << r.errors[0].to_string();
}

TEST(ConfigSyntax, SecondColonInAPlainValue) {
  ConfigResult r = parse_config(
      "postgres:\n"
      "  dsn: x\n"
      "mqtt:\n"
      "  host: h: i\n",  // line 4, the second ':' at column 10
      kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].line, 4) << r.errors[0].to_string();
  EXPECT_EQ(r.errors[0].column, 10) << r.errors[0].to_string();
}

TEST(ConfigSyntax, TabIndentation) {
  ConfigResult r = parse_config("postgres:\n  dsn: x\n\tmqtt:\n", kFile);  // tab on line 3
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].line, 3) << r.errors[0].to_string();
}

TEST(ConfigSyntax, ListItemInsideAMapping) {
  ConfigResult r = parse_config(
      "postgres:\n"
      "  dsn: x\n"
      "mqtt:\n"
      "  host: h\n"
      "  - item\n",  // line 5, column 3
      kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].line, 5) << r.errors[0].to_string();
  EXPECT_EQ(r.errors[0].column, 3) << r.errors[0].to_string();
}

// yaml-cpp 0.7 reads an unterminated quoted scalar up to the end of the file instead of
// failing, so `host: 'broker` is accepted as "broker ". Enable when that is caught.
TEST(ConfigSyntax, DISABLED_UnterminatedQuote) {
  ConfigResult r = parse_config("postgres:\n  dsn: x\nmqtt:\n  host: 'broker\n", kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].line, 4) << r.errors[0].to_string();
}

TEST(ConfigDuplicateKey, InASection) {
  // YAML mapping keys are unique; a second `host:` must not be silently ignored.
  ConfigError e = one_error(
      "postgres: {dsn: x}\n"
      "mqtt:\n"
      "  host: a\n"
      "  host: b\n");  // line 4, column 3
  EXPECT_AT(e, 4, 3);
  EXPECT_MENTIONS(e, "mqtt.host");
}

TEST(ConfigDuplicateKey, AtTheTopLevel) {
  ConfigError e = one_error(
      "postgres: {dsn: x}\n"
      "log: {level: info}\n"
      "log: {level: debug}\n");  // line 3, column 1
  EXPECT_AT(e, 3, 1);
  EXPECT_MENTIONS(e, "log");
}

TEST(ConfigDuplicateKey, AMetricListedTwice) {
  ConfigError e = one_error(
      "postgres: {dsn: x}\n"
      "metrics:\n"
      "  temperature: {min: -60, max: 100}\n"
      "  temperature: {min: 0, max: 50}\n");  // line 4, column 3
  EXPECT_AT(e, 4, 3);
  EXPECT_MENTIONS(e, "metrics.temperature");
}

TEST(ConfigSyntax, BadIndentation) {
  ConfigResult r = parse_config(
      "postgres:\n"      // 1
      "  dsn: x\n"       // 2
      "mqtt:\n"          // 3
      "    host: h\n"    // 4
      "  port: 1883\n",  // 5: less indented than host, more than mqtt
      kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].line, 5) << r.errors[0].to_string();
}

TEST(ConfigSyntax, ErrorsArePrintedAsFileLineColumn) {
  ConfigResult r = parse_config("mqtt: [\n", "/etc/roomtemp/roomtemp.yaml");
  ASSERT_FALSE(r.errors.empty());
  const std::string s = r.errors[0].to_string();
  const std::string prefix = "/etc/roomtemp/roomtemp.yaml:" + std::to_string(r.errors[0].line) +
                             ":" + std::to_string(r.errors[0].column) + ": ";
  EXPECT_EQ(s.rfind(prefix, 0), 0u) << s;
  EXPECT_GT(s.size(), prefix.size());
}

// --- every problem is reported --------------------------------------------------------------

TEST(ConfigErrors, EveryProblemIsReportedInOrder) {
  ConfigResult r = parse_config(
      "mqtt:\n"           // 1
      "  port: 0\n"       // 2, column 9
      "  qos: 7\n"        // 3, column 8
      "  colour: red\n"   // 4, column 3
      "postgres:\n"       // 5
      "  dsn: x\n"        // 6
      "log:\n"            // 7
      "  level: loud\n",  // 8, column 10
      kFile);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 4u) << dump(r);
  std::vector<std::pair<int, int>> where;
  for (const auto& e : r.errors) where.emplace_back(e.line, e.column);
  std::sort(where.begin(), where.end());
  EXPECT_EQ(where, (std::vector<std::pair<int, int>>{{2, 9}, {3, 8}, {4, 3}, {8, 10}}));
}

}  // namespace
}  // namespace roomtemp
