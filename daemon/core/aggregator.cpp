#include "aggregator.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

namespace roomtemp {
namespace {

// Readings kept per series while they are stamped ahead of the newest bucket.
constexpr std::size_t kMaxPendingPerSeries = 1024;

std::uint64_t random_key() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace

Aggregator::Aggregator(std::vector<Duration> windows, Duration dedupe_horizon)
    : windows_(std::move(windows)),
      dedupe_horizon_(to_micros(dedupe_horizon)),
      fingerprint_key_(random_key()) {}

std::vector<Duration> Aggregator::windows() const {
  std::lock_guard lock(mutex_);
  return windows_;
}

void Aggregator::reset(std::vector<Duration> windows, Duration dedupe_horizon) {
  std::lock_guard lock(mutex_);
  windows_ = std::move(windows);
  dedupe_horizon_ = to_micros(dedupe_horizon);
  dirty_.clear();
  schedule_.clear();
  buildings_.clear();
  ++generation_;
  metric_rooms_.clear();
  series_.clear();
  seen_.clear();
  seen_order_.clear();
}

std::optional<std::size_t> Aggregator::window_index(Duration d) const {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < windows_.size(); ++i)
    if (windows_[i] == d) return i;
  return std::nullopt;
}

Aggregator::Series& Aggregator::series(std::string_view b, std::string_view r, std::string_view m) {
  const KeyParts parts{b, r, m};
  if (auto it = series_.find(parts); it != series_.end()) return it->second;
  auto [it, inserted] = series_.try_emplace(series_key_text(b, r, m));
  Series& s = it->second;
  s.key = &it->first;
  s.windows.reserve(windows_.size());
  for (auto w : windows_) s.windows.emplace_back(to_micros(w));
  s.last.resize(windows_.size());
  s.is_room = !r.empty();
  // Buildings that have a room appear in the index; a building-wide series adds nothing.
  auto building = buildings_.find(b);
  if (building == buildings_.end())
    building = buildings_.emplace(std::string(b), BuildingIndex{}).first;
  if (!r.empty()) {
    auto& rooms = building->second.rooms;
    auto group =
        std::find_if(rooms.begin(), rooms.end(), [&](const auto& g) { return g.first == m; });
    if (group == rooms.end()) group = rooms.insert(rooms.end(), {std::string(m), {}});
    group->second.push_back(&s);
    auto metric = metric_rooms_.find(m);
    if (metric == metric_rooms_.end()) metric = metric_rooms_.emplace(std::string(m), 0).first;
    ++metric->second;
    if (track_new_rooms_) new_rooms_.push_back({std::string(b), std::string(r), std::string(m)});
  }
  return s;
}

void Aggregator::track_new_rooms() {
  std::lock_guard lock(mutex_);
  track_new_rooms_ = true;
}

std::vector<SeriesKey> Aggregator::take_new_rooms() {
  std::lock_guard lock(mutex_);
  return std::exchange(new_rooms_, {});
}

std::uint64_t Aggregator::fingerprint(const Reading& r) const {
  // A 64-bit fingerprint of the identity; a false match needs ~2^32 readings in the horizon.
  // Each part is keyed before it is mixed: FingerprintSet takes a fingerprint's low bits as
  // its slot, and a sensor that could predict them could send readings (its timestamps are
  // free to vary) that all land in one probe run, making every dedupe lookup walk them all.
  // The ids' own hashes (std::hash) are not keyed: two ids with equal std::hash give equal
  // fingerprints under any key — a copy found where there is none, which drops a reading from
  // the live windows only, and needs an id crafted to match another's hash and timestamp.
  const std::uint64_t k = fingerprint_key_;
  const std::uint64_t sensor =
      r.sensor_id ? std::hash<std::string_view>{}(*r.sensor_id) : 0x1e1e1e1e1e1e1e1eULL;
  return mix64(mix64(hash_series_parts(r.building, r.room, r.metric) ^ k) ^
               mix64(sensor + 0x2545f4914f6cdd1dULL + std::rotl(k, 21)) ^
               mix64(static_cast<std::uint64_t>(r.ts) ^ std::rotl(k, 42)));
}

void Aggregator::remember(const Reading& r) {
  std::lock_guard lock(mutex_);
  // The warm start's only source of when a room last reported (warm() has its series).
  if (auto it = series_.find(KeyParts{r.building, r.room, r.metric}); it != series_.end()) {
    it->second.last_received = std::max(it->second.last_received, r.received_at);
    it->second.heard = std::max(it->second.heard, std::min(r.ts, r.received_at));
  }
  if (dedupe_horizon_ <= 0) return;
  const std::uint64_t fp = fingerprint(r);
  if (seen_.insert(fp)) seen_order_.emplace_back(r.received_at, fp);
}

bool Aggregator::is_duplicate(const Reading& r, Micros now) {
  if (dedupe_horizon_ <= 0) return false;
  while (!seen_order_.empty() && seen_order_.front().first < now - dedupe_horizon_) {
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
  const std::uint64_t fp = fingerprint(r);
  if (!seen_.insert(fp)) return true;
  seen_order_.emplace_back(now, fp);
  return false;
}

void Aggregator::touch(Series& s) {
  if (s.dirty) return;
  s.dirty = true;
  dirty_.push_back(&s);
}

void Aggregator::add_to(Series& s, Micros ts, double value, Micros now) {
  touch(s);
  for (std::uint32_t w = 0; w < s.windows.size(); ++w) {
    Window& win = s.windows[w];
    if (win.add(ts, value, now)) continue;
    // Not counted: either older than the window (stored, but moves no average) or stamped
    // after the newest bucket, which it will join when the clock gets there.
    if (win.bucket_of(ts) > win.bucket_of(now)) {
      if (s.pending.size() < kMaxPendingPerSeries) s.pending.push_back({ts, value, w});
    } else if (s.published(w) && ts >= s.last[w].from && ts < s.last[w].to) {
      // Too old for the window now, yet inside the range subscribers last got: that message
      // is no longer exact, so the current window goes out at the next tick.
      s.republish |= 1u << w;
    }
  }
}

void Aggregator::add(const Reading& r, Micros now) {
  std::lock_guard lock(mutex_);
  if (is_duplicate(r, now)) return;
  Series& room = series(r.building, r.room, r.metric);
  // A replayed reading (spool, journal) keeps the time it first arrived.
  const Micros received = r.received_at > 0 ? r.received_at : now;
  room.last_received = std::max(room.last_received, received);
  // A sign of life no later than the reading's own time: a replayed buffer or a retained copy
  // the broker hands back does not make a sensor that died look alive.
  room.heard = std::max(room.heard, std::min(r.ts, received));
  add_to(room, r.ts, r.value, now);
  add_to(series(r.building, "", r.metric), r.ts, r.value, now);
}

namespace {
constexpr auto kEarliestScheduledFirst = [](const auto& a, const auto& b) {
  return a.first > b.first;
};
}

std::vector<AverageUpdate> Aggregator::tick(Micros now, std::vector<SeriesHeard>* heard) {
  std::vector<AverageUpdate> out;
  std::lock_guard lock(mutex_);
  while (!schedule_.empty() && schedule_.front().first <= now) {
    std::pop_heap(schedule_.begin(), schedule_.end(), kEarliestScheduledFirst);
    const auto [at, s] = schedule_.back();
    schedule_.pop_back();
    if (s->wake_at == at) {
      s->wake_at = INT64_MAX;
      touch(*s);
    }
  }
  std::vector<Series*> work;
  work.swap(dirty_);
  for (Series* s : work) review(*s, now, out, heard);
  return out;
}

void Aggregator::review(Series& s, Micros now, std::vector<AverageUpdate>& out,
                        std::vector<SeriesHeard>* heard) {
  s.dirty = false;
  Micros wake = INT64_MAX;
  if (!s.pending.empty()) {
    std::erase_if(s.pending, [&](const Pending& p) {
      Window& win = s.windows[p.window];
      if (win.bucket_of(p.ts) > win.bucket_of(now)) {
        wake = std::min(wake, win.bucket_of(p.ts) * win.bucket_width());
        return false;
      }
      win.add(p.ts, p.value, now);
      return true;
    });
  }
  std::optional<SeriesKey> key;  // made once, when the first window changed
  const std::size_t first_update = out.size();
  for (std::size_t w = 0; w < s.windows.size(); ++w) {
    WindowStats st = s.windows[w].stats(now);
    wake = std::min(wake, s.windows[w].next_drop());
    const bool forced = (s.republish >> w) & 1u;
    const bool changed = forced || (s.published(w) ? !st.same_numbers(s.last[w]) : st.count > 0);
    if (!changed) continue;
    s.last[w] = st;
    s.has_last |= 1u << w;
    if (!key) {
      const KeyParts parts = split_key(*s.key);
      key = SeriesKey{std::string(parts.building), std::string(parts.room),
                      std::string(parts.metric)};
    }
    out.push_back({*key, w, windows_[w], st});
  }
  if (heard && s.is_room && s.heard > s.heard_told) {
    s.heard_told = s.heard;
    if (!key) {
      const KeyParts parts = split_key(*s.key);
      key = SeriesKey{std::string(parts.building), std::string(parts.room),
                      std::string(parts.metric)};
    }
    heard->push_back({*key, s.heard, first_update, out.size() - first_update, s.handle});
  }
  s.republish = 0;
  if (wake != INT64_MAX && wake != s.wake_at) {
    s.wake_at = wake;
    schedule_.emplace_back(wake, &s);
    std::push_heap(schedule_.begin(), schedule_.end(), kEarliestScheduledFirst);
  }
}

std::optional<WindowStats> Aggregator::live(const SeriesKey& key, std::size_t window, Micros now) {
  std::lock_guard lock(mutex_);
  auto it = series_.find(KeyParts{key.building, key.room, key.metric});
  if (it == series_.end() || window >= windows_.size()) return std::nullopt;
  return live_stats(it->second, window, now);
}

WindowStats Aggregator::live_stats(Series& s, std::size_t w, Micros now) {
  if (s.published(w)) return s.last[w];
  return s.windows[w].stats(now);
}

std::vector<RankedRoom> Aggregator::top(const std::string& metric, std::size_t window,
                                        const std::string& by, bool descending, std::size_t n) {
  std::vector<RankedRoom> rooms;
  {
    std::lock_guard lock(mutex_);
    for (auto& [k, s] : series_) {
      const KeyParts parts = split_key(k);
      if (parts.room.empty() || parts.metric != metric) continue;
      if (window >= s.windows.size() || !s.published(window) || s.last[window].count == 0) continue;
      rooms.push_back({std::string(parts.building), std::string(parts.room), s.last[window]});
    }
  }
  auto value = [&](const RankedRoom& r) {
    return by == "min" ? r.stats.min : by == "max" ? r.stats.max : r.stats.avg();
  };
  std::sort(rooms.begin(), rooms.end(), [&](const RankedRoom& a, const RankedRoom& b) {
    const double va = value(a), vb = value(b);
    if (va != vb) return descending ? va > vb : va < vb;
    return std::tie(a.building, a.room) < std::tie(b.building, b.room);
  });
  if (rooms.size() > n) rooms.resize(n);
  return rooms;
}

std::map<std::string, std::map<std::string, std::vector<std::string>>> Aggregator::reported()
    const {
  std::map<std::string, std::map<std::string, std::vector<std::string>>> out;
  std::lock_guard lock(mutex_);
  for (const auto& [k, s] : series_) {
    const KeyParts parts = split_key(k);
    auto& rooms = out[std::string(parts.building)];
    if (parts.room.empty()) continue;  // the building-wide series
    rooms[std::string(parts.room)].emplace_back(parts.metric);
  }
  for (auto& [b, rooms] : out)
    for (auto& [r, metrics] : rooms) std::sort(metrics.begin(), metrics.end());
  return out;
}

void Aggregator::warm_ahead(const Reading& r, Micros now) {
  std::lock_guard lock(mutex_);
  for (Series* s : {&series(r.building, r.room, r.metric), &series(r.building, "", r.metric)}) {
    for (std::uint32_t w = 0; w < s->windows.size(); ++w) {
      Window& win = s->windows[w];
      if (win.bucket_of(r.ts) > win.bucket_of(now) && s->pending.size() < kMaxPendingPerSeries) {
        s->pending.push_back({r.ts, r.value, w});
        touch(*s);
      }
    }
  }
}

void Aggregator::warm(const std::vector<WarmBucket>& rows, Micros now) {
  std::lock_guard lock(mutex_);
  for (const auto& row : rows) {
    if (row.window >= windows_.size()) continue;
    Series& room = series(row.building, row.room, row.metric);
    room.last_received = std::max(room.last_received, row.last_received);
    room.heard = std::max(room.heard, row.last_heard);
    for (Series* s : {&room, &series(row.building, "", row.metric)}) {
      s->windows[row.window].add_bucket(row.bucket, row.numbers, now);
      touch(*s);
    }
  }
}

std::vector<RoomSnapshot> Aggregator::rooms_snapshot(Micros now) {
  std::vector<RoomSnapshot> out;
  std::lock_guard lock(mutex_);
  out.reserve(series_.size());
  for (auto& [k, s] : series_) {
    if (!s.is_room) continue;
    const KeyParts parts = split_key(k);
    RoomSnapshot snap;
    snap.key = {std::string(parts.building), std::string(parts.room), std::string(parts.metric)};
    snap.heard = s.heard;
    snap.windows.reserve(s.windows.size());
    for (std::size_t w = 0; w < s.windows.size(); ++w)
      snap.windows.emplace_back(windows_[w], live_stats(s, w, now));
    out.push_back(std::move(snap));
  }
  return out;
}

void Aggregator::set_handles(const std::vector<std::pair<SeriesKey, void*>>& handles) {
  std::lock_guard lock(mutex_);
  for (const auto& [key, handle] : handles)
    if (auto it = series_.find(KeyParts{key.building, key.room, key.metric}); it != series_.end())
      it->second.handle = handle;
}

std::size_t Aggregator::series_count() const {
  std::lock_guard lock(mutex_);
  return series_.size();
}

}  // namespace roomtemp
