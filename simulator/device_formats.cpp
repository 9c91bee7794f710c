#include "device_formats.h"

#include <fmt/format.h>

#include <array>
#include <iterator>

namespace roomtemp::sim {
namespace {

struct FormatName {
  std::string_view name;
  DeviceFormat format;
};
constexpr std::array<FormatName, 7> kFormats = {{{"native", DeviceFormat::native},
                                                 {"zigbee2mqtt", DeviceFormat::zigbee2mqtt},
                                                 {"tasmota", DeviceFormat::tasmota},
                                                 {"shelly", DeviceFormat::shelly},
                                                 {"shelly-gen2", DeviceFormat::shelly_gen2},
                                                 {"esphome", DeviceFormat::esphome},
                                                 {"batch", DeviceFormat::batch}}};

/// RFC 3339 of `t` without an offset and with whole seconds, as Tasmota prints its Time.
std::string local_seconds_text(Micros local) {
  const std::string utc = format_rfc3339(local - local % kMicrosPerSecond);  // …Z
  return utc.substr(0, 19);
}

/// Tasmota's sensor object for a metric: DS18B20 reports temperature, SHT3X the others.
std::string tasmota_sensor(std::string_view metric, std::string_view value) {
  if (metric == "temperature")
    return fmt::format(R"("DS18B20":{{"Id":"01144A0CB2AA","Temperature":{}}})", value);
  std::string key(metric);
  if (!key.empty() && key[0] >= 'a' && key[0] <= 'z')
    key[0] = static_cast<char>(key[0] - 'a' + 'A');
  return fmt::format(R"("SHT3X":{{"{}":{}}})", key, value);
}

/// Shelly Gen2's component and field for a metric: temperature:0.tC, humidity:0.rh, else
/// <m>:0.value.
std::pair<std::string, std::string_view> shelly_component(std::string_view metric) {
  if (metric == "temperature") return {"temperature:0", "tC"};
  if (metric == "humidity") return {"humidity:0", "rh"};
  return {std::string(metric) + ":0", "value"};
}

}  // namespace

std::optional<DeviceFormat> parse_device_format(std::string_view name) {
  for (const auto& f : kFormats)
    if (f.name == name) return f.format;
  return std::nullopt;
}

std::string_view device_format_names() {
  return "native|zigbee2mqtt|tasmota|shelly|shelly-gen2|esphome|batch";
}

std::string device_name(std::string_view building, std::string_view room) {
  return fmt::format("{}-{}", building, room);
}

void write_device_message(DeviceFormat format, const DeviceReading& r, TimeZone zone,
                          std::string& topic, std::string& payload) {
  payload.clear();
  auto out = std::back_inserter(payload);
  const std::string device = device_name(r.building, r.room);
  switch (format) {
    case DeviceFormat::zigbee2mqtt:
      // zigbee2mqtt/<friendly name>, the friendly name "<building>/<room>".
      topic = fmt::format("zigbee2mqtt/{}/{}", r.building, r.room);
      fmt::format_to(out, R"({{"battery":97,"linkquality":134,"{}":{},"voltage":2985}})", r.metric,
                     r.value);
      return;
    case DeviceFormat::tasmota:
      topic = fmt::format("tele/{}/SENSOR", device);
      fmt::format_to(out, R"({{"Time":"{}",{},"TempUnit":"C"}})",
                     local_seconds_text(zone.zone ? utc_to_local(r.ts, zone) : r.ts),
                     tasmota_sensor(r.metric, r.value));
      return;
    case DeviceFormat::shelly:
      topic = fmt::format("shellies/{}/sensor/{}", device, r.metric);
      payload.append(r.value);
      return;
    case DeviceFormat::shelly_gen2: {
      topic = fmt::format("{}/events/rpc", device);
      const auto [component, field] = shelly_component(r.metric);
      fmt::format_to(out,
                     R"({{"src":"{0}","dst":"{0}/events","method":"NotifyStatus","params":)"
                     R"({{"ts":{1:.2f},"{2}":{{"id":0,"{3}":{4}}}}}}})",
                     device, static_cast<double>(r.ts) / kMicrosPerSecond, component, field,
                     r.value);
      return;
    }
    case DeviceFormat::esphome:
      topic = fmt::format("{}/sensor/room_{}/state", device, r.metric);
      payload.append(r.value);
      return;
    case DeviceFormat::native:
    case DeviceFormat::batch:
      break;
  }
}

void begin_batch(std::string_view building, std::string_view room, std::string& topic,
                 std::string& payload) {
  topic = fmt::format("gateways/{}/{}/readings", building, room);
  payload.clear();  // (not `= "["`: GCC 12 warns a false -Wrestrict on that)
  payload.push_back('[');
}

void add_to_batch(const DeviceReading& r, std::string& payload) {
  if (payload.size() > 1) payload += ',';
  fmt::format_to(std::back_inserter(payload), R"({{"ts":"{}","{}":{}}})", format_rfc3339(r.ts),
                 r.metric, r.value);
}

void end_batch(std::string& payload) { payload += ']'; }

}  // namespace roomtemp::sim
