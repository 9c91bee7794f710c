// What Home Assistant discovery publishes and when (README "Home Assistant"): new series once,
// buildings before their rooms, re-announcements, the diff of a reload, stale configs an
// earlier run left, and the token bucket that spreads it all.
#include "discovery_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "test_values.h"

namespace roomtemp {
namespace {

using test::kS;
using test::kT2027;

DiscoverySettings on() {
  DiscoverySettings s;
  s.enabled = true;
  s.metrics = {{"temperature", -60, 100, "°C"}};
  s.windows = {std::chrono::minutes(1)};
  s.silence = true;
  return s;
}

AlarmRule rule(std::string name) {
  AlarmRule r;
  r.name = std::move(name);
  r.metric = "temperature";
  r.window = std::chrono::minutes(1);
  return r;
}

std::vector<std::string> topics_of(const std::vector<DiscoveryConfig>& configs, bool removals) {
  std::vector<std::string> out;
  for (const auto& c : configs)
    if (c.payload.empty() == removals) out.push_back(c.topic);
  return out;
}

TEST(DiscoveryPlan, NewSeriesAreAnnouncedOnceBuildingFirst) {
  DiscoveryPlan plan(on());
  plan.add_series({{"B1", "101", "temperature"}, {"B1", "102", "temperature"}});
  plan.add_series({{"B1", "101", "temperature"}});  // known: nothing more
  EXPECT_EQ(plan.series_count(), 3u);
  EXPECT_EQ(plan.pending_series(), 3u);
  EXPECT_EQ(plan.entities(), 1u + 2u + 2u);  // building: 1 window; rooms: window + status
  const auto first = plan.take(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].topic, "homeassistant/sensor/roomtemp/bavg_B1_temperature_1m/config");
  const auto rest = plan.take(100);
  EXPECT_EQ(rest.size(), 4u);
  EXPECT_EQ(plan.pending_series(), 0u);
  EXPECT_TRUE(plan.take(100).empty());
}

TEST(DiscoveryPlan, ASeriesConfigsGoTogetherPastTheBudget) {
  DiscoveryPlan plan(on());
  plan.add_series({{"B1", "101", "temperature"}});
  EXPECT_EQ(plan.take(1).size(), 1u);  // the building: one config
  EXPECT_EQ(plan.take(1).size(), 2u);  // the room's two
}

TEST(DiscoveryPlan, OffRemembersSeriesAndAnnouncesThemWhenTurnedOn) {
  auto off = on();
  off.enabled = false;
  DiscoveryPlan plan(off);
  plan.add_series({{"B1", "101", "temperature"}});
  EXPECT_TRUE(plan.take(100).empty());
  EXPECT_EQ(plan.entities(), 0u);
  plan.reconfigure(on());
  EXPECT_EQ(plan.entities(), 3u);
  EXPECT_EQ(topics_of(plan.take(100), false).size(), 3u);
}

TEST(DiscoveryPlan, AnnounceAllQueuesEverySeriesAgain) {
  DiscoveryPlan plan(on());
  plan.add_series({{"B1", "101", "temperature"}});
  plan.take(100);
  plan.announce_all();
  EXPECT_EQ(plan.pending_series(), 2u);
  plan.announce_all();  // not twice
  EXPECT_EQ(plan.take(100).size(), 3u);
}

TEST(DiscoveryPlan, AReloadRemovesWhatIsNoLongerAnnounced) {
  auto before = on();
  before.rules = {rule("too_hot"), rule("too_cold")};
  DiscoveryPlan plan(before);
  plan.add_series({{"B1", "101", "temperature"}});
  plan.take(100);
  auto after = before;
  after.rules = {rule("too_cold")};
  after.silence = false;
  plan.reconfigure(after);
  const auto out = plan.take(100);
  EXPECT_EQ(topics_of(out, true),
            (std::vector<std::string>{
                "homeassistant/binary_sensor/roomtemp/alarm_B1_101_temperature_too_hot/config",
                "homeassistant/binary_sensor/roomtemp/status_B1_101_temperature/config"}));
  EXPECT_EQ(topics_of(out, false).size(), 1u + 2u);  // building; room window + too_cold
  EXPECT_EQ(plan.entities(), 3u);
  plan.reconfigure(after);  // the same settings: nothing to do
  EXPECT_TRUE(plan.take(100).empty());
}

TEST(DiscoveryPlan, TurningOffRemovesEverythingAndAPrefixChangeMovesIt) {
  DiscoveryPlan plan(on());
  plan.add_series({{"B1", "101", "temperature"}});
  plan.take(100);
  auto moved = on();
  moved.prefix = "ha2";
  plan.reconfigure(moved);
  auto out = plan.take(100);
  for (const auto& t : topics_of(out, true)) EXPECT_EQ(t.rfind("homeassistant/", 0), 0u) << t;
  for (const auto& t : topics_of(out, false)) EXPECT_EQ(t.rfind("ha2/", 0), 0u) << t;
  EXPECT_EQ(topics_of(out, true).size(), 3u);
  EXPECT_EQ(topics_of(out, false).size(), 3u);
  auto off = moved;
  off.enabled = false;
  plan.reconfigure(off);
  out = plan.take(100);
  EXPECT_EQ(topics_of(out, true).size(), 3u);
  EXPECT_TRUE(topics_of(out, false).empty());
  EXPECT_EQ(plan.entities(), 0u);
}

TEST(DiscoveryPlan, AMetricRemovedFromTheConfigurationLosesItsEntities) {
  auto both = on();
  both.metrics.push_back({"humidity", 0, 100, "%"});
  DiscoveryPlan plan(both);
  plan.add_series({{"B1", "101", "temperature"}, {"B1", "101", "humidity"}});
  plan.take(100);
  plan.reconfigure(on());
  const auto removed = topics_of(plan.take(100), true);
  EXPECT_EQ(removed.size(), 3u);
  for (const auto& t : removed) EXPECT_NE(t.find("humidity"), std::string::npos) << t;
}

TEST(DiscoveryPlan, StaleConfigsFromAnEarlierRunAreRemoved) {
  DiscoveryPlan plan(on());
  plan.add_series({{"B1", "101", "temperature"}});
  const std::string kept = "homeassistant/sensor/roomtemp/avg_B1_101_temperature_1m/config";
  const std::string gone = "homeassistant/sensor/roomtemp/avg_B1_101_temperature_5m/config";
  plan.remove_stale({kept, gone});
  EXPECT_EQ(plan.pending_removals(), 1u);
  const auto out = plan.take(100);
  EXPECT_EQ(topics_of(out, true), std::vector<std::string>{gone});  // removals come first
  EXPECT_EQ(out.front().topic, gone);
}

TEST(TokenBucket, SpreadsAtItsRateWithABoundedBurst) {
  TokenBucket bucket(2000, 400);
  EXPECT_EQ(bucket.available(kT2027), 400u);  // a full burst at first
  bucket.spend(400);
  EXPECT_EQ(bucket.available(kT2027), 0u);
  EXPECT_EQ(bucket.available(kT2027 + kS / 10), 200u);  // 100 ms at 2000/s
  bucket.spend(203);                                    // a series past the budget: debt
  EXPECT_EQ(bucket.available(kT2027 + kS / 10), 0u);
  EXPECT_EQ(bucket.available(kT2027 + kS / 10 + kS / 1000 * 2), 1u);
  EXPECT_EQ(bucket.available(kT2027 + 10 * kS), 400u);  // never more than the burst
  // Over a long run the rate holds: 10 s of 100 ms ticks give about 20,000.
  TokenBucket steady(2000, 400);
  std::size_t sent = 0;
  for (int i = 0; i <= 100; ++i) {
    const auto n = steady.available(kT2027 + i * kS / 10);
    steady.spend(n);
    sent += n;
  }
  EXPECT_GE(sent, 20'000u);
  EXPECT_LE(sent, 20'400u);
}

}  // namespace
}  // namespace roomtemp
