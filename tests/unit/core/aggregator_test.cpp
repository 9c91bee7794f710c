// Rolling averages per room and building: late, old and future readings, duplicates
// within and after the dedupe horizon, building series over every room, many rooms, top-N,
// what reported and what tick() returns (the JSON of a published average: average_json_test).
//
// Every expectation is computed here, by hand or by brute force over the readings the test fed
// in, never from the implementation.
#include "aggregator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "aggregator_fixture.h"
#include "messages.h"
#include "test_values.h"

namespace roomtemp {
namespace {

using namespace std::chrono_literals;

using namespace aggregator_fixture;
const std::vector<Micros> kLengths = {kMin, 15 * kMin, 60 * kMin};

Reading reading(const std::string& b, const std::string& r, Micros ts, double v,
                std::optional<std::string> sensor = std::nullopt,
                const std::string& metric = "temperature") {
  return make_reading(b, r, ts, v, ts, metric, std::move(sensor));
}

using test::room;
SeriesKey building(const std::string& b, const std::string& m = "temperature") {
  return {b, "", m};
}

struct Expect {
  std::uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
};

/// Readings the test knows were counted, with brute-force stats over a range.
struct Truth {
  struct Item {
    std::string b, r;
    Micros ts;
    double v;
  };
  std::vector<Item> items;

  Expect over(const SeriesKey& k, Micros from, Micros to) const {
    Expect e;
    for (const auto& i : items) {
      if (i.b != k.building || (!k.room.empty() && i.r != k.room)) continue;
      if (i.ts < from || i.ts >= to) continue;
      if (e.count == 0)
        e.min = e.max = i.v;
      else {
        e.min = std::min(e.min, i.v);
        e.max = std::max(e.max, i.v);
      }
      e.sum += i.v;
      ++e.count;
    }
    return e;
  }
};

/// [from, to) of a window of length `len` (30 epoch-aligned buckets) at `now`, by hand.
std::pair<Micros, Micros> range_at(Micros len, Micros now) {
  const Micros width = len / 30;
  const Micros to = (now / width + 1) * width;
  return {to - len, to};
}

void expect_numbers(const WindowStats& s, const Expect& e, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(s.count, e.count);
  if (e.count) {
    EXPECT_NEAR(s.sum, e.sum, 1e-9 * std::max(1.0, std::abs(e.sum)));
    EXPECT_EQ(s.min, e.min);
    EXPECT_EQ(s.max, e.max);
  }
}

std::uint64_t live_count(Aggregator& a, const SeriesKey& k, std::size_t w, Micros now) {
  auto s = a.live(k, w, now);
  return s ? s->count : 999999;
}

/// The updates of one tick, by (building, room, window) → count.
std::map<std::tuple<std::string, std::string, std::size_t>, std::uint64_t> by_key(
    const std::vector<AverageUpdate>& updates) {
  std::map<std::tuple<std::string, std::string, std::size_t>, std::uint64_t> out;
  for (const auto& u : updates) {
    auto [it, inserted] =
        out.emplace(std::make_tuple(u.key.building, u.key.room, u.window), u.stats.count);
    EXPECT_TRUE(inserted) << "tick returned " << u.key.building << "/" << u.key.room << " window "
                          << u.window << " twice";
  }
  return out;
}

TEST(Aggregator, WindowIndexAndWindows) {
  Aggregator a(kWindows, 10min);
  EXPECT_EQ(a.windows(), kWindows);
  EXPECT_EQ(a.window_index(1min), std::optional<std::size_t>(0));
  EXPECT_EQ(a.window_index(15min), std::optional<std::size_t>(1));
  EXPECT_EQ(a.window_index(1h), std::optional<std::size_t>(2));
  EXPECT_EQ(a.window_index(2h), std::nullopt);
  EXPECT_EQ(a.window_index(30s), std::nullopt);
}

TEST(Aggregator, LateReadingsInsideAWindowCountOlderOnesDoNot) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 3600 * kS + 10 * kS;
  a.add(reading("B1", "101", now - 50 * kS, 20.0), now);        // in 1m, 15m, 1h
  a.add(reading("B1", "101", now - 5 * kMin, 21.0), now);       // in 15m, 1h
  a.add(reading("B1", "101", now - 30 * kMin, 22.0), now);      // in 1h
  a.add(reading("B1", "101", now - 2 * 60 * kMin, 99.0), now);  // in none
  a.tick(now);
  auto one = a.live(room("B1", "101"), k1m, now);
  auto quarter = a.live(room("B1", "101"), k15m, now);
  auto hour = a.live(room("B1", "101"), k1h, now);
  ASSERT_TRUE(one && quarter && hour);
  expect_numbers(*one, {1, 20.0, 20.0, 20.0}, "1m");
  expect_numbers(*quarter, {2, 41.0, 20.0, 21.0}, "15m");
  expect_numbers(*hour, {3, 63.0, 20.0, 22.0}, "1h");
  EXPECT_DOUBLE_EQ(hour->avg(), 21.0);
  // The building says the same (one room).
  expect_numbers(*a.live(building("B1"), k1h, now), {3, 63.0, 20.0, 22.0}, "building 1h");
}

TEST(Aggregator, ALateReadingArrivingAfterItsWindowMovedOnStillCountsWhereItFits) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 3600 * kS;
  a.add(reading("B1", "101", now - 10 * kS, 1.0), now);
  a.tick(now);
  // Ten minutes later a reading stamped 14 minutes before that arrives (a sensor's backlog).
  const Micros later = now + 10 * kMin;
  a.add(reading("B1", "101", later - 14 * kMin, 3.0), later);
  a.tick(later);
  expect_numbers(*a.live(room("B1", "101"), k15m, later), {2, 4.0, 1.0, 3.0}, "15m");
  expect_numbers(*a.live(room("B1", "101"), k1h, later), {2, 4.0, 1.0, 3.0}, "1h");
  EXPECT_EQ(a.live(room("B1", "101"), k1m, later)->count, 0u);
}

TEST(Aggregator, FutureReadingsWaitAndAreCountedOnceTheClockReachesThem) {
  Aggregator a(kWindows, 10min);
  // 1m: 2 s buckets, the newest [T0, T0+2 s); 15m: 30 s buckets; 1h: 120 s buckets.
  const Micros now = kT0 + 1 * kS;
  const Micros ts = kT0 + 5 * kS;  // in the 1m bucket [T0+4 s, T0+6 s): two buckets ahead
  a.add(reading("B1", "101", ts, 25.0), now);

  auto u = by_key(a.tick(now));
  EXPECT_EQ(u.count({"B1", "101", k1m}), 0u) << "not in the 1m window yet";
  EXPECT_EQ((u[{"B1", "101", k15m}]), 1u) << "already inside the newest 15m bucket";
  EXPECT_EQ((u[{"B1", "101", k1h}]), 1u);
  EXPECT_EQ(a.live(room("B1", "101"), k1m, now)->count, 0u);

  u = by_key(a.tick(kT0 + 4 * kS - 1));
  EXPECT_EQ(u.count({"B1", "101", k1m}), 0u) << "still one bucket ahead";
  EXPECT_EQ(live_count(a, room("B1", "101"), k1m, kT0 + 4 * kS - 1), 0u);

  u = by_key(a.tick(kT0 + 4 * kS));
  ASSERT_EQ(u.count({"B1", "101", k1m}), 1u);
  EXPECT_EQ((u[{"B1", "101", k1m}]), 1u);
  EXPECT_EQ((u[{"B1", "", k1m}]), 1u);
  EXPECT_EQ(u.count({"B1", "101", k15m}), 0u) << "15m did not change: counted once, not again";
  auto s = a.live(room("B1", "101"), k1m, kT0 + 4 * kS);
  ASSERT_TRUE(s);
  const auto [from, to] = range_at(kMin, kT0 + 4 * kS);
  EXPECT_EQ(s->from, from);
  EXPECT_EQ(s->to, to);
  EXPECT_LT(ts, s->to);
  expect_numbers(*s, {1, 25.0, 25.0, 25.0}, "1m once reached");

  // Later ticks do not count it again.
  EXPECT_TRUE(a.tick(kT0 + 6 * kS).empty());
  EXPECT_TRUE(a.tick(kT0 + 20 * kS).empty());
  EXPECT_EQ(a.live(room("B1", "101"), k1m, kT0 + 20 * kS)->count, 1u);
  EXPECT_EQ(a.live(room("B1", "101"), k15m, kT0 + 20 * kS)->count, 1u);
  EXPECT_EQ(a.live(building("B1"), k1h, kT0 + 20 * kS)->count, 1u);
}

TEST(Aggregator, FutureReadingsOnlyCountWhereTheyFitWhenReached) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 1 * kS;
  // 4 min ahead: beyond the newest bucket of 1m (2 s), 15m (30 s) and 1h (120 s).
  a.add(reading("B1", "101", now + 4 * kMin, 10.0), now);
  a.add(reading("B1", "101", now - 1 * kS, 20.0), now);
  a.tick(now);
  expect_numbers(*a.live(room("B1", "101"), k1h, now), {1, 20.0, 20.0, 20.0}, "1h now");
  const Micros later = now + 4 * kMin + 1 * kS;
  a.tick(later);
  expect_numbers(*a.live(room("B1", "101"), k1m, later), {1, 10.0, 10.0, 10.0}, "1m later");
  expect_numbers(*a.live(room("B1", "101"), k15m, later), {2, 30.0, 10.0, 20.0}, "15m later");
  expect_numbers(*a.live(room("B1", "101"), k1h, later), {2, 30.0, 10.0, 20.0}, "1h later");
  expect_numbers(*a.live(building("B1"), k15m, later), {2, 30.0, 10.0, 20.0}, "building");
}

// The fingerprint decides the dedupe set's slot, so an outsider must not be able to predict
// it: each aggregator keys it at random. Within one aggregator it is still a function of the
// identity (value and received_at play no part).
TEST(Aggregator, DedupeFingerprintsAreKeyedPerAggregator) {
  Aggregator a(kWindows, 10min), b(kWindows, 10min);
  const Reading r = reading("B1", "101", kT0, 20.0, "s1");
  Reading copy = r;
  copy.value = 21.0;
  copy.received_at = kT0 + kMin;
  EXPECT_EQ(a.fingerprint(r), a.fingerprint(copy));
  EXPECT_NE(a.fingerprint(r), b.fingerprint(r));
  // Readings of one sensor a microsecond apart: their slots (low bits) differ between
  // aggregators too, not only the high bits.
  std::size_t same_low_bits = 0;
  for (Micros ts = kT0; ts < kT0 + 64; ++ts) {
    const Reading x = reading("B1", "101", ts, 20.0, "s1");
    same_low_bits += (a.fingerprint(x) & 0xFFFF) == (b.fingerprint(x) & 0xFFFF);
  }
  EXPECT_LT(same_low_bits, 4u);
}

TEST(Aggregator, DuplicatesWithinTheHorizonCountOnceAfterItAgain) {
  Aggregator a(kWindows, 10min);
  const Micros t = kT0 - 10 * kS;
  Micros now = kT0;
  a.add(reading("B1", "101", t, 20.0, "s1"), now);
  a.add(reading("B1", "101", t, 20.0, "s1"), now);                  // an immediate redelivery
  a.add(reading("B1", "101", t, 20.0, "s1"), now + 5 * kMin);       // five minutes later
  a.add(reading("B1", "101", t, 20.0, "s1"), now + 10 * kMin - 1);  // just inside the horizon
  a.tick(now + 10 * kMin - 1);
  EXPECT_EQ(a.live(room("B1", "101"), k15m, now + 10 * kMin - 1)->count, 1u);
  EXPECT_EQ(a.live(room("B1", "101"), k1h, now + 10 * kMin - 1)->count, 1u);
  EXPECT_EQ(a.live(building("B1"), k1h, now + 10 * kMin - 1)->count, 1u);

  // Not duplicates: another sensor, no sensor, another timestamp, another room or metric.
  now = kT0 + 10 * kMin - 1;
  a.add(reading("B1", "101", t, 21.0, "s2"), now);
  a.add(reading("B1", "101", t, 22.0), now);
  a.add(reading("B1", "101", t + 1, 23.0, "s1"), now);
  a.add(reading("B1", "102", t, 24.0, "s1"), now);
  a.add(reading("B2", "101", t, 25.0, "s1"), now);
  a.add(reading("B1", "101", t, 26.0, "s1", "humidity"), now);
  // And no sensor twice is a duplicate too.
  a.add(reading("B1", "101", t, 22.0), now + 1 * kS);
  a.tick(now + 2 * kS);
  expect_numbers(*a.live(room("B1", "101"), k1h, now + 2 * kS), {4, 86.0, 20.0, 23.0}, "B1/101");
  expect_numbers(*a.live(building("B1"), k1h, now + 2 * kS), {5, 110.0, 20.0, 24.0}, "B1");
  expect_numbers(*a.live(building("B2"), k1h, now + 2 * kS), {1, 25.0, 25.0, 25.0}, "B2");
  expect_numbers(*a.live(room("B1", "101", "humidity"), k1h, now + 2 * kS), {1, 26.0, 26.0, 26.0},
                 "humidity");

  // Well after the horizon the same reading counts again (still inside the 1h window).
  const Micros after = kT0 + 11 * kMin;
  a.add(reading("B1", "101", t, 20.0, "s1"), after);
  a.tick(after);
  expect_numbers(*a.live(room("B1", "101"), k1h, after), {5, 106.0, 20.0, 23.0}, "after horizon");
  // ... and once more is a duplicate of that copy.
  a.add(reading("B1", "101", t, 20.0, "s1"), after + 1 * kS);
  a.tick(after + 1 * kS);
  EXPECT_EQ(a.live(room("B1", "101"), k1h, after + 1 * kS)->count, 5u);
}

TEST(Aggregator, ZeroDedupeHorizonCountsEveryCopy) {
  Aggregator a(kWindows, Duration(0));
  a.add(reading("B1", "101", kT0 - kS, 20.0, "s1"), kT0);
  a.add(reading("B1", "101", kT0 - kS, 20.0, "s1"), kT0);
  a.tick(kT0);
  EXPECT_EQ(a.live(room("B1", "101"), k1m, kT0)->count, 2u);
}

TEST(Aggregator, BuildingSeriesCoversEveryRoomOfTheBuilding) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 7 * kS;
  Truth truth;
  auto feed = [&](const std::string& b, const std::string& r, Micros ts, double v) {
    a.add(reading(b, r, ts, v), now);
    truth.items.push_back({b, r, ts, v});
  };
  feed("B1", "101", now - 3 * kS, 19.5);
  feed("B1", "101", now - 40 * kS, 20.5);
  feed("B1", "102", now - 10 * kS, -2.25);
  feed("B1", "103", now - 9 * kMin, 30.0);
  feed("B2", "101", now - 1 * kS, 50.0);  // same room name, other building
  feed("B2", "201", now - 20 * kMin, 10.0);
  a.tick(now);
  for (std::size_t w = 0; w < kWindows.size(); ++w) {
    const auto [from, to] = range_at(kLengths[w], now);
    for (const auto& k : {building("B1"), building("B2"), room("B1", "101"), room("B1", "102"),
                          room("B1", "103"), room("B2", "101"), room("B2", "201")}) {
      auto s = a.live(k, w, now);
      ASSERT_TRUE(s) << k.building << "/" << k.room;
      EXPECT_EQ(s->from, from);
      EXPECT_EQ(s->to, to);
      expect_numbers(*s, truth.over(k, from, to),
                     k.building + "/" + k.room + " w" + std::to_string(w));
    }
  }
  // Spot-check by hand: the B1 15m building window holds 19.5, 20.5, -2.25, 30.0.
  expect_numbers(*a.live(building("B1"), k15m, now), {4, 67.75, -2.25, 30.0}, "B1 15m by hand");
}

TEST(Aggregator, ManyRoomsMatchBruteForce) {
  Aggregator a(kWindows, 10min);
  std::mt19937_64 rng(42);
  Truth truth;
  Micros now = kT0 + 13 * kS;
  std::set<std::string> buildings;
  std::vector<std::pair<std::string, std::string>> rooms;
  for (int b = 0; b < 20; ++b)
    for (int r = 0; r < 50; ++r)
      rooms.push_back({"B" + std::to_string(b), std::to_string(100 + r)});
  for (int step = 0; step < 30'000; ++step) {
    now += static_cast<Micros>(rng() % 40'000);  // ~20 minutes in all
    const auto& [b, r] = rooms[rng() % rooms.size()];
    buildings.insert(b);
    const Micros ts = now - static_cast<Micros>(rng() % static_cast<std::uint64_t>(70 * kMin));
    const double v = static_cast<double>(static_cast<int>(rng() % 12001) - 2000) / 100.0;
    a.add(reading(b, r, ts, v, "s" + std::to_string(step)), now);
    // Counted when inside the window at arrival; the Truth restricts to [from, to) later, and
    // windows only move forward, so "inside at arrival" is just "older than `to` back then".
    truth.items.push_back({b, r, ts, v});
    if (step % 5000 == 4999) a.tick(now);
  }
  a.tick(now);
  std::size_t checked = 0;
  for (std::size_t w = 0; w < kWindows.size(); ++w) {
    const auto [from, to] = range_at(kLengths[w], now);
    for (const auto& [b, r] : rooms) {
      const auto k = room(b, r);
      auto s = a.live(k, w, now);
      ASSERT_TRUE(s);
      const Expect e = truth.over(k, from, to);
      ASSERT_EQ(s->count, e.count) << b << "/" << r << " window " << w;
      if (e.count) {
        ASSERT_NEAR(s->sum, e.sum, 1e-9 * std::max(1.0, std::abs(e.sum)));
        ASSERT_EQ(s->min, e.min);
        ASSERT_EQ(s->max, e.max);
      }
      ++checked;
    }
    for (const auto& b : buildings) {
      auto s = a.live(building(b), w, now);
      ASSERT_TRUE(s);
      const Expect e = truth.over(building(b), from, to);
      ASSERT_EQ(s->count, e.count) << b << " window " << w;
      if (e.count) {
        ASSERT_NEAR(s->sum, e.sum, 1e-9 * std::max(1.0, std::abs(e.sum)));
        ASSERT_EQ(s->min, e.min);
        ASSERT_EQ(s->max, e.max);
      }
    }
  }
  EXPECT_EQ(checked, 3 * rooms.size());
  EXPECT_EQ(a.series_count(), rooms.size() + buildings.size());
}

TEST(Aggregator, TopRanksRoomsByTheirLiveWindow) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 5 * kS;
  // B1/101: 10, 30 → avg 20, min 10, max 30
  // B1/102: 18, 24 → avg 21, min 18, max 24
  // B2/201: 5, 40, 24 → avg 23, min 5, max 40
  // B2/202: 19 → avg 19, min 19, max 19
  // B3/301: only 25 minutes old (outside 15m), 100 → absent from 15m
  // B3/302: humidity only, avg 90 → absent from temperature
  for (auto [b, r, v] :
       std::vector<std::tuple<std::string, std::string, double>>{{"B1", "101", 10},
                                                                 {"B1", "101", 30},
                                                                 {"B1", "102", 18},
                                                                 {"B1", "102", 24},
                                                                 {"B2", "201", 5},
                                                                 {"B2", "201", 40},
                                                                 {"B2", "201", 24},
                                                                 {"B2", "202", 19}}) {
    static int i = 0;
    a.add(reading(b, r, now - (++i) * kS, v), now);
  }
  a.add(reading("B3", "301", now - 25 * kMin, 100), now);
  a.add(reading("B3", "302", now - 1 * kS, 90, std::nullopt, "humidity"), now);
  a.tick(now);

  auto names = [](const std::vector<RankedRoom>& v) {
    std::vector<std::string> out;
    for (const auto& r : v) out.push_back(r.building + "/" + r.room);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(a.top("temperature", k15m, "avg", true, 10)),
            (V{"B2/201", "B1/102", "B1/101", "B2/202"}));
  EXPECT_EQ(names(a.top("temperature", k15m, "avg", false, 10)),
            (V{"B2/202", "B1/101", "B1/102", "B2/201"}));
  EXPECT_EQ(names(a.top("temperature", k15m, "max", true, 2)), (V{"B2/201", "B1/101"}));
  EXPECT_EQ(names(a.top("temperature", k15m, "max", false, 2)), (V{"B2/202", "B1/102"}));
  EXPECT_EQ(names(a.top("temperature", k15m, "min", true, 3)), (V{"B2/202", "B1/102", "B1/101"}));
  EXPECT_EQ(names(a.top("temperature", k15m, "min", false, 1)), (V{"B2/201"}));
  EXPECT_EQ(names(a.top("temperature", k1h, "max", true, 1)), (V{"B3/301"}));
  EXPECT_EQ(a.top("temperature", k1h, "avg", true, 100).size(), 5u);
  EXPECT_EQ(names(a.top("humidity", k15m, "avg", true, 10)), (V{"B3/302"}));
  EXPECT_TRUE(a.top("pressure", k15m, "avg", true, 10).empty());
  // The stats travel with the rank.
  auto best = a.top("temperature", k15m, "avg", true, 1);
  ASSERT_EQ(best.size(), 1u);
  expect_numbers(best[0].stats, {3, 69.0, 5.0, 40.0}, "B2/201");
  EXPECT_DOUBLE_EQ(best[0].stats.avg(), 23.0);
}

TEST(Aggregator, TopBreaksTiesByBuildingThenRoom) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 5 * kS;
  a.add(reading("B2", "1", now - kS, 20), now);
  a.add(reading("B1", "2", now - kS, 20), now);
  a.add(reading("B1", "1", now - kS, 20), now);
  a.tick(now);
  std::vector<std::string> got;
  for (const auto& r : a.top("temperature", k1m, "avg", true, 10))
    got.push_back(r.building + "/" + r.room);
  EXPECT_EQ(got, (std::vector<std::string>{"B1/1", "B1/2", "B2/1"}));
}

TEST(Aggregator, ReportedListsBuildingsRoomsAndMetrics) {
  Aggregator a(kWindows, 10min);
  EXPECT_TRUE(a.reported().empty());
  const Micros now = kT0;
  a.add(reading("B2", "201", now - kS, 1), now);
  a.add(reading("B1", "102", now - kS, 1, std::nullopt, "humidity"), now);
  a.add(reading("B1", "101", now - kS, 1), now);
  a.add(reading("B1", "102", now - kS, 1), now);
  a.add(reading("B1", "102", now - 2 * kS, 1, std::nullopt, "co2"), now);
  using Rooms = std::map<std::string, std::vector<std::string>>;
  const auto got = a.reported();
  const std::map<std::string, Rooms> want = {
      {"B1", Rooms{{"101", {"temperature"}}, {"102", {"co2", "humidity", "temperature"}}}},
      {"B2", Rooms{{"201", {"temperature"}}}},
  };
  EXPECT_EQ(got, want);
}

TEST(Aggregator, TickReturnsOnlyWindowsThatChangedAndOnceMoreWhenOneEmpties) {
  Aggregator a(kWindows, 10min);
  Micros now = kT0 + 1 * kS;  // 1m window: [T0-58 s, T0+2 s)
  EXPECT_TRUE(a.tick(now).empty()) << "nothing reported yet";
  a.add(reading("B1", "101", now - 1 * kS, 20.0), now);  // T0
  a.add(reading("B1", "102", now - 1 * kS, 22.0), now);
  auto u = by_key(a.tick(now));
  EXPECT_EQ(u.size(), 9u) << "3 series (2 rooms, 1 building) × 3 windows";
  for (std::size_t w = 0; w < 3; ++w) {
    EXPECT_EQ((u[{"B1", "101", w}]), 1u);
    EXPECT_EQ((u[{"B1", "102", w}]), 1u);
    EXPECT_EQ((u[{"B1", "", w}]), 2u);
  }
  EXPECT_TRUE(a.tick(now).empty()) << "nothing changed";
  // The window slides but holds the same readings: no update.
  now = kT0 + 20 * kS;
  EXPECT_TRUE(a.tick(now).empty());

  // A new reading for 101 moves 101 and B1, not 102.
  a.add(reading("B1", "101", now - 1 * kS, 24.0), now);
  u = by_key(a.tick(now));
  EXPECT_EQ(u.size(), 6u);
  for (std::size_t w = 0; w < 3; ++w) {
    EXPECT_EQ((u[{"B1", "101", w}]), 2u);
    EXPECT_EQ((u[{"B1", "", w}]), 3u);
    EXPECT_EQ(u.count({"B1", "102", w}), 0u);
  }
  // A duplicate changes nothing.
  a.add(reading("B1", "101", now - 1 * kS, 24.0), now);
  EXPECT_TRUE(a.tick(now).empty());

  // At T0+60 s the readings at T0 leave the 1m window: 102 empties, 101 and B1 shrink.
  now = kT0 + 60 * kS;
  const auto changes = a.tick(now);
  u = by_key(changes);
  EXPECT_EQ(u.size(), 3u);
  EXPECT_EQ((u[{"B1", "102", k1m}]), 0u);
  EXPECT_EQ((u[{"B1", "101", k1m}]), 1u);
  EXPECT_EQ((u[{"B1", "", k1m}]), 1u);
  for (const auto& c : changes) {
    if (c.key.room != "102") continue;
    EXPECT_EQ(c.length, Duration(1min));
    EXPECT_EQ(c.stats.count, 0u);
    const auto [from, to] = range_at(kMin, now);
    EXPECT_EQ(c.stats.from, from);
    EXPECT_EQ(c.stats.to, to);
    EXPECT_EQ(average_json(c.key, c.length, c.stats).find("\"count\":0") != std::string::npos,
              true);
  }
  EXPECT_TRUE(a.tick(now + 1 * kS).empty()) << "an empty window is published once, not again";

  // T0+19 s leaves at T0+80 s: now 101 and the building empty too, once.
  now = kT0 + 80 * kS;
  u = by_key(a.tick(now));
  EXPECT_EQ(u.size(), 2u);
  EXPECT_EQ((u[{"B1", "101", k1m}]), 0u);
  EXPECT_EQ((u[{"B1", "", k1m}]), 0u);
  EXPECT_TRUE(a.tick(now + 30 * kS).empty());
  // The live answer is the empty window, not a stale one.
  EXPECT_EQ(a.live(room("B1", "102"), k1m, now + 30 * kS)->count, 0u);
  EXPECT_EQ(a.live(room("B1", "102"), k15m, now + 30 * kS)->count, 1u);
}

// tick() looks only at series that got readings or whose buckets (or readings stamped ahead)
// come due. Whatever the pattern of readings and ticks, what it returns must be exactly the
// (series, window) pairs whose brute-force numbers differ from what was last returned.
TEST(Aggregator, TickReturnsExactlyTheWindowsWhoseNumbersChanged) {
  Aggregator a(kWindows, 0min);
  std::mt19937_64 rng(11);
  struct Raw {
    std::string building, room;
    Micros ts;
    double value;
  };
  std::vector<Raw> added;
  std::map<std::tuple<std::string, std::string, std::size_t>, WindowStats> last;
  Micros now = kT0 + 123;
  for (int tick = 0; tick < 600; ++tick) {
    // 0–40 s between ticks (so sometimes several buckets, sometimes none), a few readings.
    now += static_cast<Micros>(rng() % (40 * kS));
    for (int n = static_cast<int>(rng() % 4); n > 0; --n) {
      const std::string b = "B" + std::to_string(rng() % 2);
      const std::string r = std::to_string(100 + rng() % 6);
      // Stamped within a second before now, or up to 3 s ahead (waits for the clock).
      const Micros ts = now - kS + static_cast<Micros>(rng() % (4 * kS));
      const double v = static_cast<double>(rng() % 40);  // integers: sums are exact
      a.add(reading(b, r, ts, v), now);
      added.push_back({b, r, ts, v});
    }
    const auto before = last;
    std::set<std::tuple<std::string, std::string, std::size_t>> got;
    for (const auto& u : a.tick(now)) {
      got.insert({u.key.building, u.key.room, u.window});
      last[{u.key.building, u.key.room, u.window}] = u.stats;
    }
    std::set<std::pair<std::string, std::string>> series;
    for (const auto& x : added) {
      series.insert({x.building, x.room});
      series.insert({x.building, ""});
    }
    std::set<std::tuple<std::string, std::string, std::size_t>> want;
    for (const auto& [b, r] : series) {
      for (std::size_t w = 0; w < kLengths.size(); ++w) {
        const auto [from, to] = range_at(kLengths[w], now);
        WindowStats e;
        for (const auto& x : added) {
          if (x.building != b || (!r.empty() && x.room != r) || x.ts < from || x.ts >= to) continue;
          e.min = e.count ? std::min(e.min, x.value) : x.value;
          e.max = e.count ? std::max(e.max, x.value) : x.value;
          e.sum += x.value;
          ++e.count;
        }
        const auto prev = before.find({b, r, w});
        if (prev == before.end() ? e.count > 0 : !e.same_numbers(prev->second))
          want.insert({b, r, w});
        if (got.count({b, r, w})) {
          EXPECT_TRUE(e.same_numbers(last[{b, r, w}])) << b << "/" << r << " window " << w;
        }
      }
    }
    ASSERT_EQ(got, want) << "tick " << tick << " at +" << (now - kT0) / kS << " s";
  }
}

TEST(Aggregator, LiveAnswersWhatWasLastPublished) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 1 * kS;
  EXPECT_EQ(a.live(room("B1", "101"), k15m, now), std::nullopt) << "never reported";
  a.add(reading("B1", "101", now - kS, 20.0), now);
  // Before any tick: the numbers now.
  EXPECT_EQ(live_count(a, room("B1", "101"), k15m, now), 1u);
  a.tick(now);
  a.add(reading("B1", "101", now - 2 * kS, 30.0), now);
  // Not ticked yet: REST must say what subscribers last got.
  EXPECT_EQ(live_count(a, room("B1", "101"), k15m, now), 1u);
  a.tick(now);
  expect_numbers(*a.live(room("B1", "101"), k15m, now), {2, 50.0, 20.0, 30.0}, "after tick");
  EXPECT_EQ(a.live(room("B1", "101"), 3, now), std::nullopt) << "no such window";
  EXPECT_EQ(a.live(room("B1", "999"), k15m, now), std::nullopt);
  EXPECT_EQ(a.live(room("B9", "101"), k15m, now), std::nullopt);
  EXPECT_EQ(a.live(room("B1", "101", "humidity"), k15m, now), std::nullopt);
}

TEST(Aggregator, WarmBucketsCountForTheRoomAndItsBuilding) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 1 * kS;
  // 15m buckets are 30 s wide: bucket T0/30 s is [T0, T0+30 s).
  const std::int64_t b15 = kT0 / (30 * kS);
  Bucket b;
  b.add(10.0);
  b.add(14.0);
  Bucket c;
  c.add(30.0);
  a.warm({{"B1", "101", "temperature", k15m, b15, b},
          {"B1", "102", "temperature", k15m, b15 - 29, c},
          {"B1", "103", "temperature", k15m, b15 - 30, c}},  // one bucket too old
         now);
  a.tick(now);
  expect_numbers(*a.live(room("B1", "101"), k15m, now), {2, 24.0, 10.0, 14.0}, "101");
  expect_numbers(*a.live(room("B1", "102"), k15m, now), {1, 30.0, 30.0, 30.0}, "102");
  expect_numbers(*a.live(building("B1"), k15m, now), {3, 54.0, 10.0, 30.0}, "B1");
  EXPECT_EQ(live_count(a, room("B1", "103"), k15m, now), 0u);
}

}  // namespace
}  // namespace roomtemp
