// SIGTERM in the middle of a stream of 20,000 QoS 1 readings, then a restart with
// the same client id: every reading is stored, none twice. The broker queues what arrives
// while the daemon is away (persistent session, clean_session false).
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

/// Publishes 20,000 readings (the first 12,000 at `rate_per_second`, 0 = as fast as the broker
/// acknowledges), SIGTERMs the daemon once 5,000 are stored, publishes the rest while it is
/// down, restarts it and checks that all 20,000 are stored exactly once.
void sigterm_mid_stream(int rate_per_second) {
  constexpr int kTotal = 20'000;
  constexpr int kBeforeStop = 12'000;  // published while the daemon runs; the rest while it is down
  constexpr int kStopAfterStored = 5'000;

  Postgres pg;
  TempDir dir;
  Broker broker;
  Daemon daemon(default_config(broker, pg, dir));
  ASSERT_TRUE(daemon.wait_ready(30s));

  // 4 buildings x 5 rooms, every reading with its own timestamp (10 ms apart, all in the past).
  std::vector<Publication> readings;
  const std::int64_t first = (now_micros() / kSecond - 60) * kSecond - kTotal * 10'000LL;
  for (int i = 0; i < kTotal; ++i) {
    const std::int64_t ts = first + i * 10'000LL;
    readings.push_back({"buildings/B" + std::to_string(i % 4) + "/rooms/" +
                            std::to_string(100 + (i / 4) % 5) + "/temperature",
                        R"({"temperature": )" + std::to_string(15 + i % 100 / 10.0) +
                            R"(, "timestamp": ")" + rfc3339(ts, 0, 6) + R"(", "sensor_id": "s)" +
                            std::to_string(i % 3) + "\"}"});
  }

  // A separate publisher, throttled so that the SIGTERM lands mid-stream.
  std::atomic<bool> daemon_stopped{false};
  std::atomic<int> published{0};
  std::string publisher_error;
  std::jthread publisher([&](std::stop_token stop) {
    try {
      MqttClient sensor(broker.port());
      const auto start = std::chrono::steady_clock::now();
      constexpr int kChunk = 250;
      for (int i = 0; i < kTotal && !stop.stop_requested(); i += kChunk) {
        if (i == kBeforeStop) {
          // The rest goes out while the daemon is down: the broker must queue it.
          wait_until([&] { return daemon_stopped.load() || stop.stop_requested(); }, 30s);
        } else if (i < kBeforeStop && rate_per_second > 0) {
          std::this_thread::sleep_until(
              start + std::chrono::microseconds(std::int64_t{i} * 1'000'000 / rate_per_second));
        }
        const int end = std::min(i + kChunk, kTotal);
        sensor.publish_many({readings.begin() + i, readings.begin() + end}, 1, 200, 30s);
        published = end;
      }
    } catch (const std::exception& e) {
      publisher_error = e.what();
    }
  });

  const std::string count = "SELECT count(*) FROM readings";
  long long stored = 0;
  ASSERT_TRUE(
      wait_until([&] { return (stored = pg.query_count(count)) >= kStopAfterStored; }, 30s, 10ms))
      << "only " << stored << " readings stored, " << published << " published";

  const int published_at_stop = published;
  const auto sigterm = std::chrono::steady_clock::now();
  daemon.terminate();
  const auto code = daemon.wait_exit(15s);
  const auto stop_took = std::chrono::steady_clock::now() - sigterm;
  daemon_stopped = true;
  ASSERT_TRUE(code.has_value()) << "roomtempd did not exit within 15 s of SIGTERM";
  EXPECT_EQ(*code, 0);
  EXPECT_LE(stop_took, 10s)
      << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(stop_took).count()
      << " ms";
  const long long stored_at_exit = pg.query_count(count);

  publisher.join();
  ASSERT_EQ(publisher_error, "");
  ASSERT_EQ(published, kTotal);
  std::cerr << "SIGTERM after " << published_at_stop << " published; " << stored_at_exit
            << " stored at exit; stop took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(stop_took).count() << " ms\n";
  EXPECT_LT(stored_at_exit, kTotal) << "nothing left for the restart: the test proves less";

  daemon.start();
  ASSERT_TRUE(daemon.wait_ready(30s));
  wait_until([&] { return (stored = pg.query_count(count)) >= kTotal; }, 60s, 50ms);
  std::this_thread::sleep_for(500ms);  // a copy stored twice would show up now
  EXPECT_EQ(pg.query("SELECT count(*), count(DISTINCT (building, room, metric, "
                     "coalesce(sensor_id, ''), ts)) FROM readings"),
            (Rows{{std::to_string(kTotal), std::to_string(kTotal)}}))
      << "want every reading exactly once";
  // And they are the readings published: the first and last timestamps.
  EXPECT_EQ(pg.query("SELECT " + ts_text("min(ts)") + ", " + ts_text("max(ts)") + " FROM readings"),
            (Rows{{utc_text(first), utc_text(first + (kTotal - 1) * 10'000LL)}}));
  EXPECT_EQ(pg.query_count("SELECT count(*) FROM rejected_readings"), 0);
}

// Sensors publishing at a steady pace: the stop lands between deliveries.
TEST(ShutdownTest, SigtermMidSteadyStreamThenRestartStoresEveryReadingOnce) {
  sigterm_mid_stream(5'000);
}

// A burst: the stop lands while the daemon holds a backlog it has already acknowledged
// to the broker (libmosquitto PUBACKs before our callback runs), which it must still write.
TEST(ShutdownTest, SigtermMidBurstThenRestartStoresEveryReadingOnce) { sigterm_mid_stream(0); }

}  // namespace
}  // namespace roomtemp::harness
