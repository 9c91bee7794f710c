#pragma once
// The JSON roomtempd publishes on MQTT (and answers on REST): averages and rejections, in the
// shapes the README's "Topics and payloads" section shows.
#include <string>

#include "aggregator.h"
#include "reading.h"

namespace roomtemp {

/// The JSON of a published average (the same object REST answers with).
std::string average_json(const SeriesKey& key, Duration window, const WindowStats& s);

/// The JSON published on roomtemp/rejected.
std::string rejection_json(const Rejection& j);

}  // namespace roomtemp
