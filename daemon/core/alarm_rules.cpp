#include "alarm_rules.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "topic.h"

namespace roomtemp {
namespace {

/// One side of a room pattern matches an id.
bool side_matches(std::string_view pattern, std::string_view id) {
  return pattern == "*" || pattern == id;
}

}  // namespace

bool valid_alarm_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool valid_room_pattern(std::string_view pattern) {
  const auto slash = pattern.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view building = pattern.substr(0, slash);
  const std::string_view room = pattern.substr(slash + 1);
  auto side_ok = [](std::string_view s) { return s == "*" || valid_id(s); };
  return side_ok(building) && side_ok(room);
}

bool rule_covers(const AlarmRule& rule, std::string_view building, std::string_view room) {
  if (rule.rooms.empty()) return true;
  return std::any_of(rule.rooms.begin(), rule.rooms.end(), [&](const std::string& p) {
    const std::string_view v(p);
    const auto slash = v.find('/');
    return slash != std::string_view::npos && side_matches(v.substr(0, slash), building) &&
           side_matches(v.substr(slash + 1), room);
  });
}

bool past_threshold(const AlarmRule& rule, double value) {
  return rule.side == AlarmSide::above ? value > rule.threshold : value < rule.threshold;
}

bool cleared(const AlarmRule& rule, double value) {
  return rule.side == AlarmSide::above ? value <= rule.clear : value >= rule.clear;
}

std::string rule_definition(const AlarmRule& rule) {
  const auto number = [](double v) {
    std::array<char, 32> buf{};
    const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr;
    return std::string(buf.data(), end);
  };
  std::string out = rule.metric;
  out.append(rule.side == AlarmSide::above ? " above " : " below ")
      .append(number(rule.threshold))
      .append(" clear ")
      .append(number(rule.clear))
      .append(" over ")
      .append(format_duration(rule.window))
      .append(" for ")
      .append(rule.hold.count() == 0 ? "0" : format_duration(rule.hold))
      .append(" in ");
  if (rule.rooms.empty()) out.append("*/*");
  for (std::size_t i = 0; i < rule.rooms.size(); ++i)
    out.append(i ? "," : "").append(rule.rooms[i]);
  return out;
}

}  // namespace roomtemp
