// The alarm engine (README "Alarms and silent sensors") driven by hand: averages that change,
// series heard from, and the clock. Every test checks the events (what goes to roomtemp/events
// and alarm_events) and the retained states it asks to publish.
#include "alarms.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alarm_rules.h"
#include "test_values.h"

namespace roomtemp {
namespace {

using test::kS;
using test::kT2027;
using test::room;

using json = nlohmann::json;

const Duration k1m = std::chrono::minutes(1);

AlarmRule too_hot(Duration hold = Duration(0), std::vector<std::string> rooms = {}) {
  AlarmRule r;
  r.name = "too_hot";
  r.metric = "temperature";
  r.side = AlarmSide::above;
  r.threshold = 28;
  r.clear = 27;
  r.window = k1m;
  r.hold = hold;
  r.rooms = std::move(rooms);
  return r;
}

AlarmRule too_cold() {
  AlarmRule r;
  r.name = "too_cold";
  r.metric = "temperature";
  r.side = AlarmSide::below;
  r.threshold = 16;
  r.clear = 17;
  r.window = k1m;
  return r;
}

AlarmSettings settings(std::vector<AlarmRule> rules, Duration silence = Duration(0)) {
  return {std::move(rules), SilenceConfig{silence}};
}

/// A 1m window whose average is `v` (count 0: empty when `v` is nullopt).
AverageUpdate avg(const SeriesKey& key, std::optional<double> v, Duration window = k1m) {
  AverageUpdate u;
  u.key = key;
  u.length = window;
  if (v) {
    u.stats.count = 1;
    u.stats.sum = *v;
    u.stats.min = u.stats.max = *v;
  }
  return u;
}

/// An engine already restored from an empty database, so that it evaluates.
std::unique_ptr<AlarmEngine> started(AlarmSettings s, Micros now = kT2027) {
  auto e = std::make_unique<AlarmEngine>(std::move(s));
  e->restore({}, {}, now);
  return e;
}

/// "alarm state" of each event, in order.
std::vector<std::string> transitions(const AlarmOutput& out) {
  std::vector<std::string> v;
  for (const auto& e : out.events)
    v.push_back(e.building + "/" + e.room + " " + e.alarm + " " + e.state);
  return v;
}

/// The payload published last on `topic` in `out` (nullopt: none).
std::optional<json> retained(const AlarmOutput& out, const std::string& topic) {
  std::optional<json> last;
  for (const auto& r : out.retained)
    if (r.topic == topic) last = r.payload.empty() ? json() : json::parse(r.payload);
  return last;
}

/// A state as alarm_events stored it before it kept the rule's definition.
StoredAlarmState stored_state(const SeriesKey& key, const std::string& alarm,
                              const std::string& state, Micros ts, std::optional<double> value,
                              std::optional<Micros> last_reading) {
  StoredAlarmState st;
  st.key = key;
  st.alarm = alarm;
  st.state = state;
  st.ts = ts;
  st.value = value;
  st.last_reading = last_reading;
  return st;
}

const std::string kHotTopic = "buildings/B1/rooms/101/temperature/alarms/too_hot";
const std::string kStatusTopic = "buildings/B1/rooms/101/temperature/status";

TEST(AlarmRules, RoomPatternsMatchWholeIds) {
  EXPECT_TRUE(valid_room_pattern("B1/*"));
  EXPECT_TRUE(valid_room_pattern("*/101"));
  EXPECT_TRUE(valid_room_pattern("*/*"));
  EXPECT_FALSE(valid_room_pattern("B1"));
  EXPECT_FALSE(valid_room_pattern("B1/1*"));
  EXPECT_FALSE(valid_room_pattern("B1/101/x"));
  EXPECT_FALSE(valid_room_pattern("/101"));
  const AlarmRule r = too_hot(Duration(0), {"B1/*", "B2/201"});
  EXPECT_TRUE(rule_covers(r, "B1", "101"));
  EXPECT_TRUE(rule_covers(r, "B1", "x"));
  EXPECT_TRUE(rule_covers(r, "B2", "201"));
  EXPECT_FALSE(rule_covers(r, "B2", "202"));
  EXPECT_FALSE(rule_covers(r, "B10", "101")) << "* is a whole id, not a prefix";
  EXPECT_TRUE(rule_covers(too_hot(), "anything", "at_all"));
  EXPECT_TRUE(valid_alarm_name("too_hot_2"));
  EXPECT_FALSE(valid_alarm_name("TooHot"));
  EXPECT_FALSE(valid_alarm_name(std::string(33, 'a')));
}

TEST(AlarmEngine, DoesNothingBeforeTheRestore) {
  AlarmEngine e(settings({too_hot()}, std::chrono::seconds(10)));
  const auto out = e.tick({avg(room("B1", "101"), 30)}, {{room("B1", "101"), kT2027}}, kT2027);
  EXPECT_TRUE(out.events.empty());
  EXPECT_TRUE(out.retained.empty());
  EXPECT_FALSE(e.active().restored);
}

TEST(AlarmEngine, FiresAtOnceWithoutForAndPublishesTheStateAndTheEvent) {
  auto e = started(settings({too_hot()}));
  auto out = e->tick({avg(room("B1", "101"), 25)}, {}, kT2027 + kS);
  EXPECT_TRUE(out.events.empty()) << "below the threshold";
  ASSERT_TRUE(retained(out, kHotTopic));
  EXPECT_EQ((*retained(out, kHotTopic))["state"], "ok") << "its first state is published";

  out = e->tick({avg(room("B1", "101"), 28.4)}, {}, kT2027 + 2 * kS);
  ASSERT_EQ(transitions(out), std::vector<std::string>{"B1/101 too_hot firing"});
  const AlarmEvent& ev = out.events[0];
  EXPECT_EQ(ev.ts, kT2027 + 2 * kS);
  EXPECT_EQ(ev.value, 28.4);
  const json state = *retained(out, kHotTopic);
  EXPECT_EQ(state,
            json::parse(R"({"alarm":"too_hot","state":"firing","since":"2027-01-15T08:00:02Z",
                                    "value":28.4,"threshold":28.0,"window":"1m"})"));
  EXPECT_EQ(json::parse(out.event_payloads[0]),
            json::parse(R"({"building":"B1","room":"101","metric":"temperature","alarm":"too_hot",
                            "state":"firing","since":"2027-01-15T08:00:02Z","value":28.4,
                            "threshold":28.0,"window":"1m"})"));
  // Byte for byte as the README shows it: key order, the threshold as configured.
  EXPECT_EQ(out.retained.back().payload,
            R"({"alarm":"too_hot","state":"firing","since":"2027-01-15T08:00:02Z","value":28.4,)"
            R"("threshold":28,"window":"1m"})");
  // The key order of the payloads is the documented one.
  EXPECT_EQ(out.event_payloads[0].rfind(
                R"({"building":"B1","room":"101","metric":"temperature","alarm")", 0),
            0u)
      << out.event_payloads[0];
  EXPECT_EQ(e->active().firing.size(), 1u);
  EXPECT_EQ(e->firing_by_rule().at("too_hot"), 1u);
}

TEST(AlarmEngine, FiresAfterForNotBefore) {
  auto e = started(settings({too_hot(std::chrono::minutes(5))}));
  const SeriesKey k = room("B1", "101");
  auto out = e->tick({avg(k, 29)}, {}, kT2027);
  EXPECT_TRUE(out.events.empty()) << "past the threshold, but not for 5 minutes yet";
  EXPECT_EQ((*retained(out, kHotTopic))["state"], "ok");
  for (Micros t = kT2027 + kS; t < kT2027 + 300 * kS; t += 7 * kS)
    ASSERT_TRUE(e->tick({}, {}, t).events.empty()) << "fired before its `for` at " << t;
  EXPECT_TRUE(e->tick({avg(k, 29.5)}, {}, kT2027 + 299 * kS).events.empty());
  out = e->tick({}, {}, kT2027 + 300 * kS + kS / 2);
  ASSERT_EQ(transitions(out), std::vector<std::string>{"B1/101 too_hot firing"});
  EXPECT_EQ(out.events[0].ts, kT2027 + 300 * kS) << "it fired when the 5 minutes were over";
  EXPECT_EQ(out.events[0].value, 29.5) << "with the latest average";
  EXPECT_TRUE(e->tick({}, {}, kT2027 + 400 * kS).events.empty()) << "once";
}

TEST(AlarmEngine, ForStartsAgainWhenTheValueFallsBackMeanwhile) {
  auto e = started(settings({too_hot(std::chrono::minutes(5))}));
  const SeriesKey k = room("B1", "101");
  e->tick({avg(k, 29)}, {}, kT2027);
  EXPECT_TRUE(e->tick({avg(k, 27.9)}, {}, kT2027 + 200 * kS).events.empty());
  EXPECT_TRUE(e->tick({avg(k, 29)}, {}, kT2027 + 250 * kS).events.empty());
  EXPECT_TRUE(e->tick({}, {}, kT2027 + 549 * kS).events.empty())
      << "the first 5 minutes were broken at 200 s; the new ones end at 550 s";
  auto out = e->tick({}, {}, kT2027 + 551 * kS);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].ts, kT2027 + 550 * kS);
}

TEST(AlarmEngine, NoFlappingAroundTheThresholdThanksToClear) {
  auto e = started(settings({too_hot()}));
  const SeriesKey k = room("B1", "101");
  std::vector<std::string> all;
  Micros t = kT2027;
  // Around 28 for a while: above, just below, above… then at 27.5, then at the clear value.
  for (double v : {28.2, 27.9, 28.1, 27.6, 28.3, 27.5, 27.01, 28.05, 27.0, 27.5, 28.0, 28.01}) {
    for (const auto& s : transitions(e->tick({avg(k, v)}, {}, t += kS))) all.push_back(s);
  }
  EXPECT_EQ(all, (std::vector<std::string>{"B1/101 too_hot firing", "B1/101 too_hot ok",
                                           "B1/101 too_hot firing"}))
      << "fires at 28.2, stays through everything above 27, clears at 27.0, fires again only "
         "past 28";
}

TEST(AlarmEngine, BelowRulesFireUnderTheThresholdAndClearAtOrAboveClear) {
  auto e = started(settings({too_cold()}));
  const SeriesKey k = room("B2", "7");
  std::vector<std::string> all;
  Micros t = kT2027;
  for (double v : {16.0, 15.9, 16.5, 16.99, 17.0, 16.2, 15.0}) {
    const auto out = e->tick({avg(k, v)}, {}, t += kS);
    for (const auto& s : transitions(out)) all.push_back(s + " at " + std::to_string(v));
  }
  EXPECT_EQ(all, (std::vector<std::string>{"B2/7 too_cold firing at 15.900000",
                                           "B2/7 too_cold ok at 17.000000",
                                           "B2/7 too_cold firing at 15.000000"}));
}

TEST(AlarmEngine, AnEmptyWindowNeitherFiresNorClears) {
  auto e = started(settings({too_hot(std::chrono::seconds(30))}));
  const SeriesKey k = room("B1", "101");
  e->tick({avg(k, 30)}, {}, kT2027);
  e->tick({avg(k, std::nullopt)}, {}, kT2027 + 10 * kS);
  EXPECT_TRUE(e->tick({}, {}, kT2027 + 60 * kS).events.empty()) << "an empty window ends the `for`";
  e->tick({avg(k, 30)}, {}, kT2027 + 61 * kS);
  ASSERT_EQ(e->tick({}, {}, kT2027 + 91 * kS).events.size(), 1u);
  EXPECT_TRUE(e->tick({avg(k, std::nullopt)}, {}, kT2027 + 120 * kS).events.empty())
      << "a firing alarm is not cleared by the absence of readings";
  EXPECT_EQ(e->active().firing.size(), 1u);
}

TEST(AlarmEngine, RulesWatchOnlyTheirWindowTheirMetricAndTheirRooms) {
  auto e = started(settings({too_hot(Duration(0), {"B1/*", "*/201"})}));
  auto fired = [&](const SeriesKey& k, Duration w = k1m) {
    return !e->tick({avg(k, 40, w)}, {}, now_micros()).events.empty();
  };
  EXPECT_TRUE(fired(room("B1", "101")));
  EXPECT_TRUE(fired(room("B1", "999")));
  EXPECT_TRUE(fired(room("B7", "201")));
  EXPECT_FALSE(fired(room("B7", "202")));
  EXPECT_FALSE(fired(room("B10", "101")));
  EXPECT_FALSE(fired(room("B1", "102"), std::chrono::minutes(15))) << "another window";
  EXPECT_FALSE(fired({"B1", "103", "humidity"})) << "another metric";
  EXPECT_FALSE(fired({"B1", "", "temperature"})) << "a building's average";
  EXPECT_EQ(e->active().firing.size(), 3u);
}

TEST(AlarmEngine, SilenceAfterNoReadingAndRecovery) {
  auto e = started(settings({}, std::chrono::seconds(60)));
  const SeriesKey k = room("B1", "101");
  auto out = e->tick({}, {{k, kT2027 + kS}}, kT2027 + kS);
  EXPECT_TRUE(out.events.empty());
  EXPECT_EQ(*retained(out, kStatusTopic),
            json::parse(R"({"state":"reporting","last_reading":"2027-01-15T08:00:01Z"})"));
  e->tick({}, {{k, kT2027 + 30 * kS}}, kT2027 + 30 * kS);
  EXPECT_TRUE(e->tick({}, {}, kT2027 + 89 * kS).events.empty()) << "heard at 30 s: silent at 90 s";
  out = e->tick({}, {}, kT2027 + 95 * kS);
  ASSERT_EQ(transitions(out), std::vector<std::string>{"B1/101 silent silent"});
  EXPECT_EQ(out.events[0].ts, kT2027 + 90 * kS);
  EXPECT_EQ(out.events[0].last_reading, kT2027 + 30 * kS);
  EXPECT_EQ(json::parse(out.event_payloads[0]),
            json::parse(R"({"building":"B1","room":"101","metric":"temperature","state":"silent",
                            "last_reading":"2027-01-15T08:00:30Z"})"));
  EXPECT_EQ((*retained(out, kStatusTopic))["state"], "silent");
  EXPECT_EQ(e->silent_count(), 1u);
  EXPECT_TRUE(e->tick({}, {}, kT2027 + 500 * kS).events.empty()) << "once";

  out = e->tick({}, {{k, kT2027 + 600 * kS}}, kT2027 + 600 * kS);
  ASSERT_EQ(transitions(out), std::vector<std::string>{"B1/101 silent reporting"});
  EXPECT_EQ(out.events[0].ts, kT2027 + 600 * kS);
  EXPECT_EQ((*retained(out, kStatusTopic))["state"], "reporting");
  EXPECT_EQ(e->silent_count(), 0u);
  ASSERT_EQ(transitions(e->tick({}, {}, kT2027 + 661 * kS)),
            std::vector<std::string>{"B1/101 silent silent"})
      << "and silent again a minute later";
}

TEST(AlarmEngine, AReplayedOldReadingDoesNotEndASilence) {
  auto e = started(settings({}, std::chrono::seconds(60)));
  const SeriesKey k = room("B1", "101");
  e->tick({}, {{k, kT2027}}, kT2027);
  ASSERT_EQ(e->tick({}, {}, kT2027 + 61 * kS).events.size(), 1u);
  // The sensor's buffer, measured 5 minutes ago, arrives now: silent still.
  auto out = e->tick({}, {{k, kT2027 + 300 * kS}}, kT2027 + 600 * kS);
  EXPECT_TRUE(out.events.empty()) << "a reading measured before `after` ago is old news";
  EXPECT_EQ((*retained(out, kStatusTopic))["last_reading"], "2027-01-15T08:05:00Z");
  out = e->tick({}, {{k, kT2027 + 599 * kS}}, kT2027 + 600 * kS);
  EXPECT_EQ(transitions(out), std::vector<std::string>{"B1/101 silent reporting"});
}

TEST(AlarmEngine, TenThousandRoomsFallSilentInOneTickEachOnceAtItsOwnTime) {
  auto e = started(settings({}, std::chrono::seconds(60)));
  std::vector<SeriesHeard> heard;
  for (int i = 0; i < 10'000; ++i)
    heard.push_back({room("B" + std::to_string(i / 100), std::to_string(i)), kT2027 + i});
  e->tick({}, heard, kT2027 + kS);
  EXPECT_TRUE(e->tick({}, {}, kT2027 + 60 * kS - 1).events.empty());
  const auto out = e->tick({}, {}, kT2027 + 61 * kS);
  ASSERT_EQ(out.events.size(), 10'000u);
  for (std::size_t i = 0; i < out.events.size(); ++i)
    EXPECT_EQ(out.events[i].ts, kT2027 + 60 * kS + static_cast<Micros>(i))
        << "in the order they fell";
  EXPECT_EQ(e->silent_count(), 10'000u);
  EXPECT_EQ(e->active().silent.size(), 10'000u);
}

TEST(AlarmEngine, ReconfigureAddsChangesAndRemovesRulesCleanly) {
  auto e = started(settings({too_hot(), too_cold()}));
  const SeriesKey hot = room("B1", "101"), cold = room("B1", "102");
  e->tick({avg(hot, 30), avg(cold, 10)}, {}, kT2027);
  ASSERT_EQ(e->active().firing.size(), 2u);
  const std::vector<RoomSnapshot> rooms = {{hot, {{k1m, avg(hot, 30).stats}}, 0},
                                           {cold, {{k1m, avg(cold, 10).stats}}, 0}};

  // too_cold removed, too_hot changed (threshold 35), too_damp… rather too_warm added.
  AlarmRule hotter = too_hot();
  hotter.threshold = 35;
  hotter.clear = 34;
  AlarmRule warm = too_hot();
  warm.name = "too_warm";
  warm.threshold = 25;
  warm.clear = 25;
  auto out = e->reconfigure(settings({hotter, warm}), rooms, kT2027 + 10 * kS);
  std::vector<std::string> got = transitions(out);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"B1/101 too_hot ok", "B1/101 too_warm firing",
                                           "B1/102 too_cold ok"}))
      << "removed and changed rules clear with an event; the new one fires on what is there";
  EXPECT_EQ(retained(out, "buildings/B1/rooms/102/temperature/alarms/too_cold"), json())
      << "a removed rule's retained state is removed";
  EXPECT_EQ((*retained(out, kHotTopic))["state"], "ok");
  EXPECT_EQ((*retained(out, kHotTopic))["threshold"], 35.0);
  for (const auto& ev : out.events) EXPECT_GE(ev.ts, kT2027 + 10 * kS);
  const auto active = e->active();
  ASSERT_EQ(active.firing.size(), 1u);
  EXPECT_EQ(active.firing[0].alarm, "too_warm");
  EXPECT_EQ(e->firing_by_rule(),
            (std::map<std::string, std::size_t>{{"too_hot", 0}, {"too_warm", 1}}));

  // The same settings again: nothing happens.
  EXPECT_TRUE(e->reconfigure(settings({hotter, warm}), rooms, kT2027 + 20 * kS).events.empty());
  // The changed rule works: past 35 it fires.
  EXPECT_EQ(transitions(e->tick({avg(hot, 36)}, {}, kT2027 + 30 * kS)),
            std::vector<std::string>{"B1/101 too_hot firing"});
}

TEST(AlarmEngine, ReconfigureKeepsUnchangedRulesAndTheirForRunning) {
  auto e = started(settings({too_hot(std::chrono::seconds(60)), too_cold()}));
  const SeriesKey k = room("B1", "101");
  e->tick({avg(k, 30)}, {}, kT2027);
  const auto out = e->reconfigure(settings({too_hot(std::chrono::seconds(60))}),
                                  {{k, {{k1m, avg(k, 30).stats}}, 0}}, kT2027 + 10 * kS);
  EXPECT_TRUE(out.events.empty()) << "too_cold never fired: removing it is no transition";
  EXPECT_EQ(transitions(e->tick({}, {}, kT2027 + 61 * kS)),
            std::vector<std::string>{"B1/101 too_hot firing"})
      << "the unchanged rule's `for` went on through the reload";
}

TEST(AlarmEngine, SilenceTurnedOffEndsEverySilenceWithAnEvent) {
  auto e = started(settings({}, std::chrono::seconds(10)));
  const SeriesKey k = room("B1", "101");
  e->tick({}, {{k, kT2027}}, kT2027);
  ASSERT_EQ(e->tick({}, {}, kT2027 + 11 * kS).events.size(), 1u);
  const auto out = e->reconfigure(settings({}, Duration(0)), {}, kT2027 + 20 * kS);
  EXPECT_EQ(transitions(out), std::vector<std::string>{"B1/101 silent reporting"});
  EXPECT_EQ(retained(out, kStatusTopic), json()) << "no status without silence watching";
  EXPECT_EQ(e->silent_count(), 0u);
}

TEST(AlarmEngine, SilenceTurnedOnWatchesEverySeriesTheWindowsHoldNotOnlyThoseOfRules) {
  // One rule covers B1/101 only; B2/201 is in the windows but no rule watches it.
  auto e = started(settings({too_hot(Duration(0), {"B1/101"})}));
  const SeriesKey ruled = room("B1", "101"), plain = room("B2", "201");
  e->tick({avg(ruled, 22), avg(plain, 22)}, {{ruled, kT2027}, {plain, kT2027}}, kT2027);
  const std::vector<RoomSnapshot> rooms = {{ruled, {{k1m, avg(ruled, 22).stats}}, kT2027},
                                           {plain, {{k1m, avg(plain, 22).stats}}, kT2027}};
  auto out = e->reconfigure(settings({too_hot(Duration(0), {"B1/101"})}, std::chrono::seconds(60)),
                            rooms, kT2027 + 10 * kS);
  EXPECT_TRUE(out.events.empty()) << "turning silence on is no transition";
  EXPECT_EQ((*retained(out, "buildings/B2/rooms/201/temperature/status"))["state"], "reporting");
  EXPECT_EQ((*retained(out, kStatusTopic))["state"], "reporting");
  // Counted from the reload, not from the readings before it.
  EXPECT_TRUE(e->tick({}, {}, kT2027 + 69 * kS).events.empty());
  std::vector<std::string> got = transitions(e->tick({}, {}, kT2027 + 71 * kS));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"B1/101 silent silent", "B2/201 silent silent"}))
      << "a room no rule covers falls silent too";
}

TEST(AlarmEngine, SilenceTurnedOffWhileStoppedEndsTheStoredSilenceWithAnEvent) {
  const SeriesKey quiet = room("B1", "101"), fine = room("B1", "102");
  AlarmRestore stored;
  stored.states = {
      stored_state(quiet, "silent", "silent", kT2027 - 50 * kS, std::nullopt, kT2027 - 110 * kS),
      stored_state(fine, "silent", "reporting", kT2027 - 50 * kS, std::nullopt, kT2027 - 40 * kS)};
  stored.series = {quiet, fine};
  AlarmEngine e(settings({}, Duration(0)));
  const auto out = e.restore(stored, {}, kT2027);
  EXPECT_EQ(transitions(out), std::vector<std::string>{"B1/101 silent reporting"})
      << "as a reload turning silence off says";
  EXPECT_EQ(out.events[0].ts, kT2027);
  EXPECT_EQ(out.events[0].last_reading, kT2027 - 110 * kS);
  EXPECT_EQ(retained(out, kStatusTopic), json()) << "no status without silence watching";
  EXPECT_EQ(retained(out, "buildings/B1/rooms/102/temperature/status"), json());
  EXPECT_EQ(e.silent_count(), 0u);
  EXPECT_TRUE(e.tick({}, {}, kT2027 + 3600 * kS).events.empty());
}

TEST(AlarmRules, ADefinitionSaysEverythingButTheName) {
  EXPECT_EQ(rule_definition(too_hot()), "temperature above 28 clear 27 over 1m for 0 in */*");
  AlarmRule r = too_hot(std::chrono::minutes(5), {"B1/*", "B2/201"});
  r.threshold = 28.5;
  EXPECT_EQ(rule_definition(r), "temperature above 28.5 clear 27 over 1m for 5m in B1/*,B2/201");
  AlarmRule renamed = too_hot();
  renamed.name = "other";
  EXPECT_EQ(rule_definition(renamed), rule_definition(too_hot()));
  EXPECT_EQ(rule_definition(too_cold()), "temperature below 16 clear 17 over 1m for 0 in */*");
}

TEST(AlarmEngine, ARuleChangedWhileStoppedClearsWhatItDecidedAndDecidesAnew) {
  const SeriesKey hot = room("B1", "101"), same = room("B1", "102"), old = room("B1", "103");
  AlarmRule before = too_hot();
  AlarmRule after = too_hot();
  after.threshold = 35;
  after.clear = 34;
  AlarmRestore stored;
  stored.states = {
      {hot, "too_hot", "firing", kT2027 - 100 * kS, 30, std::nullopt, 28, k1m,
       rule_definition(before)},
      // Stored before alarm_events kept definitions: taken as the rule configured now.
      stored_state(same, "too_hot", "firing", kT2027 - 100 * kS, 30, std::nullopt),
      // Fired under a rule that is gone: its event carries the threshold and window it had.
      {old, "too_warm", "firing", kT2027 - 100 * kS, 26, std::nullopt, 25, k1m,
       "temperature above 25 clear 25 over 1m for 0 in */*"},
  };
  AlarmEngine e(settings({after}));
  const std::vector<RoomSnapshot> rooms = {{hot, {{k1m, avg(hot, 30).stats}}, kT2027},
                                           {same, {{k1m, avg(same, 36).stats}}, kT2027}};
  auto out = e.restore(stored, rooms, kT2027);
  std::vector<std::string> got = transitions(out);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"B1/101 too_hot ok", "B1/103 too_warm ok"}))
      << "30 is not past the changed rule's 35: what the old one decided clears";
  for (const auto& ev : out.events) {
    if (ev.room == "101") {
      EXPECT_EQ(ev.threshold, 28.0) << "the event is the old rule's";
      EXPECT_EQ(ev.rule, rule_definition(before));
    }
    if (ev.room == "103") {
      EXPECT_EQ(json::parse(out.event_payloads[static_cast<std::size_t>(&ev - out.events.data())]),
                json::parse(R"({"building":"B1","room":"103","metric":"temperature",
                                "alarm":"too_warm","state":"ok","since":"2027-01-15T08:00:00Z",
                                "value":26,"threshold":25,"window":"1m"})"));
    }
  }
  const json state = *retained(out, kHotTopic);
  EXPECT_EQ(state["state"], "ok");
  EXPECT_EQ(state["threshold"], 35) << "the changed rule's own state";
  EXPECT_EQ(retained(out, "buildings/B1/rooms/103/temperature/alarms/too_warm"), json());
  const auto active = e.active();
  ASSERT_EQ(active.firing.size(), 1u);
  EXPECT_EQ(active.firing[0].key.room, "102");
  // The changed rule works from here: past 35 it fires.
  EXPECT_EQ(transitions(e.tick({avg(hot, 36)}, {}, kT2027 + kS)),
            std::vector<std::string>{"B1/101 too_hot firing"});
}

TEST(AlarmEngine, RestoreBringsBackFiringAndSilentWithoutEventsAndGoesOnFromThere) {
  const SeriesKey hot = room("B1", "101"), quiet = room("B1", "102");
  AlarmRestore stored;
  stored.states = {
      stored_state(hot, "too_hot", "firing", kT2027 - 100 * kS, 29.5, std::nullopt),
      stored_state(quiet, "silent", "silent", kT2027 - 50 * kS, std::nullopt, kT2027 - 110 * kS),
      stored_state(hot, "silent", "reporting", kT2027 - 200 * kS, std::nullopt, kT2027 - 200 * kS),
  };
  stored.series = {hot, quiet};
  AlarmEngine e(settings({too_hot()}, std::chrono::seconds(60)));
  // The windows warmed: the hot room is still hot and was heard 5 s ago; the quiet one has no
  // reading in any window.
  const std::vector<RoomSnapshot> rooms = {{hot, {{k1m, avg(hot, 29.8).stats}}, kT2027 - 5 * kS}};
  auto out = e.restore(stored, rooms, kT2027);
  EXPECT_TRUE(out.events.empty()) << "nothing changed while roomtempd was away";
  EXPECT_EQ(*retained(out, kHotTopic),
            json::parse(R"({"alarm":"too_hot","state":"firing","since":"2027-01-15T07:58:20Z",
                            "value":29.5,"threshold":28.0,"window":"1m"})"))
      << "the state as the earlier run published it";
  EXPECT_EQ((*retained(out, "buildings/B1/rooms/102/temperature/status"))["state"], "silent");
  const auto active = e.active();
  EXPECT_TRUE(active.restored);
  EXPECT_EQ(active.firing.size(), 1u);
  ASSERT_EQ(active.silent.size(), 1u);
  EXPECT_EQ(active.silent[0].last_reading, kT2027 - 110 * kS);
  // From there on as if it had never stopped.
  EXPECT_TRUE(e.tick({avg(hot, 28.5)}, {}, kT2027 + kS).events.empty()) << "still above clear";
  EXPECT_EQ(transitions(e.tick({avg(hot, 26)}, {}, kT2027 + 2 * kS)),
            std::vector<std::string>{"B1/101 too_hot ok"});
  EXPECT_EQ(transitions(e.tick({}, {{quiet, kT2027 + 3 * kS}}, kT2027 + 3 * kS)),
            std::vector<std::string>{"B1/102 silent reporting"});
}

TEST(AlarmEngine, RestoreDecidesWhatHappenedWhileAway) {
  const SeriesKey hot = room("B1", "101"), gone = room("B1", "103"), died = room("B1", "104");
  AlarmRestore stored;
  stored.states = {
      stored_state(hot, "too_hot", "firing", kT2027 - 100 * kS, 29.5, std::nullopt),
      stored_state(gone, "old_rule", "firing", kT2027 - 100 * kS, 3.0, std::nullopt),
  };
  stored.series = {hot, gone, died};
  AlarmEngine e(settings({too_hot()}, std::chrono::seconds(60)));
  const std::vector<RoomSnapshot> rooms = {
      {hot, {{k1m, avg(hot, 22).stats}}, kT2027 - 5 * kS},
      {died, {{k1m, avg(died, 22).stats}}, kT2027 - 1000 * kS}};
  auto out = e.restore(stored, rooms, kT2027);
  std::vector<std::string> got = transitions(out);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"B1/101 too_hot ok", "B1/103 old_rule ok"}))
      << "the hot room cooled down meanwhile; a rule that is gone clears";
  EXPECT_EQ(retained(out, "buildings/B1/rooms/103/temperature/alarms/old_rule"), json());
  // The room last heard 1000 s ago is not declared silent at once: readings the broker kept
  // meanwhile come first. `after` past the start, it is, dated by its last reading.
  EXPECT_TRUE(e.tick({}, {}, kT2027 + 59 * kS).events.empty());
  out = e.tick({}, {}, kT2027 + 61 * kS);
  std::vector<std::string> silent = transitions(out);
  std::sort(silent.begin(), silent.end());
  EXPECT_EQ(silent, (std::vector<std::string>{"B1/101 silent silent", "B1/103 silent silent",
                                              "B1/104 silent silent"}));
  for (const auto& ev : out.events) {
    if (ev.room == "104") {
      EXPECT_EQ(ev.ts, kT2027 - 940 * kS) << "its last reading + after";
    }
    if (ev.room == "103") {
      EXPECT_EQ(ev.ts, kT2027 + 60 * kS) << "no reading known: when the watch ended";
      EXPECT_FALSE(ev.last_reading);
    }
  }
}

TEST(AlarmEngine, ASecondTickWithNothingNewDoesNothing) {
  auto e = started(settings({too_hot(std::chrono::seconds(30))}, std::chrono::minutes(15)));
  std::vector<AverageUpdate> updates;
  std::vector<SeriesHeard> heard;
  for (int i = 0; i < 1000; ++i) {
    updates.push_back(avg(room("B1", std::to_string(i)), 20 + i % 20));
    heard.push_back({room("B1", std::to_string(i)), kT2027});
  }
  const auto first = e->tick(updates, heard, kT2027);
  EXPECT_EQ(first.retained.size(), 2000u) << "a state and a status per room";
  const auto quiet = e->tick({}, {}, kT2027 + kS);
  EXPECT_TRUE(quiet.events.empty());
  EXPECT_TRUE(quiet.retained.empty()) << "no change, nothing republished";
  EXPECT_EQ(e->series_count(), 1000u);
  EXPECT_EQ(e->rule_state_count(), 1000u);
}

}  // namespace
}  // namespace roomtemp

namespace roomtemp {
namespace {

// The publish tick's protocol between the aggregator and the engine: the aggregator says which
// series were heard from, where their changed windows are, and (once the engine handed them
// out) the engine's handle of each; with them the engine decides as it does from keys alone.
TEST(AlarmEngineWithAggregator, HandlesAndWindowsOfEachSeriesFindTheSameStates) {
  Aggregator agg({std::chrono::minutes(1)}, Duration(0));
  AlarmEngine e(settings({too_hot(std::chrono::seconds(2))}, std::chrono::seconds(5)));
  e.restore({}, {}, kT2027);
  auto reading = [&](const std::string& room, double v, Micros at) {
    agg.add({at, "B1", room, "temperature", v, std::nullopt, at}, at);
  };
  std::vector<std::string> all;
  std::size_t handles = 0;
  auto tick = [&](Micros now) {
    std::vector<SeriesHeard> heard;
    const auto changed = agg.tick(now, &heard);
    for (const auto& h : heard) {
      ASSERT_LE(h.first_update + h.updates, changed.size());
      for (std::size_t k = h.first_update; k < h.first_update + h.updates; ++k)
        EXPECT_EQ(changed[k].key, h.key) << "a heard series' windows are its own";
    }
    AlarmOutput out = e.tick(changed, heard, now);
    handles += out.handles.size();
    agg.set_handles(out.handles);
    for (const auto& t : transitions(out)) all.push_back(t);
  };
  reading("101", 30, kT2027);
  reading("102", 20, kT2027);
  tick(kT2027);
  EXPECT_EQ(handles, 2u) << "each series gets its handle once";
  reading("101", 31, kT2027 + kS);
  reading("102", 21, kT2027 + kS);
  tick(kT2027 + kS);
  EXPECT_EQ(handles, 2u) << "and is found by it from then on";
  tick(kT2027 + 2 * kS);
  reading("102", 22, kT2027 + 3 * kS);
  tick(kT2027 + 3 * kS);
  tick(kT2027 + 7 * kS);
  EXPECT_EQ(all, (std::vector<std::string>{"B1/101 too_hot firing", "B1/101 silent silent"}));
  // A reset (other windows) empties the series and their handles: they are handed out again.
  agg.reset({std::chrono::minutes(1)}, Duration(0));
  reading("101", 25, kT2027 + 8 * kS);
  tick(kT2027 + 8 * kS);
  EXPECT_EQ(handles, 3u);
  // 101 reports, and its new window (25) clears the alarm; 102 falls silent at that tick.
  EXPECT_EQ(std::vector<std::string>(all.begin() + 2, all.end()),
            (std::vector<std::string>{"B1/101 silent reporting", "B1/101 too_hot ok",
                                      "B1/102 silent silent"}));
}

}  // namespace
}  // namespace roomtemp
