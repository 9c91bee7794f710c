#pragma once
// What the live answers share with GET /v1/alarms (rest_alarms.cpp).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace roomtemp {

class AlarmEngine;

/// Which firing alarms and silent series a summary keeps: those of a building, or of one of its
/// rooms, when given.
struct AlarmsOf {
  std::optional<std::string> building;
  std::optional<std::string> room;
};

/// The firing alarms and silent series now (those `of` keeps), at most `limit` of each listed
/// and all of them counted: {"restored","firing_total","silent_total","firing","silent"}. With
/// no engine, or before the restore, restored is false and the lists empty.
nlohmann::ordered_json alarms_summary(const AlarmEngine* engine, const AlarmsOf& of,
                                      std::size_t limit);

/// How many of each the dashboard's answers (GET /v1/overview, GET /v1/buildings/{b}/live)
/// list in their "alarms".
inline constexpr std::size_t kAlarmsInLiveAnswers = 12;

}  // namespace roomtemp
