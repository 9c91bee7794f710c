#pragma once
#include <string_view>
#include <vector>

#include "config.h"
#include "reading.h"
#include "sources.h"

namespace roomtemp {

/// One outcome of a message: a Reading (with whether it was stamped on arrival) or a Rejection.
struct SourceOutcome {
  Inbound item;
  bool stamped_on_arrival = false;
  /// The text a refusal of the reading (by a limit, later) quotes: its batch element, or the
  /// whole payload. A view into the payload: valid while the message is.
  std::string_view text;
};

/// Turns one MQTT message into its readings and rejections through the configured sources
/// (README "Connecting real sensors"): the source whose topic matches, its captures and devices
/// for the address, its values and timestamp for the payload, a batch element by element. Each
/// reading then passes check_reading as every reading does. `out` is cleared first.
void classify_source_message(std::string_view topic, std::string_view payload, Micros now,
                             const Config& config, const SourceSet& sources,
                             std::vector<SourceOutcome>& out);

}  // namespace roomtemp
