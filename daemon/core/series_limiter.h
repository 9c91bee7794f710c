#pragma once
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "config.h"
#include "reading.h"

namespace roomtemp {

/// Admission of readings per series (building, room, metric): a cap on how many series are
/// tracked and a token-bucket rate limit per series, so one flooding or id-inventing sensor
/// cannot crowd out the rest. Thread-safe.
class SeriesLimiter {
 public:
  /// nullopt when `r` may pass; else why not.
  std::optional<Refusal> admit(const Reading& r, const LimitsConfig& limits, Micros now);
  std::size_t tracked() const;

 private:
  struct Bucket {
    double tokens;
    Micros last;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> series_;
};

}  // namespace roomtemp
