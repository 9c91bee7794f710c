// The aggregator's bulk reads for the dashboard: when each room last reported, a building's
// summary (rooms, reporting, hottest, coldest) and rooms, every building's summary, and the
// site's rooms searched, ordered worst first and paged; and the natural order of ids.
//
// Every expectation is worked out here from the readings the test fed in, never taken from the
// function under test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "aggregator.h"
#include "aggregator_fixture.h"
#include "natural_order.h"

namespace roomtemp {
namespace {

using namespace std::chrono_literals;

using namespace aggregator_fixture;

std::vector<std::string> names(const std::vector<RoomLive>& rooms) {
  std::vector<std::string> out;
  for (const auto& r : rooms) out.push_back(r.building + "/" + r.room);
  return out;
}

using V = std::vector<std::string>;

TEST(NaturalOrder, DigitRunsCompareByValue) {
  EXPECT_TRUE(natural_less("B2", "B10"));
  EXPECT_FALSE(natural_less("B10", "B2"));
  EXPECT_TRUE(natural_less("9", "101"));
  EXPECT_TRUE(natural_less("A.1", "A.01x"));
  EXPECT_TRUE(natural_less("room-2b", "room-10a"));
  EXPECT_TRUE(natural_less("B", "B1"));
  EXPECT_TRUE(natural_less("B1", "B1a"));
  // Equal by value, still a total order: byte order decides.
  EXPECT_NE(natural_less("07", "7"), natural_less("7", "07"));
  EXPECT_FALSE(natural_less("B7", "B7"));
  std::vector<std::string> ids = {"B10", "B1", "B2", "A", "B01", "B100", "B9z", "B9"};
  std::sort(ids.begin(), ids.end(),
            [](const auto& a, const auto& b) { return natural_less(a, b); });
  EXPECT_EQ(ids, (V{"A", "B01", "B1", "B2", "B9", "B9z", "B10", "B100"}));
}

TEST(NaturalOrder, ContainsIgnoringCase) {
  EXPECT_TRUE(contains_ignoring_case("Annex/meeting_2", "annex/MEET"));
  EXPECT_TRUE(contains_ignoring_case("B12/117", "2/11"));
  EXPECT_TRUE(contains_ignoring_case("B12/117", ""));
  EXPECT_FALSE(contains_ignoring_case("B12/117", "B13"));
  EXPECT_FALSE(contains_ignoring_case("B1", "B12"));
}

TEST(AggregatorLive, LastReadingIsWhenTheRoomLastReceivedAReading) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 30 * kMin;
  EXPECT_EQ(a.rooms_of("B1"), std::nullopt) << "never reported";
  a.add(make_reading("B1", "101", now - 5 * kMin, 20, now - 50 * kS), now);
  a.add(make_reading("B1", "101", now - 4 * kMin, 21, now - 40 * kS), now);
  // A reading stamped long ago but received now: it is the arrival that counts.
  a.add(make_reading("B1", "102", now - 3 * 3600 * kS, 22, now - 10 * kS), now);
  // Another metric of 101, received later: the room's last reading is the newest of its metrics.
  a.add(make_reading("B1", "101", now - 1 * kMin, 40, now - 20 * kS, "humidity"), now);
  // A replayed reading (spool) that arrived before the newest one does not move it back.
  a.add(make_reading("B1", "101", now - 6 * kMin, 19, now - 3 * kMin), now);
  // A copy of a counted reading does not count as a new one.
  a.add(make_reading("B1", "102", now - 3 * 3600 * kS, 22, now - 1 * kS), now);

  const auto rooms = a.rooms_of("B1");
  ASSERT_TRUE(rooms);
  ASSERT_EQ(rooms->size(), 2u);
  EXPECT_EQ((*rooms)[0].room, "101");
  EXPECT_EQ((*rooms)[0].metrics, (V{"humidity", "temperature"}));
  EXPECT_EQ((*rooms)[0].last_reading, now - 20 * kS);
  EXPECT_EQ((*rooms)[1].room, "102");
  EXPECT_EQ((*rooms)[1].last_reading, now - 10 * kS);

  // Per metric in the live answers: temperature of 101 last came at now - 40 s.
  const auto view = a.building_live("B1", "temperature", k15m, now);
  ASSERT_TRUE(view);
  ASSERT_EQ(names(view->rooms), (V{"B1/101", "B1/102"}));
  EXPECT_EQ(view->rooms[0].last_reading, now - 40 * kS);
  EXPECT_EQ(view->rooms[1].last_reading, now - 10 * kS);
  EXPECT_EQ(view->summary.last_reading, now - 10 * kS);
}

TEST(AggregatorLive, AWarmStartKnowsTheLastReadingOfWhatItRemembers) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 30 * kMin;
  Bucket b;
  b.add(21.0);
  a.warm({{"B1", "101", "temperature", k15m, (now - kMin) / (30 * kS), b},
          {"B1", "102", "temperature", k15m, (now - kMin) / (30 * kS), b}},
         now);
  a.remember(make_reading("B1", "101", now - kMin, 21.0, now - 55 * kS));
  a.remember(make_reading("B1", "101", now - kMin - kS, 21.0, now - 58 * kS));
  // Remembering does not invent rooms.
  a.remember(make_reading("B9", "901", now - kMin, 21.0, now - 50 * kS));
  const auto rooms = a.rooms_of("B1");
  ASSERT_TRUE(rooms);
  ASSERT_EQ(rooms->size(), 2u);
  EXPECT_EQ((*rooms)[0].last_reading, now - 55 * kS);
  EXPECT_EQ((*rooms)[1].last_reading, 0) << "not known: nothing remembered of 102";
  EXPECT_EQ(a.rooms_of("B9"), std::nullopt);
}

/// B1: 101 warm (two readings), 102 cold (one), 103 silent (only a reading older than every
/// window), 104 humidity only; B2: 201. Returns `now`.
Micros feed_site(Aggregator& a) {
  const Micros now = kT0 + 3600 * kS + 10 * kS;
  a.add(make_reading("B1", "101", now - 30 * kS, 25.0, now - 30 * kS), now);
  a.add(make_reading("B1", "101", now - 5 * kMin, 27.0, now - 5 * kMin), now);
  a.add(make_reading("B1", "102", now - 10 * kMin, 16.5, now - 10 * kMin), now);
  a.add(make_reading("B1", "103", now - 2 * 3600 * kS, 30.0, now - 2 * kMin), now);
  a.add(make_reading("B1", "104", now - 10 * kS, 55.0, now - 10 * kS, "humidity"), now);
  a.add(make_reading("B2", "201", now - 40 * kMin, 21.0, now - 40 * kMin), now);
  a.tick(now);
  return now;
}

TEST(AggregatorLive, ABuildingSummaryCountsItsRoomsOfTheMetric) {
  Aggregator a(kWindows, 10min);
  const Micros now = feed_site(a);
  const auto view = a.building_live("B1", "temperature", k15m, now);
  ASSERT_TRUE(view);
  const BuildingLive& s = view->summary;
  EXPECT_EQ(s.building, "B1");
  EXPECT_EQ(s.rooms, 3u) << "101, 102, 103; 104 reports humidity only";
  EXPECT_EQ(s.reporting, 2u) << "103's only reading is older than every window";
  EXPECT_EQ(s.last_reading, now - 30 * kS) << "the newest temperature reading received";
  ASSERT_TRUE(s.hottest && s.coldest);
  EXPECT_EQ(s.hottest->room, "101");
  EXPECT_DOUBLE_EQ(s.hottest->stats.avg(), (25.0 + 27.0) / 2);
  EXPECT_EQ(s.coldest->room, "102");
  EXPECT_DOUBLE_EQ(s.coldest->stats.avg(), 16.5);
  // The building's own windows: 1m holds 25; 15m 25, 27, 16.5; 1h the same three.
  ASSERT_EQ(s.windows.size(), 3u);
  EXPECT_EQ(s.windows[k1m].count, 1u);
  EXPECT_DOUBLE_EQ(s.windows[k1m].sum, 25.0);
  EXPECT_EQ(s.windows[k15m].count, 3u);
  EXPECT_DOUBLE_EQ(s.windows[k15m].sum, 25.0 + 27.0 + 16.5);
  EXPECT_EQ(s.windows[k1h].min, 16.5);
  EXPECT_EQ(s.windows[k1h].max, 27.0);

  // Ranked by the 1m window only 101 has a number.
  const auto by_1m = a.building_live("B1", "temperature", k1m, now);
  ASSERT_TRUE(by_1m->summary.hottest && by_1m->summary.coldest);
  EXPECT_EQ(by_1m->summary.hottest->room, "101");
  EXPECT_EQ(by_1m->summary.coldest->room, "101");

  // Humidity in B1: one room; a metric it never reported: nothing, but the building is known.
  const auto humid = a.building_live("B1", "humidity", k15m, now);
  EXPECT_EQ(humid->summary.rooms, 1u);
  EXPECT_EQ(names(humid->rooms), (V{"B1/104"}));
  const auto co2 = a.building_live("B1", "co2", k15m, now);
  ASSERT_TRUE(co2);
  EXPECT_EQ(co2->summary.rooms, 0u);
  EXPECT_FALSE(co2->summary.hottest);
  EXPECT_TRUE(co2->rooms.empty());
  ASSERT_EQ(co2->summary.windows.size(), 3u);
  EXPECT_EQ(co2->summary.windows[k15m].count, 0u);
  EXPECT_EQ(co2->summary.windows[k15m].to - co2->summary.windows[k15m].from, 15 * kMin);
  EXPECT_EQ(a.building_live("B3", "temperature", k15m, now), std::nullopt);
}

TEST(AggregatorLive, ABuildingsRoomsCarryEveryWindowAndTheLongestOnesBuckets) {
  Aggregator a(kWindows, 10min);
  const Micros now = feed_site(a);
  const auto view = a.building_live("B1", "temperature", k15m, now);
  ASSERT_TRUE(view);
  ASSERT_EQ(names(view->rooms), (V{"B1/101", "B1/102", "B1/103"}));
  const RoomLive& r101 = view->rooms[0];
  ASSERT_EQ(r101.windows.size(), 3u);
  EXPECT_EQ(r101.windows[k1m].count, 1u);
  EXPECT_EQ(r101.windows[k15m].count, 2u);
  EXPECT_DOUBLE_EQ(r101.windows[k15m].sum, 52.0);
  EXPECT_TRUE(r101.reporting());
  EXPECT_FALSE(view->rooms[2].reporting()) << "103";
  // The 1h window's 30 buckets of 2 min, oldest first, the last one [to - 2 min, to) holding
  // `now`: a time t is in bucket 29 - (to - 1 - t) / 2 min.
  const Micros width = 2 * kMin;
  const Micros to = (now / width + 1) * width;
  EXPECT_EQ(r101.trend_to, to);
  ASSERT_EQ(r101.trend.size(), 30u);
  auto slot = [&](Micros t) { return static_cast<std::size_t>(29 - (to - 1 - t) / width); };
  std::map<std::size_t, double> want = {{slot(now - 30 * kS), 25.0}, {slot(now - 5 * kMin), 27.0}};
  for (std::size_t i = 0; i < r101.trend.size(); ++i) {
    const Bucket& b = r101.trend[i];
    if (want.count(i)) {
      EXPECT_EQ(b.count, 1u) << i;
      EXPECT_DOUBLE_EQ(b.sum, want[i]) << i;
    } else {
      EXPECT_EQ(b.count, 0u) << i;
    }
  }
  // Only one room when asked for one.
  EXPECT_EQ(names(a.building_live("B1", "temperature", k15m, now, "102")->rooms), (V{"B1/102"}));
  EXPECT_TRUE(a.building_live("B1", "temperature", k15m, now, "999")->rooms.empty());
}

TEST(AggregatorLive, EveryBuildingInNaturalOrder) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 10 * kMin;
  for (const char* b : {"B10", "B2", "B1", "Annex"})
    a.add(make_reading(b, "1", now - kS, 20, now - kS), now);
  a.add(make_reading("B3", "1", now - kS, 50, now - kS, "humidity"), now);
  std::vector<std::string> got;
  for (const auto& b : a.buildings_live("temperature", k15m, now)) {
    got.push_back(b.building);
    EXPECT_EQ(b.rooms, b.building == "B3" ? 0u : 1u) << b.building;
  }
  EXPECT_EQ(got, (V{"Annex", "B1", "B2", "B3", "B10"}));
  a.reset(kWindows, 10min);
  EXPECT_TRUE(a.buildings_live("temperature", k15m, now).empty()) << "reset forgets them";
  EXPECT_EQ(a.rooms_of("B1"), std::nullopt);
  EXPECT_TRUE(a.metrics_reported().empty());
}

TEST(AggregatorLive, MetricsReportedCountRooms) {
  Aggregator a(kWindows, 10min);
  const Micros now = feed_site(a);
  const std::map<std::string, std::size_t> want = {{"humidity", 1}, {"temperature", 4}};
  EXPECT_EQ(a.metrics_reported(), want);
  a.add(make_reading("B1", "101", now - kS, 1, now - kS), now);  // no new room
  EXPECT_EQ(a.metrics_reported(), want);
}

TEST(AggregatorLive, SiteRoomsAreSearchedOrderedWorstFirstAndPaged) {
  Aggregator a(kWindows, 10min);
  const Micros now = feed_site(a);
  auto query = [&](RoomOrder order, std::string contains = "", std::size_t offset = 0,
                   std::size_t limit = 50, std::size_t window = k15m) {
    RoomQuery q;
    q.metric = "temperature";
    q.contains = std::move(contains);
    q.order = order;
    q.window = window;
    q.offset = offset;
    q.limit = limit;
    return a.rooms_live(q, now);
  };
  // 15m averages: 101 26, 102 16.5, 201 none in 15m (40 min ago), 103 none at all.
  EXPECT_EQ(names(query(RoomOrder::name).rooms), (V{"B1/101", "B1/102", "B1/103", "B2/201"}));
  EXPECT_EQ(names(query(RoomOrder::hottest).rooms), (V{"B1/101", "B1/102", "B1/103", "B2/201"}));
  EXPECT_EQ(names(query(RoomOrder::coldest).rooms), (V{"B1/102", "B1/101", "B1/103", "B2/201"}));
  // By the 1h window 201 (21.0) has a number too.
  EXPECT_EQ(names(query(RoomOrder::coldest, "", 0, 50, k1h).rooms),
            (V{"B1/102", "B2/201", "B1/101", "B1/103"}));
  // Silent first: 103 has nothing in any window; then the longest since a reading: 201 (40
  // min), 102 (10 min), 101 (30 s).
  EXPECT_EQ(names(query(RoomOrder::silent).rooms), (V{"B1/103", "B2/201", "B1/102", "B1/101"}));
  // Search over "building/room", any case.
  EXPECT_EQ(names(query(RoomOrder::name, "b1/10").rooms), (V{"B1/101", "B1/102", "B1/103"}));
  EXPECT_EQ(names(query(RoomOrder::name, "01").rooms), (V{"B1/101", "B2/201"}));
  EXPECT_EQ(query(RoomOrder::name, "01").total, 2u);
  EXPECT_TRUE(query(RoomOrder::name, "nothing").rooms.empty());
  // Pages: total counts every match, rooms only the page.
  const RoomPage page = query(RoomOrder::hottest, "", 1, 2);
  EXPECT_EQ(page.total, 4u);
  EXPECT_EQ(names(page.rooms), (V{"B1/102", "B1/103"}));
  EXPECT_TRUE(query(RoomOrder::name, "", 4, 2).rooms.empty());
  EXPECT_EQ(query(RoomOrder::name, "", 0, 0).total, 4u);
  EXPECT_TRUE(query(RoomOrder::name, "", 0, 0).rooms.empty());
  // Their numbers are the live ones.
  const RoomPage hottest = query(RoomOrder::hottest);
  ASSERT_FALSE(hottest.rooms.empty());
  const RoomLive& top = hottest.rooms.front();
  EXPECT_EQ(top.windows[k15m].count, 2u);
  EXPECT_EQ(top.last_reading, now - 30 * kS);
}

TEST(AggregatorLive, TheSiteAtOnceIsBothAnswers) {
  Aggregator a(kWindows, 10min);
  const Micros now = feed_site(a);
  for (const RoomOrder order : {RoomOrder::name, RoomOrder::hottest, RoomOrder::silent}) {
    for (const std::string contains : {"", "b1/", "201"}) {
      for (const std::size_t limit : {0, 2, 50}) {
        RoomQuery q;
        q.metric = "temperature";
        q.order = order;
        q.contains = contains;
        q.window = k1h;
        q.limit = limit;
        const SiteView site = a.site_live(q, now);
        const auto buildings = a.buildings_live("temperature", k1h, now);
        ASSERT_EQ(site.buildings.size(), buildings.size());
        for (std::size_t i = 0; i < buildings.size(); ++i) {
          EXPECT_EQ(site.buildings[i].building, buildings[i].building);
          EXPECT_EQ(site.buildings[i].rooms, buildings[i].rooms);
          EXPECT_EQ(site.buildings[i].reporting, buildings[i].reporting);
          EXPECT_EQ(site.buildings[i].hottest.has_value(), buildings[i].hottest.has_value());
          if (buildings[i].hottest) {
            EXPECT_EQ(site.buildings[i].hottest->room, buildings[i].hottest->room);
          }
        }
        const RoomPage rooms = a.rooms_live(q, now);
        EXPECT_EQ(site.rooms.total, rooms.total) << contains << " " << limit;
        EXPECT_EQ(names(site.rooms.rooms), names(rooms.rooms)) << contains << " " << limit;
      }
    }
  }
  RoomQuery count_only;
  count_only.metric = "temperature";
  count_only.limit = 0;
  EXPECT_EQ(a.site_live(count_only, now).rooms.total, 4u) << "B1's 101, 102, 103 and B2's 201";
}

// A site-wide read lets go of the lock now and then: buildings that arrive meanwhile, and a
// reset (SIGHUP with other windows) in the middle, must neither repeat nor reorder a building
// nor leave the read with series that are gone.
TEST(AggregatorLive, SiteWideReadsStayWholeWhileIngestGoesOn) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 3600 * kS;
  auto fill = [&](int buildings) {
    for (int b = 0; b < buildings; ++b)
      for (int r = 0; r < 100; ++r)
        a.add(make_reading("B" + std::to_string(b), std::to_string(r), now - kS, 20 + r % 7, now),
              now);
  };
  fill(60);  // 6,000 rooms: a read lets go of the lock a few times
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    RoomQuery q;
    q.metric = "temperature";
    q.order = RoomOrder::hottest;
    q.window = k15m;
    q.limit = 20;
    while (!stop.load() || reads.load() < 20) {
      const SiteView site = a.site_live(q, now);
      for (std::size_t i = 1; i < site.buildings.size(); ++i)
        ASSERT_TRUE(natural_less(site.buildings[i - 1].building, site.buildings[i].building))
            << site.buildings[i - 1].building << " then " << site.buildings[i].building;
      for (const RoomLive& r : site.rooms.rooms) ASSERT_EQ(r.windows.size(), kWindows.size());
      ++reads;
    }
  });
  for (int round = 0; round < 100; ++round) {
    for (int n = 0; n < 20; ++n)  // new buildings, some sorting before those seen already
      a.add(make_reading(std::string(round % 2 ? "A" : "Z") + std::to_string(round * 100 + n), "1",
                         now - kS, 30, now),
            now);
    if (round % 5 == 4) {
      a.reset(kWindows, 10min);
      fill(60);
    }
  }
  stop = true;
  reader.join();
  EXPECT_GE(reads.load(), 20);
}

// Against brute force: a site of random rooms, the page of each order equals sorting every room
// by hand.
TEST(AggregatorLive, OrdersMatchBruteForceOnARandomSite) {
  Aggregator a(kWindows, 10min);
  const Micros now = kT0 + 2 * 3600 * kS;
  std::mt19937_64 rng(7);
  struct Truth {
    std::string b, r;
    double sum = 0;
    int n = 0;  // readings in the 15m window
    Micros last = 0;
  };
  std::vector<Truth> rooms;
  for (int b = 1; b <= 12; ++b) {
    for (int r = 1; r <= 15; ++r) {
      Truth t{"B" + std::to_string(b), std::to_string(100 + r)};
      const int readings = static_cast<int>(rng() % 4);  // 0: only one old reading
      if (readings == 0) {
        t.last = now - static_cast<Micros>(rng() % 600) * kS;
        a.add(make_reading(t.b, t.r, now - 3 * 3600 * kS, 20, t.last), now);
      }
      for (int i = 0; i < readings; ++i) {
        // Whole seconds 1..600 ago (all in 15m); quarter degrees, so that every sum is exact
        // whatever the order of adding, and ties are likely.
        const Micros ago = static_cast<Micros>(1 + rng() % 600) * kS;
        const double v = static_cast<double>(60 + rng() % 60) / 4;
        a.add(make_reading(t.b, t.r, now - ago, v, now - ago, "temperature", std::to_string(i)),
              now);
        t.sum += v;
        ++t.n;
        t.last = std::max(t.last, now - ago);
      }
      rooms.push_back(t);
    }
  }
  a.tick(now);
  auto name_less = [](const Truth& x, const Truth& y) {
    return x.b != y.b ? natural_less(x.b, y.b) : natural_less(x.r, y.r);
  };
  auto expect_order = [&](RoomOrder order, auto less) {
    std::vector<Truth> sorted = rooms;
    std::stable_sort(sorted.begin(), sorted.end(), name_less);
    std::stable_sort(sorted.begin(), sorted.end(), less);
    V want;
    for (std::size_t i = 10; i < 40; ++i) want.push_back(sorted[i].b + "/" + sorted[i].r);
    RoomQuery q;
    q.metric = "temperature";
    q.order = order;
    q.window = k15m;
    q.offset = 10;
    q.limit = 30;
    const RoomPage page = a.rooms_live(q, now);
    EXPECT_EQ(page.total, rooms.size());
    EXPECT_EQ(names(page.rooms), want);
  };
  expect_order(RoomOrder::name, [](const Truth&, const Truth&) { return false; });
  expect_order(RoomOrder::hottest, [](const Truth& x, const Truth& y) {
    if ((x.n > 0) != (y.n > 0)) return x.n > 0;
    return x.n > 0 && x.sum / x.n > y.sum / y.n;
  });
  expect_order(RoomOrder::coldest, [](const Truth& x, const Truth& y) {
    if ((x.n > 0) != (y.n > 0)) return x.n > 0;
    return x.n > 0 && x.sum / x.n < y.sum / y.n;
  });
  expect_order(RoomOrder::silent, [](const Truth& x, const Truth& y) {
    if ((x.n > 0) != (y.n > 0)) return x.n == 0;
    return x.last < y.last;
  });
}

}  // namespace
}  // namespace roomtemp
