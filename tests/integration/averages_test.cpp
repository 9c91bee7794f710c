// Rolling averages on retained MQTT topics, with the real roomtempd, mosquitto and
// PostgreSQL:
// - every retained room and building average equals SQL over `readings` in its [from, to)
//   (avg to 1e-9 relative, min/max/count exact) and brute force over what the test published;
//   to − from is the window; retained, QoS 1; late, old, future and duplicate readings;
// - a window that empties publishes count 0 with nulls, once, retained;
// - the daemon never consumes its own output, even under a filter that matches it;
// - a restart keeps the averages (warm start from PostgreSQL), including readings stamped
//   slightly ahead and duplicates redelivered after it.
//
// One PostgreSQL serves the whole file (a fresh database per test); each test has its own
// broker and daemon.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <set>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;

const std::string kRoomAverages = "buildings/+/rooms/+/+/average/+";
const std::string kBuildingAverages = "buildings/+/+/average/+";

/// One reading as the test published it.

/// "10s", "1m", "15m", "1h" in microseconds, read here rather than by the daemon's parser.
std::int64_t window_micros(const std::string& w) {
  const std::int64_t n = std::stoll(w.substr(0, w.size() - 1));
  switch (w.back()) {
    case 's':
      return n * kSecond;
    case 'm':
      return n * kMinute;
    case 'h':
      return n * 60 * kMinute;
    case 'd':
      return n * 24 * 60 * kMinute;
  }
  throw std::runtime_error("bad window " + w);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? p : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

/// What an average topic names.
struct TopicKey {
  std::string building, room, metric, window;  // room empty: the building's
};

std::optional<TopicKey> parse_average_topic(const std::string& topic) {
  const auto l = split(topic, '/');
  if (l.size() == 7 && l[0] == "buildings" && l[2] == "rooms" && l[5] == "average")
    return TopicKey{l[1], l[3], l[4], l[6]};
  if (l.size() == 5 && l[0] == "buildings" && l[3] == "average")
    return TopicKey{l[1], "", l[2], l[4]};
  return std::nullopt;
}

/// Microseconds since the epoch of an RFC 3339 time, as PostgreSQL reads it.
std::int64_t pg_micros(const Postgres& pg, const std::string& db, const json& t) {
  return std::stoll(
      pg.query_value("SELECT (extract(epoch FROM " + time_literal(t) + ") * 1000000)::bigint", db));
}

/// The SQL over [from, to) of a published average.
SqlStats sql_over(const Postgres& pg, const std::string& db, const json& avg) {
  return sql_over(pg, db, avg.at("building").get<std::string>(), avg.value("room", ""),
                  avg.at("metric").get<std::string>(), avg.at("from"), avg.at("to"));
}

/// Brute force over the published (distinct) samples.
struct Brute {
  long long count = 0;
  double sum = 0, min = 0, max = 0;
};

Brute brute_over(const std::vector<Sample>& samples, const std::string& building,
                 const std::string& room, std::int64_t from, std::int64_t to) {
  Brute b;
  for (const auto& s : samples) {
    if (s.building != building || (!room.empty() && s.room != room)) continue;
    if (s.ts < from || s.ts >= to) continue;
    if (b.count == 0) b.min = b.max = s.value;
    b.min = std::min(b.min, s.value);
    b.max = std::max(b.max, s.value);
    b.sum += s.value;
    ++b.count;
  }
  return b;
}

void expect_equals_brute(const json& doc, const Brute& b, const std::string& what) {
  SCOPED_TRACE(what + " (brute force over the published readings) " + doc.dump());
  EXPECT_EQ(doc["count"].get<long long>(), b.count);
  if (b.count == 0 || !doc["avg"].is_number()) return;
  EXPECT_TRUE(close_relative(doc["avg"].get<double>(), b.sum / static_cast<double>(b.count)));
  EXPECT_EQ(doc["min"].get<double>(), b.min);
  EXPECT_EQ(doc["max"].get<double>(), b.max);
}

/// The newest message on each topic.
std::map<std::string, MqttMessage> latest_by_topic(const std::vector<MqttMessage>& messages) {
  std::map<std::string, MqttMessage> out;
  for (const auto& m : messages) out[m.topic] = m;
  return out;
}

std::size_t distinct_topics(const std::vector<MqttMessage>& messages, bool retained_only) {
  std::set<std::string> t;
  for (const auto& m : messages)
    if (!retained_only || m.retain) t.insert(m.topic);
  return t.size();
}

/// A subscriber to every average topic (room and building).
std::unique_ptr<MqttClient> average_watcher(const Broker& broker) {
  auto c = std::make_unique<MqttClient>(broker.port());
  c->subscribe(kRoomAverages, 1);
  c->subscribe(kBuildingAverages, 1);
  return c;
}

class AveragesTest : public DaemonTest {
 protected:
  /// roomtempd with a 200ms publish tick unless `options.averages` says otherwise.
  void start_daemon(ConfigOptions options = {}) {
    if (options.averages.empty())
      options.averages = "  windows: [1m, 15m, 1h]\n  publish_interval: 200ms\n";
    DaemonTest::start_daemon("averages", std::move(options));
  }

  /// Publishes `samples` (QoS 1), waits until PostgreSQL has them, then stops roomtempd
  /// cleanly and starts it again.
  void publish_stored_then_restart(MqttClient& sensor, const std::vector<Sample>& samples) {
    for (const auto& s : samples) {
      const auto p = publication(s);
      sensor.publish(p.topic, p.payload, 1);
    }
    ASSERT_NO_FATAL_FAILURE(wait_rows(static_cast<long long>(samples.size())));
    const auto stopped = daemon_->restart();
    ASSERT_TRUE(stopped && *stopped == 0);
    ASSERT_TRUE(daemon_->wait_ready(30s));
  }

  /// True when a subscriber arriving now gets a retained message on each of the `topics` topics
  /// that `filters` match, each counting what SQL counts over its own [from, to): the publish
  /// tick after the last reading (or the republish after a late one) has reached the broker.
  /// A message published before a reading of its range was added fails this until then.
  bool retained_are_current(const std::vector<std::string>& filters, std::size_t topics) {
    MqttClient c(broker_.port());
    for (const auto& f : filters) c.subscribe(f, 1);
    if (!c.wait_for([&](const auto& ms) { return distinct_topics(ms, true) >= topics; }, 5s))
      return false;
    std::set<std::string> seen;
    for (const auto& m : c.messages()) {
      if (!m.retain || !seen.insert(m.topic).second) continue;
      const json doc = json::parse(m.payload, nullptr, false);
      if (!doc.is_object() || !doc.contains("count") || !doc["count"].is_number_integer())
        return false;
      if (doc["count"].get<long long>() != sql_over(*pg_, db_, doc).count) return false;
    }
    return true;
  }

  /// Every check the README's "Topics and payloads" makes of one average message: topic ↔ body,
  /// retained QoS 1 (when `retained`), to − from = window, numbers = SQL over [from, to).
  /// `partial`: published while the readings it covers were still arriving (a publish tick
  /// between two of them), so it counts fewer of them than SQL does in the end.
  void check_message(const MqttMessage& m, bool retained,
                     const std::vector<Sample>* samples = nullptr, bool partial = false) {
    SCOPED_TRACE(m.topic + " " + m.payload);
    const auto key = parse_average_topic(m.topic);
    ASSERT_TRUE(key) << "not an average topic";
    const json doc = json::parse(m.payload, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << "not JSON";
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(m.qos, 1);
    if (retained) {
      EXPECT_TRUE(m.retain) << "not retained";
    }
    EXPECT_EQ(doc.value("building", ""), key->building);
    EXPECT_EQ(doc.value("metric", ""), key->metric);
    EXPECT_EQ(doc.value("window", ""), key->window);
    if (key->room.empty()) {
      EXPECT_FALSE(doc.contains("room")) << "a building average has no room key";
    } else {
      EXPECT_EQ(doc.value("room", ""), key->room);
    }
    for (const char* k : {"avg", "min", "max", "count", "from", "to"})
      ASSERT_TRUE(doc.contains(k)) << "missing " << k;
    const std::int64_t from = pg_micros(*pg_, db_, doc["from"]);
    const std::int64_t to = pg_micros(*pg_, db_, doc["to"]);
    EXPECT_EQ(to - from, window_micros(key->window)) << "to - from is not the window";
    if (partial) {
      ASSERT_TRUE(doc["count"].is_number_integer());
      EXPECT_GE(doc["count"].get<long long>(), 1);
      EXPECT_LT(doc["count"].get<long long>(), sql_over(*pg_, db_, doc).count);
      return;
    }
    expect_equals_sql(doc, sql_over(*pg_, db_, doc), "SQL");
    if (samples)
      expect_equals_brute(doc, brute_over(*samples, key->building, key->room, from, to), "");
  }

  /// The messages of a stream that saw `samples` arrive: the last on each topic equals SQL and
  /// the samples over its [from, to). One before it may have been published while they were
  /// still arriving (a publish tick between two of them, on a loaded machine): it then counts
  /// fewer than SQL, and is checked as partial.
  void check_stream(const std::vector<MqttMessage>& messages, const std::vector<Sample>& samples) {
    std::map<std::string, std::size_t> last;
    for (std::size_t i = 0; i < messages.size(); ++i) last[messages[i].topic] = i;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      bool partial = false;
      if (i != last[messages[i].topic]) {
        const json doc = json::parse(messages[i].payload, nullptr, false);
        partial = doc.is_object() && doc["count"].is_number_integer() &&
                  doc["count"].get<long long>() < sql_over(*pg_, db_, doc).count;
      }
      check_message(messages[i], false, &samples, partial);
    }
  }
};

/// Readings for `rooms` over the last ~50 minutes, a few in the last 20 seconds, in whole
/// milliseconds with two decimals so that SQL and JSON print the same doubles.
std::vector<Sample> make_samples(const std::vector<std::pair<std::string, std::string>>& rooms,
                                 std::int64_t now, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> out;
  int n = 0;
  for (const auto& [b, r] : rooms) {
    ++n;
    auto value = [&] { return 15.0 + static_cast<double>(rng() % 1500) / 100.0; };
    auto sensor = [&](int i) -> std::optional<std::string> {
      if (i % 3 == 0) return std::nullopt;
      return "s" + std::to_string(i % 3);
    };
    for (int i = 0; i < 40; ++i)
      out.push_back({b, r,
                     now - 25 * kSecond - i * 73 * kSecond - n * 1000 -
                         static_cast<std::int64_t>(rng() % 997) * 1000,
                     value(), sensor(i)});
    for (int i : {3, 9, 17})
      out.push_back({b, r, now - i * kSecond - n * 1000, value(), sensor(i)});
  }
  return out;
}

// Late, old, future and duplicate readings: every retained message (room and
// building, every window) equals SQL over its [from, to) and brute force over what was sent.
TEST_F(AveragesTest, RetainedAveragesEqualSqlOverTheirRange) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::vector<std::pair<std::string, std::string>> rooms = {
      {"B1", "101"}, {"B1", "102"}, {"B1", "103"}, {"B2", "201"}, {"B2", "202"}, {"B2", "203"}};
  const std::int64_t now = now_micros() / 1000 * 1000;
  std::vector<Sample> samples = make_samples(rooms, now, 7);
  // Older than every window: stored, but moves no average.
  samples.push_back({"B1", "101", now - 2 * 60 * kMinute, 99.5, std::string("old")});
  // Four seconds ahead (within max_future_skew): counts once the clock reaches its bucket.
  samples.push_back({"B2", "201", now + 4 * kSecond, 29.75, std::string("ahead")});

  // Sent in random order, so many arrive after later-stamped ones (late readings), and ten of
  // them twice (a QoS 1 redelivery: same building, room, metric, sensor and timestamp).
  std::vector<Publication> batch;
  for (const auto& s : samples) batch.push_back(publication(s));
  std::mt19937_64 rng(11);
  for (int i = 0; i < 10; ++i) batch.push_back(batch[rng() % samples.size()]);
  std::shuffle(batch.begin(), batch.end(), rng);

  MqttClient sensor(broker_.port());
  sensor.publish_many(batch, 1);
  ASSERT_NO_FATAL_FAILURE(wait_rows(static_cast<long long>(samples.size())));
  // One retained message per topic: 6 rooms + 2 buildings, 3 windows each (every room has
  // readings in the last minute). The publish tick (200ms) catches up with the last readings.
  const std::size_t topics = (rooms.size() + 2) * 3;
  ASSERT_TRUE(wait_until(
      [&] {
        return retained_are_current({kRoomAverages, kBuildingAverages}, topics);
      },
      15s, 100ms))
      << "the retained averages never came to count what SQL counts over their ranges";

  // A subscriber arriving now gets one retained message per topic.
  auto watcher = average_watcher(broker_);
  ASSERT_TRUE(
      watcher->wait_for([&](const auto& ms) { return distinct_topics(ms, true) >= topics; }, 10s))
      << "retained average topics: " << distinct_topics(watcher->messages(), true) << " of "
      << topics;
  const auto messages = watcher->messages();
  EXPECT_EQ(distinct_topics(messages, true), topics);
  std::set<std::string> seen;
  for (const auto& m : messages) {
    // Retained ones come first; newer ones published meanwhile must be exact too.
    check_message(m, m.retain, &samples);
    if (m.retain) {
      EXPECT_TRUE(seen.insert(m.topic).second) << "two retained messages on " << m.topic;
    }
  }
  for (const auto& [b, r] : rooms)
    for (const char* w : {"1m", "15m", "1h"}) {
      EXPECT_TRUE(seen.count("buildings/" + b + "/rooms/" + r + "/temperature/average/" + w))
          << b << "/" << r << " " << w;
      EXPECT_TRUE(seen.count("buildings/" + b + "/temperature/average/" + w)) << b << " " << w;
    }

  // The 1h windows hold every reading but the two-hour-old one (the future one once reached):
  // known without the daemon's help.
  const auto latest = latest_by_topic(watcher->messages());
  for (const auto& [b, r] : rooms) {
    const json doc = json::parse(
        latest.at("buildings/" + b + "/rooms/" + r + "/temperature/average/1h").payload);
    long long expected = 0;
    for (const auto& s : samples)
      if (s.building == b && s.room == r && s.ts > now - 60 * kMinute) ++expected;
    if (b == "B2" && r == "201" && pg_micros(*pg_, db_, doc["to"]) <= now + 4 * kSecond) --expected;
    EXPECT_EQ(doc["count"].get<long long>(), expected) << b << "/" << r;
  }
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 0);

  // The reading stamped ahead joins the windows when its time comes: wait past it and check
  // the retained numbers again.
  while (now_micros() < now + 7 * kSecond) std::this_thread::sleep_for(100ms);
  std::this_thread::sleep_for(1s);
  MqttClient again(broker_.port());
  again.subscribe("buildings/B2/rooms/201/temperature/average/+", 1);
  again.subscribe("buildings/B2/temperature/average/+", 1);
  ASSERT_TRUE(again.wait_for([](const auto& ms) { return distinct_topics(ms, true) >= 6; }, 10s));
  for (const auto& m : again.messages()) check_message(m, m.retain, &samples);
  const auto now_latest = latest_by_topic(again.messages());
  const json hour =
      json::parse(now_latest.at("buildings/B2/rooms/201/temperature/average/1h").payload);
  EXPECT_EQ(hour["count"].get<long long>(), 43 + 1) << "the reading stamped ahead counts now";
  EXPECT_EQ(hour["max"].get<double>(),
            std::max(29.75, brute_over(samples, "B2", "201", now - 50 * kMinute, now).max));
}

// Item 3: a window that slides past its readings publishes count 0 with null avg/min/max,
// exactly once, and that is what stays retained.
TEST_F(AveragesTest, AnEmptiedWindowPublishesCountZeroWithNullsOnce) {
  // Two short windows: 12s divides into 30 equal buckets, 10s does not (to − from must still
  // be exactly 10 s).
  ASSERT_NO_FATAL_FAILURE(
      start_daemon({.averages = "  windows: [10s, 12s]\n  publish_interval: 200ms\n"}));
  auto watcher = average_watcher(broker_);
  const std::int64_t ts = now_micros() / 1000 * 1000 - kSecond;
  std::vector<Sample> samples = {{"B1", "101", ts, 20.0, std::string("a")},
                                 {"B1", "101", ts, 21.0, std::string("b")},
                                 {"B1", "101", ts, 22.5, std::string("c")}};
  const std::vector<std::string> topics = {
      "buildings/B1/rooms/101/temperature/average/10s", "buildings/B1/temperature/average/10s",
      "buildings/B1/rooms/101/temperature/average/12s", "buildings/B1/temperature/average/12s"};
  auto counts_on = [&](const std::string& topic) {
    std::vector<long long> out;
    for (const auto& m : watcher->messages_on(topic))
      out.push_back(json::parse(m.payload)["count"].get<long long>());
    return out;
  };
  auto saw = [&](long long n) {
    return std::all_of(topics.begin(), topics.end(), [&](const std::string& t) {
      const auto c = counts_on(t);
      return std::find(c.begin(), c.end(), n) != c.end();
    });
  };
  // The first reading alone until it is published, then the other two: every topic shows a
  // message that counts part of what its range will hold (check_stream's partial case).
  MqttClient sensor(broker_.port());
  sensor.publish_many({publication(samples[0])}, 1);
  ASSERT_TRUE(wait_until([&] { return saw(1); }, 10s)) << "no count 1 on every topic";
  sensor.publish_many({publication(samples[1]), publication(samples[2])}, 1);
  ASSERT_NO_FATAL_FAILURE(wait_rows(3));
  ASSERT_TRUE(wait_until([&] { return saw(3); }, 10s)) << "no count 3 on every topic";
  ASSERT_TRUE(wait_until([&] { return saw(0); }, 25s)) << "the windows never emptied";
  std::this_thread::sleep_for(1500ms);  // several publish ticks: an empty window is not repeated

  for (const auto& t : topics) {
    SCOPED_TRACE(t);
    const auto c = counts_on(t);
    ASSERT_FALSE(c.empty());
    EXPECT_EQ(c.back(), 0) << "the last message is the empty window";
    EXPECT_EQ(std::count(c.begin(), c.end(), 0), 1)
        << "count 0 is published once: " << ::testing::PrintToString(c);
    EXPECT_EQ(*std::max_element(c.begin(), c.end()), 3);
    check_stream(watcher->messages_on(t), samples);
    const json last = json::parse(watcher->messages_on(t).back().payload);
    EXPECT_TRUE(last["avg"].is_null());
    EXPECT_TRUE(last["min"].is_null());
    EXPECT_TRUE(last["max"].is_null());
    EXPECT_EQ(last["count"], 0);
  }
  // A newcomer gets the empty window, retained.
  auto late = average_watcher(broker_);
  ASSERT_TRUE(late->wait_for([&](const auto& ms) { return distinct_topics(ms, true) >= 4; }, 10s));
  for (const auto& m : late->messages()) {
    check_message(m, true, &samples);
    EXPECT_EQ(json::parse(m.payload)["count"], 0) << m.topic;
  }
}

// Item 4: subscribed to everything under buildings/ and roomtemp/, the daemon sees its own
// averages and rejections and must treat none of them as input.
TEST_F(AveragesTest, TheDaemonNeverConsumesItsOwnOutput) {
  ASSERT_NO_FATAL_FAILURE(start_daemon({.subscriptions = {"buildings/#", "roomtemp/#"}}));
  auto watcher = average_watcher(broker_);
  MqttClient rejected(broker_.port());
  rejected.subscribe("roomtemp/rejected", 1);
  const std::int64_t now = now_micros() / 1000 * 1000;
  const std::vector<Sample> samples = {{"B1", "101", now - 5 * kSecond, 21.5, std::nullopt},
                                       {"B1", "102", now - 6 * kSecond, 22.5, std::nullopt},
                                       {"B2", "201", now - 7 * kSecond, 23.5, std::nullopt}};
  MqttClient sensor(broker_.port());
  for (const auto& s : samples) {
    const auto p = publication(s);
    sensor.publish(p.topic, p.payload, 1);
  }
  sensor.publish("buildings/B1/rooms/101/temperature", "not a number", 1);  // one rejection
  ASSERT_NO_FATAL_FAILURE(wait_rows(3));
  // (3 rooms + 2 buildings) × 3 windows, and the rejection echoed on roomtemp/rejected.
  ASSERT_TRUE(
      watcher->wait_for([](const auto& ms) { return distinct_topics(ms, false) >= 15; }, 10s));
  ASSERT_TRUE(rejected.wait_for([](const auto& ms) { return !ms.empty(); }, 10s));
  // Several publish ticks, during which any feedback would show up.
  std::this_thread::sleep_for(2s);

  EXPECT_EQ(count("SELECT count(*) FROM readings"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM readings WHERE room = 'average' OR metric = 'average' "
                  "OR room NOT IN ('101', '102', '201')"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings"), 1)
      << "rejected: "
      << ::testing::PrintToString(
             pg_->query("SELECT topic, reason FROM rejected_readings ORDER BY received_at", db_));
  EXPECT_EQ(count("SELECT count(*) FROM rejected_readings WHERE topic LIKE '%/average/%' "
                  "OR topic LIKE 'roomtemp/%'"),
            0);
  // Received counts sensor input only: 3 readings and 1 bad message.
  const HttpResponse metrics = daemon_->http_get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics.body, m,
                                std::regex(R"(\nroomtemp_readings_received_total (\d+))")));
  EXPECT_EQ(m[1], "4") << "the daemon counted its own output as received";
  // The averages still say exactly what the three readings say.
  check_stream(watcher->messages(), samples);
  EXPECT_EQ(rejected.messages().size(), 1u);
}

// Item 5: after SIGTERM and a start, the live 15m numbers are what they were (windows warmed
// from PostgreSQL), over REST and on the retained topics.
TEST_F(AveragesTest, ARestartKeepsTheAverages) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::vector<std::pair<std::string, std::string>> rooms = {
      {"B1", "101"}, {"B1", "102"}, {"B2", "201"}};
  const std::int64_t now = now_micros() / 1000 * 1000;
  // Two to ten minutes old: inside every 15m window of the next five minutes.
  std::vector<Sample> samples;
  std::mt19937_64 rng(5);
  for (const auto& [b, r] : rooms)
    for (int i = 0; i < 25; ++i)
      samples.push_back(
          {b, r,
           now - 2 * kMinute - i * 19 * kSecond - static_cast<std::int64_t>(rng() % 1000) * 1000,
           15.0 + static_cast<double>(rng() % 1500) / 100.0,
           std::string("s") + std::to_string(i % 2)});
  std::vector<Publication> batch;
  for (const auto& s : samples) batch.push_back(publication(s));
  MqttClient sensor(broker_.port());
  sensor.publish_many(batch, 1);
  ASSERT_NO_FATAL_FAILURE(wait_rows(static_cast<long long>(samples.size())));

  std::vector<std::string> keys;  // REST paths
  std::vector<std::string> topics;
  for (const auto& [b, r] : rooms) {
    keys.push_back("/v1/buildings/" + b + "/rooms/" + r + "/temperature/average?window=15m");
    topics.push_back("buildings/" + b + "/rooms/" + r + "/temperature/average/15m");
  }
  for (const std::string b : {"B1", "B2"}) {
    keys.push_back("/v1/buildings/" + b + "/temperature/average?window=15m");
    topics.push_back("buildings/" + b + "/temperature/average/15m");
  }
  // Before: the retained 15m numbers, once they cover every reading.
  // (No 1m averages: no reading is that recent, so 5 series × 2 windows are retained.)
  std::map<std::string, json> before;
  ASSERT_TRUE(wait_until(
      [&] {
        auto w = average_watcher(broker_);
        if (!w->wait_for([&](const auto& ms) { return distinct_topics(ms, true) >= 10; }, 3s))
          return false;
        const auto latest = latest_by_topic(w->messages());
        before.clear();
        long long total = 0;
        for (const auto& t : topics) {
          if (!latest.count(t)) return false;
          before[t] = json::parse(latest.at(t).payload);
          if (t.find("/rooms/") != std::string::npos) total += before[t]["count"].get<long long>();
        }
        return total == static_cast<long long>(samples.size());
      },
      20s))
      << "the retained 15m averages never covered every reading";
  for (const auto& [t, doc] : before) check_message({t, doc.dump(), 1, true}, true, &samples);

  auto watcher = average_watcher(broker_);
  ASSERT_TRUE(
      watcher->wait_for([&](const auto& ms) { return distinct_topics(ms, true) >= 10; }, 10s));
  const std::size_t before_restart = watcher->messages().size();
  const auto stopped = daemon_->restart();
  ASSERT_TRUE(stopped.has_value()) << "SIGTERM did not stop it";
  EXPECT_EQ(*stopped, 0);
  ASSERT_TRUE(daemon_->wait_ready(30s));
  ASSERT_TRUE(wait_until([&] { return daemon_->http_get(keys[0]).status == 200; }, 10s));

  for (std::size_t i = 0; i < keys.size(); ++i) {
    SCOPED_TRACE(keys[i]);
    const HttpResponse res = daemon_->http_get(keys[i]);
    ASSERT_EQ(res.status, 200) << res.body;
    const json now_doc = json::parse(res.body);
    const json& old = before.at(topics[i]);
    // The window may have moved on by a bucket or two (30 s each); the numbers may not.
    EXPECT_EQ(now_doc["count"], old["count"]);
    EXPECT_TRUE(close_relative(now_doc["avg"].get<double>(), old["avg"].get<double>()));
    EXPECT_EQ(now_doc["min"], old["min"]);
    EXPECT_EQ(now_doc["max"], old["max"]);
    expect_equals_sql(now_doc, sql_over(*pg_, db_, now_doc),
                      "after restart, SQL over the new range");
  }
  // And the restarted daemon publishes them again, the same numbers.
  ASSERT_TRUE(watcher->wait_for(
      [&](const auto& ms) {
        std::set<std::string> t;
        for (std::size_t i = before_restart; i < ms.size(); ++i) t.insert(ms[i].topic);
        return std::all_of(topics.begin(), topics.end(),
                           [&](const auto& x) { return t.count(x) > 0; });
      },
      10s))
      << "no averages published after the restart";
  const auto after = latest_by_topic(watcher->messages());
  for (const auto& t : topics) {
    const json doc = json::parse(after.at(t).payload);
    EXPECT_EQ(doc["count"], before.at(t)["count"]) << t;
    EXPECT_EQ(doc["min"], before.at(t)["min"]) << t;
    EXPECT_EQ(doc["max"], before.at(t)["max"]) << t;
    check_message(after.at(t), false, &samples);
  }
}

// A reading stamped a little ahead (allowed up to max_future_skew) is stored at once and joins
// the live windows when the clock reaches it. Across a restart in between, the warm start must
// not lose it: afterwards every average still equals SQL over its [from, to).
TEST_F(AveragesTest, AReadingStampedAheadStillCountsAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::int64_t now = now_micros() / 1000 * 1000;
  const std::vector<Sample> samples = {{"B1", "101", now - 5 * kSecond, 20.0, std::nullopt},
                                       {"B1", "101", now + 12 * kSecond, 30.0, std::nullopt}};
  MqttClient sensor(broker_.port());
  ASSERT_NO_FATAL_FAILURE(publish_stored_then_restart(sensor, samples));
  // Past the reading's 2 s bucket of the 1m window, then the publish tick after that (the live
  // answers are what the tick last computed).
  while (now_micros() < now + 15 * kSecond) std::this_thread::sleep_for(100ms);
  const std::vector<std::string> paths = {"/v1/buildings/B1/rooms/101/temperature/average?window=",
                                          "/v1/buildings/B1/temperature/average?window="};
  EXPECT_TRUE(wait_until(
      [&] {
        for (const std::string w : {"1m", "15m", "1h"})
          for (const auto& path : paths) {
            const json doc = json::parse(daemon_->http_get(path + w).body, nullptr, false);
            if (!doc.is_object() || doc.value("count", -1) != 2) return false;
          }
        return true;
      },
      10s, 100ms))
      << "not every live window counts both readings";

  for (const std::string w : {"1m", "15m", "1h"}) {
    for (const std::string& path : {"/v1/buildings/B1/rooms/101/temperature/average?window=" + w,
                                    "/v1/buildings/B1/temperature/average?window=" + w}) {
      SCOPED_TRACE(path);
      const HttpResponse res = daemon_->http_get(path);
      ASSERT_EQ(res.status, 200) << res.body;
      const json doc = json::parse(res.body);
      // Both readings are now between 3 and 25 seconds old: inside every window (≥ 1m) that
      // covers the present, whatever its bucket edges.
      EXPECT_EQ(doc["count"], 2) << "the reading stamped ahead was lost by the restart";
      EXPECT_EQ(doc["min"], 20.0);
      EXPECT_EQ(doc["max"], 30.0);
      // Whatever it says is exact over the range it names.
      expect_equals_sql(doc, sql_over(*pg_, db_, doc), "after restart");
    }
  }
  auto watcher = average_watcher(broker_);
  ASSERT_TRUE(
      watcher->wait_for([](const auto& ms) { return distinct_topics(ms, true) >= 6; }, 10s));
  for (const auto& m : watcher->messages()) check_message(m, m.retain, &samples);
}

// The README's "Topics and payloads": every published message is exact over its [from, to), and it
// stays retained (and is the REST live answer) until the numbers change. A late reading whose
// timestamp lies inside that published range, but before the start of the window as it is now, is
// stored yet moves no live window: the retained message must not then disagree with SQL over its
// own range.
TEST_F(AveragesTest, ALateReadingInsideTheRetainedRangeKeepsTheRetainedMessageExact) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string topic = "buildings/B1/rooms/101/temperature/average/1m";
  auto watcher = average_watcher(broker_);
  const std::int64_t t0 = now_micros() / 1000 * 1000;
  std::vector<Sample> samples = {{"B1", "101", t0 - 1 * kSecond, 20.0, std::nullopt}};
  MqttClient sensor(broker_.port());
  sensor.publish(publication(samples[0]).topic, publication(samples[0]).payload, 1);
  ASSERT_TRUE(watcher->wait_for(
      [&](const auto& ms) {
        return std::any_of(ms.begin(), ms.end(),
                           [&](const MqttMessage& m) { return m.topic == topic; });
      },
      10s));
  const json first = json::parse(watcher->messages_on(topic).front().payload);
  ASSERT_EQ(first["count"], 1);
  const std::int64_t from = pg_micros(*pg_, db_, first["from"]);
  // Ten seconds on, the 1m window starts well after `from` but still holds the reading at t0-1s,
  // so its numbers (and the retained message) do not change.
  while (now_micros() < t0 + 10 * kSecond) std::this_thread::sleep_for(100ms);
  // A sensor's backlog: stamped 2 s after the retained message's `from`.
  samples.push_back({"B1", "101", from + 2 * kSecond, 25.0, std::nullopt});
  sensor.publish(publication(samples[1]).topic, publication(samples[1]).payload, 1);
  ASSERT_NO_FATAL_FAILURE(wait_rows(2));
  // The tick that republishes it (the late reading lies in its range) reaches the broker.
  EXPECT_TRUE(wait_until([&] { return retained_are_current({topic}, 1); }, 10s, 100ms))
      << "the retained message disagrees with SQL over its range";

  MqttClient late(broker_.port());
  late.subscribe(topic, 1);
  ASSERT_TRUE(late.wait_for([](const auto& ms) { return !ms.empty(); }, 10s));
  const MqttMessage retained = late.messages().front();
  check_message(retained, true, &samples);
  const HttpResponse live =
      daemon_->http_get("/v1/buildings/B1/rooms/101/temperature/average?window=1m");
  ASSERT_EQ(live.status, 200);
  const json doc = json::parse(live.body);
  expect_equals_sql(doc, sql_over(*pg_, db_, doc), "REST live 1m");
}

// The README's "Topics and payloads": a copy of a reading (same building, room, metric, sensor_id
// and timestamp) that arrives within dedupe_horizon of the first counts once; PostgreSQL stores it
// once. A restart in between must not make the live windows count it twice.
TEST_F(AveragesTest, ADuplicateRedeliveredAfterARestartCountsOnce) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::int64_t now = now_micros() / 1000 * 1000;
  const Sample s{"B1", "101", now - 3 * kMinute, 21.25, std::string("s1")};
  const Sample other{"B1", "101", now - 4 * kMinute, 19.5, std::string("s1")};
  // Stamped before the 1h window began: a copy of it would change no window.
  const Sample old{"B1", "101", now - 2 * 60 * kMinute, 18.0, std::string("s1")};
  MqttClient sensor(broker_.port());
  ASSERT_NO_FATAL_FAILURE(publish_stored_then_restart(sensor, {s, other, old}));
  // Only the two a window holds are remembered (the start-up query reads no older partition).
  EXPECT_NE(daemon_->log().find(" 2 remembered for dedupe"), std::string::npos) << daemon_->log();
  // The sensor (or the broker, for an unacknowledged QoS 1 message) sends it again.
  const auto p = publication(s);
  sensor.publish(p.topic, p.payload, 1);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = daemon_->http_get("/metrics");
        return r.body.find("\nroomtemp_readings_received_total 1\n") != std::string::npos;
      },
      10s));
  std::this_thread::sleep_for(1s);  // written (ON CONFLICT: once) and a few publish ticks
  EXPECT_EQ(count("SELECT count(*) FROM readings"), 3);
  for (const std::string& path :
       {std::string("/v1/buildings/B1/rooms/101/temperature/average?window=15m"),
        std::string("/v1/buildings/B1/temperature/average?window=1h")}) {
    SCOPED_TRACE(path);
    const HttpResponse res = daemon_->http_get(path);
    ASSERT_EQ(res.status, 200) << res.body;
    const json doc = json::parse(res.body);
    EXPECT_EQ(doc["count"], 2) << "the copy was counted again";
    expect_equals_sql(doc, sql_over(*pg_, db_, doc), "after the redelivery");
  }
}

}  // namespace
}  // namespace roomtemp::harness
