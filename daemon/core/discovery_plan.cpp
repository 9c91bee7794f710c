#include "discovery_plan.h"

#include <algorithm>

#include "series_key.h"

namespace roomtemp {

TokenBucket::TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

std::size_t TokenBucket::available(Micros now) {
  if (at_ != 0 && now > at_)
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now - at_) / 1e6);
  if (at_ == 0 || now > at_) at_ = now;
  return tokens_ >= 1 ? static_cast<std::size_t>(tokens_) : 0;
}

void TokenBucket::spend(std::size_t n) { tokens_ -= static_cast<double>(n); }

DiscoveryPlan::DiscoveryPlan(DiscoverySettings settings) : settings_(std::move(settings)) {}

bool DiscoveryPlan::learn(const SeriesKey& key) {
  if (!known_.insert(series_key_text(key.building, key.room, key.metric)).second) return false;
  series_.push_back(key);
  entities_ += discovery_topics(settings_, key).size();
  if (settings_.enabled) queue_.push_back(series_.size() - 1);
  return true;
}

void DiscoveryPlan::add_series(const std::vector<SeriesKey>& rooms) {
  for (const auto& room : rooms) {
    if (room.room.empty()) continue;
    learn(SeriesKey{room.building, "", room.metric});
    learn(room);
  }
}

void DiscoveryPlan::reconfigure(DiscoverySettings next) {
  if (next == settings_) return;
  entities_ = 0;
  for (const auto& key : series_) {
    std::vector<std::string> before = discovery_topics(settings_, key);
    const std::vector<std::string> after = discovery_topics(next, key);
    entities_ += after.size();
    for (auto& topic : before)
      if (std::find(after.begin(), after.end(), topic) == after.end())
        removals_.push_back(std::move(topic));
  }
  settings_ = std::move(next);
  announce_all();
}

void DiscoveryPlan::announce_all() {
  queue_.clear();
  if (!settings_.enabled) return;
  for (std::size_t i = 0; i < series_.size(); ++i) queue_.push_back(i);
}

void DiscoveryPlan::remove_stale(const std::vector<std::string>& found) {
  if (found.empty()) return;
  std::unordered_set<std::string> wanted;
  wanted.reserve(entities_);
  for (const auto& key : series_)
    for (auto& topic : discovery_topics(settings_, key)) wanted.insert(std::move(topic));
  for (const auto& topic : found)
    if (!wanted.count(topic)) removals_.push_back(topic);
}

std::vector<DiscoveryConfig> DiscoveryPlan::take(std::size_t budget) {
  std::vector<DiscoveryConfig> out;
  while (out.size() < budget && !removals_.empty()) {
    out.push_back({std::move(removals_.front()), ""});
    removals_.pop_front();
  }
  while (out.size() < budget && !queue_.empty()) {
    auto configs = discovery_configs(settings_, series_[queue_.front()]);
    queue_.pop_front();
    std::move(configs.begin(), configs.end(), std::back_inserter(out));
  }
  return out;
}

}  // namespace roomtemp
