#pragma once
// What the live route groups (rest_live.cpp, rest_overview.cpp, rest_compat*.cpp) share.
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "aggregator.h"

namespace httplib {
struct Request;
}

namespace roomtemp {

class Aggregator;
struct HttpDeps;

/// The window a live request asks for: `window=` if given, else 15m when configured, else the
/// first configured window. Throws BadRequest naming the configured ones.
std::size_t live_window(const httplib::Request& req, const Aggregator& agg);

/// The live figures of `key` in window `window`; throws NotFound when it has none.
WindowStats live_or_404(HttpDeps& deps, const SeriesKey& key, std::size_t window);

/// Feeds POSTed readings (an object, or an array of them) through the same path as MQTT ones,
/// each item as the text it is kept as when refused. Returns {accepted, rejected: [{index,
/// reason, detail}]}; `source` names the route in rejected_readings.
nlohmann::json ingest_items(HttpDeps& deps, const nlohmann::json& body, const std::string& source);

/// The request's body as JSON; BadRequest when it is not, or is nested too deep.
nlohmann::json parse_body(const httplib::Request& req);

}  // namespace roomtemp
