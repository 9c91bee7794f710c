#pragma once
// The JSON of alarms and silent sensors (README "Alarms and silent sensors"): a rule's retained
// state, a room's status, and the events on roomtemp/events, which are those objects with the
// building, room and metric in front.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "aggregator.h"
#include "config.h"
#include "reading.h"

namespace roomtemp {

/// {"alarm","state","since","value","threshold","window"}: a rule's state for a room's metric.
nlohmann::ordered_json alarm_state_object(const std::string& alarm, double threshold,
                                          Duration window, bool firing, Micros since,
                                          std::optional<double> value);
/// The same for `rule`.
nlohmann::ordered_json alarm_state_object(const AlarmRule& rule, bool firing, Micros since,
                                          std::optional<double> value);

/// {"state":"reporting"|"silent","last_reading"}: whether a room's metric reports.
nlohmann::ordered_json series_status_object(bool silent, std::optional<Micros> last_reading);

/// `object` with "building", "room" and "metric" in front: an event, or an item of
/// GET /v1/alarms.
nlohmann::ordered_json with_series(const SeriesKey& key, const nlohmann::ordered_json& object);

/// The JSON published on roomtemp/events for a transition: a rule's with its threshold and
/// window when the event knows them (null when not), silence's as its status.
std::string alarm_event_json(const AlarmEvent& event);

}  // namespace roomtemp
