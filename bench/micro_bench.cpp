// Micro-benchmarks of roomtempd's per-reading hot path: what the MQTT thread does for every
// message (classify, aggregate, journal) and what the writer does for every row (COPY text).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aggregator.h"
#include "alarms.h"
#include "config.h"
#include "discovery_plan.h"
#include "rows.h"
#include "spool.h"
#include "timeutil.h"
#include "validate.h"
#include "window.h"

namespace {

using namespace roomtemp;

// A fixed "now" keeps runs comparable; readings are stamped just before it.
constexpr Micros kNow = 1'733'000'000'000'000;  // 2024-11-30T20:53:20Z

const Config& default_config() {
  static const Config config;  // defaults: temperature in [-60, 100]
  return config;
}

// What roomtemp-sim sends by default: a JSON object with the metric and a millisecond stamp.
constexpr std::string_view kTopic = "buildings/B1/rooms/101/temperature";
constexpr std::string_view kJsonPayload =
    R"({"temperature": 21.37, "timestamp": "2024-11-30T20:53:19.123Z", "sensor_id": "s-B1-101"})";

void BM_ClassifyJson(benchmark::State& state) {
  for (auto _ : state) {
    Inbound item = classify_message(kTopic, kJsonPayload, kNow, default_config());
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyJson);

void BM_ClassifyBareNumber(benchmark::State& state) {
  for (auto _ : state) {
    Inbound item = classify_message(kTopic, "21.37", kNow, default_config());
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyBareNumber);

// The reject path (out of range) builds a detail string: it should not be much dearer.
void BM_ClassifyOutOfRange(benchmark::State& state) {
  for (auto _ : state) {
    Inbound item = classify_message(kTopic, "150", kNow, default_config());
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyOutOfRange);

std::vector<Reading> make_rooms(std::size_t rooms) {
  std::vector<Reading> out(rooms);
  for (std::size_t i = 0; i < rooms; ++i) {
    out[i].building = "B" + std::to_string(1 + i / 1000);
    out[i].room = std::to_string(101 + i % 1000);
    out[i].metric = "temperature";
  }
  return out;
}

// Aggregator::add with the default windows (1m, 15m, 1h) and dedupe horizon (10m), for a
// stream of 1000 readings/s: all to one room, or round-robin over range(0) rooms (the series
// map then misses the cache). The clock moves, so windows advance and the dedupe set reaches
// its steady size (10 min of readings) as in the daemon.
void BM_AggregatorAdd(benchmark::State& state) {
  const std::size_t rooms = static_cast<std::size_t>(state.range(0));
  auto readings = make_rooms(rooms);
  const Config& c = default_config();
  Aggregator agg(c.averages.windows, c.averages.dedupe_horizon);
  Micros now = kNow;
  std::size_t i = 0;
  for (auto _ : state) {
    Reading& r = readings[i];
    now += 1000;
    r.ts = now - 500'000;
    r.received_at = now;
    r.value = 20.0 + static_cast<double>(now % 1000) / 100;
    agg.add(r, now);
    if (++i == rooms) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(agg.series_count()) + " series");
}
BENCHMARK(BM_AggregatorAdd)->Arg(1)->Arg(10'000);

// One publish tick over range(0) rooms that each reported once and did not change since the
// last tick: the fixed cost the averages thread pays every publish_interval, holding the
// aggregator's mutex (REST and ingest wait meanwhile).
void BM_AggregatorTickQuiet(benchmark::State& state) {
  const std::size_t rooms = static_cast<std::size_t>(state.range(0));
  auto readings = make_rooms(rooms);
  const Config& c = default_config();
  Aggregator agg(c.averages.windows, c.averages.dedupe_horizon);
  for (auto& r : readings) {
    r.ts = kNow - 1'000'000;
    r.received_at = kNow;
    r.value = 21;
    agg.add(r, kNow);
  }
  benchmark::DoNotOptimize(agg.tick(kNow));  // publishes everything once
  for (auto _ : state) benchmark::DoNotOptimize(agg.tick(kNow));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rooms));
}
BENCHMARK(BM_AggregatorTickQuiet)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// The dashboard's reads, each holding the aggregator's mutex for its whole run (ingest waits
// meanwhile), over range(0) rooms in buildings of 100 that each reported once and were
// published: GET /v1/overview visits every room twice (every building's summary, then the
// site's rooms ordered, a page of 50); GET /v1/buildings/{b}/live visits one building's.
std::unique_ptr<Aggregator> dashboard_site(std::size_t rooms) {
  const Config& c = default_config();
  auto agg = std::make_unique<Aggregator>(c.averages.windows, c.averages.dedupe_horizon);
  for (std::size_t i = 0; i < rooms; ++i) {
    Reading r;
    r.building = "B" + std::to_string(1 + i / 100);
    r.room = std::to_string(101 + i % 100);
    r.metric = "temperature";
    r.ts = kNow - 1'000'000;
    r.received_at = kNow;
    r.value = 15 + static_cast<double>(i * 7919 % 1500) / 100;
    agg->add(r, kNow);
  }
  agg->tick(kNow);
  return agg;
}

void BM_DashboardOverviewBuildings(benchmark::State& state) {
  auto agg = dashboard_site(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(agg->buildings_live("temperature", 1, kNow));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DashboardOverviewBuildings)->Arg(2'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

/// range(1): 0 rooms by name, 1 hottest first, 2 silent first, 3 a search ("b7/1").
void BM_DashboardOverviewRooms(benchmark::State& state) {
  auto agg = dashboard_site(static_cast<std::size_t>(state.range(0)));
  RoomQuery q;
  q.metric = "temperature";
  q.window = 1;
  q.order = state.range(1) == 1   ? RoomOrder::hottest
            : state.range(1) == 2 ? RoomOrder::silent
                                  : RoomOrder::name;
  if (state.range(1) == 3) q.contains = "b7/1";
  for (auto _ : state) benchmark::DoNotOptimize(agg->rooms_live(q, kNow));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DashboardOverviewRooms)
    ->ArgsProduct({{2'000, 100'000}, {0, 1, 2, 3}})
    ->Unit(benchmark::kMillisecond);

/// What GET /v1/overview costs: range(1) 0 a site by name with no rooms listed (the page's
/// refresh of a large site), 1 with the 12 hottest rooms.
void BM_DashboardOverview(benchmark::State& state) {
  auto agg = dashboard_site(static_cast<std::size_t>(state.range(0)));
  RoomQuery q;
  q.metric = "temperature";
  q.window = 1;
  q.order = state.range(1) == 1 ? RoomOrder::hottest : RoomOrder::name;
  q.limit = state.range(1) == 1 ? 12 : 0;
  for (auto _ : state) benchmark::DoNotOptimize(agg->site_live(q, kNow));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DashboardOverview)
    ->ArgsProduct({{2'000, 100'000}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

void BM_DashboardBuilding(benchmark::State& state) {
  auto agg = dashboard_site(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(agg->building_live("B7", "temperature", 1, kNow));
}
BENCHMARK(BM_DashboardBuilding)->Arg(2'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

// Heap bytes per room held by the aggregator with the default windows, measured with
// mallinfo2: "sparse" rooms reported once (what bench/run's memory step sends), "dense" rooms
// reported into every bucket of every window for an hour (the most a room can hold; the
// dedupe horizon is 0 here so only the windows are counted).
void BM_AggregatorBytesPerRoom(benchmark::State& state) {
  const bool dense = state.range(0) != 0;
  constexpr std::size_t kRooms = 2'000;
  const Config& c = default_config();
  for (auto _ : state) {
    auto readings = make_rooms(kRooms);
    const std::size_t before = mallinfo2().uordblks;
    auto agg = std::make_unique<Aggregator>(c.averages.windows, std::chrono::seconds(0));
    // Dense: a reading every 2 s for an hour fills every bucket of 1m, 15m and 1h.
    const int steps = dense ? 1800 : 1;
    for (int step = 0; step < steps; ++step) {
      const Micros now = kNow - (steps - 1 - step) * 2'000'000LL;
      for (auto& r : readings) {
        r.ts = now;
        r.received_at = now;
        r.value = 21;
        agg->add(r, now);
      }
    }
    benchmark::DoNotOptimize(agg->tick(kNow));
    const std::size_t after = mallinfo2().uordblks;
    // A label, not a counter: the CSV reporter wants every counter in every benchmark.
    state.SetLabel(std::to_string((after - before) / kRooms) + " heap bytes per room");
  }
}
BENCHMARK(BM_AggregatorBytesPerRoom)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// Alarms (README "Alarms and silent sensors"): the engine's step on the publish tick, with
// 100,000 rooms watched for silence and three rules that cover every room.

constexpr std::size_t kAlarmRooms = 100'000;

AlarmSettings three_rules(bool with_rules = true) {
  AlarmSettings s;
  s.silence.after = std::chrono::minutes(15);
  if (!with_rules) return s;
  const Duration windows[] = {std::chrono::minutes(1), std::chrono::minutes(15),
                              std::chrono::hours(1)};
  const char* names[] = {"too_hot", "too_cold", "too_warm_long"};
  for (int i = 0; i < 3; ++i) {
    AlarmRule r;
    r.name = names[i];
    r.metric = "temperature";
    r.side = i == 1 ? AlarmSide::below : AlarmSide::above;
    r.threshold = i == 1 ? 16 : (i == 0 ? 28 : 26);
    r.clear = i == 1 ? 17 : r.threshold - 1;
    r.window = windows[i];
    s.rules.push_back(r);
  }
  return s;
}

SeriesKey alarm_room(std::size_t i) {
  return {"B" + std::to_string(1 + i / 1000), std::to_string(101 + i % 1000), "temperature"};
}

WindowStats one_value(double v) {
  WindowStats st;
  st.count = 1;
  st.sum = st.min = st.max = v;
  return st;
}

/// An engine restored with `rooms` rooms, each heard at `heard(i)` and (with rules) evaluated
/// once on an average of 21 in each window: the state of a running site.
std::unique_ptr<AlarmEngine> alarm_site(std::size_t rooms, bool with_rules,
                                        const std::function<Micros(std::size_t)>& heard) {
  auto e = std::make_unique<AlarmEngine>(three_rules(with_rules));
  e->restore({}, {}, kNow - 3'600'000'000LL);
  std::vector<AverageUpdate> changed;
  std::vector<SeriesHeard> h;
  for (std::size_t i = 0; i < rooms; ++i) {
    const SeriesKey k = alarm_room(i);
    h.push_back({k, heard(i)});
    if (!with_rules) continue;
    for (Duration w : {Duration(std::chrono::minutes(1)), Duration(std::chrono::minutes(15)),
                       Duration(std::chrono::hours(1))})
      changed.push_back({k, 0, w, one_value(21)});
  }
  e->tick(changed, h, kNow);
  return e;
}

// One tick in which range(0) rooms of 100,000 changed: each one's three windows changed and it
// was heard from (as after one reading each), values staying inside the thresholds. Per item:
// what a reading adds to the tick.
void BM_AlarmTickChanged(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  auto e = alarm_site(kAlarmRooms, true, [](std::size_t) { return kNow; });
  std::vector<AverageUpdate> changed;
  std::vector<SeriesHeard> heard;
  Micros now = kNow;
  std::size_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    changed.clear();
    heard.clear();
    now += 1'000'000;
    // As the aggregator reports them: a series' windows, then the series heard from.
    for (std::size_t k = 0; k < n; ++k, next = (next + 1) % kAlarmRooms) {
      const SeriesKey key = alarm_room(next);
      const std::size_t first = changed.size();
      for (Duration w : {Duration(std::chrono::minutes(1)), Duration(std::chrono::minutes(15)),
                         Duration(std::chrono::hours(1))})
        changed.push_back({key, 0, w, one_value(20 + static_cast<double>(now % 7))});
      heard.push_back({key, now, first, 3});
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(e->tick(changed, heard, now));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AlarmTickChanged)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond);

// A tick with nothing changed and nothing due, 100,000 rooms watched: the fixed cost of the
// alarms every publish_interval.
void BM_AlarmTickQuiet(benchmark::State& state) {
  auto e = alarm_site(kAlarmRooms, true, [](std::size_t) { return kNow; });
  for (auto _ : state) benchmark::DoNotOptimize(e->tick({}, {}, kNow + 1'000'000));
}
BENCHMARK(BM_AlarmTickQuiet)->Unit(benchmark::kMicrosecond);

// The tick in which 10,000 of 100,000 rooms fall silent at once (their network went down
// together): 10,000 events, statuses and heap entries.
void BM_AlarmTickTenThousandFallSilent(benchmark::State& state) {
  std::size_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Rooms 0…9,999 were last heard 15 min before kNow + 0.5 s, the rest at kNow: silence.after
    // is 15m, so the tick at kNow + 1 s finds those 10,000 due.
    auto e = alarm_site(kAlarmRooms, true, [](std::size_t i) {
      return i < 10'000 ? kNow - 900'000'000LL + 500'000 + static_cast<Micros>(i) : kNow;
    });
    state.ResumeTiming();
    AlarmOutput out = e->tick({}, {}, kNow + 1'000'000);
    benchmark::DoNotOptimize(out);
    state.PauseTiming();
    events = out.events.size();
    out = {};
    e.reset();  // freeing 100,000 rooms and the output is not the tick's cost
    state.ResumeTiming();
  }
  if (events != 10'000) state.SkipWithError("the tick did not decide 10,000 silences");
  state.SetItemsProcessed(state.iterations() * 10'000);
}
BENCHMARK(BM_AlarmTickTenThousandFallSilent)->Iterations(5)->Unit(benchmark::kMillisecond);

// The alarm engine's step per reading, as the publish tick runs it in the daemon: 50,000
// readings into 100,000 rooms (each reported before; values inside the thresholds), the
// aggregator's tick (not timed: it runs with or without alarms), then the engine's step on what
// it found, with three rules and silence. range(0) 1: the series carry the engine's handles
// (Aggregator::set_handles, as roomtempd does), 0: every series is looked up by its key.
void BM_AlarmStepPerReading(benchmark::State& state) {
  const bool handles = state.range(0) != 0;
  constexpr std::size_t kReadings = 50'000;
  const Config& c = default_config();
  Aggregator agg(c.averages.windows, c.averages.dedupe_horizon);
  AlarmEngine engine(three_rules());
  engine.restore({}, {}, kNow);
  Micros now = kNow;
  std::vector<Reading> readings = make_rooms(kAlarmRooms);
  for (auto& r : readings) {
    r.ts = r.received_at = now;
    r.value = 21;
    agg.add(r, now);
  }
  std::vector<SeriesHeard> heard;
  const AlarmOutput first = engine.tick(agg.tick(now, &heard), heard, now);
  if (handles) agg.set_handles(first.handles);
  std::size_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    now += 1'000'000;
    for (std::size_t k = 0; k < kReadings; ++k, next = (next + 1) % kAlarmRooms) {
      Reading& r = readings[next];
      r.ts = r.received_at = now - 1000 + static_cast<Micros>(k % 1000);
      r.value = 20 + static_cast<double>(k % 30) / 10;
      agg.add(r, now);
    }
    heard.clear();
    const std::vector<AverageUpdate> changed = agg.tick(now, &heard);
    state.ResumeTiming();
    AlarmOutput out = engine.tick(changed, heard, now);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kReadings));
}
BENCHMARK(BM_AlarmStepPerReading)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Heap bytes the engine holds per room watched for silence (no rule), and per rule state
// (three rules covering every room, each evaluated once), with 100,000 rooms; mallinfo2.
void BM_AlarmBytes(benchmark::State& state) {
  for (auto _ : state) {
    const std::size_t before = mallinfo2().uordblks;
    auto silence_only = alarm_site(kAlarmRooms, false, [](std::size_t) { return kNow; });
    const std::size_t with_rooms = mallinfo2().uordblks;
    auto three = alarm_site(kAlarmRooms, true, [](std::size_t) { return kNow; });
    const std::size_t with_rules = mallinfo2().uordblks;
    const std::size_t per_room = (with_rooms - before) / kAlarmRooms;
    const std::size_t per_site = (with_rules - with_rooms) / kAlarmRooms;
    state.SetLabel(std::to_string(per_room) + " heap bytes per room (silence only); " +
                   std::to_string(per_site) +
                   " per room with 3 rules: " + std::to_string((per_site - per_room) / 3) +
                   " per rule state (" + std::to_string(three->rule_state_count()) + " states)");
    benchmark::DoNotOptimize(silence_only);
  }
}
BENCHMARK(BM_AlarmBytes)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_WindowAdd(benchmark::State& state) {
  Window w(60'000'000);  // 1m: 30 buckets of 2 s
  Micros ts = kNow - 30'000'000;
  double v = 20;
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.add(ts, v, kNow));
    ts = ts + 997 > kNow ? kNow - 30'000'000 : ts + 997;
    v += 0.01;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WindowAdd);

// The publish tick's read side for one window.
void BM_WindowStats(benchmark::State& state) {
  Window w(60'000'000);
  for (int i = 0; i < 60; ++i) w.add(kNow - i * 1'000'000, 20 + i, kNow);
  for (auto _ : state) benchmark::DoNotOptimize(w.stats(kNow));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WindowStats);

Reading typical_reading() {
  Reading r;
  r.ts = kNow - 877'000;
  r.received_at = kNow;
  r.building = "B1";
  r.room = "101";
  r.metric = "temperature";
  r.value = 21.37;
  r.sensor_id = "s-B1-101";
  return r;
}

void BM_SpoolEncodeInbound(benchmark::State& state) {
  const Inbound item = typical_reading();
  for (auto _ : state) benchmark::DoNotOptimize(encode_inbound(item));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpoolEncodeInbound);

// What journal mode adds per reading before the write(2): framing with length and crc32.
void BM_SpoolAppendRecord(benchmark::State& state) {
  const Inbound item = typical_reading();
  std::string out;
  for (auto _ : state) {
    out.clear();
    append_record(out, item);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}
BENCHMARK(BM_SpoolAppendRecord);

// The text of one COPY row's non-string fields, as PgWriter::write_batch makes them.
void BM_CopyRowText(benchmark::State& state) {
  Reading r = typical_reading();
  for (auto _ : state) {
    std::string value = float_text(r.value);
    std::string ts = format_rfc3339(r.ts);
    std::string received = format_rfc3339(r.received_at);
    benchmark::DoNotOptimize(value.data());
    benchmark::DoNotOptimize(ts.data());
    benchmark::DoNotOptimize(received.data());
    r.ts += 1000;
    r.value += 0.01;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyRowText);

void BM_FormatRfc3339(benchmark::State& state) {
  Micros t = kNow + 123'456;
  for (auto _ : state) {
    benchmark::DoNotOptimize(format_rfc3339(t));
    t += 1001;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatRfc3339);

// Home Assistant discovery (README "Home Assistant"): the configs of 1,000 rooms in 10
// buildings (three windows and the status per room, three windows per building), made and
// handed out as the publisher takes them: the CPU per config, without the MQTT publish.
void BM_DiscoveryThousandRooms(benchmark::State& state) {
  Config c;
  c.homeassistant.discovery = true;
  const DiscoverySettings settings = DiscoverySettings::of(c, "0.0.0");
  std::vector<SeriesKey> rooms;
  for (int b = 1; b <= 10; ++b)
    for (int r = 1; r <= 100; ++r)
      rooms.push_back({"B" + std::to_string(b), std::to_string(r), "temperature"});
  std::size_t configs = 0;
  std::size_t bytes = 0;
  double heap_per_room = 0;
  for (auto _ : state) {
    const auto heap_before = mallinfo2().uordblks;
    DiscoveryPlan plan(settings);
    plan.add_series(rooms);
    heap_per_room = static_cast<double>(mallinfo2().uordblks - heap_before) / 1000;
    configs = bytes = 0;
    for (auto batch = plan.take(400); !batch.empty(); batch = plan.take(400))
      for (const auto& one : batch) {
        ++configs;
        bytes += one.topic.size() + one.payload.size();
      }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(configs));
  state.counters["configs"] = static_cast<double>(configs);
  state.counters["bytes"] = static_cast<double>(bytes);
  // What the plan holds per room series (and its share of the building's) while it waits.
  state.counters["heap_per_room"] = heap_per_room;
}
BENCHMARK(BM_DiscoveryThousandRooms)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
