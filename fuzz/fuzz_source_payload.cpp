// Payloads of configured sources (README "Connecting real sensors"): whatever a device publishes
// on a Tasmota-shaped topic (values at a nested path, a local time in a zone) and on a gateway's
// (a batch of objects), through classify_source_message as the ingest thread runs it.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "config.h"
#include "fuzz_check.h"
#include "messages.h"
#include "source_message.h"

using namespace roomtemp;

namespace {
// 2026-11-22T12:00:00Z: a fixed "now" keeps every run reproducible.
constexpr Micros kNow = 1795348800LL * kMicrosPerSecond;

const SourceSet& sources() {
  static const SourceSet set = [] {
    SourceSet s;
    Source& tasmota = s.sources.emplace_back();
    tasmota.topic = std::get<TopicTemplate>(parse_topic_template("tele/{device}/SENSOR"));
    tasmota.values = {{"temperature", std::get<JsonPath>(parse_json_path("DS18B20.Temperature"))},
                      {"temperature2", std::get<JsonPath>(parse_json_path(""))}};
    tasmota.timestamp = std::get<JsonPath>(parse_json_path("Time"));
    tasmota.zone = find_time_zone("Europe/Zurich").value_or(TimeZone{});
    tasmota.devices = {{"kitchen", {"B1", "kitchen"}}};
    Source& gateway = s.sources.emplace_back();
    gateway.topic = std::get<TopicTemplate>(parse_topic_template("gw/{building}/{room}"));
    gateway.values = {{"temperature", std::get<JsonPath>(parse_json_path("t"))}};
    gateway.timestamp = std::get<JsonPath>(parse_json_path("ts"));
    return s;
  }();
  return set;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Config config = [] {
    Config c;
    c.metrics.push_back({"temperature2", -60, 100, ""});
    return c;
  }();
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::vector<SourceOutcome> out;
  for (std::string_view topic : {"tele/kitchen/SENSOR", "gw/B1/R1"}) {
    classify_source_message(topic, payload, kNow, config, sources(), out);
    FUZZ_CHECK(!out.empty());  // every message is a reading or a rejection, never nothing
    for (const auto& o : out) {
      if (const auto* r = std::get_if<Reading>(&o.item)) {
        FUZZ_CHECK(std::isfinite(r->value) && r->value >= -60 && r->value <= 100);
        FUZZ_CHECK(r->ts >= 0 && r->ts <= kNow + 5 * 60 * kMicrosPerSecond);
        FUZZ_CHECK(r->received_at == kNow);
        FUZZ_CHECK(!o.stamped_on_arrival || r->ts == kNow);
      } else {
        const auto& j = std::get<Rejection>(o.item);
        FUZZ_CHECK(!j.detail.empty() && j.topic == topic);
        // A rejection keeps the payload or, in a batch, the element: part of what came in.
        FUZZ_CHECK(payload.find(j.payload) != std::string_view::npos || j.payload.empty());
        FUZZ_CHECK(!rejection_json(j).empty());
      }
    }
  }
  return 0;
}
