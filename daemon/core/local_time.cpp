#include "local_time.h"

#include <date/tz.h>

#include <chrono>
#include <exception>

namespace roomtemp {

std::optional<TimeZone> find_time_zone(std::string_view name) {
  if (name.empty()) return std::nullopt;
  try {
    // locate_zone throws std::runtime_error for a name the tz database does not hold.
    return TimeZone{date::locate_zone(name)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Micros local_to_utc(Micros local, TimeZone zone) {
  using std::chrono::seconds;
  const Micros whole =
      local >= 0 ? local / kMicrosPerSecond : -((-local + kMicrosPerSecond - 1) / kMicrosPerSecond);
  const Micros fraction = local - whole * kMicrosPerSecond;
  const date::local_seconds wall{seconds(whole)};
  const date::local_info info = zone.zone->get_info(wall);
  // unique: info.first is the offset; ambiguous and nonexistent: info.first is the offset in
  // force before the change, the rule the header states.
  const seconds offset = info.first.offset;
  return (whole - offset.count()) * kMicrosPerSecond + fraction;
}

Micros utc_to_local(Micros utc, TimeZone zone) {
  const Micros whole =
      utc >= 0 ? utc / kMicrosPerSecond : -((-utc + kMicrosPerSecond - 1) / kMicrosPerSecond);
  const date::sys_seconds at{std::chrono::seconds(whole)};
  return utc + zone.zone->get_info(at).offset.count() * kMicrosPerSecond;
}

std::optional<Micros> parse_source_time(std::string_view text, TimeZone zone) {
  if (auto with_offset = parse_rfc3339(text)) return with_offset;
  if (!zone.zone || text.size() > 40) return std::nullopt;
  // The same text with "Z" appended is the local wall-clock time counted as if it were UTC.
  std::string utc(text);
  utc += 'Z';
  auto local = parse_rfc3339(utc);
  if (!local) return std::nullopt;
  return local_to_utc(*local, zone);
}

}  // namespace roomtemp
