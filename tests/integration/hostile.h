#pragma once
// What the hostile-input tests share (hostile_mqtt_test.cpp, hostile_rest_test.cpp): a fixture
// whose daemon runs under limits, checks that it is alive and that the steady rooms' readings
// and averages are whole, and the per-reason rejection counts from /metrics.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "harness/harness.h"
#include "test_values.h"
#include "topic.h"

namespace roomtemp::harness::hostile {

using json = nlohmann::json;

/// roomtemp_readings_rejected_total by reason, the reasons counted at least once.
inline std::map<std::string, long long> rejected_by_reason_metric(const Daemon& daemon) {
  const HttpResponse metrics = daemon.http_get("/metrics");
  if (metrics.status != 200) throw std::runtime_error("GET /metrics: " + metrics.body);
  std::map<std::string, long long> counted;
  const std::regex line(R"re(roomtemp_readings_rejected_total\{reason="(\w+)"\} ([0-9.e+]+))re");
  for (std::sregex_iterator it(metrics.body.begin(), metrics.body.end(), line), end; it != end;
       ++it)
    if (auto n = std::stoll((*it)[2].str())) counted[(*it)[1].str()] = n;
  return counted;
}

using test::repeat;

class HostileTest : public DaemonTest {
 protected:
  /// start_daemon with a `limits:` section, which ConfigOptions has no field for.
  void start_limited_daemon(ConfigOptions options, const std::string& limits_yaml) {
    db_ = unique_name("hostile");
    pg_->create_database(db_);
    options.database = db_;
    daemon_ = std::make_unique<Daemon>(default_config(broker_, *pg_, dir_, options) + "limits:\n" +
                                       limits_yaml);
    ASSERT_TRUE(daemon_->wait_ready(30s)) << "roomtempd did not become ready";
  }

  /// POSTs `body`; when no HTTP answer comes (status 0), records a failure saying whether
  /// roomtempd still runs. The caller returns on status 0.
  HttpResponse post_answered(int port, const std::string& path, const std::string& body) {
    HttpResponse r = http_post(port, path, body);
    if (r.status == 0) {
      wait_until([&] { return !daemon_->running(); }, 2s);
      ADD_FAILURE() << "no answer: roomtempd " << (daemon_->running() ? "runs" : "died");
    }
    return r;
  }

  /// The process runs and answers /healthz.
  void expect_alive(const std::string& when) {
    EXPECT_TRUE(daemon_->running()) << "roomtempd died " << when;
    EXPECT_EQ(daemon_->http_get("/healthz").status, 200) << when;
  }

  /// Every steady reading stored, and the last 1h average of each of its 20 rooms counts them
  /// all with PostgreSQL's average.
  void expect_steady_rooms_whole(MqttClient& watcher, int steady_total) {
    const std::string steady_rooms =
        "building IN ('B0','B1','B2','B3') AND room IN ('100','101','102','103','104')";
    expect_count_settles("SELECT count(*) FROM readings WHERE " + steady_rooms, steady_total, 30s);
    const int per_room = steady_total / 20;
    auto latest = [&] {
      std::map<std::string, json> last;
      for (const auto& m : watcher.messages_on("buildings/+/rooms/+/temperature/average/1h"))
        last[m.topic] = json::parse(m.payload, nullptr, false);
      return last;
    };
    auto all_counted = [&] {
      auto last = latest();
      for (int b = 0; b < 4; ++b)
        for (int r = 100; r < 105; ++r) {
          auto it = last.find(
              room_average_topic("B" + std::to_string(b), std::to_string(r), "temperature", "1h"));
          if (it == last.end() || !it->second.is_object() ||
              it->second.value("count", -1) != per_room)
            return false;
        }
      return true;
    };
    EXPECT_TRUE(wait_until(all_counted, 15s)) << "the steady rooms' 1h averages do not count all "
                                              << per_room << " readings of each room";
    const auto last = latest();
    for (int b = 0; b < 4; ++b)
      for (int r = 100; r < 105; ++r) {
        const std::string building = "B" + std::to_string(b), room = std::to_string(r);
        auto it = last.find(room_average_topic(building, room, "temperature", "1h"));
        if (it == last.end() || !it->second.contains("avg") || !it->second["avg"].is_number()) {
          ADD_FAILURE() << "no average published for " << building << "/" << room;
          continue;
        }
        const double sql_avg =
            std::stod(pg_->query_value("SELECT avg(value) FROM readings WHERE building = '" +
                                           building + "' AND room = '" + room + "'",
                                       db_));
        EXPECT_NEAR(it->second["avg"].get<double>(), sql_avg, 1e-9 * std::abs(sql_avg) + 1e-12)
            << building << "/" << room;
      }
  }
};

/// Readings that stay valid for the whole test: stamped half an hour ago, 1 ms apart.
inline std::vector<Publication> steady_readings(int count) {
  return sensor_readings(count, now_micros() - 1800 * kSecond, 1000);
}

}  // namespace roomtemp::harness::hostile
