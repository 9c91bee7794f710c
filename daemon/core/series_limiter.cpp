#include "series_limiter.h"

#include <algorithm>

namespace roomtemp {

std::optional<Refusal> SeriesLimiter::admit(const Reading& r, const LimitsConfig& limits,
                                            Micros now) {
  std::string key;
  key.reserve(r.building.size() + r.room.size() + r.metric.size() + 2);
  key.append(r.building).push_back('/');
  key.append(r.room).push_back('/');
  key.append(r.metric);
  const double burst = std::max(1.0, limits.series_rate * 2);
  std::lock_guard lock(mutex_);
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= limits.max_series)
      return Refusal{
          RejectReason::too_many_series,
          "already tracking " + std::to_string(series_.size()) + " series (limits.max_series)"};
    it = series_.emplace(std::move(key), Bucket{burst, now}).first;
  }
  if (limits.series_rate <= 0) return std::nullopt;
  Bucket& b = it->second;
  b.tokens =
      std::min(burst, b.tokens + static_cast<double>(now - b.last) / 1e6 * limits.series_rate);
  b.last = now;
  if (b.tokens < 1) {
    return Refusal{RejectReason::rate_limited,
                   "more than " + std::to_string(static_cast<long long>(limits.series_rate)) +
                       " readings/s for this room and metric (limits.series_rate)"};
  }
  b.tokens -= 1;
  return std::nullopt;
}

std::size_t SeriesLimiter::tracked() const {
  std::lock_guard lock(mutex_);
  return series_.size();
}

}  // namespace roomtemp
