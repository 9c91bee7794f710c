#include "config_sources.h"

#include <fmt/format.h>

#include "topic.h"

namespace roomtemp {
namespace {

/// Reads the sources of one file, reporting each problem where it was written.
class SourcesReader {
 public:
  SourcesReader(Config& config, ConfigReader& reader) : config_(config), reader_(reader) {}

  /// One item of `sources`; false when it has an error (reported).
  bool read(const YAML::Node& item, const std::string& q, Source& s) {
    if (!item.IsMap()) {
      report(item.Mark(),
             q + ": expected a source {topic, values, timestamp, timezone, devices, device}");
      return false;
    }
    const std::size_t errors_before = reader_.errors.size();
    reader_.check_map(item, q, kSourceKeys);
    const YAML::Node topic = item["topic"];
    if (!topic) {
      report(item.Mark(), q + ".topic is required");
      return false;
    }
    if (!scalar(topic, q + ".topic")) return false;
    auto parsed = parse_topic_template(topic.Scalar());
    if (auto* why = std::get_if<std::string>(&parsed)) {
      report(topic.Mark(), q + ".topic: '" + printable(topic.Scalar()) + "': " + *why);
      return false;
    }
    s.topic = std::get<TopicTemplate>(std::move(parsed));
    s.line = topic.Mark().line + 1;
    s.column = topic.Mark().column + 1;
    read_values(item, q, s);
    read_timestamp(item, q, s);
    read_device(item, q, s);
    read_devices(item, q, s);
    check_yields(item, q, s);
    return reader_.errors.size() == errors_before;
  }

 private:
  void report(const YAML::Mark& mark, std::string message) {
    reader_.error(mark, std::move(message));
  }
  bool scalar(const YAML::Node& n, const std::string& q) { return reader_.scalar(n, q); }

  void read_values(const YAML::Node& item, const std::string& q, Source& s) {
    const YAML::Node values = item["values"];
    if (!values) return;
    if (!values.IsMap() || values.size() == 0) {
      report(values.Mark(), q + ".values: expected a mapping of metric to JSON path, e.g. "
                                "{ temperature: DS18B20.Temperature }");
      return;
    }
    for (const auto& kv : values) {
      const std::string metric = kv.first.Scalar();
      const std::string qk = fmt::format("{}.values.{}", q, metric);
      if (!config_.find_metric(metric)) {
        std::string list;
        for (const auto& m : config_.metrics) list += (list.empty() ? "" : ", ") + m.name;
        report(kv.first.Mark(), fmt::format("{}: '{}' is not a configured metric (metrics: {})", qk,
                                            printable(metric), list));
        continue;
      }
      if (s.value_path(metric)) {
        report(kv.first.Mark(), qk + " is given twice");
        continue;
      }
      // `temperature:` with nothing after it is the empty path, like "".
      const std::string text = kv.second.IsNull() ? std::string() : kv.second.Scalar();
      if (!kv.second.IsNull() && !scalar(kv.second, qk)) continue;
      auto path = parse_json_path(text);
      if (auto* why = std::get_if<std::string>(&path)) {
        report(kv.second.Mark(), qk + ": '" + printable(text) + "': " + *why);
        continue;
      }
      s.values.emplace_back(metric, std::get<JsonPath>(std::move(path)));
    }
  }

  void read_timestamp(const YAML::Node& item, const std::string& q, Source& s) {
    const YAML::Node timestamp = item["timestamp"], timezone = item["timezone"];
    if (timestamp && scalar(timestamp, q + ".timestamp")) {
      auto path = parse_json_path(timestamp.Scalar());
      if (auto* why = std::get_if<std::string>(&path))
        report(timestamp.Mark(),
               q + ".timestamp: '" + printable(timestamp.Scalar()) + "': " + *why);
      else if (std::get<JsonPath>(path).keys.empty())
        report(timestamp.Mark(), q + ".timestamp: the path of the time in the payload, not \"\"");
      else
        s.timestamp = std::get<JsonPath>(std::move(path));
      if (!item["values"])
        report(timestamp.Mark(), q + ".timestamp: goes with values (a source without values "
                                     "reads the native payload, whose time is its `timestamp`)");
    }
    if (timezone && scalar(timezone, q + ".timezone")) {
      if (auto zone = find_time_zone(timezone.Scalar())) {
        s.timezone = timezone.Scalar();
        s.zone = *zone;
      } else {
        report(timezone.Mark(), q + ".timezone: '" + printable(timezone.Scalar()) +
                                    "' is not a time zone of the system's tz database (an IANA "
                                    "name such as Europe/Zurich)");
      }
      if (!timestamp)
        report(timezone.Mark(), q + ".timezone: goes with timestamp (the time it reads)");
    }
  }

  /// `device`: where each record names its device (a gateway's batch).
  void read_device(const YAML::Node& item, const std::string& q, Source& s) {
    const YAML::Node device = item["device"];
    if (!device || !scalar(device, q + ".device")) return;
    auto path = parse_json_path(device.Scalar());
    if (auto* why = std::get_if<std::string>(&path)) {
      report(device.Mark(), q + ".device: '" + printable(device.Scalar()) + "': " + *why);
      return;
    }
    if (std::get<JsonPath>(path).keys.empty()) {
      report(device.Mark(), q + ".device: the path of the device's name in the payload, not \"\"");
      return;
    }
    if (!item["values"])
      report(device.Mark(), q + ".device: goes with values (the readings of the named device)");
    if (!item["devices"])
      report(device.Mark(), q + ".device: needs devices (where each device is)");
    if (s.topic.captures(Capture::device))
      report(device.Mark(), q + ".device: the topic captures {device} already");
    s.device = std::get<JsonPath>(std::move(path));
  }

  void read_devices(const YAML::Node& item, const std::string& q, Source& s) {
    const YAML::Node devices = item["devices"];
    if (!devices) return;
    if (!devices.IsMap() || devices.size() == 0) {
      report(devices.Mark(), q + ".devices: expected a mapping of device to {building, room}");
      return;
    }
    if (!s.topic.captures(Capture::device) && !item["device"])
      report(devices.Mark(), q + ".devices: nothing to look up (the topic has no {device}, and "
                                 "there is no device path)");
    for (const auto& kv : devices) {
      const std::string device = kv.first.Scalar();
      const std::string qd = fmt::format("{}.devices.{}", q, device);
      if (!valid_id(device)) {
        report(kv.first.Mark(), qd + ": a device is 1-64 characters of A-Z a-z 0-9 _ - .");
        continue;
      }
      if (s.devices.count(device)) {
        report(kv.first.Mark(), qd + " is given twice");
        continue;
      }
      const YAML::Node place = kv.second;
      if (!place.IsMap()) {
        report(place.Mark(), qd + ": expected {building, room}");
        continue;
      }
      DevicePlace p;
      const std::size_t errors_before = reader_.errors.size();
      reader_.check_map(place, qd, kPlaceKeys);
      bool ok = reader_.errors.size() == errors_before;
      for (const auto& field : place) {
        const std::string key = field.first.Scalar();
        if (key != "building" && key != "room") continue;  // reported by check_map
        const std::string qf = fmt::format("{}.{}", qd, key);
        if (!scalar(field.second, qf)) {
          ok = false;
          continue;
        }
        const std::string id = field.second.Scalar();
        if (!valid_id(id)) {
          report(field.second.Mark(),
                 fmt::format("{}: '{}' is not 1-64 characters of A-Z a-z 0-9 _ - .", qf,
                             printable(id)));
          ok = false;
        }
        (key == "building" ? p.building : p.room) = id;
      }
      if (ok && (p.building.empty() || p.room.empty())) {
        report(place.Mark(), qd + ": both building and room are required");
        ok = false;
      }
      if (ok) s.devices.emplace(device, std::move(p));
    }
  }

  /// A source must yield a building, a room and a metric for every message.
  void check_yields(const YAML::Node& item, const std::string& q, const Source& s) {
    const YAML::Node topic = item["topic"];
    const bool devices = static_cast<bool>(item["devices"]);
    if (!s.topic.captures(Capture::building) && !devices)
      report(topic.Mark(), q + ".topic: yields no building (capture {building}, or {device} "
                               "with devices)");
    else if (!s.topic.captures(Capture::room) && !devices)
      report(topic.Mark(), q + ".topic: yields no room (capture {room}, or {device} with devices)");
    if (devices && s.topic.captures(Capture::building) && s.topic.captures(Capture::room))
      report(item["devices"].Mark(), q + ".devices: the topic captures building and room already");
    if (!s.topic.captures(Capture::metric) && !item["values"])
      report(topic.Mark(), q + ".topic: yields no metric (capture {metric}, or name the "
                               "metrics in values)");
  }

  static constexpr std::string_view kPlaceKeys[] = {"building", "room"};

  Config& config_;
  ConfigReader& reader_;
};

/// A source and where its topic was written, for the overlap error.
struct Placed {
  Source source;
  YAML::Mark mark;
  std::string name;  ///< e.g. "sources[1].topic"
};

}  // namespace

void read_sources(const YAML::Node& sources, const YAML::Node& subscriptions, Config& config,
                  ConfigReader& errors) {
  if (!sources || sources.IsNull()) return;  // the native scheme on mqtt.subscriptions
  if (!sources.IsSequence() || sources.size() == 0) {
    errors.error(sources.Mark(), "sources: expected a non-empty list of {topic, values, …}");
    return;
  }
  SourcesReader reader(config, errors);
  std::vector<Placed> placed;
  bool ok = true;
  // mqtt.subscriptions, when the file gives them: each filter a native-scheme source.
  if (subscriptions && subscriptions.IsSequence()) {
    for (std::size_t i = 0; i < subscriptions.size(); ++i) {
      const YAML::Node f = subscriptions[i];
      if (!f.IsScalar()) continue;  // reported by the mqtt reader
      const std::string where = "mqtt.subscriptions[" + std::to_string(i) + "]";
      // A filter is a native source with no captures: braces would read as captures, and a
      // shared subscription's "$share/group/" prefix is no level of the topics it delivers.
      if (f.Scalar().find_first_of("{}") != std::string::npos ||
          f.Scalar().starts_with("$share/")) {
        errors.error(f.Mark(), where + ": '" + printable(f.Scalar()) +
                                   "' cannot stand beside sources (no { } and no $share/ there): "
                                   "write it as a source instead");
        ok = false;
        continue;
      }
      auto parsed = parse_topic_template(f.Scalar());
      if (const auto* why = std::get_if<std::string>(&parsed)) {
        errors.error(f.Mark(), where + ": '" + printable(f.Scalar()) + "': " + *why);
        ok = false;
        continue;
      }
      Source s;
      s.topic = std::get<TopicTemplate>(std::move(parsed));
      s.subscription = true;
      s.line = f.Mark().line + 1;
      s.column = f.Mark().column + 1;
      placed.push_back({std::move(s), f.Mark(), where});
    }
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const std::string q = "sources[" + std::to_string(i) + "]";
    Source s;
    if (!reader.read(sources[i], q, s)) {
      ok = false;
      continue;
    }
    placed.push_back({std::move(s), sources[i]["topic"].Mark(), q + ".topic"});
  }
  // Two sources that could match one topic would store its readings twice, or by whichever
  // came first: refused, at the later one.
  for (std::size_t j = 0; j < placed.size(); ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      if (!templates_overlap(placed[i].source.topic, placed[j].source.topic)) continue;
      errors.error(placed[j].mark,
                   placed[j].name + ": '" + printable(placed[j].source.topic.text) + "' overlaps " +
                       placed[i].name + " '" + printable(placed[i].source.topic.text) + "' (line " +
                       std::to_string(placed[i].mark.line + 1) + "): some topic would match both");
      ok = false;
      break;
    }
  }
  if (!ok) return;
  auto set = std::make_shared<SourceSet>();
  for (auto& p : placed) set->sources.push_back(std::move(p.source));
  config.mqtt.subscriptions = set->filters();
  config.sources = std::move(set);
}

}  // namespace roomtemp
