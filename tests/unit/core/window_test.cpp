// Rolling-window bucket arithmetic: a window ending with the bucket that holds `now`
// is exact over [from, to), to − from equals the configured window, readings exactly at `from`
// count and readings at `to` do not, advancing clears what falls out.
//
// Expectations are computed here from the readings themselves (brute force), never from the
// implementation.
#include "window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "test_values.h"

namespace roomtemp {
namespace {

using test::kS;
using test::kT0;

/// What a window over [from, to) must say, computed from raw readings.
struct ExpectedWindow {
  std::uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
};

struct Raw {
  Micros ts;
  double value;
};

ExpectedWindow brute(const std::vector<Raw>& readings, Micros from, Micros to) {
  ExpectedWindow e;
  for (const auto& r : readings) {
    if (r.ts < from || r.ts >= to) continue;
    if (e.count == 0) {
      e.min = e.max = r.value;
    } else {
      e.min = std::min(e.min, r.value);
      e.max = std::max(e.max, r.value);
    }
    e.sum += r.value;
    ++e.count;
  }
  return e;
}

/// The window's numbers are brute force over the accepted readings in its [from, to).
void assert_brute_force(const WindowStats& s, const std::vector<Raw>& accepted, int step) {
  const ExpectedWindow e = brute(accepted, s.from, s.to);
  ASSERT_EQ(s.count, e.count) << "step " << step;
  if (e.count == 0) return;
  ASSERT_NEAR(s.sum, e.sum, 1e-9 * std::max(1.0, std::abs(e.sum))) << "step " << step;
  ASSERT_EQ(s.min, e.min) << "step " << step;
  ASSERT_EQ(s.max, e.max) << "step " << step;
}

void expect_stats(const WindowStats& s, const ExpectedWindow& e) {
  EXPECT_EQ(s.count, e.count);
  if (e.count > 0) {
    EXPECT_DOUBLE_EQ(s.sum, e.sum);
    EXPECT_EQ(s.min, e.min);
    EXPECT_EQ(s.max, e.max);
    EXPECT_DOUBLE_EQ(s.avg(), e.sum / static_cast<double>(e.count));
  }
}

TEST(Window, OneMinuteWindowEndsWithTheBucketHoldingNow) {
  // 60 s in 30 buckets: 2 s each, aligned to the epoch.
  Window w(60 * kS);
  const Micros now = kT0 + 30 * kS + 500'000;  // inside [T0+30 s, T0+32 s)
  const WindowStats s = w.stats(now);
  EXPECT_EQ(s.to, kT0 + 32 * kS);
  EXPECT_EQ(s.from, kT0 - 28 * kS);
  EXPECT_EQ(s.to - s.from, 60 * kS);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0);
}

TEST(Window, NowExactlyOnAnEdgeStartsANewBucket) {
  Window w(60 * kS);
  const WindowStats s = w.stats(kT0 + 30 * kS);
  EXPECT_EQ(s.to, kT0 + 32 * kS);
  EXPECT_EQ(s.from, kT0 - 28 * kS);
  const WindowStats t = w.stats(kT0 + 32 * kS - 1);
  EXPECT_EQ(t.to, kT0 + 32 * kS);
}

TEST(Window, ToMinusFromEqualsTheWindowForTheUsualWindows) {
  for (Micros len :
       {60 * kS, 15 * 60 * kS, 3600 * kS, 86400 * kS, 7 * 86400 * kS, 30 * kS, 3 * kS}) {
    SCOPED_TRACE(len);
    for (Micros now : {kT0, kT0 + 1, kT0 + 12'345'678, kT0 + len / 2 + 7}) {
      Window w(len);
      const WindowStats s = w.stats(now);
      EXPECT_EQ(s.to - s.from, len);
      EXPECT_LE(s.from, now);
      EXPECT_LT(now, s.to);
      EXPECT_LE(s.to - now, len / kBucketsPerWindow);
    }
  }
}

// The README's "Topics and payloads": "to − from equals the window" for every configured window.
// The config accepts any whole number of seconds (averages.windows, minimum 1s), e.g. the 10s a
// test or a demo uses.
TEST(Window, ToMinusFromEqualsTheWindowForEveryWholeSecondWindow) {
  std::vector<Micros> wrong;
  for (Micros secs = 1; secs <= 120; ++secs) {
    Window w(secs * kS);
    const WindowStats s = w.stats(kT0 + 123'456'789);
    if (s.to - s.from != secs * kS) wrong.push_back(secs);
  }
  EXPECT_TRUE(wrong.empty()) << "windows (in seconds) whose to - from differs from the window: "
                             << ::testing::PrintToString(wrong);
  Window ten(10 * kS);
  const WindowStats s = ten.stats(kT0 + 5 * kS);
  EXPECT_EQ(s.to - s.from, 10 * kS)
      << "a 10s window publishes [from, to) of " << (s.to - s.from) << " µs";
}

TEST(Window, AReadingExactlyAtFromCountsAndOneAtToDoesNot) {
  Window w(60 * kS);
  const Micros now = kT0 + 31 * kS;
  const Micros from = kT0 - 28 * kS, to = kT0 + 32 * kS;
  EXPECT_TRUE(w.add(from, 10.0, now));
  EXPECT_FALSE(w.add(from - 1, 99.0, now)) << "just before from is outside the window";
  EXPECT_TRUE(w.add(to - 1, 20.0, now)) << "just before to is inside (later than now, same bucket)";
  EXPECT_FALSE(w.add(to, 99.0, now)) << "to itself is outside";
  const WindowStats s = w.stats(now);
  ASSERT_EQ(s.from, from);
  ASSERT_EQ(s.to, to);
  expect_stats(s, brute({{from, 10.0}, {to - 1, 20.0}}, from, to));
}

TEST(Window, LateReadingsInsideTheWindowCountOlderOnesDoNot) {
  Window w(15 * 60 * kS);  // 30 s buckets
  const Micros now = kT0 + 3600 * kS + 10 * kS;
  // from = T0 + 3600 + 30 - 900 = T0 + 2730 s
  EXPECT_TRUE(w.add(now - 14 * 60 * kS, 1.5, now));    // 14 min late: inside
  EXPECT_TRUE(w.add(kT0 + 2730 * kS, 2.5, now));       // exactly at from
  EXPECT_FALSE(w.add(kT0 + 2730 * kS - 1, 3.5, now));  // 1 µs older than from
  EXPECT_FALSE(w.add(now - 16 * 60 * kS, 4.5, now));   // 16 min late: outside
  EXPECT_FALSE(w.add(kT0, 5.5, now));                  // an hour late
  const WindowStats s = w.stats(now);
  EXPECT_EQ(s.from, kT0 + 2730 * kS);
  expect_stats(s, ExpectedWindow{2, 4.0, 1.5, 2.5});
}

TEST(Window, AdvanceClearsBucketsThatFallOut) {
  Window w(60 * kS);
  Micros now = kT0;
  ASSERT_TRUE(w.add(kT0, 1.0, now));            // bucket [T0, T0+2)
  ASSERT_TRUE(w.add(kT0 + 1 * kS, 2.0, now));   // same bucket, later than now
  ASSERT_TRUE(w.add(kT0 - 10 * kS, 3.0, now));  // bucket [T0-10, T0-8)
  ASSERT_TRUE(w.add(kT0 - 58 * kS, 4.0, now));  // the oldest bucket [T0-58, T0-56)
  expect_stats(w.stats(now), ExpectedWindow{4, 10.0, 1.0, 4.0});

  // One bucket later the oldest one falls out.
  EXPECT_TRUE(w.advance(kT0 + 2 * kS)) << "a non-empty bucket fell out";
  expect_stats(w.stats(kT0 + 2 * kS), ExpectedWindow{3, 6.0, 1.0, 3.0});
  // Moving within the same bucket changes nothing.
  EXPECT_FALSE(w.advance(kT0 + 3 * kS));
  expect_stats(w.stats(kT0 + 3 * kS), ExpectedWindow{3, 6.0, 1.0, 3.0});
  // Until T0-10 falls out: from > T0-10 once to > T0+50, i.e. now ≥ T0+50.
  EXPECT_FALSE(w.advance(kT0 + 49 * kS));
  expect_stats(w.stats(kT0 + 49 * kS), ExpectedWindow{3, 6.0, 1.0, 3.0});
  EXPECT_TRUE(w.advance(kT0 + 50 * kS));
  expect_stats(w.stats(kT0 + 50 * kS), ExpectedWindow{2, 3.0, 1.0, 2.0});
  // [T0, T0+2) falls out once now ≥ T0+60.
  expect_stats(w.stats(kT0 + 60 * kS - 1), ExpectedWindow{2, 3.0, 1.0, 2.0});
  const WindowStats empty = w.stats(kT0 + 60 * kS);
  EXPECT_EQ(empty.count, 0u);
  EXPECT_EQ(empty.sum, 0);
  EXPECT_EQ(empty.to, kT0 + 62 * kS);
  EXPECT_EQ(empty.from, kT0 + 2 * kS);
}

TEST(Window, AJumpLongerThanTheWindowClearsEverything) {
  Window w(60 * kS);
  const Micros now = kT0;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(w.add(kT0 - i * 2 * kS, i, now));
  EXPECT_EQ(w.stats(now).count, 30u);
  EXPECT_TRUE(w.advance(kT0 + 3600 * kS));
  const WindowStats s = w.stats(kT0 + 3600 * kS);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0);
  // And the ring is usable afterwards: every slot was really cleared.
  ASSERT_TRUE(w.add(kT0 + 3600 * kS, 7.0, kT0 + 3600 * kS));
  expect_stats(w.stats(kT0 + 3600 * kS), ExpectedWindow{1, 7.0, 7.0, 7.0});
  // A jump of exactly 30 buckets clears all too.
  EXPECT_TRUE(w.advance(kT0 + 3660 * kS));
  EXPECT_EQ(w.stats(kT0 + 3660 * kS).count, 0u);
}

TEST(Window, EmptyWindowHasZeroCountAndSum) {
  Window w(3600 * kS);
  const WindowStats s = w.stats(kT0 + 17);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0);
  EXPECT_EQ(s.avg(), 0);
  EXPECT_EQ(s.to - s.from, 3600 * kS);
}

TEST(Window, MinAndMaxOfNegativeAndEqualValues) {
  Window w(60 * kS);
  const Micros now = kT0;
  ASSERT_TRUE(w.add(kT0 - 3 * kS, -5.25, now));
  ASSERT_TRUE(w.add(kT0 - 5 * kS, -5.25, now));
  ASSERT_TRUE(w.add(kT0 - 7 * kS, -60.0, now));
  ASSERT_TRUE(w.add(kT0 - 9 * kS, 100.0, now));
  expect_stats(w.stats(now), ExpectedWindow{4, 29.5, -60.0, 100.0});
}

TEST(Window, AddBucketFollowsTheSameRulesAsAdd) {
  Window w(60 * kS);  // 2 s buckets
  const Micros now = kT0 + 1 * kS;
  const std::int64_t head = kT0 / (2 * kS);
  Bucket b;
  b.add(3.0);
  b.add(5.0);
  EXPECT_TRUE(w.add_bucket(head, b, now));
  EXPECT_TRUE(w.add_bucket(head - 29, b, now));
  EXPECT_FALSE(w.add_bucket(head - 30, b, now)) << "older than the window";
  EXPECT_FALSE(w.add_bucket(head + 1, b, now)) << "after the newest bucket";
  expect_stats(w.stats(now), ExpectedWindow{4, 16.0, 3.0, 5.0});
}

// Random readings, late and early, at a clock that moves forward irregularly: after every step
// the window equals brute force over the readings it accepted, restricted to [from, to).
TEST(Window, RandomReadingsMatchBruteForce) {
  for (Micros len : {60 * kS, 15 * 60 * kS, 3600 * kS}) {
    SCOPED_TRACE(len);
    const Micros width = len / 30;
    std::mt19937_64 rng(static_cast<std::uint64_t>(len));
    Window w(len);
    std::vector<Raw> accepted;
    Micros now = kT0 + 17;
    for (int step = 0; step < 3000; ++step) {
      // Moves the clock 0..width*2, sometimes a big jump.
      if (rng() % 200 == 0)
        now += len * (1 + static_cast<Micros>(rng() % 2));
      else
        now += static_cast<Micros>(rng() % static_cast<std::uint64_t>(2 * width / 3 + 1));
      const Micros to = (now / width + 1) * width;
      const Micros from = to - len;
      // A reading somewhere in [now - 1.3 len, now + 2 buckets).
      const Micros ts =
          now - len - len * 3 / 10 +
          static_cast<Micros>(rng() % static_cast<std::uint64_t>(len * 13 / 10 + 2 * width));
      const double value = static_cast<double>(static_cast<int>(rng() % 16001) - 6000) / 100.0;
      const bool inside = ts >= from && ts < to;
      EXPECT_EQ(w.add(ts, value, now), inside) << "ts " << ts << " now " << now;
      if (inside) accepted.push_back({ts, value});
      if (step % 7 == 0) {
        const WindowStats s = w.stats(now);
        ASSERT_EQ(s.from, from);
        ASSERT_EQ(s.to, to);
        ASSERT_NO_FATAL_FAILURE(assert_brute_force(s, accepted, step));
      }
    }
  }
}

// Any whole number of seconds is a valid window (config: averages.windows). Whatever bucket
// edges the window uses, at every moment: to − from is the window, from ≤ now < to, the range
// never moves back, a reading is accepted exactly when it lies in the range, and the numbers
// are brute force over the accepted readings that lie in the range.
TEST(Window, AnyWholeSecondWindowIsExactOverItsRange) {
  for (Micros secs : {1, 7, 10, 11, 13, 29, 45, 100, 127}) {
    const Micros len = secs * kS;
    SCOPED_TRACE(secs);
    std::mt19937_64 rng(static_cast<std::uint64_t>(secs));
    Window w(len);
    std::vector<Raw> accepted;
    Micros now = kT0 + 123'457;
    Micros last_to = std::numeric_limits<Micros>::min();
    for (int step = 0; step < 4000; ++step) {
      now += static_cast<Micros>(rng() % static_cast<std::uint64_t>(len / 20 + 1));
      const WindowStats before = w.stats(now);
      ASSERT_EQ(before.to - before.from, len) << "step " << step;
      ASSERT_LE(before.from, now);
      ASSERT_LT(now, before.to);
      ASSERT_GE(before.to, last_to) << "the range moved back";
      last_to = before.to;
      const Micros ts = now - len - len / 5 +
                        static_cast<Micros>(rng() % static_cast<std::uint64_t>(len + len / 2));
      const double value = static_cast<double>(static_cast<int>(rng() % 16001) - 6000) / 100.0;
      const bool inside = ts >= before.from && ts < before.to;
      ASSERT_EQ(w.add(ts, value, now), inside) << "ts " << ts << " now " << now;
      if (inside) accepted.push_back({ts, value});
      const WindowStats s = w.stats(now);
      ASSERT_EQ(s.from, before.from);
      ASSERT_NO_FATAL_FAILURE(assert_brute_force(s, accepted, step));
    }
  }
}

// Storage follows the span of buckets in use: one reading holds one bucket, a room reporting
// into every bucket holds them all, a window that empties holds none; and however the ring grew
// (readings every few buckets, late ones into older buckets), the numbers stay brute force.
TEST(Window, StorageFollowsTheBucketsInUse) {
  const Micros len = 60 * kS, width = len / 30;
  Window w(len);
  EXPECT_EQ(w.capacity(), 0);
  ASSERT_TRUE(w.add(kT0 + 5, 20.0, kT0 + 10));
  EXPECT_EQ(w.capacity(), 1);
  for (int i = 1; i < 30; ++i) ASSERT_TRUE(w.add(kT0 + i * width, 21.0, kT0 + i * width));
  EXPECT_EQ(w.capacity(), 30);
  EXPECT_EQ(w.stats(kT0 + 29 * width).count, 30u);
  // Everything falls out: the storage goes with it.
  EXPECT_EQ(w.stats(kT0 + 30 * width + len).count, 0u);
  EXPECT_EQ(w.capacity(), 0);
  // A late reading 9 buckets back needs a ring covering 10 buckets (grown by doubling: 16).
  const Micros now = kT0 + 100 * width;
  ASSERT_TRUE(w.add(now, 1.0, now));
  ASSERT_TRUE(w.add(now - 9 * width, 2.0, now));
  EXPECT_EQ(w.capacity(), 16);
  const WindowStats s = w.stats(now);
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 2.0);
}

TEST(Window, SparseReadingsMatchBruteForce) {
  for (Micros len : {60 * kS, 3600 * kS}) {
    SCOPED_TRACE(len);
    const Micros width = len / 30;
    std::mt19937_64 rng(static_cast<std::uint64_t>(len) + 1);
    Window w(len);
    std::vector<Raw> accepted;
    Micros now = kT0 + 3;
    int max_capacity = 0;
    for (int step = 0; step < 3000; ++step) {
      // Gaps of 0–12 buckets: the ring grows, shrinks to nothing, grows again.
      now += static_cast<Micros>(rng() % static_cast<std::uint64_t>(12 * width + 1));
      const WindowStats before = w.stats(now);
      // Mostly now, sometimes late by up to the whole window.
      const Micros ts =
          rng() % 4 ? now : now - static_cast<Micros>(rng() % static_cast<std::uint64_t>(len));
      const double value = static_cast<double>(static_cast<int>(rng() % 16001) - 6000) / 100.0;
      const bool inside = ts >= before.from && ts < before.to;
      ASSERT_EQ(w.add(ts, value, now), inside) << "step " << step;
      if (inside) accepted.push_back({ts, value});
      max_capacity = std::max(max_capacity, w.capacity());
      const WindowStats s = w.stats(now);
      ASSERT_NO_FATAL_FAILURE(assert_brute_force(s, accepted, step));
      if (s.count == 0) {
        ASSERT_EQ(w.capacity(), 0) << "an empty window keeps storage";
      }
    }
    EXPECT_EQ(max_capacity, 30) << "late readings never needed the whole ring?";
  }
}

}  // namespace
}  // namespace roomtemp
