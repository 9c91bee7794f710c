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
    case RejectReason::unknown_device:
      return "unknown_device";
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
  if (!valid_id(r.building)) return id_refusal("building", r.building);
  if (!valid_id(r.room)) return id_refusal("room", r.room);
  if (r.sensor_id && !valid_id(*r.sensor_id))
    return Refusal{RejectReason::bad_id, std::string(kBadSensorIdDetail)};
  const MetricConfig* m = config.find_metric(r.metric);
  if (!m) return metric_refusal(r.metric);
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

namespace {

/// What every reading goes through once its address is known, whatever its source: the metric
/// must be configured, `payload`'s fields are read (read_payload), a reading without a
/// timestamp is stamped `now`, and the result passes check_reading.
std::variant<Reading, Refusal> reading_at(SensorTopic&& where, std::string_view payload, Micros now,
                                          const Config& config, bool* stamped_on_arrival) {
  if (!config.find_metric(where.metric)) return metric_refusal(where.metric);
  auto read = read_payload(payload, where.metric);
  if (auto* refusal = std::get_if<Refusal>(&read)) return std::move(*refusal);
  auto& fields = std::get<PayloadFields>(read);
  if (stamped_on_arrival) *stamped_on_arrival = !fields.ts;
  Reading r{fields.ts.value_or(now),
            std::move(where.building),
            std::move(where.room),
            std::move(where.metric),
            fields.value,
            std::move(fields.sensor_id),
            now};
  if (auto refusal = check_reading(r, config)) return std::move(*refusal);
  return r;
}

}  // namespace

Inbound classify_message(std::string_view topic, std::string_view payload, Micros now,
                         const Config& config, bool* stamped_on_arrival) {
  auto reject = [&](const Refusal& refusal) -> Inbound {
    return make_rejection(now, topic, payload, refusal.reason, refusal.detail);
  };
  // The size first: an oversized payload is too_large whatever its topic.
  if (auto too_large = check_payload_size(payload)) return reject(*too_large);
  auto where = parse_sensor_topic(topic);
  if (const auto* refusal = std::get_if<Refusal>(&where)) return reject(*refusal);
  auto reading =
      reading_at(std::get<SensorTopic>(std::move(where)), payload, now, config, stamped_on_arrival);
  if (const auto* refusal = std::get_if<Refusal>(&reading)) return reject(*refusal);
  return std::get<Reading>(std::move(reading));
}

std::variant<Reading, Refusal> classify_posted(std::string_view item, Micros now,
                                               const Config& config) {
  auto where = read_posted_address(item, default_posted_metric(config));
  if (auto* refusal = std::get_if<Refusal>(&where)) return std::move(*refusal);
  return reading_at(std::get<SensorTopic>(std::move(where)), item, now, config, nullptr);
}

std::string_view default_posted_metric(const Config& config) {
  if (config.find_metric("temperature") || config.metrics.empty()) return "temperature";
  return config.metrics.front().name;
}

}  // namespace roomtemp
