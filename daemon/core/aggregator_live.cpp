// The aggregator's bulk reads for the dashboard: one building's summary and rooms, every
// building's summary, and the site's rooms filtered, ordered and paged. A building's answers
// walk its own rooms (BuildingIndex); only the site-wide ones visit every room series.
#include <algorithm>
#include <thread>

#include "aggregator.h"
#include "natural_order.h"

namespace roomtemp {
namespace {

/// Room series a site-wide read visits before it lets go of the lock for a moment: about
/// 0.3 ms of work.
constexpr std::size_t kRoomsPerSlice = 2048;

/// Building, then room, in natural order.
bool room_less(std::string_view b1, std::string_view r1, std::string_view b2, std::string_view r2) {
  if (b1 != b2) return natural_less(b1, b2);
  return natural_less(r1, r2);
}

}  // namespace

const std::vector<Aggregator::Series*>* Aggregator::BuildingIndex::of(
    std::string_view metric) const {
  for (const auto& [m, series] : rooms)
    if (m == metric) return &series;
  return nullptr;
}

std::size_t Aggregator::BuildingIndex::size() const {
  std::size_t n = 0;
  for (const auto& group : rooms) n += group.second.size();
  return n;
}

bool RoomLive::reporting() const {
  return std::any_of(windows.begin(), windows.end(),
                     [](const WindowStats& s) { return s.count > 0; });
}

std::size_t Aggregator::longest_window() const {
  std::size_t best = 0;
  for (std::size_t i = 1; i < windows_.size(); ++i)
    if (windows_[i] > windows_[best]) best = i;
  return best;
}

RoomLive Aggregator::room_live(Series& s, Micros now) {
  const KeyParts parts = split_key(*s.key);
  RoomLive r;
  r.building = parts.building;
  r.room = parts.room;
  r.last_reading = s.last_received;
  r.windows.reserve(s.windows.size());
  for (std::size_t w = 0; w < s.windows.size(); ++w) r.windows.push_back(live_stats(s, w, now));
  if (!s.windows.empty()) {
    Window& longest = s.windows[longest_window()];
    r.trend = longest.buckets(now);
    r.trend_to = (longest.bucket_of(now) + 1) * longest.bucket_width();
  }
  return r;
}

BuildingLive Aggregator::summarize(const std::string& b, const BuildingIndex& index,
                                   const std::string& metric, std::size_t rank, Micros now,
                                   Search* search) {
  BuildingLive sum;
  sum.building = b;
  sum.windows.reserve(windows_.size());
  if (auto it = series_.find(KeyParts{b, "", metric}); it != series_.end()) {
    for (std::size_t w = 0; w < windows_.size(); ++w)
      sum.windows.push_back(live_stats(it->second, w, now));
  } else {
    for (auto length : windows_) sum.windows.push_back(Window(to_micros(length)).stats(now));
  }
  // The extremes are remembered as series and copied out once, at the end.
  Series* hottest = nullptr;
  Series* coldest = nullptr;
  WindowStats hot{}, cold{};
  auto room_of = [](const Series* s) { return split_key(*s->key).room; };
  static const std::vector<Series*> kNoRooms;
  const std::vector<Series*>* rooms = index.of(metric);
  for (Series* s : rooms ? *rooms : kNoRooms) {
    ++sum.rooms;
    bool reporting = false;
    for (std::size_t w = 0; w < windows_.size() && !reporting; ++w)
      reporting = live_stats(*s, w, now).count > 0;
    sum.reporting += reporting;
    sum.last_reading = std::max(sum.last_reading, s->last_received);
    const WindowStats ranked = rank < windows_.size() ? live_stats(*s, rank, now) : WindowStats{};
    if (ranked.count > 0) {
      const double avg = ranked.avg();
      if (!hottest || avg > hot.avg() ||
          (avg == hot.avg() && natural_less(room_of(s), room_of(hottest)))) {
        hottest = s;
        hot = ranked;
      }
      if (!coldest || avg < cold.avg() ||
          (avg == cold.avg() && natural_less(room_of(s), room_of(coldest)))) {
        coldest = s;
        cold = ranked;
      }
    }
    if (search) search->match(s, ranked, reporting);
  }
  if (hottest) sum.hottest = RankedRoom{b, std::string(room_of(hottest)), hot};
  if (coldest) sum.coldest = RankedRoom{b, std::string(room_of(coldest)), cold};
  return sum;
}

std::vector<RoomLive> Aggregator::list_rooms(const BuildingIndex& index, const std::string& metric,
                                             const std::string& only_room, Micros now) {
  std::vector<RoomLive> out;
  if (const std::vector<Series*>* rooms = index.of(metric)) {
    for (Series* s : *rooms)
      if (only_room.empty() || split_key(*s->key).room == only_room)
        out.push_back(room_live(*s, now));
  }
  std::sort(out.begin(), out.end(),
            [](const RoomLive& x, const RoomLive& y) { return natural_less(x.room, y.room); });
  return out;
}

bool Aggregator::candidate_less(const Candidate& x, const Candidate& y) {
  if (x.group != y.group) return x.group < y.group;
  if (x.value != y.value) return x.value < y.value;
  const KeyParts a = split_key(*x.series->key), b = split_key(*y.series->key);
  return room_less(a.building, a.room, b.building, b.room);
}

void Aggregator::Search::match(Series* s, const WindowStats& ranked, bool reporting) {
  if (!query.contains.empty()) {
    const KeyParts parts = split_key(*s->key);
    path.assign(parts.building).append(1, '/').append(parts.room);
    if (!contains_ignoring_case(path, query.contains)) return;
  }
  Candidate c{s, 0, 0};
  if (query.order == RoomOrder::hottest || query.order == RoomOrder::coldest) {
    c.group = ranked.count > 0 ? 0 : 1;
    c.value = query.order == RoomOrder::hottest ? -ranked.avg() : ranked.avg();
  } else if (query.order == RoomOrder::silent) {
    c.group = reporting ? 1 : 0;
    c.value = static_cast<double>(s->last_received);
  }
  consider(c);
}

void Aggregator::Search::consider(const Candidate& c) {
  ++total;
  const std::size_t keep = query.offset + query.limit;
  if (keep == 0) return;
  if (best.size() < keep) {
    best.push_back(c);
    std::push_heap(best.begin(), best.end(), candidate_less);
  } else if (candidate_less(c, best.front())) {
    std::pop_heap(best.begin(), best.end(), candidate_less);
    best.back() = c;
    std::push_heap(best.begin(), best.end(), candidate_less);
  }
}

RoomPage Aggregator::page_of(Search& search, Micros now) {
  const RoomQuery& q = search.query;
  RoomPage page;
  page.total = search.total;
  std::sort_heap(search.best.begin(), search.best.end(), candidate_less);
  for (std::size_t i = q.offset; i < search.best.size(); ++i)
    page.rooms.push_back(room_live(*search.best[i].series, now));
  return page;
}

template <typename Visit, typename Restart>
void Aggregator::visit_buildings(std::unique_lock<std::mutex>& lock, Visit&& visit,
                                 Restart&& restart) {
  std::size_t visited = 0;
  std::uint64_t generation = generation_;
  for (auto it = buildings_.begin(); it != buildings_.end();) {
    if (visited >= kRoomsPerSlice) {
      visited = 0;
      const std::string at = it->first;
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
      // New buildings may have come meanwhile (a map keeps its nodes); after a reset() every
      // series seen so far is gone.
      if (generation != generation_) {
        generation = generation_;
        restart();
        it = buildings_.begin();
        continue;
      }
      it = buildings_.lower_bound(at);
      continue;
    }
    visited += it->second.size() + 1;
    visit(it->first, it->second);
    ++it;
  }
}

std::vector<BuildingLive> Aggregator::buildings_live(const std::string& metric, std::size_t rank,
                                                     Micros now) {
  std::vector<BuildingLive> out;
  {
    std::unique_lock lock(mutex_);
    visit_buildings(
        lock,
        [&](const std::string& b, const BuildingIndex& index) {
          out.push_back(summarize(b, index, metric, rank, now));
        },
        [&] { out.clear(); });
  }
  std::sort(out.begin(), out.end(), [](const BuildingLive& x, const BuildingLive& y) {
    return natural_less(x.building, y.building);
  });
  return out;
}

std::optional<BuildingView> Aggregator::building_live(const std::string& building,
                                                      const std::string& metric, std::size_t rank,
                                                      Micros now, const std::string& room) {
  std::lock_guard lock(mutex_);
  auto it = buildings_.find(building);
  if (it == buildings_.end()) return std::nullopt;
  BuildingView view;
  view.summary = summarize(it->first, it->second, metric, rank, now);
  view.rooms = list_rooms(it->second, metric, room, now);
  return view;
}

RoomPage Aggregator::rooms_live(const RoomQuery& q, Micros now) {
  Search search(q);
  std::unique_lock lock(mutex_);
  visit_buildings(
      lock,
      [&](const std::string& b, const BuildingIndex& index) {
        summarize(b, index, q.metric, q.window, now, &search);
      },
      [&] { search.clear(); });
  return page_of(search, now);
}

SiteView Aggregator::site_live(const RoomQuery& q, Micros now) {
  SiteView site;
  Search search(q);
  // Listing no room of every room needs no list: the buildings' counts add up to it.
  const bool list = q.limit > 0 || !q.contains.empty();
  {
    std::unique_lock lock(mutex_);
    visit_buildings(
        lock,
        [&](const std::string& b, const BuildingIndex& index) {
          site.buildings.push_back(
              summarize(b, index, q.metric, q.window, now, list ? &search : nullptr));
        },
        [&] {
          site.buildings.clear();
          search.clear();
        });
    if (list) site.rooms = page_of(search, now);
  }
  if (!list)
    for (const BuildingLive& b : site.buildings) site.rooms.total += b.rooms;
  std::sort(site.buildings.begin(), site.buildings.end(),
            [](const BuildingLive& x, const BuildingLive& y) {
              return natural_less(x.building, y.building);
            });
  return site;
}

std::optional<std::vector<RoomListing>> Aggregator::rooms_of(const std::string& building) const {
  std::lock_guard lock(mutex_);
  auto it = buildings_.find(building);
  if (it == buildings_.end()) return std::nullopt;
  std::map<std::string_view, RoomListing> rooms;
  for (const auto& [metric, series] : it->second.rooms) {
    for (const Series* s : series) {
      RoomListing& r = rooms[split_key(*s->key).room];
      r.metrics.push_back(metric);
      r.last_reading = std::max(r.last_reading, s->last_received);
    }
  }
  std::vector<RoomListing> out;
  out.reserve(rooms.size());
  for (auto& [room, listing] : rooms) {
    listing.room = room;
    std::sort(listing.metrics.begin(), listing.metrics.end());
    out.push_back(std::move(listing));
  }
  return out;
}

std::map<std::string, std::size_t> Aggregator::metrics_reported() const {
  std::lock_guard lock(mutex_);
  return {metric_rooms_.begin(), metric_rooms_.end()};
}

}  // namespace roomtemp
