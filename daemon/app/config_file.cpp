#include "config_file.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "alarm_rules.h"
#include "config_reader.h"
#include "config_sources.h"
#include "ha_discovery.h"
#include "mqtt_client.h"
#include "topic.h"

namespace roomtemp {

std::string ConfigError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

/// The keys each mapping of the file may hold, one list per mapping: the parser refuses any
/// other key (check_map) and known_config_keys() lists them for the documentation's tests.
constexpr std::string_view kTopKeys[] = {
    "mqtt",      "postgres", "spool",   "metrics",       "averages", "http", "limits",
    "retention", "alarms",   "silence", "homeassistant", "cluster",  "log",  "sources"};
constexpr std::string_view kMqttKeys[] = {"host", "port",         "client_id", "clean_session",
                                          "qos",  "keepalive",    "username",  "password_file",
                                          "tls",  "subscriptions"};
constexpr std::string_view kMqttTlsKeys[] = {"ca_file", "cert_file", "key_file"};
constexpr std::string_view kPostgresKeys[] = {"dsn", "password_file", "migrate", "batch_max_rows",
                                              "batch_max_delay"};
constexpr std::string_view kSpoolKeys[] = {"dir", "max_bytes", "journal", "fsync_interval"};
constexpr std::string_view kMetricKeys[] = {"min", "max", "unit"};
constexpr std::string_view kAveragesKeys[] = {"windows", "publish_interval", "max_future_skew",
                                              "dedupe_horizon"};
constexpr std::string_view kHttpKeys[] = {"listen", "token_file", "read_token_file"};
constexpr std::string_view kLimitsKeys[] = {"max_series", "series_rate"};
constexpr std::string_view kRetentionKeys[] = {"readings", "rejected", "rollups"};
constexpr std::string_view kSilenceKeys[] = {"after"};
/// The keys of one rule of the `alarms` list (a list, so no section of its own below: the list
/// is one key, `alarms`, and the README describes a rule's keys beside it).
constexpr std::string_view kAlarmRuleKeys[] = {"name",  "metric", "above", "below",
                                               "clear", "window", "for",   "rooms"};
constexpr std::string_view kHomeAssistantKeys[] = {"discovery", "prefix"};
constexpr std::string_view kClusterKeys[] = {"name", "takeover"};
constexpr std::string_view kLogKeys[] = {"level"};

/// A mapping of the file and the keys it may hold.
struct Section {
  std::string_view path;  ///< dotted; "" is the top level, "metrics.<name>" every metric
  std::span<const std::string_view> keys;
};

/// Every mapping; a key that names another mapping (or, like metrics, holds mappings named by
/// the user) is a branch, every other key a value.
constexpr Section kSections[] = {
    {"", kTopKeys},
    {"mqtt", kMqttKeys},
    {"mqtt.tls", kMqttTlsKeys},
    {"postgres", kPostgresKeys},
    {"spool", kSpoolKeys},
    {"metrics.<name>", kMetricKeys},
    {"averages", kAveragesKeys},
    {"http", kHttpKeys},
    {"limits", kLimitsKeys},
    {"retention", kRetentionKeys},
    {"silence", kSilenceKeys},
    {"homeassistant", kHomeAssistantKeys},
    {"cluster", kClusterKeys},
    {"log", kLogKeys},
};

/// Appends the dotted keys under `section`, descending into the mappings it holds: the one
/// of the same name ("mqtt.tls") or those the user names ("metrics.<name>").
void list_keys(const Section& section, std::vector<std::string>& out) {
  for (std::string_view key : section.keys) {
    const std::string dotted = section.path.empty()
                                   ? std::string(key)
                                   : std::string(section.path) + "." + std::string(key);
    bool branch = false;
    for (const Section& inner : kSections) {
      if (inner.path != dotted && inner.path != dotted + ".<name>") continue;
      branch = true;
      list_keys(inner, out);
    }
    if (!branch) out.push_back(dotted);
  }
}

/// Why libpq would refuse `dsn` before connecting (an unknown keyword, a malformed URI, a
/// missing '='), or nullopt when it parses. A typo must not look like a database outage.
std::optional<std::string> dsn_problem(const std::string& dsn) {
  char* message = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &message);
  if (options) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string why = message ? message : "libpq cannot parse it";
  if (message) PQfreemem(message);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return why;
}

/// Walks the YAML tree, filling a Config and collecting every error with its position: each
/// section of the file, read with ConfigReader's checked values.
class Reader : public ConfigReader {
 public:
  using ConfigReader::ConfigReader;

  void read(const YAML::Node& root, Config& c) {
    if (!root || root.IsNull()) {
      error(YAML::Mark{}, "the file is empty; postgres.dsn is required");
      return;
    }
    if (!check_map(root, "", kTopKeys)) return;
    if (auto n = root["mqtt"]) read_mqtt(n, c.mqtt);
    if (auto n = root["postgres"])
      read_postgres(n, c.postgres);
    else
      error(root.Mark(), "postgres.dsn is required");
    if (auto n = root["spool"]) read_spool(n, c.spool);
    if (auto n = root["metrics"]) read_metrics(n, c);
    if (auto n = root["averages"]) read_averages(n, c.averages);
    if (auto n = root["http"]) read_http(n, c.http);
    if (auto n = root["limits"]) read_limits(n, c.limits);
    if (auto n = root["retention"]) read_retention(n, c.retention);
    // After metrics and averages: a rule names one of each.
    if (auto n = root["alarms"]) read_alarms(n, c);
    if (auto n = root["silence"]) read_silence(n, c.silence);
    if (auto n = root["homeassistant"]) read_homeassistant(n, c.homeassistant);
    if (auto n = root["cluster"]) read_cluster(n, c);
    if (auto n = root["log"]) read_log(n, c.log);
    // After mqtt and metrics: a source's values name metrics, and its topics subscriptions.
    if (const YAML::Node mqtt = root["mqtt"]; mqtt && mqtt.IsMap())
      read_sources(root["sources"], mqtt["subscriptions"], c, *this);
    else
      read_sources(root["sources"], YAML::Node(), c, *this);
  }

  void read_mqtt(const YAML::Node& n, MqttConfig& m) {
    const std::string w = "mqtt";
    if (!check_map(n, w, kMqttKeys)) return;
    string(n, w, "host", m.host);
    if (n["host"] && m.host.empty()) error(n["host"].Mark(), "mqtt.host: must not be empty");
    integer(n, w, "port", m.port, 1, 65535);
    string(n, w, "client_id", m.client_id);
    if (n["client_id"] && (m.client_id.empty() || m.client_id.size() > 230))
      error(n["client_id"].Mark(), "mqtt.client_id: must be 1 to 230 characters");
    boolean(n, w, "clean_session", m.clean_session);
    integer(n, w, "qos", m.qos, 0, 2);
    duration(n, w, "keepalive", m.keepalive, std::chrono::seconds(5));
    if (m.keepalive > std::chrono::seconds(65535))
      error(n["keepalive"].Mark(), "mqtt.keepalive: at most 65535s");
    string(n, w, "username", m.username);
    file(n, w, "password_file", m.password_file);
    if (auto t = n["tls"]) {
      if (check_map(t, "mqtt.tls", kMqttTlsKeys)) {
        file(t, "mqtt.tls", "ca_file", m.tls.ca_file);
        file(t, "mqtt.tls", "cert_file", m.tls.cert_file);
        file(t, "mqtt.tls", "key_file", m.tls.key_file);
        if (m.tls.cert_file.empty() != m.tls.key_file.empty())
          error(t.Mark(), "mqtt.tls: cert_file and key_file go together");
        if (!m.tls.cert_file.empty() && m.tls.ca_file.empty())
          error(t.Mark(), "mqtt.tls: a client certificate needs ca_file");
      }
    }
    if (n["subscriptions"]) {
      m.subscriptions.clear();
      sequence(n, w, "subscriptions", [&](const YAML::Node& s, const std::string& q) {
        if (!scalar(s, q)) return;
        if (!valid_subscription(s.Scalar()))
          error(s.Mark(), q + ": '" + printable(s.Scalar()) + "' is not a valid MQTT topic filter");
        else
          m.subscriptions.push_back(s.Scalar());
      });
    }
  }

  void read_postgres(const YAML::Node& n, PostgresConfig& p) {
    const std::string w = "postgres";
    if (n.IsNull()) {
      error(n.Mark(), "postgres.dsn is required");
      return;
    }
    if (!check_map(n, w, kPostgresKeys)) return;
    string(n, w, "dsn", p.dsn);
    if (p.dsn.empty())
      error(n["dsn"] ? n["dsn"].Mark() : n.Mark(), "postgres.dsn is required");
    else if (auto why = dsn_problem(p.dsn))
      error(n["dsn"].Mark(), "postgres.dsn: " + *why);
    file(n, w, "password_file", p.password_file);
    boolean(n, w, "migrate", p.migrate);
    integer(n, w, "batch_max_rows", p.batch_max_rows, 1, 1'000'000);
    duration(n, w, "batch_max_delay", p.batch_max_delay, std::chrono::milliseconds(1));
  }

  void read_spool(const YAML::Node& n, SpoolConfig& s) {
    const std::string w = "spool";
    if (!check_map(n, w, kSpoolKeys)) return;
    string(n, w, "dir", s.dir);
    if (s.dir.empty()) error(n["dir"].Mark(), "spool.dir: must not be empty");
    if (auto b = n["max_bytes"]; b && scalar(b, "spool.max_bytes")) {
      auto v = parse_byte_size(b.Scalar());
      if (!v)
        error(b.Mark(),
              "spool.max_bytes: expected a size like 512MiB or 1GiB, got '" + b.Scalar() + "'");
      else if (*v < (1u << 20))
        error(b.Mark(), "spool.max_bytes: at least 1MiB");
      else
        s.max_bytes = *v;
    }
    boolean(n, w, "journal", s.journal);
    duration(n, w, "fsync_interval", s.fsync_interval, Duration(0));
  }

  void read_metrics(const YAML::Node& n, Config& c) {
    if (!n.IsMap() || n.size() == 0) {
      error(n.Mark(), "metrics: expected a mapping of metric names to {min, max, unit}");
      return;
    }
    c.metrics.clear();
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string name = kv.first.Scalar();
      const std::string q = "metrics." + name;
      if (!seen.insert(name).second) {
        error(kv.first.Mark(), "key '" + q + "' is given twice");
        continue;
      }
      if (!valid_id(name)) {
        error(kv.first.Mark(), q + ": a metric name is 1-64 characters of A-Z a-z 0-9 _ - .");
        continue;
      }
      if (name == "value" || name == "timestamp" || name == "sensor_id" || name == "rooms") {
        error(kv.first.Mark(), fmt::format("{}: '{}' is reserved", q, name));
        continue;
      }
      MetricConfig m{name, 0, 0, ""};
      if (kv.second.IsNull()) {
        error(kv.first.Mark(), q + ": expected {min, max, unit}; min and max are required");
        continue;
      }
      if (!check_map(kv.second, q, kMetricKeys)) continue;
      bool ok = true;
      for (const char* k : {"min", "max"}) {
        if (!kv.second[k]) {
          error(kv.second.Mark(), q + "." + k + " is required");
          ok = false;
        }
      }
      if (!ok) continue;
      ok &= number(kv.second["min"], q + ".min", m.min);
      ok &= number(kv.second["max"], q + ".max", m.max);
      string(kv.second, q, "unit", m.unit);
      if (ok && m.min > m.max) {
        error(kv.second["max"].Mark(), q + ": max must not be below min");
        continue;
      }
      if (ok) c.metrics.push_back(m);
    }
  }

  void read_averages(const YAML::Node& n, AveragesConfig& a) {
    const std::string w = "averages";
    if (!check_map(n, w, kAveragesKeys)) return;
    if (n["windows"]) {
      a.windows.clear();
      std::set<Duration::rep> seen;
      sequence(n, w, "windows", [&](const YAML::Node& s, const std::string& q) {
        Duration d;
        if (!duration_value(s, q, d, std::chrono::seconds(1))) return;
        if (d.count() % 1000 != 0)
          error(s.Mark(), q + ": a window is a whole number of seconds");
        else if (d > std::chrono::days(31))
          error(s.Mark(), q + ": at most 31d");
        else if (!seen.insert(d.count()).second)
          error(s.Mark(), q + ": listed twice");
        else
          a.windows.push_back(d);
      });
    }
    duration(n, w, "publish_interval", a.publish_interval, std::chrono::milliseconds(10));
    duration(n, w, "max_future_skew", a.max_future_skew, Duration(0));
    duration(n, w, "dedupe_horizon", a.dedupe_horizon, Duration(0));
  }

  void read_http(const YAML::Node& n, HttpConfig& h) {
    const std::string w = "http";
    if (!check_map(n, w, kHttpKeys)) return;
    string(n, w, "listen", h.listen);
    std::string host;
    int port;
    if (!h.listen.empty() && !split_host_port(h.listen, host, port))
      error(n["listen"].Mark(), "http.listen: expected HOST:PORT or \"\", got '" + h.listen + "'");
    string(n, w, "token_file", h.token_file);
    string(n, w, "read_token_file", h.read_token_file);
  }

  void read_limits(const YAML::Node& n, LimitsConfig& l) {
    if (!check_map(n, "limits", kLimitsKeys)) return;
    integer(n, "limits", "max_series", l.max_series, 1, 100'000'000);
    if (auto r = n["series_rate"]) {
      double v;
      if (number(r, "limits.series_rate", v)) {
        if (v < 0)
          error(r.Mark(), "limits.series_rate: must not be negative (0 = no limit)");
        else
          l.series_rate = v;
      }
    }
  }

  /// An age of retention: 0 (keep forever) or a duration of at least a day.
  void retention_age(const YAML::Node& map, const char* key, Duration& out) {
    const YAML::Node n = map[key];
    if (!n) return;
    const std::string q = qualify("retention", key);
    duration_or_off(n, q, out, std::chrono::days(1),
                    "stored data goes a day at a time; 0 keeps it forever");
  }

  void read_retention(const YAML::Node& n, RetentionConfig& r) {
    if (!check_map(n, "retention", kRetentionKeys)) return;
    retention_age(n, "readings", r.readings);
    retention_age(n, "rejected", r.rejected);
    retention_age(n, "rollups", r.rollups);
    // Raw readings are dropped only once their rollups hold them: rollups dropped sooner
    // would lose those days altogether.
    const bool rollups_first =
        r.rollups.count() != 0 && (r.readings.count() == 0 || r.rollups < r.readings);
    if (rollups_first && n["rollups"])
      error(
          n["rollups"].Mark(),
          "retention.rollups: " + n["rollups"].Scalar() +
              " drops the rollups before the raw readings (retention.readings: " +
              (r.readings.count() == 0 ? std::string("0, forever") : format_duration(r.readings)) +
              "); it must be 0 or at least as long");
  }

  void read_alarms(const YAML::Node& n, Config& c) {
    if (n.IsNull()) return;  // "alarms:" with no rule under it
    if (!n.IsSequence()) {
      error(n.Mark(), "alarms: expected a list of rules ({name, metric, above or below, window})");
      return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node item = n[i];
      const std::string q = "alarms[" + std::to_string(i) + "]";
      if (!item.IsMap()) {
        error(item.Mark(), q + ": expected a rule {name, metric, above or below, window, …}");
        continue;
      }
      if (!check_map(item, q, kAlarmRuleKeys)) continue;
      AlarmRule rule;
      read_alarm_name(item, q, names, rule);
      read_alarm_metric(item, q, c, rule);
      read_alarm_threshold(item, q, rule);
      read_alarm_window(item, q, c.averages, rule);
      if (auto f = item["for"]) duration_value(f, q + ".for", rule.hold, Duration(0));
      if (auto rooms = item["rooms"]) {
        if (!rooms.IsSequence() || rooms.size() == 0) {
          error(rooms.Mark(), q + ".rooms: expected a non-empty list of \"building/room\" "
                                  "patterns (leave it out for every room)");
        } else {
          for (std::size_t k = 0; k < rooms.size(); ++k) {
            const std::string qk = q + ".rooms[" + std::to_string(k) + "]";
            if (!scalar(rooms[k], qk)) continue;
            if (valid_room_pattern(rooms[k].Scalar()))
              rule.rooms.push_back(rooms[k].Scalar());
            else
              error(rooms[k].Mark(), qk + ": '" + printable(rooms[k].Scalar()) +
                                         "' is not building/room (each an id, or * for any one)");
          }
        }
      }
      c.alarms.push_back(std::move(rule));
    }
  }

  void read_alarm_name(const YAML::Node& item, const std::string& q, std::set<std::string>& names,
                       AlarmRule& rule) {
    const YAML::Node n = item["name"];
    if (!n) {
      error(item.Mark(), q + ".name is required");
      return;
    }
    if (!scalar(n, q + ".name")) return;
    rule.name = n.Scalar();
    if (!valid_alarm_name(rule.name))
      error(n.Mark(), q + ".name: '" + printable(rule.name) +
                          "' is not 1-32 characters of a-z 0-9 _ (it names MQTT topics)");
    else if (rule.name == kSilentAlarm)
      error(n.Mark(), q + ".name: '" + rule.name + "' is reserved for silent sensors");
    else if (!names.insert(rule.name).second)
      error(n.Mark(), q + ".name: another rule is named '" + rule.name + "' already");
  }

  void read_alarm_metric(const YAML::Node& item, const std::string& q, const Config& c,
                         AlarmRule& rule) {
    const YAML::Node n = item["metric"];
    if (!n) {
      error(item.Mark(), q + ".metric is required");
      return;
    }
    if (!scalar(n, q + ".metric")) return;
    rule.metric = n.Scalar();
    if (!c.find_metric(rule.metric)) {
      std::string list;
      for (const auto& m : c.metrics) list += (list.empty() ? "" : ", ") + m.name;
      error(n.Mark(), q + ".metric: '" + printable(rule.metric) +
                          "' is not a configured metric (metrics: " + list + ")");
    }
  }

  void read_alarm_threshold(const YAML::Node& item, const std::string& q, AlarmRule& rule) {
    const YAML::Node above = item["above"], below = item["below"];
    if (above && below) {
      error(below.Mark(), q + ": give either above or below, not both");
      return;
    }
    if (!above && !below) {
      error(item.Mark(), q + ": give the threshold as above or below");
      return;
    }
    rule.side = above ? AlarmSide::above : AlarmSide::below;
    const char* side = above ? "above" : "below";
    if (!number(above ? above : below, q + "." + side, rule.threshold)) return;
    rule.clear = rule.threshold;
    const YAML::Node clear = item["clear"];
    if (!clear || !number(clear, q + ".clear", rule.clear)) return;
    // The clear value lies on the threshold or on the side the alarm goes back to: otherwise a
    // firing alarm would clear while still past its threshold.
    const bool wrong_side = above ? rule.clear > rule.threshold : rule.clear < rule.threshold;
    if (wrong_side)
      error(clear.Mark(),
            fmt::format("{}.clear: {} must not be {} the threshold {} (an alarm {} it clears once "
                        "the value is back at or {} clear)",
                        q, clear.Scalar(), side, (above ? above : below).Scalar(), side,
                        above ? "below" : "above"));
  }

  void read_alarm_window(const YAML::Node& item, const std::string& q, const AveragesConfig& a,
                         AlarmRule& rule) {
    std::string list;
    for (auto w : a.windows) list += (list.empty() ? "" : ", ") + format_duration(w);
    const YAML::Node n = item["window"];
    if (!n) {
      error(item.Mark(), q + ".window is required (one of averages.windows: " + list + ")");
      return;
    }
    if (!duration_value(n, q + ".window", rule.window, Duration(0))) return;
    if (std::find(a.windows.begin(), a.windows.end(), rule.window) == a.windows.end())
      error(n.Mark(),
            q + ".window: " + n.Scalar() + " is not one of averages.windows (" + list + ")");
  }

  void read_silence(const YAML::Node& n, SilenceConfig& s) {
    if (!check_map(n, "silence", kSilenceKeys)) return;
    if (const YAML::Node a = n["after"])
      duration_or_off(a, "silence.after", s.after, std::chrono::seconds(1), "0 turns it off");
  }

  void read_homeassistant(const YAML::Node& n, HomeAssistantConfig& h) {
    const std::string w = "homeassistant";
    if (!check_map(n, w, kHomeAssistantKeys)) return;
    boolean(n, w, "discovery", h.discovery);
    string(n, w, "prefix", h.prefix);
    if (n["prefix"] && !valid_discovery_prefix(h.prefix))
      error(n["prefix"].Mark(),
            "homeassistant.prefix: expected topic levels of A-Z a-z 0-9 _ - separated by '/' "
            "(at most 100 characters, no wildcard, no empty level), got '" +
                h.prefix + "'");
  }

  // After mqtt: the instances of a group share the broker's session.
  void read_cluster(const YAML::Node& n, Config& c) {
    if (!check_map(n, "cluster", kClusterKeys)) return;
    ClusterConfig& k = c.cluster;
    string(n, "cluster", "name", k.name);
    if (const YAML::Node name = n["name"]; name && !k.name.empty()) {
      if (!valid_id(k.name))
        error(name.Mark(), "cluster.name: expected 1 to 64 characters of A-Z a-z 0-9 _ - ., got '" +
                               k.name + "'");
      else if (c.mqtt.clean_session)
        error(name.Mark(),
              "cluster.name: the instances of a group take over the broker's session of "
              "mqtt.client_id, which mqtt.clean_session: true throws away at every connect "
              "(set it to false)");
    }
    const YAML::Node t = n["takeover"];
    if (t && duration_value(t, "cluster.takeover", k.takeover, std::chrono::seconds(1)) &&
        k.takeover > std::chrono::hours(1))
      error(t.Mark(), "cluster.takeover: " + t.Scalar() + " is longer than the maximum 1h");
  }

  void read_log(const YAML::Node& n, LogConfig& l) {
    if (!check_map(n, "log", kLogKeys)) return;
    string(n, "log", "level", l.level);
    static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error"};
    if (!kLevels.count(l.level))
      error(n["level"].Mark(),
            "log.level: expected trace, debug, info, warn or error, got '" + l.level + "'");
  }
};

}  // namespace

ConfigResult parse_config(const std::string& text, const std::string& file) {
  ConfigResult result;
  Reader reader(file);
  Config c;
  c.path = file;
  try {
    YAML::Node root = YAML::Load(text);
    reader.read(root, c);
  } catch (const YAML::Exception& e) {
    reader.error(e.mark, "YAML syntax: " + e.msg);
  }
  result.errors = std::move(reader.errors);
  result.files = std::move(reader.files);
  if (result.errors.empty()) result.config = std::move(c);
  return result;
}

std::vector<std::string> known_config_keys() {
  std::vector<std::string> keys;
  list_keys(kSections[0], keys);
  return keys;
}

ConfigResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult r;
    r.errors.push_back({path, 0, 0, "cannot open: " + std::string(std::strerror(errno))});
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  ConfigResult result = parse_config(text.str(), path);
  // A password or certificate that cannot be read would stop the daemon later, after it
  // touched the network: say so now, at the key.
  for (const FileReference& f : result.files) {
    std::ifstream probe(f.path, std::ios::binary);
    if (probe) {
      char byte;
      probe.read(&byte, 1);        // a directory opens, then fails to read (EISDIR)
      if (!probe.bad()) continue;  // an empty file is readable: its content is checked later
    }
    result.errors.push_back({path, f.line, f.column,
                             f.key + ": cannot read '" + f.path + "': " + std::strerror(errno)});
  }
  if (!result.errors.empty()) result.config.reset();
  return result;
}

}  // namespace roomtemp
