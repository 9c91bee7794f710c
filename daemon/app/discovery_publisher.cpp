#include "discovery_publisher.h"

#include "log.h"

namespace roomtemp {
namespace {

constexpr auto kStepEvery = std::chrono::milliseconds(200);

}  // namespace

DiscoveryPublisher::DiscoveryPublisher(Aggregator& aggregator, MqttClient& out,
                                       const LiveConfig& config, Metrics& metrics,
                                       std::string version)
    : aggregator_(aggregator),
      out_(out),
      config_(config),
      metrics_(metrics),
      version_(std::move(version)),
      plan_(DiscoverySettings::of(*config.get(), version_)),
      bucket_(kConfigsPerSecond, kConfigsPerSecond / 5) {}

void DiscoveryPublisher::start() {
  task_ = std::make_unique<PeriodicTask>(
      "discovery", [] { return std::chrono::duration_cast<Duration>(kStepEvery); },
      [this] { step(); });
}

void DiscoveryPublisher::stop() {
  if (task_) task_->stop();
}

void DiscoveryPublisher::wake() {
  if (task_) task_->wake();
}

void DiscoveryPublisher::add_stored_series(const std::vector<SeriesKey>& rooms) {
  std::lock_guard lock(mutex_);
  stored_.insert(stored_.end(), rooms.begin(), rooms.end());
  stored_known_ = true;
}

void DiscoveryPublisher::on_message(std::string_view topic, std::string_view payload,
                                    bool retained) {
  std::lock_guard lock(mutex_);
  // Home Assistant announces itself (not retained) whenever it starts; a retained copy only
  // says it was there before, and the connect announced everything already.
  if (!retained && !birth_topic_.empty() && topic == birth_topic_ && payload == kOnline) {
    birth_ = true;
    return;
  }
  // What the sweep looks for: configs the broker held when we subscribed. Our own publishes
  // while it listens come without the retain flag.
  if (!retained || payload.empty() || sweep_filter_.empty()) return;
  std::string t(topic);
  if (topic_matches(sweep_filter_, t)) found_.push_back(std::move(t));
}

void DiscoveryPublisher::step() {
  const auto config = config_.get();
  auto settings = DiscoverySettings::of(*config, version_);
  const bool changed = !(settings == plan_.settings());
  const bool moved = changed && (settings.enabled != plan_.settings().enabled ||
                                 settings.prefix != plan_.settings().prefix);
  if (changed) {
    auto log = component_log("discovery");
    if (settings.enabled != plan_.settings().enabled)
      log->info("Home Assistant discovery {}",
                settings.enabled ? "on" : "off: removing its configs");
    else if (settings.prefix != plan_.settings().prefix)
      log->info("Home Assistant discovery prefix {} → {}", plan_.settings().prefix,
                settings.prefix);
    plan_.reconfigure(std::move(settings));
  }
  plan_.add_series(aggregator_.take_new_rooms());
  {
    std::vector<SeriesKey> stored;
    {
      std::lock_guard lock(mutex_);
      stored.swap(stored_);
    }
    plan_.add_series(stored);
  }
  if (out_.connected()) {
    const auto connections = out_.connections();
    if (connections != connections_seen_) {
      const bool reconnect = connections_seen_ != 0;
      connections_seen_ = connections;
      subscribe(reconnect);
      if (reconnect) plan_.announce_all();
    } else if (moved) {
      subscribe(false);
    }
    if (birth_.exchange(false)) {
      component_log("discovery")->info("Home Assistant is online: announcing again");
      plan_.announce_all();
    }
    end_sweep_if_due();
    const auto batch = plan_.take(bucket_.available(now_micros()));
    bucket_.spend(batch.size());
    publish(batch);
  }
  metrics_.discovery_entities = plan_.entities();
  metrics_.discovery_pending_series = plan_.pending_series();
}

void DiscoveryPublisher::subscribe(bool reconnect) {
  const auto& s = plan_.settings();
  // The session is clean: after a reconnect nothing is subscribed any more.
  if (!reconnect && !status_filter_.empty()) out_.unsubscribe(status_filter_);
  status_filter_ = s.enabled ? s.prefix + "/status" : "";
  if (!status_filter_.empty()) out_.subscribe(status_filter_, 1);
  {
    std::lock_guard lock(mutex_);
    birth_topic_ = status_filter_;
  }
  // The sweep: at the first connect (under any prefix, so that a run with discovery off still
  // clears what an earlier one announced), and when configs move to another prefix. A
  // reconnect in the middle of one subscribes again; other reconnects sweep nothing.
  std::string sweeping;
  {
    std::lock_guard lock(mutex_);
    sweeping = sweep_filter_;
  }
  if (reconnect) {
    if (!sweeping.empty()) out_.subscribe(sweeping, 1);
    return;
  }
  if (!sweeping.empty()) out_.unsubscribe(sweeping);
  begin_sweep();
}

void DiscoveryPublisher::begin_sweep() {
  const std::string filter = discovery_filter(plan_.settings().prefix);
  {
    std::lock_guard lock(mutex_);
    sweep_filter_ = filter;
    sweep_until_ = std::chrono::steady_clock::now() + kSweepFor;
    found_.clear();
  }
  swept_.clear();
  sweep_waiting_ = false;
  out_.subscribe(filter, 1);
}

void DiscoveryPublisher::end_sweep_if_due() {
  std::string filter;
  bool stored_known = false;
  {
    std::lock_guard lock(mutex_);
    stored_known = stored_known_;
    if (!sweep_filter_.empty() && std::chrono::steady_clock::now() >= sweep_until_) {
      filter = std::exchange(sweep_filter_, {});
      swept_ = std::exchange(found_, {});
      sweep_waiting_ = true;
    }
  }
  if (!filter.empty()) out_.unsubscribe(filter);
  // Stale means not announced for any series roomtempd knows: wait until it knows those
  // PostgreSQL has too (a PostgreSQL that never answers leaves every config in place).
  if (!sweep_waiting_ || !stored_known) return;
  sweep_waiting_ = false;
  const auto before = plan_.pending_removals();
  plan_.remove_stale(swept_);
  component_log("discovery")
      ->info("{} config(s) retained under {}; {} roomtempd no longer announces are removed",
             swept_.size(), discovery_filter(plan_.settings().prefix),
             plan_.pending_removals() - before);
  swept_.clear();
}

void DiscoveryPublisher::publish(const std::vector<DiscoveryConfig>& batch) {
  for (const auto& c : batch) {
    if (!out_.publish(c.topic, c.payload, 1, true)) continue;
    if (c.payload.empty())
      metrics_.discovery_removed.fetch_add(1, std::memory_order_relaxed);
    else
      metrics_.discovery_published.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace roomtemp
