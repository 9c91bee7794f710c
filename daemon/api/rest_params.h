#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "duration.h"
#include "timeutil.h"

namespace httplib {
struct Request;
}

namespace roomtemp {

/// A bad request parameter; handlers let it propagate and the API answers 400 with its text.
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A missing resource (unknown room, window never reported); answered with 404.
struct NotFound : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A service that is down (PostgreSQL for history queries); answered with 503.
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Query-parameter readers: each throws BadRequest naming the parameter and the value.
namespace params {
/// The raw value, or nullopt when absent.
std::optional<std::string> optional(const httplib::Request& req, const char* name);
std::string required(const httplib::Request& req, const char* name);
/// RFC 3339 or epoch seconds.
Micros time(const httplib::Request& req, const char* name);
std::optional<Micros> optional_time(const httplib::Request& req, const char* name);
Duration duration(const httplib::Request& req, const char* name);
std::optional<Duration> optional_duration(const httplib::Request& req, const char* name);
/// An integer in [lo, hi]; `fallback` when absent.
std::int64_t integer(const httplib::Request& req, const char* name, std::int64_t fallback,
                     std::int64_t lo, std::int64_t hi);
/// A building, room or metric id from the path (checked like sensor ids).
std::string id(const std::string& value, const char* what);
}  // namespace params

/// The most a history query may span, and the most rows or points it may return.
inline constexpr Micros kMaxHistorySpan = 366LL * 86400 * kMicrosPerSecond;
inline constexpr std::int64_t kMaxRows = 100000;
inline constexpr std::int64_t kMaxSeriesPoints = 10000;
inline constexpr std::int64_t kMaxBins = 1000;

}  // namespace roomtemp
