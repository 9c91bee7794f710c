#include "alarm_messages.h"

#include <cmath>
#include <cstdint>

#include "alarm_rules.h"
#include "messages.h"

namespace roomtemp {
namespace {

/// A number as published: + 0.0 turns a negative zero into 0.
nlohmann::ordered_json number_or_null(std::optional<double> v) {
  return v ? nlohmann::ordered_json(*v + 0.0) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json alarm_state_object(const std::string& alarm, double threshold,
                                          Duration window, bool firing, Micros since,
                                          std::optional<double> value) {
  nlohmann::ordered_json doc;
  doc["alarm"] = alarm;
  doc["state"] = firing ? "firing" : "ok";
  doc["since"] = format_rfc3339(since);
  doc["value"] = number_or_null(value);
  // As the configuration wrote it: 28, not 28.0 (a threshold is a setting, not a measurement).
  constexpr double kExactInteger = 9007199254740992.0;  // 2^53
  if (std::floor(threshold) == threshold && std::fabs(threshold) < kExactInteger)
    doc["threshold"] = static_cast<std::int64_t>(threshold);
  else
    doc["threshold"] = threshold;
  doc["window"] = format_duration(window);
  return doc;
}

nlohmann::ordered_json alarm_state_object(const AlarmRule& rule, bool firing, Micros since,
                                          std::optional<double> value) {
  return alarm_state_object(rule.name, rule.threshold, rule.window, firing, since, value);
}

nlohmann::ordered_json series_status_object(bool silent, std::optional<Micros> last_reading) {
  nlohmann::ordered_json doc;
  doc["state"] = silent ? "silent" : "reporting";
  doc["last_reading"] = last_reading ? nlohmann::ordered_json(format_rfc3339(*last_reading))
                                     : nlohmann::ordered_json(nullptr);
  return doc;
}

nlohmann::ordered_json with_series(const SeriesKey& key, const nlohmann::ordered_json& object) {
  nlohmann::ordered_json doc;
  doc["building"] = key.building;
  doc["room"] = key.room;
  doc["metric"] = key.metric;
  for (const auto& [k, v] : object.items()) doc[k] = v;
  return doc;
}

std::string alarm_event_json(const AlarmEvent& e) {
  const SeriesKey key{e.building, e.room, e.metric};
  if (e.alarm == kSilentAlarm)
    return json_text(with_series(key, series_status_object(e.state == "silent", e.last_reading)));
  if (e.threshold && e.window)
    return json_text(with_series(key, alarm_state_object(e.alarm, *e.threshold, *e.window,
                                                         e.state == "firing", e.ts, e.value)));
  // A rule whose definition is not known: it went from the configuration while roomtempd was
  // stopped, and its last transition was stored before alarm_events kept definitions.
  nlohmann::ordered_json doc;
  doc["alarm"] = e.alarm;
  doc["state"] = e.state;
  doc["since"] = format_rfc3339(e.ts);
  doc["value"] = number_or_null(e.value);
  doc["threshold"] = nullptr;
  doc["window"] = nullptr;
  return json_text(with_series(key, doc));
}

}  // namespace roomtemp
