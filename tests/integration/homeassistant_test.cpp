// Home Assistant discovery and roomtemp/status (README "Home Assistant") on the real roomtempd,
// broker and PostgreSQL: what a Home Assistant instance subscribing to its discovery prefix
// would read (retained configs with the documented fields, pointing at retained averages),
// availability (online; offline by the last will on SIGKILL and on a clean stop), removals after
// a reload and when discovery is turned off, the re-announcement on Home Assistant's birth
// message, stale configs of an earlier run, and what 1,000 rooms cost.
//
// Every wait is for something the daemon publishes; "Home Assistant" is a fresh client that
// subscribes to the prefix, so it sees exactly what the broker retains.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;

const std::string kDiscoveryOn = "homeassistant:\n  discovery: true\n";
const std::string kRule =
    "alarms:\n  - {name: too_hot, metric: temperature, above: 28, clear: 27, window: 1m}\n";
const std::string kSilence = "silence:\n  after: 15m\n";

/// What the broker retains under a filter: a fresh client subscribes, and waits until the
/// retained copies stopped coming (200 ms without a new one); empty ones are removals, which the
/// broker does not retain.
std::map<std::string, std::string> retained(int port, const std::string& filter) {
  MqttClient ha(port);
  ha.subscribe(filter);
  std::size_t seen = 0;
  for (int quiet = 0; quiet < 4;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::size_t now = ha.messages().size();
    quiet = now == seen ? quiet + 1 : 0;
    seen = now;
  }
  std::map<std::string, std::string> out;
  for (const auto& m : ha.messages())
    if (m.retain) out[m.topic] = m.payload;
  return out;
}

/// user + system CPU seconds of a process so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

class HomeAssistantTest : public DaemonTest {
 protected:
  void start(const std::string& extra, const std::string& db_prefix = "ha") {
    ConfigOptions o;
    o.averages = "  publish_interval: 100ms\n";
    o.extra = extra;
    start_daemon(db_prefix, o);
    if (HasFatalFailure()) return;
    watcher_ = std::make_unique<MqttClient>(broker_.port());
    watcher_->subscribe("homeassistant/#");
    watcher_->subscribe("roomtemp/status");
    sensor_ = std::make_unique<MqttClient>(broker_.port());
  }

  /// The configs Home Assistant would read now, waiting until there are `n` of them.
  std::map<std::string, std::string> wait_configs(
      std::size_t n, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    std::map<std::string, std::string> now;
    wait_until(
        [&] {
          now = retained(broker_.port(), "homeassistant/+/roomtemp/+/config");
          return now.size() == n;
        },
        timeout, std::chrono::milliseconds(100));
    return now;
  }

  /// The last payload on roomtemp/status the watcher got ("" when none).
  std::string status() const {
    const auto m = watcher_->messages_on("roomtemp/status");
    return m.empty() ? "" : m.back().payload;
  }
  bool wait_status(const std::string& want) {
    return wait_until([&] { return status() == want; }, std::chrono::seconds(15));
  }

  /// The removals (empty retained messages) the watcher saw on config topics.
  std::set<std::string> removals() const {
    std::set<std::string> out;
    for (const auto& m : watcher_->messages_on("homeassistant/+/roomtemp/+/config"))
      if (m.payload.empty()) out.insert(m.topic);
    return out;
  }

  void reload(const std::string& extra) {
    const std::string before = read_file(daemon_->config_path());
    daemon_->write_config(before.substr(0, before.find("homeassistant:")) + extra);
    daemon_->signal(SIGHUP);
  }

  std::unique_ptr<MqttClient> watcher_;
  std::unique_ptr<MqttClient> sensor_;
};

const std::string kAvg15 = "homeassistant/sensor/roomtemp/avg_B1_101_temperature_15m/config";
const std::string kAlarm =
    "homeassistant/binary_sensor/roomtemp/alarm_B1_101_temperature_too_hot/config";
const std::string kStatus = "homeassistant/binary_sensor/roomtemp/status_B1_101_temperature/config";
const std::string kBuilding1m = "homeassistant/sensor/roomtemp/bavg_B1_temperature_1m/config";

// A reading makes its room and building appear: a sensor per window for each, an alarm per rule
// and a connectivity sensor for the room, retained, with the fields the README documents, their
// state topics holding what the value templates read.
TEST_F(HomeAssistantTest, ConfigsHomeAssistantReadsAppearAfterReadings) {
  start(kDiscoveryOn + kRule + kSilence);
  ASSERT_TRUE(wait_status("online"));
  sensor_->publish("buildings/B1/rooms/101/temperature", "22.5");
  const auto configs = wait_configs(3 + 3 + 1 + 1);
  ASSERT_EQ(configs.size(), 8u) << ::testing::PrintToString(configs);
  ASSERT_TRUE(configs.count(kAvg15) && configs.count(kAlarm) && configs.count(kStatus) &&
              configs.count(kBuilding1m));
  const json avg = json::parse(configs.at(kAvg15));
  EXPECT_EQ(avg["unique_id"], "roomtemp_avg_B1_101_temperature_15m");
  EXPECT_EQ(avg["state_topic"], "buildings/B1/rooms/101/temperature/average/15m");
  EXPECT_EQ(avg["value_template"], "{{ value_json.avg }}");
  EXPECT_EQ(avg["unit_of_measurement"], "°C");
  EXPECT_EQ(avg["device_class"], "temperature");
  EXPECT_EQ(avg["state_class"], "measurement");
  EXPECT_EQ(avg["availability_topic"], "roomtemp/status");
  EXPECT_EQ(avg["payload_available"], "online");
  EXPECT_EQ(avg["payload_not_available"], "offline");
  EXPECT_EQ(avg["device"]["identifiers"], json::array({"roomtemp_room_B1_101"}));
  EXPECT_EQ(avg["device"]["via_device"], "roomtemp_building_B1");
  EXPECT_EQ(avg["origin"]["name"], "roomtemp");
  const json building = json::parse(configs.at(kBuilding1m));
  EXPECT_EQ(building["device"]["identifiers"], json::array({"roomtemp_building_B1"}))
      << "the room's via_device is a device that exists";
  // What the value template reads is there, retained.
  const auto state = retained(broker_.port(), avg["state_topic"].get<std::string>());
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(json::parse(state.begin()->second)["avg"], 22.5);
  const json alarm = json::parse(configs.at(kAlarm));
  EXPECT_EQ(alarm["device_class"], "problem");
  EXPECT_EQ(alarm["payload_on"], "firing");
  EXPECT_EQ(alarm["payload_off"], "ok");
  const auto alarm_state = retained(broker_.port(), alarm["state_topic"].get<std::string>());
  ASSERT_EQ(alarm_state.size(), 1u);
  EXPECT_EQ(json::parse(alarm_state.begin()->second)["state"], "ok");
  const json connectivity = json::parse(configs.at(kStatus));
  EXPECT_EQ(connectivity["device_class"], "connectivity");
  EXPECT_EQ(connectivity["payload_on"], "reporting");
  EXPECT_EQ(connectivity["payload_off"], "silent");
  const auto status_state =
      retained(broker_.port(), connectivity["state_topic"].get<std::string>());
  ASSERT_EQ(status_state.size(), 1u);
  EXPECT_EQ(json::parse(status_state.begin()->second)["state"], "reporting");
  EXPECT_TRUE(wait_until([&] { return daemon_->metric("roomtemp_discovery_entities") == 8; },
                         std::chrono::seconds(5)));
  EXPECT_GE(daemon_->metric("roomtemp_discovery_configs_published_total"), 8);
  EXPECT_EQ(daemon_->metric("roomtemp_discovery_pending_series"), 0);
  // Another room of the same building adds its own five, the building's stay.
  sensor_->publish("buildings/B1/rooms/102/temperature", "21");
  EXPECT_EQ(wait_configs(13).size(), 13u);
}

// roomtemp/status: retained online while connected; offline by the last will when the process
// is killed, and offline on a clean stop.
TEST_F(HomeAssistantTest, StatusIsOnlineThenOfflineOnSigkillAndOnSigterm) {
  start("");  // with discovery off too
  ASSERT_TRUE(wait_status("online"));
  EXPECT_EQ(retained(broker_.port(), "roomtemp/status").at("roomtemp/status"), "online");
  daemon_->kill();
  ASSERT_TRUE(wait_status("offline")) << "the last will did not say offline after SIGKILL";
  EXPECT_EQ(retained(broker_.port(), "roomtemp/status").at("roomtemp/status"), "offline");
  daemon_->start();
  ASSERT_TRUE(wait_status("online"));
  daemon_->terminate();
  ASSERT_EQ(daemon_->wait_exit(std::chrono::seconds(20)), 0);
  EXPECT_EQ(status(), "offline");
  EXPECT_EQ(retained(broker_.port(), "roomtemp/status").at("roomtemp/status"), "offline");
}

// A reload that removes a rule removes its entities (empty retained configs); one that turns
// discovery off removes every entity; turning it on again announces them again.
TEST_F(HomeAssistantTest, AReloadRemovesWhatIsGoneAndOffRemovesEverything) {
  start(kDiscoveryOn + kRule + kSilence);
  sensor_->publish("buildings/B1/rooms/101/temperature", "22.5");
  ASSERT_EQ(wait_configs(8).size(), 8u);
  reload(kDiscoveryOn + "alarms: []\n" + kSilence);
  ASSERT_TRUE(wait_until([&] { return removals().count(kAlarm) == 1; }, std::chrono::seconds(10)))
      << "the removed rule's alarm entity was not removed";
  auto configs = wait_configs(7);
  EXPECT_EQ(configs.size(), 7u);
  EXPECT_FALSE(configs.count(kAlarm));
  EXPECT_EQ(removals().size(), 1u) << "only what is gone is removed";
  reload("homeassistant:\n  discovery: false\n" + kSilence);
  ASSERT_TRUE(wait_until([&] { return removals().size() == 8; }, std::chrono::seconds(10)))
      << ::testing::PrintToString(removals());
  EXPECT_TRUE(retained(broker_.port(), "homeassistant/#").empty());
  EXPECT_TRUE(wait_until([&] { return daemon_->metric("roomtemp_discovery_entities") == 0; },
                         std::chrono::seconds(5)));
  EXPECT_GE(daemon_->metric("roomtemp_discovery_configs_removed_total"), 8);
  reload(kDiscoveryOn + kSilence);
  EXPECT_EQ(wait_configs(7).size(), 7u);
  EXPECT_EQ(status(), "online") << "turning discovery off does not touch availability";
}

// A prefix change moves every config: removed under the old prefix, announced under the new.
TEST_F(HomeAssistantTest, APrefixChangeMovesTheConfigs) {
  start(kDiscoveryOn);
  sensor_->publish("buildings/B1/rooms/101/temperature", "22.5");
  ASSERT_EQ(wait_configs(3 + 4).size(), 7u);  // the building's windows; the room's and status
  reload("homeassistant:\n  discovery: true\n  prefix: site/ha\n");
  std::map<std::string, std::string> moved;
  ASSERT_TRUE(wait_until(
      [&] { return (moved = retained(broker_.port(), "site/ha/+/roomtemp/+/config")).size() == 7; },
      std::chrono::seconds(15)));
  EXPECT_TRUE(wait_until([&] { return retained(broker_.port(), "homeassistant/#").empty(); },
                         std::chrono::seconds(10)));
}

// Home Assistant's birth message (homeassistant/status online, when it starts) makes roomtempd
// announce everything again: a Home Assistant that lost its state gets it back.
TEST_F(HomeAssistantTest, HomeAssistantsBirthMessageAnnouncesEverythingAgain) {
  start(kDiscoveryOn + kSilence);
  sensor_->publish("buildings/B1/rooms/101/temperature", "22.5");
  ASSERT_EQ(wait_configs(3 + 4).size(), 7u);
  watcher_->clear_messages();
  MqttClient ha(broker_.port());
  ha.publish("homeassistant/status", "online");
  ASSERT_TRUE(wait_until(
      [&] {
        std::set<std::string> again;
        for (const auto& m : watcher_->messages_on("homeassistant/+/roomtemp/+/config"))
          if (!m.payload.empty()) again.insert(m.topic);
        return again.size() == 7;
      },
      std::chrono::seconds(10)))
      << "not announced again after the birth message";
}

// A broker restart without persistence forgets every retained message: after the reconnect
// roomtempd says online again and announces everything again.
TEST_F(HomeAssistantTest, ABrokerRestartGetsEverythingAnnouncedAgain) {
  start(kDiscoveryOn + kSilence);
  sensor_->publish("buildings/B1/rooms/101/temperature", "22.5");
  ASSERT_EQ(wait_configs(3 + 4).size(), 7u);
  ASSERT_TRUE(
      wait_until([&] { return daemon_->metric("roomtemp_discovery_configs_published_total") == 7; },
                 std::chrono::seconds(5)));
  broker_.stop();
  broker_.start();
  EXPECT_EQ(wait_configs(7, std::chrono::seconds(60)).size(), 7u);
  EXPECT_EQ(retained(broker_.port(), "roomtemp/status").at("roomtemp/status"), "online");
  EXPECT_GE(daemon_->metric("roomtemp_discovery_configs_published_total"), 14);
}

// Configs an earlier run left that this one would not announce are removed at the start; configs
// of other integrations under the prefix are left alone.
TEST_F(HomeAssistantTest, StaleConfigsOfAnEarlierRunAreRemovedAtTheStart) {
  const std::string stale = "homeassistant/sensor/roomtemp/avg_B9_901_temperature_5m/config";
  const std::string other = "homeassistant/sensor/othertool/x/config";
  {
    MqttClient earlier(broker_.port());
    earlier.publish(stale, R"({"unique_id":"roomtemp_avg_B9_901_temperature_5m"})", 1, true);
    earlier.publish(other, R"({"unique_id":"x"})", 1, true);
  }
  start(kDiscoveryOn);
  ASSERT_TRUE(wait_until([&] { return removals().count(stale) == 1; }, std::chrono::seconds(15)))
      << daemon_->log();
  const auto left = retained(broker_.port(), "homeassistant/#");
  EXPECT_FALSE(left.count(stale));
  EXPECT_TRUE(left.count(other)) << "another integration's config is not ours to remove";
  EXPECT_EQ(daemon_->metric("roomtemp_discovery_configs_removed_total"), 1);
}

// A room whose last reading is older than the windows reach is known only to PostgreSQL after a
// restart (the warm start does not bring it back): it keeps its entities all the same, and the
// start's sweep does not take them for stale. Its connectivity sensor is what shows it silent.
TEST_F(HomeAssistantTest, ARoomOnlyPostgresqlKnowsKeepsItsEntitiesAcrossARestart) {
  start(kDiscoveryOn + kSilence);
  const std::int64_t two_hours_ago = now_micros() - 2LL * 3600 * 1'000'000;
  sensor_->publish("buildings/B1/rooms/101/temperature",
                   json{{"temperature", 21.0}, {"timestamp", rfc3339(two_hours_ago, 0, 3)}}.dump());
  ASSERT_NO_FATAL_FAILURE(wait_rows(1));
  ASSERT_EQ(wait_configs(3 + 4).size(), 7u);
  auto sweeps = [&] {
    const std::string log = daemon_->log();
    std::size_t n = 0;
    for (auto at = log.find("config(s) retained under"); at != std::string::npos;
         at = log.find("config(s) retained under", at + 1))
      ++n;
    return n;
  };
  ASSERT_TRUE(wait_until([&] { return sweeps() == 1; }, std::chrono::seconds(15)));
  ASSERT_TRUE(daemon_->restart().has_value());
  ASSERT_TRUE(daemon_->wait_ready());
  ASSERT_TRUE(wait_until([&] { return sweeps() == 2; }, std::chrono::seconds(30)))
      << "the sweep after the restart never ended";
  EXPECT_TRUE(removals().empty()) << ::testing::PrintToString(removals());
  EXPECT_EQ(wait_configs(7).size(), 7u);
  EXPECT_TRUE(daemon_->log().find("7 config(s) retained under") != std::string::npos)
      << "the sweep did not find the earlier run's configs";
}

// The measurement of the README's "Home Assistant": 1,000 rooms in 10 buildings with discovery
// turned on by a reload: how many configs, how many bytes the broker retains, how long until Home
// Assistant has them all, and the daemon's CPU per config.
TEST_F(HomeAssistantTest, AThousandRoomsAnnounceAtTheRateLimit) {
  start("homeassistant:\n  discovery: false\n" + kSilence, "ha_scale");
  std::vector<Publication> readings;
  for (int b = 1; b <= 10; ++b)
    for (int r = 1; r <= 100; ++r)
      readings.push_back(
          {"buildings/B" + std::to_string(b) + "/rooms/" + std::to_string(r) + "/temperature",
           "21.5"});
  sensor_->publish_many(readings);
  wait_rows(1000, std::chrono::seconds(60));
  const std::size_t want = 1000 * 4 + 10 * 3;
  MqttClient ha(broker_.port());
  ha.subscribe("homeassistant/+/roomtemp/+/config");
  // The daemon's own CPU while discovery is off (its ticks over 1,000 rooms): a measurement,
  // so a fixed pause, subtracted from what the announcement costs below.
  const double idle_from = cpu_seconds(daemon_->pid());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double idle_per_second = (cpu_seconds(daemon_->pid()) - idle_from) / 2;
  const double cpu_before = cpu_seconds(daemon_->pid());
  const auto t0 = std::chrono::steady_clock::now();
  reload(kDiscoveryOn + kSilence);
  ASSERT_TRUE(
      ha.wait_for([&](const auto& m) { return m.size() >= want; }, std::chrono::seconds(60)))
      << ha.messages().size();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds(daemon_->pid()) - cpu_before;
  std::size_t bytes = 0;
  for (const auto& m : ha.messages()) bytes += m.topic.size() + m.payload.size();
  EXPECT_EQ(ha.messages().size(), want);
  EXPECT_GE(seconds, 1.5) << "faster than 2,000 configs/s: the rate limit did not hold";
  const double net = cpu - idle_per_second * seconds;
  std::printf(
      "discovery of 1,000 rooms: %zu configs, %zu bytes retained (topic + payload, %.0f per "
      "config), all received %.2f s after the reload; daemon CPU %.3f s in that time, %.3f s "
      "more than idle: %.1f µs per config\n",
      want, bytes, static_cast<double>(bytes) / static_cast<double>(want), seconds, cpu, net,
      net * 1e6 / static_cast<double>(want));
  RecordProperty("configs", static_cast<int>(want));
  RecordProperty("bytes", static_cast<int>(bytes));
}

}  // namespace
}  // namespace roomtemp::harness
