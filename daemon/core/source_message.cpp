#include "source_message.h"

#include <algorithm>

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
  // A source whose records name their device places each record by it (a_placed below).
  const bool per_record = source.device.has_value();
  if (!(per_record && a.building.empty()) && !valid_id(a.building))
    return id_refusal("building", a.building);
  if (!(per_record && a.room.empty()) && !valid_id(a.room)) return id_refusal("room", a.room);
  if (source.topic.captures(Capture::metric)) {
    if (!valid_id(a.metric)) return metric_refusal(a.metric);
    if (!source.values.empty() && !source.value_path(a.metric)) return metric_refusal(a.metric);
  }
  return a;
}

/// A record that names its device (source.device): its building and room (those the topic does
/// not capture) from `devices`, the device as its sensor; or why not.
std::optional<Refusal> place_by_device(const std::string& device, const Source& source,
                                       Address& a) {
  if (!valid_id(device))
    return Refusal{RejectReason::bad_id, "bad device id '" + printable(device) + "'"};
  auto it = source.devices.find(device);
  if (it == source.devices.end())
    return Refusal{RejectReason::unknown_device,
                   "device '" + printable(device) + "' is not in the source's devices"};
  if (a.building.empty()) a.building = it->second.building;
  if (a.room.empty()) a.room = it->second.room;
  a.sensor_id = device;
  return std::nullopt;
}

/// One message on its way to readings: where rejections and readings go, and how a record's
/// refusal quotes it (a batch's element as itself, a lone payload as it came).
class MessageReader {
 public:
  MessageReader(std::string_view topic, std::string_view payload, Micros now, const Config& config,
                std::vector<SourceOutcome>& out)
      : topic_(topic), payload_(payload), now_(now), config_(config), out_(out) {}

  void reject(std::string_view text, const Refusal& refusal) {
    out_.push_back(
        {make_rejection(now_, topic_, batch_ ? text : payload_, refusal.reason, refusal.detail),
         false, batch_ ? text : payload_});
  }
  void set_batch(bool batch) { batch_ = batch; }

  /// A record of a source without `values`: the native payload (a number, or an object with
  /// the metric's key or `value`).
  void read_native(std::string_view text, const Address& a) {
    auto read = read_payload(text, a.metric);
    if (auto* bad = std::get_if<Refusal>(&read)) return reject(text, *bad);
    auto& fields = std::get<PayloadFields>(read);
    // The device, when the topic names one, is the sensor; else the payload's sensor_id.
    std::optional<std::string> sensor = a.sensor_id;
    if (!sensor) sensor = std::move(fields.sensor_id);
    add(text, a, a.metric, fields.value, fields.ts, std::move(sensor));
  }

  /// A record of a source with `values`: a reading per mapped value present.
  void read_values(std::string_view text, const Address& topic_address, const Source& source) {
    SourceRecord record = read_source_record(text, source);
    if (record.refusal) return reject(text, *record.refusal);
    Address a = topic_address;
    if (source.device) {
      if (auto refusal = place_by_device(record.device, source, a)) return reject(text, *refusal);
    }
    bool any = false;
    for (const SourceValue& v : record.values) {
      // A topic that names its metric carries that metric's value only.
      if (!a.metric.empty() && v.metric != a.metric) continue;
      any = true;
      if (const auto* bad = std::get_if<Refusal>(&v.value)) {
        reject(text, *bad);
        continue;
      }
      add(text, a, v.metric, std::get<double>(v.value), record.ts, a.sensor_id);
    }
    if (!any)
      reject(text, Refusal{RejectReason::bad_payload,
                           "no value of metric '" + printable(a.metric) + "' in the payload"});
  }

 private:
  void add(std::string_view text, const Address& a, std::string_view metric, double value,
           std::optional<Micros> ts, std::optional<std::string> sensor_id) {
    Reading r{ts.value_or(now_),
              std::string(a.building),
              std::string(a.room),
              std::string(metric),
              value,
              std::move(sensor_id),
              now_};
    if (auto bad = check_reading(r, config_)) return reject(text, *bad);
    if (!ts && batch_ && stamped_twice(r))
      return reject(text, Refusal{RejectReason::bad_timestamp,
                                  "a batch's element without a time of its own: another reading "
                                  "of its series in this batch was already stamped on arrival, "
                                  "and two readings of one series at one time are one"});
    out_.push_back({std::move(r), !ts, batch_ ? text : payload_});
  }

  /// An earlier reading of this message of the same series, also stamped on arrival.
  bool stamped_twice(const Reading& r) const {
    return std::any_of(out_.begin(), out_.end(), [&](const SourceOutcome& o) {
      const auto* e = std::get_if<Reading>(&o.item);
      return e && o.stamped_on_arrival && e->metric == r.metric && e->room == r.room &&
             e->building == r.building && e->sensor_id == r.sensor_id;
    });
  }

  std::string_view topic_, payload_;
  Micros now_;
  const Config& config_;
  std::vector<SourceOutcome>& out_;
  bool batch_ = false;
};

}  // namespace

void classify_source_message(std::string_view topic, std::string_view payload, Micros now,
                             const Config& config, const SourceSet& sources,
                             std::vector<SourceOutcome>& out) {
  out.clear();
  MessageReader reader(topic, payload, now, config, out);
  // The size first: an oversized payload is too_large whatever its topic.
  if (auto too_large = check_payload_size(payload)) return reader.reject(payload, *too_large);
  TopicCaptures cap;
  const Source* source = sources.find(topic, cap);
  if (!source)
    return reader.reject(payload,
                         Refusal{RejectReason::bad_topic, "topic matches no configured source"});
  SensorTopic native;
  auto address = source_address(topic, *source, cap, native);
  if (auto* refusal = std::get_if<Refusal>(&address)) return reader.reject(payload, *refusal);
  const Address& a = std::get<Address>(address);
  if (!a.metric.empty() && !config.find_metric(a.metric))
    return reader.reject(payload, metric_refusal(a.metric));

  thread_local std::vector<std::string_view> records;
  std::optional<Refusal> refusal;
  const bool batch = split_source_records(payload, records, refusal);
  if (refusal) return reader.reject(payload, *refusal);
  reader.set_batch(batch);
  for (std::string_view text : records) {
    if (source->values.empty())
      reader.read_native(text, a);
    else
      reader.read_values(text, a, *source);
  }
}

}  // namespace roomtemp
