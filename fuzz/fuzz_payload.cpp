// Sensor payloads: whatever a device publishes on a well-formed topic, through the same steps
// as the ingest thread (parse_payload, classify_message, and the JSON of a rejection).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "config.h"
#include "fuzz_check.h"
#include "messages.h"
#include "payload.h"
#include "topic.h"
#include "validate.h"

using namespace roomtemp;

namespace {
// 2026-11-22T12:00:00Z: a fixed "now" keeps every run reproducible.
constexpr Micros kNow = 1795348800LL * kMicrosPerSecond;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Config config;  // the defaults: temperature in [-60, 100], 5m future skew
  const std::string_view payload(reinterpret_cast<const char*>(data), size);

  const auto read = parse_payload(payload, "temperature");
  const auto* fields = std::get_if<PayloadFields>(&read);
  const auto* refusal = std::get_if<Refusal>(&read);
  const bool parsed = fields != nullptr;
  if (parsed) {
    FUZZ_CHECK(std::isfinite(fields->value));
    FUZZ_CHECK(!fields->sensor_id || valid_id(*fields->sensor_id));
  } else {
    FUZZ_CHECK(!refusal->detail.empty());
  }

  const std::string_view topic = "buildings/B1/rooms/R1/temperature";
  const Inbound item = classify_message(topic, payload, kNow, config);
  if (const auto* r = std::get_if<Reading>(&item)) {
    FUZZ_CHECK(parsed);
    FUZZ_CHECK(r->value == fields->value);
    FUZZ_CHECK(r->value >= -60 && r->value <= 100);
    FUZZ_CHECK(r->received_at == kNow);
    FUZZ_CHECK(r->ts <= kNow + 5 * 60 * kMicrosPerSecond);
    // PostgreSQL's timestamptz has no year 0 and the epoch-seconds form stops at 1970: a time
    // before that would fail the writer's COPY for the whole batch, again at every retry.
    FUZZ_CHECK(r->ts >= 0);
  } else {
    const auto& j = std::get<Rejection>(item);
    FUZZ_CHECK(!j.detail.empty());
    FUZZ_CHECK(j.topic == topic && j.payload == payload);
    if (!parsed) FUZZ_CHECK(j.reason == refusal->reason);
    // Rejections are published and logged as JSON, invalid UTF-8 and all.
    FUZZ_CHECK(!rejection_json(j).empty());
  }
  return 0;
}
