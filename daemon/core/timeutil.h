#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomtemp {

/// Microseconds since the Unix epoch, UTC. PostgreSQL's timestamptz has the same resolution,
/// so a time that round-trips through the database compares exactly.
using Micros = std::int64_t;

constexpr Micros kMicrosPerSecond = 1'000'000;

/// The wall clock now.
Micros now_micros();

/// Parses RFC 3339 (`2024-12-01T12:34:56.789Z`, `…+02:00`; `t`/`z` and a space instead of `T`
/// accepted). Digits past microseconds are truncated. Returns nullopt on anything else.
std::optional<Micros> parse_rfc3339(std::string_view text);

/// Formats as RFC 3339 in UTC with `Z`, using as many fraction digits as needed (0, 3 or 6).
std::string format_rfc3339(Micros t);

}  // namespace roomtemp
