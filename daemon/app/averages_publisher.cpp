#include "averages_publisher.h"

#include "messages.h"
#include "topic.h"

namespace roomtemp {

AveragesPublisher::AveragesPublisher(Aggregator& aggregator, MqttClient& out,
                                     const LiveConfig& config, Metrics& metrics)
    : aggregator_(aggregator), out_(out), config_(config), metrics_(metrics) {}

void AveragesPublisher::start() {
  tick_ = std::make_unique<PeriodicTask>(
      "averages", [this] { return config_.get()->averages.publish_interval; },
      [this] { publish_changed(); });
}

void AveragesPublisher::publish_changed(bool with_alarms) {
  // An instance that is no longer the active decides nothing: its windows miss what the new
  // active took in, and its alarm transitions would repeat the new active's.
  if (may_act_ && !may_act_()) return;
  const Micros now = now_micros();
  std::vector<SeriesHeard> heard;
  const bool alarms = with_alarms && alarms_;
  const std::vector<AverageUpdate> changed = aggregator_.tick(now, alarms ? &heard : nullptr);
  for (const auto& u : changed) {
    const std::string window = format_duration(u.length);
    const std::string topic =
        u.key.room.empty() ? building_average_topic(u.key.building, u.key.metric, window)
                           : room_average_topic(u.key.building, u.key.room, u.key.metric, window);
    if (out_.publish(topic, average_json(u.key, u.length, u.stats), 1, true))
      metrics_.averages_published.fetch_add(1, std::memory_order_relaxed);
  }
  if (alarms) alarms_->on_tick(changed, heard, now);
}

void AveragesPublisher::wake() {
  if (tick_) tick_->wake();
}

void AveragesPublisher::stop() {
  if (tick_) tick_->stop();
}

}  // namespace roomtemp
