#include "validate.h"

#include <cmath>
#include <random>
#include <sstream>

#include "topic.h"

namespace roomtemp {

std::uint64_t new_rejection_id() {
  // Per thread: rejections are made on the MQTT and HTTP threads at once. Seeded from the
  // kernel, so that two processes (or a restart) do not make the same ids.
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  }()};
  std::uint64_t id;
  do id = engine();
  while (id == 0);
  return id;
}

std::string_view reason_name(RejectReason r) {
  switch (r) {
    case RejectReason::bad_topic:
      return "bad_topic";
    case RejectReason::bad_id:
      return "bad_id";
    case RejectReason::unknown_metric:
      return "unknown_metric";
    case RejectReason::too_large:
      return "too_large";
    case RejectReason::bad_payload:
      return "bad_payload";
    case RejectReason::not_finite:
      return "not_finite";
    case RejectReason::out_of_range:
      return "out_of_range";
    case RejectReason::bad_timestamp:
      return "bad_timestamp";
    case RejectReason::future_timestamp:
      return "future_timestamp";
    case RejectReason::rate_limited:
      return "rate_limited";
    case RejectReason::too_many_series:
      return "too_many_series";
  }
  return "unknown";
}

namespace {
std::string number_text(double v) {
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}
}  // namespace

Rejection make_rejection(Micros received_at, std::string_view topic, std::string_view payload,
                         RejectReason reason, std::string_view detail) {
  bool topic_cut = false;
  Rejection j{received_at,
              storable_text(topic, kMaxRejectedTopicBytes, &topic_cut),
              std::string(payload.substr(0, kMaxRejectedPayloadBytes)),
              reason,
              storable_text(detail, kMaxRejectedDetailBytes),
              new_rejection_id()};
  if (topic_cut)
    j.detail += " (topic of " + std::to_string(topic.size()) + " bytes: first " +
                std::to_string(j.topic.size()) + " kept)";
  if (payload.size() > j.payload.size())
    j.detail += " (payload: first " + std::to_string(j.payload.size()) + " of " +
                std::to_string(payload.size()) + " bytes kept)";
  return j;
}

std::optional<Refusal> check_reading(Reading& r, const Config& config) {
  if (!valid_id(r.building)) return Refusal{RejectReason::bad_id, "bad building id"};
  if (!valid_id(r.room)) return Refusal{RejectReason::bad_id, "bad room id"};
  if (r.sensor_id && !valid_id(*r.sensor_id)) return Refusal{RejectReason::bad_id, "bad sensor_id"};
  const MetricConfig* m = config.find_metric(r.metric);
  if (!m)
    return Refusal{RejectReason::unknown_metric, "unknown metric '" + printable(r.metric) + "'"};
  if (!std::isfinite(r.value)) return Refusal{RejectReason::not_finite, "value is not finite"};
  r.value += 0.0;  // -0 (a sensor's "-0.0") is stored and published as 0
  if (r.value < m->min || r.value > m->max)
    return Refusal{RejectReason::out_of_range, number_text(r.value) + " is outside [" +
                                                   number_text(m->min) + ", " +
                                                   number_text(m->max) + "]"};
  // PostgreSQL has no year 0, and one row it refuses fails the writer's whole batch.
  if (r.ts < 0)
    return Refusal{RejectReason::bad_timestamp,
                   "timestamp " + format_rfc3339(r.ts) + " is before 1970"};
  const Micros skew =
      std::chrono::duration_cast<std::chrono::microseconds>(config.averages.max_future_skew)
          .count();
  if (r.ts > r.received_at + skew)
    return Refusal{RejectReason::future_timestamp,
                   "timestamp " + format_rfc3339(r.ts) + " is more than " +
                       format_duration(config.averages.max_future_skew) + " ahead"};
  return std::nullopt;
}

Inbound classify_message(std::string_view topic, std::string_view payload, Micros now,
                         const Config& config, bool* stamped_on_arrival) {
  auto reject = [&](RejectReason reason, std::string_view detail) -> Inbound {
    return make_rejection(now, topic, payload, reason, detail);
  };
  if (payload.size() > kMaxPayloadBytes)
    return reject(RejectReason::too_large,
                  "payload of " + std::to_string(payload.size()) + " bytes exceeds 4096");
  SensorTopic parts;
  std::string why;
  bool bad_id = false;
  if (!parse_sensor_topic(topic, parts, why, bad_id)) {
    if (!bad_id && why.rfind("unknown metric", 0) == 0)
      return reject(RejectReason::unknown_metric, why);
    return reject(bad_id ? RejectReason::bad_id : RejectReason::bad_topic, why);
  }
  if (!config.find_metric(parts.metric))
    return reject(RejectReason::unknown_metric, "unknown metric '" + parts.metric + "'");
  PayloadFields fields;
  Refusal refusal;
  if (!parse_payload(payload, parts.metric, fields, refusal))
    return reject(refusal.reason, refusal.detail);
  if (stamped_on_arrival) *stamped_on_arrival = !fields.ts;
  Reading r{fields.ts.value_or(now),
            std::move(parts.building),
            std::move(parts.room),
            std::move(parts.metric),
            fields.value,
            std::move(fields.sensor_id),
            now};
  if (auto bad = check_reading(r, config)) return reject(bad->reason, bad->detail);
  return r;
}

}  // namespace roomtemp
