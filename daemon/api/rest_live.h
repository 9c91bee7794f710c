#pragma once
// What the live route groups (rest_live.cpp, rest_overview.cpp) share.
#include <cstddef>

namespace httplib {
struct Request;
}

namespace roomtemp {

class Aggregator;

/// The window a live request asks for: `window=` if given, else 15m when configured, else the
/// first configured window. Throws BadRequest naming the configured ones.
std::size_t live_window(const httplib::Request& req, const Aggregator& agg);

}  // namespace roomtemp
