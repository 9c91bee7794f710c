#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "timeutil.h"

namespace roomtemp {

using Duration = std::chrono::milliseconds;

/// A configured duration as Micros, the unit of reading times and windows.
constexpr Micros to_micros(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

/// Parses `500ms`, `10s`, `15m`, `1h`, `7d` (a non-negative integer and one unit).
std::optional<Duration> parse_duration(std::string_view text);

/// The shortest exact spelling of a duration in those units: 900000ms → "15m".
std::string format_duration(Duration d);

/// Parses a byte size: a plain number, or with `B`, `KB`/`MB`/`GB` (1000) or
/// `KiB`/`MiB`/`GiB`/`TiB` (1024).
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace roomtemp
