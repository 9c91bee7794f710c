// Alarms and silent sensors (README "Alarms and silent sensors") on the real roomtempd, broker and
// PostgreSQL: rules fire after `for` and not before, `clear` keeps them from flapping, `below`
// rules and room patterns, silence and recovery, a reload that adds, changes and removes rules,
// a restart with firing alarms and silent rooms, and a PostgreSQL outage. What a user would
// check: the retained states, the events on roomtemp/events, the rows of alarm_events and the
// REST answers.
//
// Waits follow the daemon's own output (a retained average showing a reading, an event, a row),
// never a number of ticks. Where a test proves that something does not happen, it waits for a
// later thing the daemon does (a status, an average, another event) before looking.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "harness/harness.h"
#include "timeutil.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;

/// Rules used below, as YAML list items.
const std::string kTooHot =
    "  - {name: too_hot, metric: temperature, above: 28, clear: 27, window: 1m}\n";
const std::string kTooCold =
    "  - {name: too_cold, metric: temperature, below: 16, clear: 17, window: 1m}\n";

std::string alarms(const std::string& rules, const std::string& silence = "0") {
  return "alarms:\n" + rules + "silence:\n  after: " + silence + "\n";
}

/// A time the daemon wrote (RFC 3339) in microseconds; 0 when it is not one.
std::int64_t at(const json& text) {
  return text.is_string() ? roomtemp::parse_rfc3339(text.get<std::string>()).value_or(0) : 0;
}

/// A SQL expression giving timestamptz `column` in microseconds, as text.
std::string us(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000000)::bigint";
}

/// buildings/{b}/rooms/{r}/temperature, and `/tail` when given.
std::string room_topic(const std::string& b, const std::string& r, const std::string& tail) {
  return "buildings/" + b + "/rooms/" + r + "/temperature" + (tail.empty() ? "" : "/" + tail);
}

class AlarmsTest : public DaemonTest {
 protected:
  /// roomtempd with `extra` (alarms:, silence:) and a publish tick of 100 ms; a watcher on the
  /// events, the alarm states, the statuses and the 1m averages; a sensor.
  void start(const std::string& extra, const std::string& db_prefix = "alarms") {
    ConfigOptions o;
    o.averages = "  publish_interval: 100ms\n";
    o.extra = extra;
    start_daemon(db_prefix, o);
    if (HasFatalFailure()) return;
    connect_clients();
    ASSERT_EQ(daemon_->poll_get("/v1/alarms", 200, 20s).status, 200)
        << "the alarm states were not restored: " << daemon_->http_get("/v1/alarms").body;
  }

  void connect_clients() {
    watcher_ = std::make_unique<MqttClient>(broker_.port());
    for (const char* f : {"roomtemp/events", "buildings/+/rooms/+/+/alarms/+",
                          "buildings/+/rooms/+/+/status", "buildings/+/rooms/+/+/average/1m"})
      watcher_->subscribe(f);
    sensor_ = std::make_unique<MqttClient>(broker_.port());
  }

  /// Publishes a reading (stamped `ts`, or on arrival) and waits until the retained 1m average
  /// of the room counts `count` readings: a publish tick has seen it, and the alarms with it.
  void send(const std::string& b, const std::string& r, double v, int count,
            std::optional<std::int64_t> ts = std::nullopt) {
    json payload = {{"temperature", v}};
    if (ts) payload["timestamp"] = rfc3339(*ts, 0, 6);
    sensor_->publish(room_topic(b, r, ""), payload.dump());
    // (wait_until, not wait_for: last_on reads the messages under the client's own lock.)
    ASSERT_TRUE(wait_until(
        [&] {
          const auto m = last_on(room_topic(b, r, "average/1m"));
          return m && m->value("count", 0) == count;
        },
        10s))
        << b << "/" << r << ": the 1m average never counted " << count << " readings";
  }

  /// The last message on `topic` as JSON; nullopt when none, null for an empty (removed) one.
  std::optional<json> last_on(const std::string& topic) const {
    std::optional<json> last;
    for (const auto& m : watcher_->messages_on(topic))
      last = m.payload.empty() ? json() : json::parse(m.payload);
    return last;
  }

  /// The last message on `topic` once there is one for which `ok` holds. A retained state is
  /// published after the averages and the events of its tick: having seen those is not having
  /// seen it.
  json state_on(
      const std::string& topic,
      const std::function<bool(const json&)>& ok = [](const json&) { return true; }) {
    std::optional<json> m;
    const bool seen = wait_until(
        [&] {
          m = last_on(topic);
          return m && ok(*m);
        },
        10s);
    EXPECT_TRUE(seen) << topic << ": " << (m ? m->dump() : "nothing");
    return m.value_or(json());
  }

  /// A predicate of state_on(): the message's "state" is `state`.
  static std::function<bool(const json&)> in_state(const std::string& state) {
    return [state](const json& m) { return m.is_object() && m.value("state", "") == state; };
  }

  /// Every event so far (roomtemp/events), in arrival order; those of `room` and `alarm` when
  /// given.
  std::vector<json> events(const std::string& room = "", const std::string& alarm = "") const {
    std::vector<json> out;
    for (const auto& m : watcher_->messages_on("roomtemp/events")) {
      json e = json::parse(m.payload);
      if (!room.empty() && e["room"] != room) continue;
      if (!alarm.empty() && e.value("alarm", "silent") != alarm) continue;
      out.push_back(std::move(e));
    }
    return out;
  }

  /// "room alarm state" of the events, in order.
  std::vector<std::string> transitions(const std::string& room = "") const {
    std::vector<std::string> out;
    for (const json& e : events(room))
      out.push_back(e["room"].get<std::string>() + " " + e.value("alarm", "silent") + " " +
                    e["state"].get<std::string>());
    return out;
  }

  /// Waits until `n` events (of `room`) arrived.
  bool wait_events(std::size_t n, const std::string& room = "",
                   std::chrono::milliseconds timeout = 15s) {
    return wait_until([&] { return events(room).size() >= n; }, timeout, 20ms);
  }

  /// "room alarm state" of the rows of alarm_events, in the order they were stored.
  std::vector<std::string> rows() const {
    std::vector<std::string> out;
    for (const Row& r : query("SELECT room, alarm, state FROM alarm_events ORDER BY id"))
      out.push_back(r[0] + " " + r[1] + " " + r[2]);
    return out;
  }

  /// GET /v1/alarms.
  json alarms_now() const {
    const HttpResponse r = daemon_->http_get("/v1/alarms");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body) : json();
  }

  std::unique_ptr<MqttClient> watcher_;
  std::unique_ptr<MqttClient> sensor_;
};

// `for`: past the threshold for less than `for` is no alarm; held for `for` it fires once, with
// the moment `for` ended as its time, the state retained, the event published and stored.
TEST_F(AlarmsTest, FiresAfterForNotBefore) {
  start(
      alarms("  - {name: too_hot, metric: temperature, above: 28, clear: 27, window: 1m, "
             "for: 2s}\n"));
  // Above for a moment only: 30, then 10 brings the average to 20 before 2 s are over.
  send("B1", "101", 30, 1);
  const json ok = state_on(room_topic("B1", "101", "alarms/too_hot"));
  EXPECT_EQ(ok["state"], "ok");
  send("B1", "101", 10, 2);
  // Held: room 102 at 29 from now on.
  send("B1", "102", 29, 1);
  const json pending = state_on(room_topic("B1", "102", "alarms/too_hot"));
  ASSERT_EQ(pending["state"], "ok") << "it must not fire before its `for`";
  const std::int64_t crossed = at(pending["since"]);  // the tick that saw 29
  ASSERT_TRUE(wait_events(1, "102")) << "it never fired";
  const std::int64_t arrived = now_micros();
  const json fired = events("102").at(0);
  EXPECT_EQ(fired["state"], "firing");
  EXPECT_EQ(fired["value"], 29.0);
  EXPECT_EQ(fired["threshold"], 28.0);
  EXPECT_EQ(fired["window"], "1m");
  EXPECT_EQ(at(fired["since"]) - crossed, 2 * kSecond)
      << "it fired when 2 s past the threshold were over";
  EXPECT_GE(arrived, crossed + 2 * kSecond) << "the event came before its `for` was over";
  EXPECT_EQ(state_on(room_topic("B1", "102", "alarms/too_hot"), in_state("firing")),
            json({{"alarm", "too_hot"},
                  {"state", "firing"},
                  {"since", fired["since"]},
                  {"value", 29.0},
                  {"threshold", 28.0},
                  {"window", "1m"}}));
  // By now room 101's `for` would have ended too: it never fired, and 102 fired once.
  EXPECT_EQ(transitions(), std::vector<std::string>{"102 too_hot firing"});
  expect_count_settles("SELECT count(*) FROM alarm_events", 1);
  EXPECT_EQ(query("SELECT building, room, metric, alarm, state, value, " + us("ts") +
                  " FROM alarm_events"),
            (Rows{{"B1", "102", "temperature", "too_hot", "firing", "29",
                   std::to_string(at(fired["since"]))}}));
  const json now = alarms_now();
  ASSERT_EQ(now["firing"].size(), 1u);
  EXPECT_EQ(now["firing"][0], fired) << "GET /v1/alarms lists it as the event said";
  EXPECT_EQ(daemon_->metric("roomtemp_alarms_firing{alarm=\"too_hot\"}"), 1);
}

// Hysteresis: averages that dance around 28 but stay above 27 give one alarm, not one per
// crossing; at 27 it clears; past 28 again it fires again.
TEST_F(AlarmsTest, ClearKeepsItFromFlapping) {
  start(alarms(kTooHot));
  int n = 0;
  // The 1m average after each reading: 28.5, 27.8, 28.07, 27.55, 28.14, 27.0, 28.9
  for (double v : {28.5, 27.1, 28.6, 26.0, 30.5, 21.3, 40.0}) send("B1", "101", v, ++n);
  ASSERT_TRUE(wait_events(3));
  EXPECT_EQ(transitions(), (std::vector<std::string>{"101 too_hot firing", "101 too_hot ok",
                                                     "101 too_hot firing"}));
  const auto e = events();
  EXPECT_NEAR(e[1]["value"].get<double>(), 27.0, 1e-9) << "it cleared at the clear value";
  expect_count_settles("SELECT count(*) FROM alarm_events", 3);
  EXPECT_EQ(rows(), transitions()) << "each transition stored once, in order";
}

// `below` rules fire under their threshold; room patterns choose the rooms a rule watches (`*`
// one whole id); a room no rule covers gets no alarm state at all.
TEST_F(AlarmsTest, BelowRulesAndRoomPatterns) {
  start(
      alarms("  - {name: too_cold, metric: temperature, below: 16, clear: 17, window: 1m, rooms: "
             "[\"B2/*\", \"*/101\"]}\n"));
  send("B1", "101", 10, 1);  // */101
  send("B2", "7", 15.5, 1);  // B2/*
  send("B1", "102", 10, 1);  // neither
  send("B10", "7", 10, 1);   // B10 is not B2
  send("B2", "8", 16, 1);    // at the threshold: not below it
  ASSERT_TRUE(wait_events(2));
  std::vector<std::string> got = transitions();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"101 too_cold firing", "7 too_cold firing"}));
  EXPECT_EQ(events("7").at(0)["building"], "B2");
  // B2/8's state comes in the tick of its reading, after those of the rooms sent before it.
  EXPECT_EQ(state_on(room_topic("B2", "8", "alarms/too_cold"))["state"], "ok");
  EXPECT_FALSE(last_on(room_topic("B1", "102", "alarms/too_cold"))) << "not covered";
  EXPECT_FALSE(last_on(room_topic("B10", "7", "alarms/too_cold"))) << "not covered";
  send("B2", "7", 18.6, 2);  // average 17.05: at or above 17 clears
  ASSERT_TRUE(wait_events(2, "7"));
  EXPECT_EQ(transitions("7"), (std::vector<std::string>{"7 too_cold firing", "7 too_cold ok"}));
}

// Silence: no reading for silence.after makes a room's metric silent (status retained, event,
// row, GET /v1/alarms); an old reading replayed does not end it; a new one does.
TEST_F(AlarmsTest, SilenceAndRecovery) {
  start(alarms("", "2s"));
  const std::int64_t sent = now_micros();
  send("B1", "101", 21, 1);
  const json reporting = state_on(room_topic("B1", "101", "status"));
  EXPECT_EQ(reporting["state"], "reporting");
  const std::int64_t last = at(reporting["last_reading"]);
  EXPECT_GE(last, sent);
  ASSERT_TRUE(wait_events(1, "", 10s)) << "it never fell silent";
  const json silent = events().at(0);
  EXPECT_EQ(silent, json({{"building", "B1"},
                          {"room", "101"},
                          {"metric", "temperature"},
                          {"state", "silent"},
                          {"last_reading", reporting["last_reading"]}}));
  EXPECT_EQ(state_on(room_topic("B1", "101", "status"), in_state("silent")),
            json({{"state", "silent"}, {"last_reading", reporting["last_reading"]}}));
  expect_count_settles("SELECT count(*) FROM alarm_events", 1);
  EXPECT_EQ(
      query("SELECT alarm, state, " + us("ts") + ", " + us("last_reading") +
            ", value IS NULL FROM alarm_events"),
      (Rows{{"silent", "silent", std::to_string(last + 2 * kSecond), std::to_string(last), "t"}}))
      << "silent 2 s after its last reading";
  json now = alarms_now();
  ASSERT_EQ(now["silent"].size(), 1u);
  EXPECT_EQ(now["silent"][0], silent);
  EXPECT_EQ(daemon_->metric("roomtemp_series_silent"), 1);

  // A buffer replayed: a reading measured 50 ms after the last one, received now, more than
  // silence.after later. Still silent; the status knows the newer reading.
  ASSERT_TRUE(wait_until([&] { return now_micros() > last + 2 * kSecond + 100'000; }, 5s));
  send("B1", "101", 22, 2, last + 50'000);
  ASSERT_TRUE(wait_until(
      [&] {
        return at((*last_on(room_topic("B1", "101", "status")))["last_reading"]) == last + 50'000;
      },
      5s))
      << last_on(room_topic("B1", "101", "status"))->dump();
  EXPECT_EQ((*last_on(room_topic("B1", "101", "status")))["state"], "silent");
  // A reading of now ends the silence.
  send("B1", "101", 23, 3);
  ASSERT_TRUE(wait_events(2));
  EXPECT_EQ(transitions(), (std::vector<std::string>{"101 silent silent", "101 silent reporting"}))
      << "the replayed reading made no transition";
  EXPECT_EQ(state_on(room_topic("B1", "101", "status"), in_state("reporting"))["state"],
            "reporting");
  EXPECT_EQ(alarms_now()["silent"].size(), 0u);
  // History over REST: the rows of alarm_events.
  ASSERT_TRUE(wait_until([&] { return count("SELECT count(*) FROM alarm_events") == 2; }, 10s));
  const HttpResponse history = daemon_->http_get("/v1/alarms/history");
  ASSERT_EQ(history.status, 200) << history.body;
  const json h = json::parse(history.body);
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[0]["state"], "silent");
  EXPECT_EQ(at(h[0]["ts"]), last + 2 * kSecond);
  EXPECT_EQ(h[1]["state"], "reporting");
  EXPECT_EQ(h[1]["alarm"], "silent");
  EXPECT_EQ(json::parse(daemon_->http_get("/v1/alarms/history?alarm=too_hot").body).size(), 0u);
}

// A reload adds, changes and removes rules at once: a removed or changed rule that fires clears
// with an event and (removed) its retained state goes; a new one fires on what the windows hold.
TEST_F(AlarmsTest, ReloadAddsChangesAndRemovesRules) {
  start(alarms(kTooHot + kTooCold));
  send("B1", "101", 30, 1);
  send("B1", "102", 10, 1);
  ASSERT_TRUE(wait_events(2));
  watcher_->clear_messages();
  const std::string before = read_file(daemon_->config_path());
  const std::string after =
      before.substr(0, before.find("alarms:\n")) +
      alarms(
          "  - {name: too_hot, metric: temperature, above: 35, clear: 34, window: 1m}\n"
          "  - {name: too_warm, metric: temperature, above: 25, window: 1m}\n");
  daemon_->write_config(after);
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(wait_events(3)) << "got " << ::testing::PrintToString(transitions());
  std::vector<std::string> got = transitions();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got,
            (std::vector<std::string>{"101 too_hot ok", "101 too_warm firing", "102 too_cold ok"}));
  EXPECT_EQ(state_on(room_topic("B1", "102", "alarms/too_cold"),
                     [](const json& m) { return m.is_null(); }),
            json())
      << "the removed rule's retained state is removed";
  const json hot = state_on(room_topic("B1", "101", "alarms/too_hot"),
                            [](const json& m) { return m.value("threshold", 0.0) == 35.0; });
  EXPECT_EQ(hot["state"], "ok");
  EXPECT_EQ(hot["threshold"], 35.0) << "the changed rule's state is published anew";
  const json now = alarms_now();
  ASSERT_EQ(now["firing"].size(), 1u);
  EXPECT_EQ(now["firing"][0]["alarm"], "too_warm");
  EXPECT_EQ(daemon_->metric("roomtemp_alarms_firing{alarm=\"too_warm\"}"), 1);
  EXPECT_EQ(daemon_->metric("roomtemp_alarms_firing{alarm=\"too_cold\"}"), -1)
      << "no series for a rule that is gone";
  expect_count_settles("SELECT count(*) FROM alarm_events", 5);
  // The changed rule works with its new threshold.
  send("B1", "101", 42, 2);  // average 36
  ASSERT_TRUE(wait_events(4));
  EXPECT_EQ(transitions().back(), "101 too_hot firing");
}

// A restart brings every state back from alarm_events: firing alarms and silent rooms stay as
// they were without an event, and what happened while roomtempd was away (a room that cooled
// down, a sensor that came back, one that died) is one event each, no more.
TEST_F(AlarmsTest, RestartKeepsFiringAndSilentAndMissesNothingThatHappenedMeanwhile) {
  // silence.after 6s: long enough that nothing falls silent for want of readings between the
  // restart and the checks after it, short enough to see two rooms fall silent before it.
  start(alarms(kTooHot, "6s"));
  send("B1", "101", 30, 1);  // fires; keeps reporting while the daemon is away
  send("B1", "102", 30, 1);  // fires; cools down while the daemon is away
  send("B1", "103", 20, 1);  // falls silent before the restart, reports while it is away
  send("B1", "104", 20, 1);  // falls silent before the restart, stays silent
  ASSERT_TRUE(wait_events(2, "", 10s));
  ASSERT_TRUE(wait_until(
      [&] {
        return events("103").size() == 1 && events("104").size() == 1 &&
               events("101", "silent").size() == 1 && events("102", "silent").size() == 1;
      },
      15s))
      << ::testing::PrintToString(transitions());
  // 101 and 102 fell silent too; they report again just before the stop.
  send("B1", "101", 30, 2);
  send("B1", "102", 30, 2);
  ASSERT_TRUE(wait_until(
      [&] { return events("101", "silent").size() == 2 && events("102", "silent").size() == 2; },
      10s));
  ASSERT_TRUE(wait_until([&] { return count("SELECT count(*) FROM alarm_events") == 8; }, 10s))
      << ::testing::PrintToString(rows());
  const json before = alarms_now();
  ASSERT_EQ(before["firing"].size(), 2u);
  ASSERT_EQ(before["silent"].size(), 2u);

  daemon_->terminate();
  ASSERT_EQ(daemon_->wait_exit(), 0);
  watcher_->clear_messages();
  // Meanwhile (the broker keeps the readings for roomtempd's session): 102 cools down, 103
  // reports, 101 reports as hot as before.
  sensor_->publish(room_topic("B1", "102", ""), json({{"temperature", 0.0}}).dump());
  sensor_->publish(room_topic("B1", "103", ""), json({{"temperature", 20.0}}).dump());
  sensor_->publish(room_topic("B1", "101", ""), json({{"temperature", 30.0}}).dump());
  daemon_->start();
  ASSERT_TRUE(daemon_->wait_ready(30s));
  ASSERT_EQ(daemon_->poll_get("/v1/alarms", 200, 20s).status, 200);
  ASSERT_TRUE(wait_events(2, "", 15s)) << ::testing::PrintToString(transitions());
  // 102's average is (30 + 30 + 0) / 3 = 20: cleared. 103 reports again.
  ASSERT_TRUE(wait_until([&] { return count("SELECT count(*) FROM alarm_events") == 10; }, 15s))
      << ::testing::PrintToString(rows());
  std::vector<std::string> got = transitions();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"102 too_hot ok", "103 silent reporting"}));
  const json after = alarms_now();
  ASSERT_EQ(after["firing"].size(), 1u);
  EXPECT_EQ(after["firing"][0], before["firing"][0]) << "101 fires as before, since the same time";
  ASSERT_EQ(after["silent"].size(), 1u);
  EXPECT_EQ(after["silent"][0], before["silent"][1]) << "104 is silent as before";
  // The retained states after the restart say the same.
  EXPECT_EQ(state_on(room_topic("B1", "101", "alarms/too_hot")),
            (json{{"alarm", "too_hot"},
                  {"state", "firing"},
                  {"since", before["firing"][0]["since"]},
                  {"value", 30.0},
                  {"threshold", 28.0},
                  {"window", "1m"}}));
  EXPECT_EQ(state_on(room_topic("B1", "104", "status"))["state"], "silent");
  // Every transition once in alarm_events.
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT DISTINCT room, alarm, state, ts FROM "
                  "alarm_events) d"),
            10);
}

// The configuration changed while roomtempd was stopped: a changed rule clears what the old one
// decided (its event carries the old threshold) and decides anew; silence turned off ends a
// stored silence with an event and removes the retained status — as a reload would.
TEST_F(AlarmsTest, RestartAfterTheConfigurationChangedClearsWhatTheOldRulesDecided) {
  start(alarms(kTooHot, "2s"));
  send("B1", "101", 30, 1);
  ASSERT_TRUE(wait_until(
      [&] { return events("101", "too_hot").size() == 1 && events("101", "silent").size() == 1; },
      15s))
      << ::testing::PrintToString(transitions());
  ASSERT_TRUE(wait_until([&] { return count("SELECT count(*) FROM alarm_events") == 2; }, 10s));
  EXPECT_EQ(query("SELECT threshold, " + us("window_length") +
                  ", rule FROM alarm_events WHERE "
                  "alarm = 'too_hot'"),
            (Rows{{"28", "60000000", "temperature above 28 clear 27 over 1m for 0 in */*"}}));
  daemon_->terminate();
  ASSERT_EQ(daemon_->wait_exit(), 0);
  watcher_->clear_messages();

  const std::string before = read_file(daemon_->config_path());
  daemon_->write_config(
      before.substr(0, before.find("alarms:\n")) +
      alarms("  - {name: too_hot, metric: temperature, above: 35, clear: 34, window: 1m}\n", "0"));
  daemon_->start();
  ASSERT_TRUE(daemon_->wait_ready(30s));
  ASSERT_EQ(daemon_->poll_get("/v1/alarms", 200, 20s).status, 200);
  ASSERT_TRUE(wait_events(2, "", 15s)) << ::testing::PrintToString(transitions());
  std::vector<std::string> got = transitions();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"101 silent reporting", "101 too_hot ok"}));
  const json cleared = events("101", "too_hot").at(0);
  EXPECT_EQ(cleared["threshold"], 28.0) << "the old rule's transition";
  EXPECT_EQ(cleared["value"], 30.0);
  const json state = state_on(room_topic("B1", "101", "alarms/too_hot"),
                              [](const json& m) { return m.value("threshold", 0.0) == 35.0; });
  EXPECT_EQ(state["state"], "ok") << "30 is not past the changed rule's 35";
  EXPECT_EQ(state_on(room_topic("B1", "101", "status"), [](const json& m) { return m.is_null(); }),
            json())
      << "no status without silence watching";
  EXPECT_EQ(alarms_now()["firing_total"], 0);
  ASSERT_TRUE(wait_until([&] { return count("SELECT count(*) FROM alarm_events") == 4; }, 10s))
      << ::testing::PrintToString(rows());
  EXPECT_EQ(query("SELECT state, threshold FROM alarm_events WHERE alarm = 'too_hot' ORDER BY id"),
            (Rows{{"firing", "28"}, {"ok", "28"}}));
  const json history = json::parse(daemon_->http_get("/v1/alarms/history?alarm=too_hot").body);
  ASSERT_EQ(history.size(), 2u) << history.dump();
  EXPECT_EQ(history[1]["threshold"], 28.0);
  EXPECT_EQ(history[1]["window"], "1m");
}

// A transition decided while PostgreSQL is down waits in the spool and is stored once when it
// returns — also across a restart of roomtempd meanwhile, which restores the states only then
// and decides nothing twice.
TEST(AlarmsOutageTest, EventsDecidedWhilePostgresIsDownArriveOnceAfterItReturns) {
  Postgres pg;
  TempDir dir;
  Broker broker;
  ConfigOptions o;
  o.averages = "  publish_interval: 100ms\n";
  o.extra = alarms(kTooHot);
  Daemon daemon(default_config(broker, pg, dir, o));
  ASSERT_TRUE(daemon.wait_ready(30s));
  ASSERT_EQ(daemon.poll_get("/v1/alarms", 200, 20s).status, 200);
  MqttClient watcher(broker.port());
  watcher.subscribe("roomtemp/events");
  watcher.subscribe("buildings/+/rooms/+/temperature/average/1m");
  MqttClient sensor(broker.port());
  auto events = [&] { return watcher.messages_on("roomtemp/events").size(); };

  pg.stop();
  ASSERT_EQ(daemon.poll_get("/readyz", 503, "postgresql").status, 503);
  sensor.publish(room_topic("B1", "101", ""), "30");
  ASSERT_TRUE(wait_until([&] { return events() == 1; }, 10s))
      << "no event while PostgreSQL is down";
  const json fired = json::parse(watcher.messages_on("roomtemp/events")[0].payload);
  ASSERT_TRUE(wait_until([&] { return daemon.metric("roomtemp_spool_bytes") > 0; }, 10s))
      << "the event is not in the spool";
  // A restart while PostgreSQL is still away: the states cannot be known yet.
  daemon.terminate();
  ASSERT_EQ(daemon.wait_exit(), 0);
  daemon.start();
  ASSERT_EQ(daemon.poll_get("/v1/alarms", 503, "not read back", 30s).status, 503);
  pg.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  ASSERT_EQ(daemon.poll_get("/v1/alarms", 200, 20s).status, 200);
  ASSERT_TRUE(
      wait_until([&] { return pg.query_count("SELECT count(*) FROM alarm_events") == 1; }, 20s));
  EXPECT_EQ(pg.query("SELECT room, alarm, state, " + us("ts") + " FROM alarm_events"),
            (Rows{{"101", "too_hot", "firing", std::to_string(at(fired["since"]))}}));
  const json now = json::parse(daemon.http_get("/v1/alarms").body);
  ASSERT_EQ(now["firing"].size(), 1u) << now.dump();
  EXPECT_EQ(now["firing"][0], fired) << "restored as it was decided before the outage";
  // Nothing decided twice. Another room's reading, once its average is out, is a tick after
  // the restore and after the reading of 101: an event of either would have come before it.
  sensor.publish(room_topic("B1", "101", ""), "31");
  sensor.publish(room_topic("B9", "9", ""), "20");
  ASSERT_TRUE(watcher.wait_for(
      [](const std::vector<MqttMessage>& all) {
        return std::any_of(all.begin(), all.end(), [](const MqttMessage& m) {
          return m.topic == "buildings/B9/rooms/9/temperature/average/1m";
        });
      },
      10s));
  EXPECT_EQ(events(), 1u);
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM alarm_events"), 1);
}

// A broker restart: the alarms do not depend on the connection. Nothing is decided again when
// it comes back, and what was decided while it was away — a room falling silent, since no
// reading could come — is published after the reconnect, once, and stored.
TEST(AlarmsBrokerTest, ABrokerRestartDecidesNothingTwiceAndLosesNothing) {
  Postgres pg;
  TempDir dir;
  Broker broker(BrokerOptions{.persistence = true});
  ConfigOptions o;
  o.averages = "  publish_interval: 100ms\n";
  o.extra = alarms(kTooHot, "2s");
  Daemon daemon(default_config(broker, pg, dir, o));
  ASSERT_TRUE(daemon.wait_ready(30s));
  ASSERT_EQ(daemon.poll_get("/v1/alarms", 200, 20s).status, 200);
  // A persistent session: what the daemon publishes while the watcher reconnects waits for it.
  MqttClient watcher(broker.port(), {.client_id = unique_name("watcher"), .clean_session = false});
  watcher.subscribe("roomtemp/events");
  MqttClient sensor(broker.port());
  auto transitions = [&] {
    std::vector<std::string> out;
    for (const auto& m : watcher.messages_on("roomtemp/events")) {
      const json e = json::parse(m.payload);
      out.push_back(e["room"].get<std::string>() + " " + e.value("alarm", "silent") + " " +
                    e["state"].get<std::string>());
    }
    return out;
  };
  sensor.publish(room_topic("B1", "101", ""), "30");
  ASSERT_TRUE(wait_until([&] { return transitions().size() == 1; }, 10s));

  broker.stop();
  // Decided while the broker is away: 101 hears nothing for 2 s.
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse r = daemon.http_get("/v1/alarms");
        return r.status == 200 && json::parse(r.body)["silent_total"] == 1;
      },
      15s))
      << daemon.http_get("/v1/alarms").body;
  broker.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  // After the reconnect: another room past the threshold, whose event comes after every
  // event decided before it.
  sensor.publish(room_topic("B9", "9", ""), "40");
  ASSERT_TRUE(wait_until([&] { return transitions().size() >= 3; }, 30s))
      << ::testing::PrintToString(transitions());
  // (Room 9 falls silent 2 s later: a transition of its own, left out.)
  const auto got = transitions();
  EXPECT_EQ(
      std::vector<std::string>(got.begin(), got.begin() + 3),
      (std::vector<std::string>{"101 too_hot firing", "101 silent silent", "9 too_hot firing"}));
  EXPECT_EQ(std::count(got.begin(), got.end(), "101 too_hot firing"), 1);
  EXPECT_EQ(std::count(got.begin(), got.end(), "101 silent silent"), 1);
  ASSERT_TRUE(wait_until(
      [&] {
        return pg.query_count(
                   "SELECT count(*) FROM alarm_events WHERE alarm = 'too_hot' OR "
                   "room = '101'") == 3;
      },
      15s));
  EXPECT_EQ(
      pg.query("SELECT room, alarm, state FROM alarm_events WHERE alarm = 'too_hot' OR "
               "room = '101' ORDER BY id"),
      (Rows{
          {"101", "too_hot", "firing"}, {"101", "silent", "silent"}, {"9", "too_hot", "firing"}}));
}

}  // namespace
}  // namespace roomtemp::harness
