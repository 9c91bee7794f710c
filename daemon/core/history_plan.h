#pragma once
// Where each part of a history question is answered from (README, REST API; docs/database.md,
// "Rollups"): whole UTC days from the daily rollups, whole UTC hours from the hourly ones, and
// only what is left — parts of hours at a step's ends, days whose rollups are still being built —
// from the raw readings. Every part lies within one step, so the figures of a step are the
// figures of its parts added up, exactly as over its readings.
#include <cstddef>
#include <vector>

#include "timeutil.h"

namespace roomtemp {

/// A half-open time range [from, to).
struct TimeSpan {
  Micros from = 0;
  Micros to = 0;
  bool operator==(const TimeSpan&) const = default;
};

struct HistoryPlan {
  /// Whole UTC days, each within one step, adjacent ones merged: from the daily rollups.
  std::vector<TimeSpan> days;
  /// Whole UTC hours, each within one step, adjacent ones merged: from the hourly rollups.
  std::vector<TimeSpan> hours;
  /// The rest, from the raw readings; each within one step (never merged across steps).
  std::vector<TimeSpan> raw;
};

/// The plan for the steps between `boundaries` (t0 < t1 < … < tn: step i is [ti, ti+1)).
/// `incomplete_days` are the starts of UTC days whose rollups are not built yet (answered raw).
HistoryPlan plan_history(const std::vector<Micros>& boundaries,
                         const std::vector<Micros>& incomplete_days);

/// The step that `t` falls in: the i with boundaries[i] ≤ t < boundaries[i+1]. `t` must lie in
/// [t0, tn).
std::size_t step_of(const std::vector<Micros>& boundaries, Micros t);

inline constexpr Micros kMicrosPerHour = 3600 * kMicrosPerSecond;
inline constexpr Micros kMicrosPerDay = 24 * kMicrosPerHour;

/// `t` rounded down to a multiple of `unit` (for times before 1970 too).
inline Micros floor_to(Micros t, Micros unit) { return t - (((t % unit) + unit) % unit); }
/// `t` rounded up to a multiple of `unit`.
inline Micros ceil_to(Micros t, Micros unit) {
  const Micros f = floor_to(t, unit);
  return f == t ? t : f + unit;
}

}  // namespace roomtemp
