#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace roomtemp::harness {

/// Microseconds, the unit of every timestamp the harness handles.
inline constexpr std::int64_t kSecond = 1'000'000;
inline constexpr std::int64_t kMinute = 60 * kSecond;
inline constexpr std::int64_t kHour = 60 * kMinute;
inline constexpr std::int64_t kDay = 24 * kHour;

/// Microseconds since the epoch, now (wall clock, like the daemon's).
std::int64_t now_micros();

/// `micros` as RFC 3339 in the zone `offset_minutes` east of UTC ("Z" for 0), with
/// `fraction_digits` (0, 3 or 6) digits of fraction: 2024-12-01T14:34:56.250+02:00.
std::string rfc3339(std::int64_t micros, int offset_minutes = 0, int fraction_digits = 3);

/// `micros` as the SQL expression kTsText prints it: 2024-12-01T12:34:56.250000Z.
std::string utc_text(std::int64_t micros);

/// A SQL expression rendering timestamptz column `column` like utc_text (session zone UTC,
/// which Postgres::query sets).
std::string ts_text(const std::string& column);

/// Lower-case hex of the bytes, as PostgreSQL's encode(x, 'hex') prints them.
std::string hex(std::string_view bytes);

}  // namespace roomtemp::harness
