#include "history_plan.h"

#include <algorithm>
#include <set>

namespace roomtemp {
namespace {

/// Appends `span`, merged into the last one when they touch.
void append_merged(std::vector<TimeSpan>& spans, TimeSpan span) {
  if (!spans.empty() && spans.back().to == span.from)
    spans.back().to = span.to;
  else
    spans.push_back(span);
}

}  // namespace

HistoryPlan plan_history(const std::vector<Micros>& boundaries,
                         const std::vector<Micros>& incomplete_days) {
  HistoryPlan plan;
  const std::set<Micros> incomplete(incomplete_days.begin(), incomplete_days.end());
  for (std::size_t i = 0; i + 1 < boundaries.size(); ++i) {
    const Micros a = boundaries[i], b = boundaries[i + 1];
    const Micros ha = ceil_to(a, kMicrosPerHour), hb = floor_to(b, kMicrosPerHour);
    if (ha >= hb) {  // no whole hour in this step
      plan.raw.push_back({a, b});
      continue;
    }
    if (a < ha) plan.raw.push_back({a, ha});
    // The whole hours [ha, hb), a UTC day at a time.
    std::vector<TimeSpan> raw_inside;
    for (Micros day = floor_to(ha, kMicrosPerDay); day < hb; day += kMicrosPerDay) {
      const TimeSpan part{std::max(ha, day), std::min(hb, day + kMicrosPerDay)};
      if (incomplete.count(day))
        append_merged(raw_inside, part);
      else if (part.from == day && part.to == day + kMicrosPerDay)
        append_merged(plan.days, part);
      else
        append_merged(plan.hours, part);
    }
    plan.raw.insert(plan.raw.end(), raw_inside.begin(), raw_inside.end());
    if (hb < b) plan.raw.push_back({hb, b});
  }
  return plan;
}

std::size_t step_of(const std::vector<Micros>& boundaries, Micros t) {
  const auto it = std::upper_bound(boundaries.begin(), boundaries.end(), t);
  return static_cast<std::size_t>(it - boundaries.begin()) - 1;
}

}  // namespace roomtemp
