// What the aggregator's unit tests share: their clock and the live windows they configure.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "aggregator.h"
#include "test_values.h"

namespace roomtemp::aggregator_fixture {

using namespace std::chrono_literals;

using test::kS;
using test::kT0;  // a multiple of every bucket width the windows use (2 s, 30 s, 120 s)
inline constexpr Micros kMin = test::kMinute;

/// A reading of room `r` in building `b` taken at `ts`, received at `received_at`.
inline Reading make_reading(const std::string& b, const std::string& r, Micros ts, double v,
                            Micros received_at, const std::string& metric = "temperature",
                            std::optional<std::string> sensor = std::nullopt) {
  Reading x;
  x.ts = ts;
  x.building = b;
  x.room = r;
  x.metric = metric;
  x.value = v;
  x.sensor_id = std::move(sensor);
  x.received_at = received_at;
  return x;
}

/// The windows, and each one's index among them.
inline const std::vector<Duration> kWindows = {1min, 15min, 1h};
inline constexpr std::size_t k1m = 0, k15m = 1, k1h = 2;

}  // namespace roomtemp::aggregator_fixture
