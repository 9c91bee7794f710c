#pragma once
// What Home Assistant discovery still has to publish, and at what pace (README "Home
// Assistant"): the series roomtempd knows, the configs waiting to be announced or removed, and
// a token bucket that spreads them over time. Pure logic; the app's DiscoveryPublisher feeds it
// new series, configurations and what the broker holds, and publishes what take() hands out.
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

#include "ha_discovery.h"
#include "reading.h"

namespace roomtemp {

/// At most `rate` items per second on average and `burst` at once. Not thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst);
  /// Items that may go now (whole tokens after refilling up to `now`).
  std::size_t available(Micros now);
  /// Takes `n` tokens; past what was available the bucket goes into debt.
  void spend(std::size_t n);

 private:
  double rate_;
  double burst_;
  double tokens_;
  Micros at_ = 0;  ///< when tokens_ was last refilled; 0: never
};

class DiscoveryPlan {
 public:
  explicit DiscoveryPlan(DiscoverySettings settings = {});

  const DiscoverySettings& settings() const { return settings_; }

  /// Room series the aggregator learned of: each new one is queued (after its building's series,
  /// so the building's device exists first), those already known are skipped.
  void add_series(const std::vector<SeriesKey>& rooms);
  /// A new configuration: every config announced under the old settings that the new ones do
  /// not have is queued for removal, and every series is announced again.
  void reconfigure(DiscoverySettings next);
  /// Announces every known series again (a reconnect, Home Assistant's birth message).
  void announce_all();
  /// The config topics the broker held at start: those the current settings do not announce
  /// are queued for removal (left by an earlier run).
  void remove_stale(const std::vector<std::string>& found);

  /// Up to about `budget` configs to publish now, removals (empty payloads) first; a series'
  /// configs go together, so the answer may pass `budget` by a few.
  std::vector<DiscoveryConfig> take(std::size_t budget);

  /// Configs the current settings announce for the known series.
  std::size_t entities() const { return entities_; }
  /// Series waiting to be announced.
  std::size_t pending_series() const { return queue_.size(); }
  std::size_t pending_removals() const { return removals_.size(); }
  std::size_t series_count() const { return series_.size(); }

 private:
  /// Appends a series not known yet; true when it was new.
  bool learn(const SeriesKey& key);

  DiscoverySettings settings_;
  std::vector<SeriesKey> series_;          ///< rooms and buildings, in the order learned
  std::unordered_set<std::string> known_;  ///< their series_key_text()
  std::deque<std::size_t> queue_;          ///< indexes into series_ to announce
  std::deque<std::string> removals_;       ///< topics to empty
  std::size_t entities_ = 0;
};

}  // namespace roomtemp
