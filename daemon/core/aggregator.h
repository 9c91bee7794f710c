#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duration.h"
#include "fingerprint_set.h"
#include "reading.h"
#include "series_key.h"
#include "window.h"

namespace roomtemp {

/// What an average is about: a room's metric, or (room empty) a building's.
struct SeriesKey {
  std::string building;
  std::string room;  ///< empty for the building-wide series
  std::string metric;
  bool operator==(const SeriesKey&) const = default;
};

/// A window's numbers that changed and should be published.
struct AverageUpdate {
  SeriesKey key;
  std::size_t window = 0;  ///< index into the configured windows
  Duration length{};       ///< that window's length
  WindowStats stats;
};

/// A room's metric that was heard from, and its newest sign of life: the earlier of when
/// roomtempd first received a reading and the reading's own timestamp, for its newest reading
/// (README "Alarms and silent sensors" says why).
struct SeriesHeard {
  SeriesKey key;
  Micros at = 0;
  /// Where its changed windows are in the same tick's answer: `updates` of them from
  /// `first_update` on (none: 0).
  std::size_t first_update = 0;
  std::size_t updates = 0;
  /// What set_handles() gave this series (null: nothing yet): the alarm engine finds its state
  /// by it instead of a lookup.
  void* handle = nullptr;
};

/// A room's metric as the aggregator holds it now: every window as subscribers last got it,
/// and its newest sign of life (0: not known).
struct RoomSnapshot {
  SeriesKey key;
  std::vector<std::pair<Duration, WindowStats>> windows;
  Micros heard = 0;
};

/// A room ranked by a statistic of its live window (GET /v1/top).
struct RankedRoom {
  std::string building;
  std::string room;
  WindowStats stats;
};

/// A room's live numbers for one metric (GET /v1/buildings/{b}/live, GET /v1/overview).
struct RoomLive {
  std::string building;
  std::string room;
  /// Per configured window, what live() answers (what subscribers last got).
  std::vector<WindowStats> windows;
  /// When roomtempd last received a reading of it; 0 when not known (none since the start but
  /// the warm start's, which knows only those received within the dedupe horizon).
  Micros last_reading = 0;
  /// The longest window's buckets now, oldest first (a sparkline of it), ending at trend_to.
  std::vector<Bucket> trend;
  Micros trend_to = 0;
  /// It has a reading in some live window.
  bool reporting() const;
};

/// A building's live summary for one metric.
struct BuildingLive {
  std::string building;
  /// Per configured window, the building-wide series (count 0 when it has none).
  std::vector<WindowStats> windows;
  std::size_t rooms = 0;      ///< its rooms that reported this metric
  std::size_t reporting = 0;  ///< of those, rooms with a reading in some live window
  Micros last_reading = 0;    ///< the newest of its rooms' last_reading (0: not known)
  /// The rooms with the highest and the lowest average in the ranking window.
  std::optional<RankedRoom> hottest, coldest;
};

/// A building's summary and every room of it, for one metric.
struct BuildingView {
  BuildingLive summary;
  std::vector<RoomLive> rooms;  ///< in natural order of their ids
};

/// How a list of rooms is ordered: by id, worst first.
enum class RoomOrder {
  name,     ///< by building, then room, in natural order (B2 before B10)
  hottest,  ///< highest average of the ranking window first; rooms without one last
  coldest,  ///< lowest average first; rooms without one last
  silent,   ///< rooms with no reading in any window first, then the longest since a reading
};

/// Which rooms of the whole site to list (GET /v1/overview).
struct RoomQuery {
  std::string metric;
  std::string contains;  ///< a case-insensitive part of "building/room"; "" for every room
  RoomOrder order = RoomOrder::name;
  std::size_t window = 0;  ///< the ranking window, for hottest and coldest
  std::size_t offset = 0;
  std::size_t limit = 50;
};

/// One page of a RoomQuery's answer.
struct RoomPage {
  std::size_t total = 0;  ///< rooms that matched
  std::vector<RoomLive> rooms;
};

/// The site at a glance: every building's summary, and a page of its rooms.
struct SiteView {
  std::vector<BuildingLive> buildings;  ///< in natural order
  RoomPage rooms;
};

/// A room as GET /v1/buildings/{b}/rooms lists it.
struct RoomListing {
  std::string room;
  std::vector<std::string> metrics;  ///< sorted
  Micros last_reading = 0;           ///< the newest over its metrics; 0: not known
};

/// One row of a warm start: a bucket's numbers from PostgreSQL.
struct WarmBucket {
  std::string building, room, metric;
  std::size_t window = 0;
  std::int64_t bucket = 0;
  Bucket numbers;
  Micros last_received = 0;  ///< the latest received_at of the bucket's readings
  Micros last_heard = 0;     ///< the latest least(ts, received_at) of them
};

/// Rolling averages for every room and building, for every configured window. Fed by the MQTT
/// thread (add), read by the publish tick and the REST handlers; one mutex guards it all.
class Aggregator {
 public:
  Aggregator(std::vector<Duration> windows, Duration dedupe_horizon);

  /// The configured windows (a copy: a reload may change them).
  std::vector<Duration> windows() const;
  /// The index of a window length, or nullopt when it is not configured.
  std::optional<std::size_t> window_index(Duration d) const;

  /// Adds an accepted reading to its room and building. A copy (same building, room, metric,
  /// sensor_id and ts) seen within the dedupe horizon is ignored.
  void add(const Reading& r, Micros now);
  /// The dedupe identity of a reading, keyed with this aggregator's random key: equal for
  /// copies, and where it lands in the dedupe set unpredictable from outside (a different key
  /// in every process).
  std::uint64_t fingerprint(const Reading& r) const;

  /// Brings every window up to `now` and returns those whose numbers changed since they were
  /// last returned (including a window that became empty). `heard` (when given) gets the room
  /// series heard from since the last tick that asked, with their newest sign of life.
  std::vector<AverageUpdate> tick(Micros now, std::vector<SeriesHeard>* heard = nullptr);

  /// Every room series now (what live() answers for each window) with its newest sign of
  /// life: for the alarm evaluations that look at every room (a start, a reload).
  std::vector<RoomSnapshot> rooms_snapshot(Micros now);

  /// Remembers an opaque handle per series, handed back in SeriesHeard from then on (until a
  /// reset() empties the series). The alarm engine's state of a series, which lives as long as
  /// the engine: one lookup per series instead of one per series and tick.
  void set_handles(const std::vector<std::pair<SeriesKey, void*>>& handles);

  /// The numbers last returned by tick() for a series and window (what subscribers last got),
  /// or, if none yet, the numbers now. nullopt when the series never reported.
  std::optional<WindowStats> live(const SeriesKey& key, std::size_t window, Micros now);

  /// Rooms of a metric ranked by a statistic ("avg", "min", "max") of their live window.
  std::vector<RankedRoom> top(const std::string& metric, std::size_t window, const std::string& by,
                              bool descending, std::size_t n);

  /// Buildings and their rooms (with metrics) that have reported.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> reported() const;

  // Bulk reads for the dashboard (aggregator_live.cpp). A building's answers cost its own
  // rooms only; the site-wide ones visit every room series once, under the lock.

  /// Every building that reported (any metric), in natural order, summarised for `metric`;
  /// hottest and coldest by the average of window `rank`.
  std::vector<BuildingLive> buildings_live(const std::string& metric, std::size_t rank, Micros now);
  /// One building's summary and rooms for `metric` (only `room` when not empty); nullopt when
  /// the building never reported.
  std::optional<BuildingView> building_live(const std::string& building, const std::string& metric,
                                            std::size_t rank, Micros now,
                                            const std::string& room = "");
  /// Rooms of the whole site that match `q`, ordered and paged.
  RoomPage rooms_live(const RoomQuery& q, Micros now);
  /// Both at once (GET /v1/overview), in one visit of every room series: buildings_live() by
  /// window q.window, and rooms_live(q). A page of no rooms without a search only counts them.
  SiteView site_live(const RoomQuery& q, Micros now);
  /// The rooms of a building with their metrics and last reading; nullopt when it never
  /// reported.
  std::optional<std::vector<RoomListing>> rooms_of(const std::string& building) const;
  /// Every metric that reported, with how many rooms reported it.
  std::map<std::string, std::size_t> metrics_reported() const;

  /// Starts over with other windows (SIGHUP); every series is emptied.
  void reset(std::vector<Duration> windows, Duration dedupe_horizon);

  /// Warm start: remembers a reading PostgreSQL already has (received at `received_at`) so a
  /// redelivered copy is not counted twice. Oldest first.
  void remember(const Reading& r);

  /// Warm start: a reading stamped after the newest bucket of some windows; it waits for the
  /// clock there (the windows whose buckets already cover it got it through warm()).
  void warm_ahead(const Reading& r, Micros now);

  /// Loads buckets computed from PostgreSQL at start.
  void warm(const std::vector<WarmBucket>& rows, Micros now);

  std::size_t series_count() const;

  /// From now on, remembers each room series created, for take_new_rooms() (Home Assistant
  /// discovery). Off by default, so nothing piles up where nobody takes them.
  void track_new_rooms();
  /// The room series created since the last call, in order of creation (a reset() creates
  /// them again).
  std::vector<SeriesKey> take_new_rooms();

 private:
  struct Pending {
    Micros ts;
    double value;
    std::uint32_t window;
  };
  struct Series {
    std::vector<Window> windows;
    std::vector<WindowStats> last;  ///< what tick() last returned, per window
    /// Windows tick() has returned at least once (bit w = window w).
    std::uint32_t has_last = 0;
    /// Windows to republish although their numbers did not change: a late reading fell into
    /// the range subscribers last got, which no longer is exact (bit w = window w).
    std::uint32_t republish = 0;
    std::vector<Pending> pending;      ///< readings stamped after the newest bucket (clock skew)
    const std::string* key = nullptr;  ///< its key in series_ (nodes do not move)
    /// In dirty_: tick() looks at it next time.
    bool dirty = false;
    /// When tick() must look at it again though nothing arrives (a bucket leaves a window, a
    /// reading stamped ahead comes due); INT64_MAX: never. Only the schedule_ entry with this
    /// time counts, older ones are skipped.
    Micros wake_at = INT64_MAX;
    /// When roomtempd last received a reading of it (0: not known).
    Micros last_received = 0;
    /// Its newest sign of life (SeriesHeard), and the one tick() last reported.
    Micros heard = 0;
    Micros heard_told = 0;
    bool is_room = false;
    void* handle = nullptr;  ///< set_handles()
    bool published(std::size_t w) const { return (has_last >> w) & 1u; }
  };
  /// A building's room series by metric, so that a building's answers need not look at every
  /// series, nor at a series' key to know its metric (reading the key costs a cache miss).
  struct BuildingIndex {
    /// (metric, its room series in order of creation); a few metrics at most.
    std::vector<std::pair<std::string, std::vector<Series*>>> rooms;
    /// The room series of `metric`; null when none.
    const std::vector<Series*>* of(std::string_view metric) const;
    std::size_t size() const;
  };
  /// A series' map key is "building\x1froom\x1fmetric"; lookups hash and compare the three
  /// parts in place (series_key.h), so a reading finds its series without building a string.
  using KeyParts = SeriesKeyParts;
  using KeyHash = SeriesKeyHash;
  using KeyEqual = SeriesKeyEqual;
  static KeyParts split_key(const std::string& k) { return split_series_key(k); }
  Series& series(std::string_view b, std::string_view r, std::string_view m);
  void add_to(Series& s, Micros ts, double value, Micros now);
  /// Puts a series on tick()'s list.
  void touch(Series& s);
  /// Looks at one series in tick(): appends its changed windows, schedules its next wake.
  void review(Series& s, Micros now, std::vector<AverageUpdate>& out,
              std::vector<SeriesHeard>* heard);
  bool is_duplicate(const Reading& r, Micros now);
  /// What live() answers for one series and window (the lock held).
  WindowStats live_stats(Series& s, std::size_t w, Micros now);
  /// A room series' numbers as RoomLive (the lock held).
  RoomLive room_live(Series& s, Micros now);
  /// A room a RoomQuery matched, and what orders it: `group` first (0 before 1), then `value`,
  /// then the ids (read from the series' key only then: a tie, or the order by name).
  struct Candidate {
    Series* series;
    int group;
    double value;
  };
  /// The order of a RoomQuery's rooms.
  static bool candidate_less(const Candidate& x, const Candidate& y);
  /// A RoomQuery on its way through summarize(): how many rooms it matched, and the first
  /// offset + limit of them in its order (a heap, the last of them on top), so that a page
  /// costs that much memory whatever the site's size.
  struct Search {
    explicit Search(const RoomQuery& q) : query(q) {}
    const RoomQuery& query;
    std::size_t total = 0;
    std::vector<Candidate> best;
    std::string path;  ///< "building/room" of the room at hand (a reused buffer)
    void clear() {
      total = 0;
      best.clear();
    }
    /// Counts `c` and keeps it if it is among the first offset + limit.
    void consider(const Candidate& c);
    /// Considers room series `s` when the query's text matches it, placed by its numbers in
    /// the ranking window (`ranked`) or by whether it is `reporting`.
    void match(Series* s, const WindowStats& ranked, bool reporting);
  };
  /// Summarises the rooms of building `b` for `metric`, hottest and coldest by window `rank`;
  /// with `search`, adds the rooms its query matches (it must rank by `rank`).
  BuildingLive summarize(const std::string& b, const BuildingIndex& index,
                         const std::string& metric, std::size_t rank, Micros now,
                         Search* search = nullptr);
  /// The rooms of a building for `metric` in natural order (only `only_room` when not empty).
  std::vector<RoomLive> list_rooms(const BuildingIndex& index, const std::string& metric,
                                   const std::string& only_room, Micros now);
  /// The page `q` asks for of the rooms it matched (the lock held).
  RoomPage page_of(Search& search, Micros now);
  /// Calls visit(building, index) for every building with `lock` held, letting go of it
  /// between buildings every few thousand room series, so that ingest never waits long behind
  /// a site-wide read; when a reset() came in between, calls restart() and starts over.
  template <typename Visit, typename Restart>
  void visit_buildings(std::unique_lock<std::mutex>& lock, Visit&& visit, Restart&& restart);
  /// The index of the longest configured window.
  std::size_t longest_window() const;

  std::vector<Duration> windows_;
  Micros dedupe_horizon_;
  /// Random per aggregator: keys the dedupe fingerprints (see fingerprint()).
  const std::uint64_t fingerprint_key_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Series, KeyHash, KeyEqual> series_;
  std::map<std::string, BuildingIndex, std::less<>> buildings_;
  /// Counts reset()s: a site-wide read that let go of the lock starts over when it changed.
  std::uint64_t generation_ = 0;
  /// Rooms that reported each metric (room series created per metric).
  std::map<std::string, std::size_t, std::less<>> metric_rooms_;
  FingerprintSet seen_;
  /// tick() reviews only these: series that got readings since, and those whose wake time
  /// came (schedule_, a min-heap by time). A quiet series costs nothing per tick.
  std::vector<Series*> dirty_;
  std::vector<std::pair<Micros, Series*>> schedule_;
  std::deque<std::pair<Micros, std::uint64_t>> seen_order_;
  bool track_new_rooms_ = false;
  std::vector<SeriesKey> new_rooms_;  ///< since the last take_new_rooms()
};

}  // namespace roomtemp
