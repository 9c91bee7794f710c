#include "compat.h"

#include <string>

#include "config.h"

namespace roomtemp {

std::optional<Micros> parse_time_utc_default(std::string_view text) {
  if (auto t = parse_rfc3339(text)) return t;
  // A text that had an offset is not valid with a second one: only offset-less times pass.
  return parse_rfc3339(std::string(text) + "Z");
}

DevicePlace sensor_place(const Config& config, std::string_view sensor_id) {
  if (config.sources)
    for (const Source& source : config.sources->sources)
      if (auto it = source.devices.find(sensor_id); it != source.devices.end()) return it->second;
  return {std::string(kUnmappedSensorBuilding), std::string(sensor_id)};
}

}  // namespace roomtemp
