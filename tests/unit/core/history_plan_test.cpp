// Where a history question's parts are answered from (core/history_plan.h): whole UTC days from
// the daily rollups, whole hours from the hourly ones, the rest from raw readings, every part
// within one step.
#include "history_plan.h"

#include <gtest/gtest.h>

#include "test_values.h"

namespace roomtemp {
namespace {

using test::kMinute;

constexpr Micros kHour = kMicrosPerHour;
constexpr Micros kDay = kMicrosPerDay;
// 2026-03-01T00:00:00Z, a UTC midnight.
constexpr Micros kMidnight = 1772323200LL * kMicrosPerSecond;

std::vector<Micros> steps(Micros from, Micros step, int n) {
  std::vector<Micros> b;
  for (int i = 0; i <= n; ++i) b.push_back(from + i * step);
  return b;
}

TEST(HistoryPlan, HourlyStepsOnWholeHoursComeFromTheHourlyRollupsAsOneSpan) {
  const auto plan = plan_history(steps(kMidnight + 3 * kHour, kHour, 5), {});
  EXPECT_EQ(plan.hours, (std::vector<TimeSpan>{{kMidnight + 3 * kHour, kMidnight + 8 * kHour}}));
  EXPECT_TRUE(plan.days.empty());
  EXPECT_TRUE(plan.raw.empty());
}

TEST(HistoryPlan, DailyStepsOnUtcMidnightsComeFromTheDailyRollups) {
  const auto plan = plan_history(steps(kMidnight, kDay, 365), {});
  EXPECT_EQ(plan.days, (std::vector<TimeSpan>{{kMidnight, kMidnight + 365 * kDay}}));
  EXPECT_TRUE(plan.hours.empty());
  EXPECT_TRUE(plan.raw.empty());
}

TEST(HistoryPlan, LocalDaysOnWholeHourOffsetsComeFromHoursAndNeverFromRaw) {
  // Europe/Zurich around the switch to summer time: local midnights at 23:00Z, then 22:00Z.
  const std::vector<Micros> b = {kMidnight + 27 * kDay - kHour, kMidnight + 28 * kDay - kHour,
                                 kMidnight + 29 * kDay - 2 * kHour,
                                 kMidnight + 30 * kDay - 2 * kHour};
  const auto plan = plan_history(b, {});
  EXPECT_TRUE(plan.raw.empty());
  EXPECT_TRUE(plan.days.empty()) << "a UTC day inside a local day is split by a step boundary";
  EXPECT_EQ(plan.hours, (std::vector<TimeSpan>{{b.front(), b.back()}}));
}

TEST(HistoryPlan, PartsOfHoursAtTheEndsComeFromRawReadings) {
  // 10:20 to 13:40: raw 10:20–11:00, hours 11:00–13:00, raw 13:00–13:40.
  const Micros from = kMidnight + 10 * kHour + 20 * kMinute;
  const auto plan = plan_history({from, kMidnight + 13 * kHour + 40 * kMinute}, {});
  EXPECT_EQ(plan.raw, (std::vector<TimeSpan>{
                          {from, kMidnight + 11 * kHour},
                          {kMidnight + 13 * kHour, kMidnight + 13 * kHour + 40 * kMinute}}));
  EXPECT_EQ(plan.hours, (std::vector<TimeSpan>{{kMidnight + 11 * kHour, kMidnight + 13 * kHour}}));
  // A step within one hour is raw only.
  const auto short_step = plan_history(steps(from, 15 * kMinute, 2), {});
  EXPECT_EQ(short_step.raw.size(), 2u);
  EXPECT_TRUE(short_step.hours.empty());
}

TEST(HistoryPlan, DaysWhoseRollupsAreNotBuiltComeFromRawReadings) {
  const auto plan = plan_history(steps(kMidnight, kDay, 3), {kMidnight + kDay});
  EXPECT_EQ(plan.days, (std::vector<TimeSpan>{{kMidnight, kMidnight + kDay},
                                              {kMidnight + 2 * kDay, kMidnight + 3 * kDay}}));
  EXPECT_EQ(plan.raw, (std::vector<TimeSpan>{{kMidnight + kDay, kMidnight + 2 * kDay}}));
}

TEST(HistoryPlan, EveryInstantOfTheRangeIsInExactlyOnePartWithinOneStep) {
  const std::vector<Micros> b = {kMidnight - 5 * kHour - 7 * kMinute,
                                 kMidnight + 2 * kDay + 90 * kMinute,
                                 kMidnight + 2 * kDay + 100 * kMinute, kMidnight + 4 * kDay};
  const auto plan = plan_history(b, {kMidnight + kDay});
  std::vector<TimeSpan> all;
  for (const auto* list : {&plan.days, &plan.hours, &plan.raw})
    all.insert(all.end(), list->begin(), list->end());
  std::sort(all.begin(), all.end(),
            [](const TimeSpan& x, const TimeSpan& y) { return x.from < y.from; });
  Micros at = b.front();
  for (const auto& s : all) {
    EXPECT_EQ(s.from, at);
    at = s.to;
  }
  EXPECT_EQ(at, b.back());
  for (const auto& s : plan.raw) EXPECT_EQ(step_of(b, s.from), step_of(b, s.to - 1));
}

TEST(HistoryPlan, StepOfFindsTheStepOfAnInstant) {
  const auto b = steps(kMidnight, kHour, 3);
  EXPECT_EQ(step_of(b, kMidnight), 0u);
  EXPECT_EQ(step_of(b, kMidnight + kHour - 1), 0u);
  EXPECT_EQ(step_of(b, kMidnight + kHour), 1u);
  EXPECT_EQ(step_of(b, kMidnight + 3 * kHour - 1), 2u);
}

TEST(HistoryPlan, RoundingWorksBefore1970) {
  EXPECT_EQ(floor_to(-1, kHour), -kHour);
  EXPECT_EQ(ceil_to(-1, kHour), 0);
  EXPECT_EQ(floor_to(-kHour, kHour), -kHour);
}

}  // namespace
}  // namespace roomtemp
