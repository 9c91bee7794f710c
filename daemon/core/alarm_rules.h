#pragma once
// What an alarm rule says, as pure functions: which rooms it covers, when its value is past the
// threshold and when it is back (README "Alarms and silent sensors"). The state machine that
// uses them is alarms.h's.
#include <string>
#include <string_view>

#include "config.h"

namespace roomtemp {

/// A rule's name: 1-32 characters of a-z 0-9 _.
bool valid_alarm_name(std::string_view name);

/// A room pattern: "building/room", each side an id or `*` (any one whole id).
bool valid_room_pattern(std::string_view pattern);

/// Whether room `building`/`room` is one of the rule's rooms (every room when it lists none).
bool rule_covers(const AlarmRule& rule, std::string_view building, std::string_view room);

/// The value is past the threshold, on the side the rule fires on (strictly).
bool past_threshold(const AlarmRule& rule, double value);

/// The value is back at or past `clear`: a firing alarm clears.
bool cleared(const AlarmRule& rule, double value);

/// Everything a rule decides by, but its name, as one line ("temperature above 28 clear 27 over
/// 1m for 5m in B1/*,B2/201"): alarm_events keeps it with each transition, so that a restart
/// knows whether a stored state was decided by the rule as configured now.
std::string rule_definition(const AlarmRule& rule);

/// The name alarm_events and the events topic give a silent sensor's transitions; no rule may
/// take it.
inline constexpr std::string_view kSilentAlarm = "silent";

}  // namespace roomtemp
