#pragma once
// How a building/room/metric series is keyed in a hash map (the aggregator's, the alarm
// engine's): one string "building\x1froom\x1fmetric", looked up by its three parts in place,
// so that finding a series for a reading or an average builds no string.
#include <cstdint>
#include <string>
#include <string_view>

namespace roomtemp {

/// The three parts of a series key (room empty: a building's series).
struct SeriesKeyParts {
  std::string_view building, room, metric;
};

/// "building\x1froom\x1fmetric" (no id holds \x1f).
std::string series_key_text(std::string_view building, std::string_view room,
                            std::string_view metric);
/// The parts of a key series_key_text made.
SeriesKeyParts split_series_key(std::string_view key);

/// splitmix64's finaliser: spreads a combined hash over all 64 bits.
std::uint64_t mix64(std::uint64_t x);
/// The hash of a series key, from its parts.
std::uint64_t hash_series_parts(std::string_view building, std::string_view room,
                                std::string_view metric);

/// Hash and equality that take a key or its parts (heterogeneous lookup).
struct SeriesKeyHash {
  using is_transparent = void;
  std::size_t operator()(const SeriesKeyParts& k) const;
  std::size_t operator()(const std::string& k) const;
};
struct SeriesKeyEqual {
  using is_transparent = void;
  bool operator()(const std::string& a, const std::string& b) const { return a == b; }
  bool operator()(const SeriesKeyParts& a, const std::string& b) const;
  bool operator()(const std::string& a, const SeriesKeyParts& b) const { return (*this)(b, a); }
};

}  // namespace roomtemp
