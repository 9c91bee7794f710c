#include "source_message.h"

#include "payload.h"
#include "source_payload.h"
#include "topic.h"
#include "validate.h"

namespace roomtemp {
namespace {

/// Where a message's readings belong, once its topic is read.
struct Address {
  std::string_view building, room, metric;  ///< metric: "" when `values` names them
  std::optional<std::string> sensor_id;     ///< the device, when the topic names one
};

/// The address of a message of `source`, or why it has none.
std::variant<Address, Refusal> source_address(std::string_view topic, const Source& source,
                                              const TopicCaptures& cap, SensorTopic& native) {
  Address a{cap.building, cap.room, cap.metric, std::nullopt};
  if (source.subscription) {
    // A filter of mqtt.subscriptions: the topic itself must be of the native scheme.
    auto where = parse_sensor_topic(topic);
    if (auto* refusal = std::get_if<Refusal>(&where)) return std::move(*refusal);
    native = std::get<SensorTopic>(std::move(where));
    return Address{native.building, native.room, native.metric, std::nullopt};
  }
  if (!cap.device.empty() || source.topic.captures(Capture::device)) {
    if (!valid_id(cap.device))
      return Refusal{RejectReason::bad_id, "bad device id '" + printable(cap.device) + "'"};
    a.sensor_id = std::string(cap.device);
    if (!source.devices.empty()) {
      auto it = source.devices.find(cap.device);
      if (it == source.devices.end())
        return Refusal{RejectReason::unknown_device,
                       "device '" + printable(cap.device) + "' is not in the source's devices"};
      if (a.building.empty()) a.building = it->second.building;
      if (a.room.empty()) a.room = it->second.room;
    }
  }
  if (!valid_id(a.building)) return id_refusal("building", a.building);
  if (!valid_id(a.room)) return id_refusal("room", a.room);
  if (source.topic.captures(Capture::metric)) {
    if (!valid_id(a.metric)) return metric_refusal(a.metric);
    if (!source.values.empty() && !source.value_path(a.metric)) return metric_refusal(a.metric);
  }
  return a;
}

}  // namespace

void classify_source_message(std::string_view topic, std::string_view payload, Micros now,
                             const Config& config, const SourceSet& sources,
                             std::vector<SourceOutcome>& out) {
  out.clear();
  auto reject = [&](std::string_view text, const Refusal& refusal) {
    out.push_back({make_rejection(now, topic, text, refusal.reason, refusal.detail), false});
  };
  // The size first: an oversized payload is too_large whatever its topic.
  if (auto too_large = check_payload_size(payload)) return reject(payload, *too_large);
  TopicCaptures cap;
  const Source* source = sources.find(topic, cap);
  if (!source)
    return reject(payload, Refusal{RejectReason::bad_topic, "topic matches no configured source"});
  SensorTopic native;
  auto address = source_address(topic, *source, cap, native);
  if (auto* refusal = std::get_if<Refusal>(&address)) return reject(payload, *refusal);
  const Address& a = std::get<Address>(address);
  if (!a.metric.empty() && !config.find_metric(a.metric))
    return reject(payload, metric_refusal(a.metric));

  thread_local std::vector<std::string_view> records;
  std::optional<Refusal> refusal;
  // A batch's element is refused as itself; a lone payload as it came.
  const bool batch = split_source_records(payload, records, refusal);
  if (refusal) return reject(payload, *refusal);

  auto add = [&](std::string_view text, std::string_view metric, double value,
                 std::optional<Micros> ts, std::optional<std::string> sensor_id) {
    Reading r{ts.value_or(now),
              std::string(a.building),
              std::string(a.room),
              std::string(metric),
              value,
              std::move(sensor_id),
              now};
    if (auto bad = check_reading(r, config)) return reject(batch ? text : payload, *bad);
    out.push_back({std::move(r), !ts});
  };

  for (std::string_view text : records) {
    if (source->values.empty()) {
      // The native payload: a number, or an object with the metric's key or `value`.
      auto read = read_payload(text, a.metric);
      if (auto* bad = std::get_if<Refusal>(&read)) {
        reject(batch ? text : payload, *bad);
        continue;
      }
      auto& fields = std::get<PayloadFields>(read);
      add(text, a.metric, fields.value, fields.ts,
          a.sensor_id ? a.sensor_id : std::move(fields.sensor_id));
      continue;
    }
    SourceRecord record = read_source_record(text, *source);
    if (record.refusal) {
      reject(batch ? text : payload, *record.refusal);
      continue;
    }
    bool any = false;
    for (const SourceValue& v : record.values) {
      // A topic that names its metric carries that metric's value only.
      if (!a.metric.empty() && v.metric != a.metric) continue;
      any = true;
      if (const auto* bad = std::get_if<Refusal>(&v.value)) {
        reject(batch ? text : payload, *bad);
        continue;
      }
      add(text, v.metric, std::get<double>(v.value), record.ts, a.sensor_id);
    }
    if (!any)
      reject(batch ? text : payload,
             Refusal{RejectReason::bad_payload,
                     "no value of metric '" + printable(a.metric) + "' in the payload"});
  }
}

}  // namespace roomtemp
