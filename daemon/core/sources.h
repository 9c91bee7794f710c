#pragma once
// Sources (README "Connecting real sensors"): which topics carry readings, where in a topic the
// building, room, metric and device are, and how a payload names its values.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "local_time.h"

namespace roomtemp {

/// What a `{name}` level of a topic template captures.
enum class Capture : std::uint8_t { building, room, metric, device };

/// One level of a topic template: a literal, a capture, or MQTT's `+` and `#`.
struct TemplateLevel {
  enum class Kind : std::uint8_t { literal, capture, plus, hash };
  Kind kind = Kind::literal;
  Capture capture = Capture::building;  ///< for Kind::capture
  std::string text;                     ///< for Kind::literal
  bool operator==(const TemplateLevel&) const = default;
};

/// A parsed topic template such as `zigbee2mqtt/{building}/{room}`.
struct TopicTemplate {
  std::string text;
  std::vector<TemplateLevel> levels;

  /// The MQTT filter that subscribes to every topic the template matches (captures become +).
  std::string filter() const;
  /// Whether the template captures `c`.
  bool captures(Capture c) const;
  bool operator==(const TopicTemplate&) const = default;
};

/// Parses a template: levels split at '/', `{building}`, `{room}`, `{metric}`, `{device}` each
/// at most once and a whole level, `+` a whole level, `#` a whole last level. The error says why.
std::variant<TopicTemplate, std::string> parse_topic_template(std::string_view text);

/// True when some topic matches both (MQTT matching: `a/#` matches `a` too).
bool templates_overlap(const TopicTemplate& a, const TopicTemplate& b);

/// What a matching topic held at each capture; views into the topic.
struct TopicCaptures {
  std::string_view building, room, metric, device;
};

/// Matches `topic` against `t` without allocating; fills `out` on a match.
bool match_template(const TopicTemplate& t, std::string_view topic, TopicCaptures& out);

/// A dotted path into a JSON object: keys, outermost first; empty means the payload itself is the
/// number. A key holding a dot is written with a backslash (`a\.b`); any other character,
/// colons included (`params.temperature:0.tC`), is part of the key.
struct JsonPath {
  std::vector<std::string> keys;
  bool operator==(const JsonPath&) const = default;
};

/// Parses a dotted path ("" is the empty path). The error says why.
std::variant<JsonPath, std::string> parse_json_path(std::string_view text);
/// The path as written in a config file.
std::string format_json_path(const JsonPath& path);

/// A device's place (a source's `devices`).
struct DevicePlace {
  std::string building;
  std::string room;
  bool operator==(const DevicePlace&) const = default;
};

/// One source, validated (app reads it from the config file).
struct Source {
  TopicTemplate topic;
  /// From `mqtt.subscriptions`: `topic` is a filter, and a matching topic must then be of the
  /// native scheme `buildings/{building}/rooms/{room}/{metric}`.
  bool subscription = false;
  /// metric → where its value is; empty: the native payload (the metric comes from the topic).
  std::vector<std::pair<std::string, JsonPath>> values;
  std::optional<JsonPath> timestamp;  ///< where the time is; none: the native `timestamp` key
  std::string timezone;               ///< IANA name; "" = times without an offset are refused
  TimeZone zone;                      ///< `timezone`, looked up at load
  std::map<std::string, DevicePlace, std::less<>> devices;
  /// Where each record names its device (a gateway's batch of many devices' readings): the
  /// device, looked up in `devices`, gives the record's building and room and is its sensor.
  std::optional<JsonPath> device;
  /// Source position in the config (for logs): 1-based line and column of its `topic`.
  int line = 0;
  int column = 0;

  /// The value path of `metric`, or nullptr when `values` does not map it.
  const JsonPath* value_path(std::string_view metric) const;
};

/// Every source of a configuration, in the order given. First match wins; load refuses overlaps,
/// so at most one matches.
struct SourceSet {
  std::vector<Source> sources;

  /// The source `topic` belongs to, with its captures; nullptr when none matches.
  const Source* find(std::string_view topic, TopicCaptures& out) const;
  /// The MQTT filters to subscribe to, one per source, each once.
  std::vector<std::string> filters() const;
  /// True when the topics (and so the subscriptions) of both are the same.
  bool same_topics(const SourceSet& other) const;
};

}  // namespace roomtemp
