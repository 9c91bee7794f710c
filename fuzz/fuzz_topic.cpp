// Sensor topics arrive from the broker as any bytes a device cares to send.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_check.h"
#include "topic.h"

using namespace roomtemp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string topic(reinterpret_cast<const char*>(data), size);

  const auto parsed = parse_sensor_topic(topic);
  if (const auto* parts = std::get_if<SensorTopic>(&parsed)) {
    // An accepted topic is exactly buildings/{b}/rooms/{r}/{metric} with three valid ids.
    FUZZ_CHECK(valid_id(parts->building) && valid_id(parts->room) && valid_id(parts->metric));
    FUZZ_CHECK("buildings/" + parts->building + "/rooms/" + parts->room + "/" + parts->metric ==
               topic);
    FUZZ_CHECK(!is_own_output_topic(topic));
    // What we publish for it is never taken back as input ("rooms" is a reserved metric name:
    // buildings/{b}/rooms/average/{w} would read as a room called "average").
    FUZZ_CHECK(is_own_output_topic(
        room_average_topic(parts->building, parts->room, parts->metric, "15m")));
    if (parts->metric != "rooms")
      FUZZ_CHECK(
          is_own_output_topic(building_average_topic(parts->building, parts->metric, "15m")));
  } else {
    // A refusal names one of the reasons a topic can have, and says why.
    const auto& refusal = std::get<Refusal>(parsed);
    FUZZ_CHECK(refusal.reason == RejectReason::bad_topic ||
               refusal.reason == RejectReason::bad_id ||
               refusal.reason == RejectReason::unknown_metric);
    FUZZ_CHECK(!refusal.detail.empty());
  }

  (void)is_own_output_topic(topic);
  (void)valid_id(topic);
  return 0;
}
