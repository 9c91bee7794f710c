#include "series_limiter.h"

#include <gtest/gtest.h>

namespace roomtemp {
namespace {

Reading reading(const std::string& building, const std::string& room) {
  Reading r;
  r.building = building;
  r.room = room;
  r.metric = "temperature";
  r.value = 21;
  return r;
}

constexpr Micros kSecond = 1'000'000;

TEST(SeriesLimiter, UnlimitedByDefaultButCapsTheNumberOfSeries) {
  SeriesLimiter limiter;
  LimitsConfig limits;
  limits.max_series = 3;
  for (int i = 0; i < 1000; ++i)
    EXPECT_FALSE(limiter.admit(reading("B1", "101"), limits, 0)) << i;  // no rate limit
  EXPECT_FALSE(limiter.admit(reading("B1", "102"), limits, 0));
  EXPECT_FALSE(limiter.admit(reading("B2", "101"), limits, 0));
  auto refused = limiter.admit(reading("B3", "101"), limits, 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, RejectReason::too_many_series);
  EXPECT_EQ(limiter.tracked(), 3u);
  // Series already tracked still pass.
  EXPECT_FALSE(limiter.admit(reading("B2", "101"), limits, 0));
}

TEST(SeriesLimiter, RateLimitsOneSeriesWithoutTouchingOthers) {
  SeriesLimiter limiter;
  LimitsConfig limits;
  limits.series_rate = 10;  // burst of 20
  int passed = 0;
  for (int i = 0; i < 100; ++i) passed += !limiter.admit(reading("B1", "flood"), limits, 0);
  EXPECT_EQ(passed, 20);
  auto refused = limiter.admit(reading("B1", "flood"), limits, 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, RejectReason::rate_limited);
  // Another room at the same instant is not affected.
  EXPECT_FALSE(limiter.admit(reading("B1", "quiet"), limits, 0));
  // One second later the flooding room has 10 more tokens.
  passed = 0;
  for (int i = 0; i < 100; ++i) passed += !limiter.admit(reading("B1", "flood"), limits, kSecond);
  EXPECT_EQ(passed, 10);
}

}  // namespace
}  // namespace roomtemp
