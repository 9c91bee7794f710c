#include "harness/text.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace roomtemp::harness {

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
std::string civil(std::int64_t micros, const char* fmt) {
  const std::time_t secs =
      static_cast<std::time_t>(micros / 1'000'000 - (micros % 1'000'000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}
std::int64_t fraction(std::int64_t micros) {
  return ((micros % 1'000'000) + 1'000'000) % 1'000'000;
}
}  // namespace

std::string rfc3339(std::int64_t micros, int offset_minutes, int fraction_digits) {
  const std::int64_t local = micros + std::int64_t{offset_minutes} * 60'000'000;
  std::string out = civil(local, "%Y-%m-%dT%H:%M:%S");
  char buf[32];
  if (fraction_digits == 3) {
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(fraction(local) / 1000));
    out += buf;
  } else if (fraction_digits == 6) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(fraction(local)));
    out += buf;
  }
  if (offset_minutes == 0) return out + "Z";
  const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return out + buf;
}

std::string utc_text(std::int64_t micros) {
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06lldZ", static_cast<long long>(fraction(micros)));
  return civil(micros, "%Y-%m-%dT%H:%M:%S") + buf;
}

std::string ts_text(const std::string& column) {
  return "to_char(" + column + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace roomtemp::harness
