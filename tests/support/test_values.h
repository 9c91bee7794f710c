#pragma once
// Small values the unit and integration tests build their inputs from.
#include <string>
#include <string_view>

#include "aggregator.h"
#include "config.h"
#include "timeutil.h"

namespace roomtemp::test {

/// A second and a minute in Micros, the unit of every time the code keeps.
inline constexpr Micros kS = 1'000'000;
inline constexpr Micros kMinute = 60 * kS;
/// 2023-11-14T00:00:00Z: a multiple of one day, so of every bucket width the windows use.
inline constexpr Micros kT0 = 1'699'920'000LL * kS;
/// 2027-01-15T08:00:00Z: the clock of the alarm and discovery tests.
inline constexpr Micros kT2027 = 1'800'000'000LL * kS;
/// 2024-12-01T12:34:56Z: "now" for the tests of what a payload or a POSTed item becomes.
inline constexpr Micros kNow = 1'733'056'496LL * kS;
/// A sensor topic of room 101 in building B1.
inline const std::string kTopic = "buildings/B1/rooms/101/temperature";

/// The instant an RFC 3339 text names; the text is the test's own and must parse.
inline Micros utc(std::string_view text) { return parse_rfc3339(text).value(); }

/// The series of a room's `metric`.
inline SeriesKey room(const std::string& building, const std::string& room,
                      const std::string& metric = "temperature") {
  return {building, room, metric};
}

/// `s` written `n` times.
inline std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

/// The defaults a config file without options gets (temperature in [-60, 100], max_future_skew
/// 5m: the README's configuration reference), with the one key it must name.
inline Config test_config() {
  Config c;
  c.postgres.dsn = "dbname=test";
  return c;
}

}  // namespace roomtemp::test
