#pragma once
// Home Assistant's MQTT discovery (README "Home Assistant"): the retained configs that announce
// what roomtempd publishes, one per entity, and the ids they carry. Pure logic: which entities a
// series has under a configuration, their topics and JSON.
#include <string>
#include <string_view>
#include <vector>

#include "aggregator.h"
#include "config.h"

namespace roomtemp {

/// Retained `online` while the publishing MQTT client is connected, `offline` after a clean stop
/// and, as that client's last will, after a crash.
inline constexpr std::string_view kStatusTopic = "roomtemp/status";
inline constexpr std::string_view kOnline = "online";
inline constexpr std::string_view kOffline = "offline";

/// A discovery prefix: 1-100 characters, topic levels of A-Z a-z 0-9 _ - separated by '/'.
bool valid_discovery_prefix(std::string_view prefix);

/// What the announcements depend on: the parts of the configuration they read.
struct DiscoverySettings {
  bool enabled = false;
  std::string prefix = "homeassistant";
  std::vector<MetricConfig> metrics;
  std::vector<Duration> windows;
  std::vector<AlarmRule> rules;
  bool silence = false;  ///< silence.after > 0: rooms have a retained status
  std::string version;   ///< roomtempd's, in each config's `origin`
  bool operator==(const DiscoverySettings&) const = default;

  static DiscoverySettings of(const Config& c, std::string version);
};

/// An id Home Assistant can take (unique_id, device identifiers, the topic's object id):
/// "roomtemp_{kind}_{part}_…", every character outside A-Z a-z 0-9 _ - made '_'. Parts are
/// joined by '_', so an id stays one tuple's only while no part but the last holds one: when
/// sanitizing changed a character, or an earlier part holds '_', a hash of the exact parts
/// (8 hex digits) follows, and two tuples never share an id.
std::string discovery_id(std::string_view kind, const std::vector<std::string_view>& parts);

/// Home Assistant's device_class for a metric's name, "" when it has none.
std::string_view metric_device_class(std::string_view metric);

/// One retained discovery config; an empty payload removes the entity.
struct DiscoveryConfig {
  std::string topic;
  std::string payload;
};

/// Every config of a series under `s`: a room series (key.room set) has a sensor per window,
/// a problem binary sensor per alarm rule that covers it and, when silence is on, a connectivity
/// binary sensor; a building series (room empty) a sensor per window. None when discovery is
/// off or the metric is not configured.
std::vector<DiscoveryConfig> discovery_configs(const DiscoverySettings& s, const SeriesKey& key);
/// Their topics only (what a removal needs).
std::vector<std::string> discovery_topics(const DiscoverySettings& s, const SeriesKey& key);

/// The filter that matches every config roomtempd may have published under `prefix`.
std::string discovery_filter(std::string_view prefix);

}  // namespace roomtemp
