// Micro-benchmarks of sources (README "Connecting real sensors"), in micro_bench: matching a
// topic against 20 configured sources, a native reading through them against the native path
// alone, and a gateway's batch of 10 readings.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "config.h"
#include "source_message.h"
#include "timeutil.h"
#include "validate.h"

namespace {

using namespace roomtemp;

constexpr Micros kNow = 1'733'000'000'000'000;  // 2024-11-30T20:53:20Z
constexpr std::string_view kTopic = "buildings/B1/rooms/101/temperature";
constexpr std::string_view kJsonPayload =
    R"({"temperature": 21.37, "timestamp": "2024-11-30T20:53:19.123Z", "sensor_id": "s-B1-101"})";

Source source(std::string_view topic, std::vector<std::pair<std::string, std::string>> values = {},
              std::string_view timestamp = "") {
  Source s;
  s.topic = std::get<TopicTemplate>(parse_topic_template(topic));
  for (auto& [metric, path] : values)
    s.values.emplace_back(metric, std::get<JsonPath>(parse_json_path(path)));
  if (!timestamp.empty()) s.timestamp = std::get<JsonPath>(parse_json_path(timestamp));
  return s;
}

/// 20 sources, the native scheme last (the most templates tried before it matches): the device
/// families of config/sources/ and 15 sites of their own, none overlapping.
const SourceSet& twenty_sources() {
  static const SourceSet set = [] {
    SourceSet s;
    s.sources.push_back(source("zigbee2mqtt/{building}/{room}", {{"temperature", "temperature"}}));
    s.sources.push_back(source("tele/{device}/SENSOR", {{"temperature", "DS18B20.Temperature"}}));
    s.sources.push_back(source("shellies/{device}/sensor/temperature", {{"temperature", ""}}));
    s.sources.push_back(
        source("gateways/{building}/{room}/readings", {{"temperature", "temperature"}}, "ts"));
    for (int i = 0; i < 15; ++i)
      s.sources.push_back(source("site" + std::to_string(i) + "/{building}/{room}/{metric}"));
    s.sources.push_back(source("buildings/{building}/rooms/{room}/{metric}"));
    return s;
  }();
  return set;
}

// Finding the source of a native topic among 20: the template matching alone.
void BM_SourcesMatch20(benchmark::State& state) {
  const SourceSet& set = twenty_sources();
  for (auto _ : state) {
    TopicCaptures captures;
    const Source* s = set.find(kTopic, captures);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(captures);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SourcesMatch20);

// A native reading through 20 sources, whole (match, address, payload, checks): compare with
// BM_ClassifyJson, the same message on the native path alone (no sources configured).
void BM_SourcesClassifyNativeOf20(benchmark::State& state) {
  static const Config config;
  const SourceSet& set = twenty_sources();
  std::vector<SourceOutcome> out;
  for (auto _ : state) {
    classify_source_message(kTopic, kJsonPayload, kNow, config, set, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SourcesClassifyNativeOf20);

// A gateway's batch of 10 readings (what roomtemp-sim --format batch sends), per reading.
void BM_SourcesClassifyBatch10(benchmark::State& state) {
  static const Config config;
  const SourceSet& set = twenty_sources();
  std::string payload = "[";
  for (int i = 0; i < 10; ++i)
    payload += std::string(i ? "," : "") + R"({"ts":"2024-11-30T20:53:19.1)" +
               std::to_string(10 + i) + R"(Z","temperature":21.)" + std::to_string(10 + i) + "}";
  payload += "]";
  std::vector<SourceOutcome> out;
  for (auto _ : state) {
    classify_source_message("gateways/B1/101/readings", payload, kNow, config, set, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_SourcesClassifyBatch10);

// Zigbee2MQTT: one object, two values wanted (temperature configured, humidity not: one reading).
void BM_SourcesClassifyZigbee(benchmark::State& state) {
  static const Config config;
  const SourceSet& set = twenty_sources();
  std::vector<SourceOutcome> out;
  for (auto _ : state) {
    classify_source_message("zigbee2mqtt/B1/101",
                            R"({"battery":97,"humidity":48.61,"linkquality":134,)"
                            R"("temperature":21.37,"voltage":2985})",
                            kNow, config, set, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SourcesClassifyZigbee);

}  // namespace
