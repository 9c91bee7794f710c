#pragma once
// The JSON roomtempd publishes on MQTT (and answers on REST): averages and rejections, in the
// shapes the README's "Topics and payloads" section shows.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "aggregator.h"
#include "reading.h"

namespace roomtemp {

/// `doc` as compact JSON text. Strings that are not UTF-8 (a payload or id quoted from the
/// network) come out with U+FFFD instead of throwing, so answering or logging bad input never
/// fails.
std::string json_text(const nlohmann::json& doc);
/// The same for a document whose keys keep their order of insertion.
std::string json_text(const nlohmann::ordered_json& doc);

/// The JSON of a published average (the same object REST answers with).
std::string average_json(const SeriesKey& key, Duration window, const WindowStats& s);

/// The JSON published on roomtemp/rejected.
std::string rejection_json(const Rejection& j);

}  // namespace roomtemp
