#include "compat.h"

#include <cctype>
#include <string>

#include "config.h"

namespace roomtemp {

std::optional<Micros> parse_time_utc_default(std::string_view text) {
  if (auto t = parse_rfc3339(text)) return t;
  // A text that had an offset is not valid with a second one: only offset-less times pass.
  return parse_rfc3339(std::string(text) + "Z");
}

nlohmann::json utc_timestamp(const nlohmann::json& value) {
  if (!value.is_string()) return value;
  const auto t = parse_time_utc_default(value.get<std::string>());
  return t ? nlohmann::json(format_rfc3339(*t)) : value;
}

std::optional<Duration> parse_any_duration(std::string_view text) {
  constexpr std::int64_t kMaxMillis = std::int64_t{1} << 50;  // parse_duration's own bound
  std::int64_t total = 0;
  while (!text.empty()) {
    // One part: digits, then the letters of its unit.
    std::size_t end = 0;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    const std::size_t digits = end;
    while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) ++end;
    if (digits == 0 || end == digits) return std::nullopt;
    std::string part(text.substr(0, end));
    std::int64_t factor = 1;
    if (part.back() == 'w') {  // InfluxDB's week; parse_duration stops at days
      part.back() = 'd';
      factor = 7;
    }
    const auto d = parse_duration(part);
    if (!d || d->count() > (kMaxMillis - total) / factor) return std::nullopt;
    total += d->count() * factor;
    text.remove_prefix(end);
  }
  if (total <= 0) return std::nullopt;
  return Duration(total);
}

DevicePlace sensor_place(const Config& config, std::string_view sensor_id) {
  if (config.sources)
    for (const Source& source : config.sources->sources)
      if (auto it = source.devices.find(sensor_id); it != source.devices.end()) return it->second;
  return {std::string(kUnmappedSensorBuilding), std::string(sensor_id)};
}

}  // namespace roomtemp
