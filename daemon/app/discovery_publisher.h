#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator.h"
#include "discovery_plan.h"
#include "live_config.h"
#include "metrics.h"
#include "mqtt_client.h"
#include "periodic_task.h"

namespace roomtemp {

/// Home Assistant discovery on the wire (README "Home Assistant"): a step every 200 ms, on a
/// thread of its own, takes the series the aggregator learned of and the configuration in force,
/// and publishes what the plan hands out within the rate limit, retained QoS 1, on the client
/// that publishes the averages (whose presence is roomtemp/status). It announces everything
/// again after a reconnect and when Home Assistant says `online` on {prefix}/status; at the
/// first connect, and when the prefix changes or discovery is turned on, it listens for a few
/// seconds to the configs the broker retains under the prefix and removes those it would no
/// longer announce.
class DiscoveryPublisher {
 public:
  /// At most this many configs a second (and a fifth of it at once).
  static constexpr double kConfigsPerSecond = 2000;
  /// How long the broker's retained configs are collected before the stale ones are removed.
  static constexpr auto kSweepFor = std::chrono::seconds(3);

  DiscoveryPublisher(Aggregator& aggregator, MqttClient& out, const LiveConfig& config,
                     Metrics& metrics, std::string version);

  void start();
  /// Ends the steps (what waits is not published: the next start announces it again).
  void stop();
  /// A reload: the new configuration applies now.
  void wake();

  /// The room series PostgreSQL has readings of (any thread, once, at the alarm restore): they
  /// are announced like those the aggregator knows, and the sweep removes stale configs only
  /// once it has them, so that a room silent since before the windows' reach keeps its entities.
  void add_stored_series(const std::vector<SeriesKey>& rooms);

  /// A message on the publishing client (its network thread): Home Assistant's birth, or a
  /// retained config the sweep collects.
  void on_message(std::string_view topic, std::string_view payload, bool retained);

 private:
  void step();
  /// Subscriptions for the settings in force after a (re)connect or a change of them.
  void subscribe(bool reconnect);
  void begin_sweep();
  void end_sweep_if_due();
  void publish(const std::vector<DiscoveryConfig>& batch);

  Aggregator& aggregator_;
  MqttClient& out_;
  const LiveConfig& config_;
  Metrics& metrics_;
  const std::string version_;
  DiscoveryPlan plan_;  ///< step() only
  TokenBucket bucket_;  ///< step() only
  std::uint64_t connections_seen_ = 0;
  std::string status_filter_;  ///< {prefix}/status subscribed to; "" none (step() only)
  std::atomic<bool> birth_{false};
  std::unique_ptr<PeriodicTask> task_;

  /// Configs the sweep found, waiting for the stored series before the stale ones go (step()
  /// only).
  std::vector<std::string> swept_;
  bool sweep_waiting_ = false;

  /// Guards what other threads share with step(): the sweep, the stored series.
  std::mutex mutex_;
  std::string birth_topic_;   ///< {prefix}/status while discovery is on
  std::string sweep_filter_;  ///< "" when not listening
  std::chrono::steady_clock::time_point sweep_until_{};
  std::vector<std::string> found_;
  std::vector<SeriesKey> stored_;  ///< add_stored_series() not yet taken by step()
  bool stored_known_ = false;      ///< add_stored_series() came
};

}  // namespace roomtemp
