#pragma once
// What the alarm engine needs from PostgreSQL at start (README "Alarms and silent sensors"): the
// last state of every key in alarm_events, and the room series there are readings of.
#include <pqxx/connection>
#include <string>
#include <vector>

#include "alarms.h"

namespace roomtemp {

/// The last row of every (building, room, metric, alarm) in alarm_events (the latest ts; of
/// equal ones, the one stored last), and every room series of `metrics` in `series`.
AlarmRestore load_alarm_restore(pqxx::connection& conn, const std::vector<std::string>& metrics);

}  // namespace roomtemp
