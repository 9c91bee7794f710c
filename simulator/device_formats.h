#pragma once
// The payloads of real device families (README "Connecting real sensors"), so that roomtempd's
// sources can be exercised with what Zigbee2MQTT, Tasmota, Shelly, ESPHome and batching gateways
// publish. Pure formatting: the values come from the sensor model.
#include <optional>
#include <string>
#include <string_view>

#include "local_time.h"
#include "timeutil.h"

namespace roomtemp::sim {

/// `--format`: how a reading is published.
enum class DeviceFormat { native, zigbee2mqtt, tasmota, shelly, shelly_gen2, esphome, batch };

/// The format named on the command line ("zigbee2mqtt", "shelly-gen2", …); nullopt if unknown.
std::optional<DeviceFormat> parse_device_format(std::string_view name);
/// Every name parse_device_format takes, "|"-separated, for --help.
std::string_view device_format_names();

/// One reading to publish in a device family's shape.
struct DeviceReading {
  std::string_view building, room, metric;
  std::string_view value;  ///< formatted as sensors send it
  Micros ts = 0;
};

/// The device name a family's topic carries for a room: `<building>-<room>` (the names the
/// example configs in config/sources/ map with `devices`).
std::string device_name(std::string_view building, std::string_view room);

/// Writes the topic and payload of one reading in `format` (not native, not batch). `zone`: the
/// time zone a Tasmota device prints its local Time in.
void write_device_message(DeviceFormat format, const DeviceReading& r, TimeZone zone,
                          std::string& topic, std::string& payload);

/// A gateway batch: the topic `gateways/<building>/<room>/readings`, and `payload` begun as "[".
void begin_batch(std::string_view building, std::string_view room, std::string& topic,
                 std::string& payload);
/// Appends one element {"ts": RFC 3339, "<metric>": value} to a batch begun by begin_batch.
void add_to_batch(const DeviceReading& r, std::string& payload);
/// Closes the array.
void end_batch(std::string& payload);

}  // namespace roomtemp::sim
