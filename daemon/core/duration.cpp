#include "duration.h"

#include <charconv>

namespace roomtemp {
namespace {

// Splits "123unit" into the number and the unit; false if there is no leading number.
bool split_number(std::string_view text, std::uint64_t& number, std::string_view& unit) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc{} || ptr == text.data()) return false;
  unit = std::string_view(ptr, end - ptr);
  return true;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration(0);  // nothing needs no unit
  std::uint64_t n;
  std::string_view unit;
  if (!split_number(text, n, unit)) return std::nullopt;
  std::uint64_t ms_per_unit;
  if (unit == "ms")
    ms_per_unit = 1;
  else if (unit == "s")
    ms_per_unit = 1000;
  else if (unit == "m")
    ms_per_unit = 60'000;
  else if (unit == "h")
    ms_per_unit = 3'600'000;
  else if (unit == "d")
    ms_per_unit = 86'400'000;
  else
    return std::nullopt;
  if (n > (std::uint64_t{1} << 50) / ms_per_unit) return std::nullopt;
  return Duration(static_cast<std::int64_t>(n * ms_per_unit));
}

std::string format_duration(Duration d) {
  const std::int64_t ms = d.count();
  struct Unit {
    std::int64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  if (ms != 0) {
    for (const auto& u : kUnits)
      if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::uint64_t n;
  std::string_view unit;
  if (!split_number(text, n, unit)) return std::nullopt;
  std::uint64_t mult;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KB")
    mult = 1000;
  else if (unit == "MB")
    mult = 1000'000;
  else if (unit == "GB")
    mult = 1000'000'000;
  else if (unit == "KiB")
    mult = 1ull << 10;
  else if (unit == "MiB")
    mult = 1ull << 20;
  else if (unit == "GiB")
    mult = 1ull << 30;
  else if (unit == "TiB")
    mult = 1ull << 40;
  else
    return std::nullopt;
  if (n > UINT64_MAX / mult) return std::nullopt;
  return n * mult;
}

}  // namespace roomtemp
