#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duration.h"
#include "sources.h"

namespace roomtemp {

struct TlsConfig {
  std::string ca_file;  ///< TLS is on when set
  std::string cert_file;
  std::string key_file;
  bool operator==(const TlsConfig&) const = default;
};

struct MqttConfig {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id = "roomtempd";
  bool clean_session = false;
  int qos = 1;
  Duration keepalive = std::chrono::seconds(30);
  std::string username;
  std::string password_file;
  TlsConfig tls;
  std::vector<std::string> subscriptions{"buildings/+/rooms/+/+"};
  bool operator==(const MqttConfig&) const = default;
};

struct PostgresConfig {
  std::string dsn;  ///< required
  std::string password_file;
  bool migrate = true;
  std::size_t batch_max_rows = 5000;
  Duration batch_max_delay = std::chrono::milliseconds(200);
  bool operator==(const PostgresConfig&) const = default;
};

struct SpoolConfig {
  std::string dir = "/var/lib/roomtemp/spool";
  std::uint64_t max_bytes = 1ull << 30;
  bool journal = false;
  Duration fsync_interval = std::chrono::milliseconds(100);
  bool operator==(const SpoolConfig&) const = default;
};

/// An accepted metric and its valid range (inclusive).
struct MetricConfig {
  std::string name;
  double min = 0;
  double max = 0;
  std::string unit;
  bool operator==(const MetricConfig&) const = default;
};

struct AveragesConfig {
  std::vector<Duration> windows{std::chrono::minutes(1), std::chrono::minutes(15),
                                std::chrono::hours(1)};
  Duration publish_interval = std::chrono::seconds(1);
  Duration max_future_skew = std::chrono::minutes(5);
  Duration dedupe_horizon = std::chrono::minutes(10);
  bool operator==(const AveragesConfig&) const = default;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  ///< "" disables the REST API
  std::string token_file;                 ///< when set, POST needs its token as a bearer token
  std::string read_token_file;            ///< when set, data GETs need its or token_file's token
  bool operator==(const HttpConfig&) const = default;
};

/// Protection against misbehaving sensors.
struct LimitsConfig {
  /// Distinct building/room/metric series tracked; readings of new ones past this are rejected
  /// (too_many_series), so inventing ids cannot grow the daemon without bound.
  std::size_t max_series = 100000;
  /// Readings per second one series may send (a burst of 2 s worth is allowed); 0 = no limit.
  double series_rate = 0;
  bool operator==(const LimitsConfig&) const = default;
};

/// How long stored data is kept (0: forever). Raw readings go a whole UTC day at a time, never
/// before that day's rollups are complete, never the current or the previous day.
struct RetentionConfig {
  Duration readings{0};
  Duration rejected = std::chrono::days(30);
  Duration rollups{0};
  bool operator==(const RetentionConfig&) const = default;
};

/// Which side of its threshold an alarm rule fires on.
enum class AlarmSide { above, below };

/// One alarm rule (README "Alarms and silent sensors"): fires once the live average of `window`
/// has stayed past `threshold` for `hold`, and clears once it is back at or past `clear`.
struct AlarmRule {
  std::string name;  ///< 1-32 of a-z 0-9 _; unique
  std::string metric;
  AlarmSide side = AlarmSide::above;
  double threshold = 0;
  double clear = 0;  ///< on the threshold or on the side it clears to (hysteresis)
  Duration window{};
  Duration hold{0};  ///< the rule's `for`
  /// "building/room" patterns, `*` standing for one whole id; empty: every room.
  std::vector<std::string> rooms;
  bool operator==(const AlarmRule&) const = default;
};

/// Silent sensors: a room's metric with no reading for `after` is silent (0: never).
struct SilenceConfig {
  Duration after = std::chrono::minutes(15);
  bool operator==(const SilenceConfig&) const = default;
};

/// Home Assistant's MQTT discovery (README "Home Assistant"): retained configs under `prefix`
/// announce the averages, alarm states and statuses roomtempd publishes.
struct HomeAssistantConfig {
  bool discovery = false;
  std::string prefix = "homeassistant";  ///< one or more topic levels of A-Z a-z 0-9 _ -
  bool operator==(const HomeAssistantConfig&) const = default;
};

/// Active/standby (README "Standby and failover"): instances with the same `name` and database
/// form a group of which exactly one is active; "" runs alone. A standby takes over at most
/// `takeover` after the active ends.
struct ClusterConfig {
  std::string name;  ///< "" (alone) or 1-64 characters of A-Z a-z 0-9 _ - .
  Duration takeover = std::chrono::seconds(10);
  bool operator==(const ClusterConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";
  bool operator==(const LogConfig&) const = default;
};

/// The whole configuration, validated (app/config_file.h reads it from YAML). Every default
/// is the README's configuration table's.
struct Config {
  std::string path;  ///< the file it was read from
  MqttConfig mqtt;
  PostgresConfig postgres;
  SpoolConfig spool;
  std::vector<MetricConfig> metrics{{"temperature", -60, 100, "°C"}};
  AveragesConfig averages;
  HttpConfig http;
  LimitsConfig limits;
  RetentionConfig retention;
  std::vector<AlarmRule> alarms;
  SilenceConfig silence;
  HomeAssistantConfig homeassistant;
  ClusterConfig cluster;
  LogConfig log;
  /// The `sources:` list, validated, with each `mqtt.subscriptions` filter given explicitly as a
  /// native-scheme source; null when the file has no `sources:` (the native scheme alone, on
  /// `mqtt.subscriptions`). Shared: a reload that keeps the topics hands the new one over whole.
  std::shared_ptr<const SourceSet> sources;

  const MetricConfig* find_metric(std::string_view name) const;
};

/// Reads a secret from a file (password, token), trimming one trailing newline.
/// Throws std::runtime_error naming the file when it cannot be read.
std::string read_secret_file(const std::string& path);

/// Splits "host:port" / "[::1]:port"; false when malformed.
bool split_host_port(std::string_view listen, std::string& host, int& port);

}  // namespace roomtemp
