#pragma once
// Local times without an offset (Tasmota's `Time`), read in an IANA time zone from the system's
// tz database (tzdata, through Howard Hinnant's date library built to use it).
#include <optional>
#include <string>
#include <string_view>

#include "timeutil.h"

namespace date {
class time_zone;
}

namespace roomtemp {

/// An IANA time zone, or none (then a local time cannot be read).
struct TimeZone {
  const date::time_zone* zone = nullptr;
  bool operator==(const TimeZone& o) const { return zone == o.zone; }
};

/// Looks `name` up ("Europe/Zurich", "UTC"); nullopt when the system's tz database lacks it.
std::optional<TimeZone> find_time_zone(std::string_view name);

/// The UTC time of a local wall-clock time in `zone`, given as microseconds since
/// 1970-01-01T00:00 local. At a DST change (README "Connecting real sensors"): a time that occurs
/// twice is read as the earlier (the offset before the change), a time that does not exist (the
/// spring-forward gap) is read with the offset before the change, so it lands past the gap by
/// its length: both are "the offset in force before the change".
Micros local_to_utc(Micros local, TimeZone zone);

/// The wall-clock time in `zone` at `utc`, as microseconds since 1970-01-01T00:00 local (what a
/// device running in that zone would print without an offset).
Micros utc_to_local(Micros utc, TimeZone zone);

/// A timestamp text as a source sends it: RFC 3339 with an offset, or the same without an offset
/// (`2024-03-31T02:30:00`, also with a fraction) read in `zone`. nullopt when neither, or when it
/// has no offset and `zone` is none.
std::optional<Micros> parse_source_time(std::string_view text, TimeZone zone);

}  // namespace roomtemp
