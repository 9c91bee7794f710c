#pragma once
// The fixture of the REST history tests (rest_history_test, rest_history_csv_test): one daemon
// with readings over a known stretch of time, and what the API must answer for them, computed
// here from the samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/harness.h"

namespace roomtemp::harness {

using json = nlohmann::json;

/// What the REST API must answer for a set of readings, computed here.
struct Stats {
  std::size_t count = 0;
  double sum = 0, min = 0, max = 0;
};

/// RFC 3339 as the daemon prints it: as many fraction digits as needed (0, 3 or 6).
inline std::string expected_time(std::int64_t t) {
  if (t % kSecond == 0) return rfc3339(t, 0, 0);
  if (t % 1000 == 0) return rfc3339(t, 0, 3);
  return rfc3339(t, 0, 6);
}

inline std::string room_path(const std::string& b, const std::string& r, const std::string& what) {
  return "/v1/buildings/" + b + "/rooms/" + r + "/temperature/" + what;
}

inline std::string range_query(std::int64_t from, std::int64_t to) {
  return "from=" + rfc3339(from, 0, 6) + "&to=" + rfc3339(to, 0, 6);
}

class RestHistoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new Postgres;
    broker_ = new Broker;
    dir_ = new TempDir;
    db_ = unique_name("history");
    pg_->create_database(db_);
    daemon_ = new Daemon(default_config(*broker_, *pg_, *dir_, {.database = db_}));
    if (!daemon_->wait_ready(30s)) return;

    // Minute-aligned, three days ago: whole-second times print without a fraction.
    t0_ = (now_micros() / kMinute - 3 * 24 * 60) * kMinute;
    samples_ = make_samples(t0_);
    published_at_ = now_micros();
    std::vector<Publication> batch;
    for (const auto& s : samples_) {
      json payload = {{"temperature", s.value}, {"timestamp", rfc3339(s.ts, 0, 6)}};
      if (s.sensor) payload["sensor_id"] = *s.sensor;
      batch.push_back(
          {"buildings/" + s.building + "/rooms/" + s.room + "/temperature", payload.dump()});
    }
    MqttClient sensor(broker_->port());
    sensor.publish_many(batch, 1);
    const auto n = static_cast<long long>(samples_.size());
    wait_until([&] { return pg_->query_count("SELECT count(*) FROM readings", db_) >= n; }, 20s,
               50ms);
    ready_ = pg_->query_count("SELECT count(*) FROM readings", db_) == n;
  }

  static void TearDownTestSuite() {
    delete daemon_;
    delete broker_;
    delete pg_;
    delete dir_;
    daemon_ = nullptr;
    broker_ = nullptr;
    pg_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "roomtempd did not become ready or did not store every reading";
  }

  /// B1/101: a reading a minute for an hour (three sensors, one without id), two readings
  /// sharing a timestamp with others (tie order), one with a microsecond fraction at 61m.
  /// B1/102: ten readings. B1/103: five equal values. B2/101: must not leak into B1.
  static std::vector<Sample> make_samples(std::int64_t t0) {
    std::vector<Sample> out;
    for (int i = 0; i < 60; ++i) {
      std::optional<std::string> sensor;
      if (i % 3 == 1) sensor = "s1";
      if (i % 3 == 2) sensor = "s2";
      const double value = 15.0 + ((i * 7) % 13) * 0.5 + (i % 2 ? 0.25 : 0.0);
      out.push_back({"B1", "101", t0 + i * kMinute, value, sensor});
    }
    out.push_back({"B1", "101", t0 + 5 * kMinute, 30.0, "s0"});  // before s2 at 5m
    out.push_back({"B1", "101", t0 + 3 * kMinute, 14.0, "s9"});  // before the id-less one
    out.push_back({"B1", "101", t0 + 61 * kMinute + 123'456, 18.125, "frac"});
    for (int i = 0; i < 10; ++i)
      out.push_back({"B1", "102", t0 + i * kMinute + 30 * kSecond, 25.0 + i * 0.1, "a"});
    for (int i = 0; i < 5; ++i) out.push_back({"B1", "103", t0 + i * kMinute, 20.0, std::nullopt});
    for (int i = 0; i < 3; ++i) out.push_back({"B2", "101", t0 + i * kMinute, 99.0, std::nullopt});
    return out;
  }

  /// The readings of a room (or, room empty, a building) with from ≤ ts < to.
  static std::vector<Sample> select(const std::string& b, const std::string& r, std::int64_t from,
                                    std::int64_t to) {
    std::vector<Sample> out;
    for (const auto& s : samples_)
      if (s.building == b && (r.empty() || s.room == r) && s.ts >= from && s.ts < to)
        out.push_back(s);
    return out;
  }

  static Stats stats_of(const std::vector<Sample>& v) {
    Stats st;
    for (const auto& s : v) {
      st.min = st.count ? std::min(st.min, s.value) : s.value;
      st.max = st.count ? std::max(st.max, s.value) : s.value;
      st.sum += s.value;
      ++st.count;
    }
    return st;
  }

  /// GETs `path` and parses the JSON body, expecting `status`.
  static json get(const std::string& path, int status = 200) {
    const HttpResponse r = daemon_->http_get(path);
    EXPECT_EQ(r.status, status) << path << " → " << r.body;
    EXPECT_NE(r.content_type.find("application/json"), std::string::npos) << path;
    json body = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << path << " → " << r.body;
    return body;
  }

  /// Expects an error answer `{"error": "…"}` with `status`.
  static void expect_error(const std::string& path, int status) {
    SCOPED_TRACE(path);
    const json body = get(path, status);
    ASSERT_TRUE(body.is_object());
    ASSERT_TRUE(body.contains("error"));
    EXPECT_TRUE(body["error"].is_string());
    EXPECT_FALSE(body["error"].get<std::string>().empty());
  }

  static void expect_stats(const json& doc, const Stats& st) {
    ASSERT_EQ(doc["count"].get<std::size_t>(), st.count) << doc;
    if (st.count == 0) {
      EXPECT_TRUE(doc["avg"].is_null()) << doc;
      EXPECT_TRUE(doc["min"].is_null()) << doc;
      EXPECT_TRUE(doc["max"].is_null()) << doc;
      return;
    }
    const double avg = st.sum / static_cast<double>(st.count);
    EXPECT_NEAR(doc["avg"].get<double>(), avg, std::abs(avg) * 1e-9) << doc;
    EXPECT_EQ(doc["min"].get<double>(), st.min) << doc;
    EXPECT_EQ(doc["max"].get<double>(), st.max) << doc;
  }

  inline static Postgres* pg_ = nullptr;
  inline static Broker* broker_ = nullptr;
  inline static TempDir* dir_ = nullptr;
  inline static Daemon* daemon_ = nullptr;
  inline static std::string db_;
  inline static bool ready_ = false;
  inline static std::int64_t t0_ = 0;
  inline static std::int64_t published_at_ = 0;
  inline static std::vector<Sample> samples_;
};

}  // namespace roomtemp::harness
