#include "alarms.h"

#include <algorithm>

#include "alarm_messages.h"
#include "alarm_rules.h"
#include "messages.h"
#include "natural_order.h"
#include "topic.h"

namespace roomtemp {
namespace {

constexpr std::int32_t kSilenceSlot = -1;
constexpr auto kEarliestDueFirst = [](const auto& a, const auto& b) { return a.at > b.at; };

SeriesKeyParts parts_of(const SeriesKey& k) { return {k.building, k.room, k.metric}; }

/// The live average a window's numbers give, if any.
std::optional<double> value_of(const WindowStats& st) {
  if (st.count == 0) return std::nullopt;
  return st.avg();
}

/// The numbers of window `length` in a snapshot; null when it does not hold that window.
const WindowStats* window_in(const RoomSnapshot& snap, Duration length) {
  for (const auto& [w, stats] : snap.windows)
    if (w == length) return &stats;
  return nullptr;
}

/// The events of one step in the order they happened (due times come up in the heap's order,
/// which among equal times is arbitrary).
void in_time_order(AlarmOutput& out) {
  if (std::is_sorted(out.events.begin(), out.events.end(),
                     [](const AlarmEvent& a, const AlarmEvent& b) { return a.ts < b.ts; }))
    return;
  std::vector<std::size_t> order(out.events.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return out.events[a].ts < out.events[b].ts;
  });
  AlarmOutput sorted;
  for (std::size_t i : order) {
    sorted.events.push_back(std::move(out.events[i]));
    sorted.event_payloads.push_back(std::move(out.event_payloads[i]));
  }
  out.events = std::move(sorted.events);
  out.event_payloads = std::move(sorted.event_payloads);
}

/// Of several messages for one topic only the last counts: the rest are left out.
void keep_last_per_topic(std::vector<RetainedState>& retained) {
  std::unordered_map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < retained.size(); ++i) last[retained[i].topic] = i;
  std::vector<RetainedState> kept;
  kept.reserve(last.size());
  for (std::size_t i = 0; i < retained.size(); ++i)
    if (last[retained[i].topic] == i) kept.push_back(std::move(retained[i]));
  retained = std::move(kept);
}

/// A transition of `key`; emit() adds a rule's threshold, window and definition.
AlarmEvent make_event(Micros ts, const SeriesKey& key, std::string alarm, std::string state,
                      std::optional<double> value, std::optional<Micros> last_reading) {
  AlarmEvent e;
  e.ts = ts;
  e.building = key.building;
  e.room = key.room;
  e.metric = key.metric;
  e.alarm = std::move(alarm);
  e.state = std::move(state);
  e.value = value;
  e.last_reading = last_reading;
  return e;
}

bool natural_key_less(const SeriesKey& a, const SeriesKey& b) {
  if (a.building != b.building) return natural_less(a.building, b.building);
  if (a.room != b.room) return natural_less(a.room, b.room);
  return a.metric < b.metric;
}

}  // namespace

AlarmEngine::AlarmEngine(AlarmSettings settings) : settings_(std::move(settings)) {}

AlarmSettings AlarmEngine::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

bool AlarmEngine::restored() const {
  std::lock_guard lock(mutex_);
  return restored_;
}

SeriesKey AlarmEngine::key_of(const Series& s) {
  const SeriesKeyParts p = split_series_key(*s.key);
  return {std::string(p.building), std::string(p.room), std::string(p.metric)};
}

AlarmEngine::Series* AlarmEngine::find(const SeriesKey& key) {
  auto it = series_.find(parts_of(key));
  return it == series_.end() ? nullptr : &it->second;
}

AlarmEngine::Series& AlarmEngine::track(const SeriesKey& key) {
  auto it = series_.find(parts_of(key));
  if (it == series_.end()) {
    it = series_.try_emplace(series_key_text(key.building, key.room, key.metric)).first;
    it->second.key = &it->first;
  }
  Series& s = it->second;
  if (!s.covered) cover(s);
  return s;
}

void AlarmEngine::cover(Series& s) {
  s.covered = true;
  const SeriesKey key = key_of(s);
  for (std::size_t i = 0; i < settings_.rules.size(); ++i) {
    const AlarmRule& rule = settings_.rules[i];
    if (rule.metric != key.metric || !rule_covers(rule, key.building, key.room)) continue;
    const bool has = std::any_of(s.rules.begin(), s.rules.end(),
                                 [&](const RuleState& rs) { return rs.rule == i; });
    if (!has) s.rules.push_back(RuleState{static_cast<std::uint16_t>(i)});
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

void AlarmEngine::emit(AlarmEvent event, const AlarmRule* rule, AlarmOutput& out) const {
  if (rule) {
    event.threshold = rule->threshold;
    event.window = rule->window;
    event.rule = rule_definition(*rule);
  }
  out.event_payloads.push_back(alarm_event_json(event));
  out.events.push_back(std::move(event));
}

void AlarmEngine::publish_rule(const Series& s, const RuleState& rs, AlarmOutput& out) const {
  const SeriesKey key = key_of(s);
  const AlarmRule& rule = settings_.rules[rs.rule];
  out.retained.push_back({room_alarm_topic(key.building, key.room, key.metric, rule.name),
                          json_text(alarm_state_object(
                              rule, rs.phase == Phase::firing, rs.since,
                              rs.has_value ? std::optional<double>(rs.value) : std::nullopt))});
}

void AlarmEngine::remove_rule_topic(const Series& s, const std::string& alarm,
                                    AlarmOutput& out) const {
  const SeriesKey key = key_of(s);
  out.retained.push_back({room_alarm_topic(key.building, key.room, key.metric, alarm), ""});
}

void AlarmEngine::publish_status(Series& s, AlarmOutput& out) {
  const SeriesKey key = key_of(s);
  s.status_known = true;
  s.shown_reading = s.heard;
  out.retained.push_back({room_status_topic(key.building, key.room, key.metric),
                          json_text(series_status_object(
                              s.silent, s.heard ? std::optional<Micros>(s.heard) : std::nullopt))});
}

// ---------------------------------------------------------------------------------------------
// Rules.

void AlarmEngine::fire(Series& s, RuleState& rs, Micros ts, double value, AlarmOutput& out) {
  rs.phase = Phase::firing;
  rs.since = ts;
  rs.value = value;
  rs.has_value = true;
  rs.known = true;
  firing_.insert({&s, rs.rule});
  const SeriesKey key = key_of(s);
  const AlarmRule& rule = settings_.rules[rs.rule];
  emit(make_event(ts, key, rule.name, "firing", value, std::nullopt), &rule, out);
  publish_rule(s, rs, out);
}

void AlarmEngine::clear(Series& s, RuleState& rs, Micros ts, std::optional<double> value,
                        AlarmOutput& out) {
  rs.phase = Phase::ok;
  rs.since = std::max(ts, rs.since + 1);  // after the firing, even at the same microsecond
  rs.has_value = value.has_value();
  rs.value = value.value_or(0);
  rs.known = true;
  firing_.erase({&s, rs.rule});
  const SeriesKey key = key_of(s);
  const AlarmRule& rule = settings_.rules[rs.rule];
  emit(make_event(rs.since, key, rule.name, "ok", value, std::nullopt), &rule, out);
}

void AlarmEngine::evaluate(Series& s, RuleState& rs, const WindowStats& stats, Micros now,
                           AlarmOutput& out) {
  const AlarmRule& rule = settings_.rules[rs.rule];
  const std::optional<double> v = value_of(stats);
  const bool first = !rs.known;
  if (first) {
    rs.known = true;
    rs.phase = Phase::ok;
    rs.since = now;
    rs.has_value = v.has_value();
    rs.value = v.value_or(0);
  }
  switch (rs.phase) {
    case Phase::firing:
      // An empty window says nothing: the alarm stays until a value shows it cleared.
      if (v && cleared(rule, *v)) {
        clear(s, rs, now, v, out);
        publish_rule(s, rs, out);
        return;
      }
      break;
    case Phase::ok:
      if (v && past_threshold(rule, *v)) {
        if (rule.hold.count() == 0) return fire(s, rs, now, *v, out);
        rs.phase = Phase::pending;
        rs.due = now + to_micros(rule.hold);
        rs.last = *v;
        schedule(rs.due, &s, static_cast<std::int32_t>(&rs - s.rules.data()));
      }
      break;
    case Phase::pending:
      if (v && past_threshold(rule, *v))
        rs.last = *v;
      else
        rs.phase = Phase::ok;  // it did not stay past the threshold for `for`
      break;
  }
  if (first) publish_rule(s, rs, out);
}

// ---------------------------------------------------------------------------------------------
// Silence.

Micros AlarmEngine::silence_due(const Series& s) const {
  if (!watches_silence()) return INT64_MAX;
  return std::max(s.heard, s.watch_from) + to_micros(settings_.silence.after);
}

void AlarmEngine::schedule_silence(Series& s) {
  if (s.silent || s.scheduled != INT64_MAX || !watches_silence()) return;
  if (s.heard == 0 && s.watch_from == 0) return;  // nothing to count from yet
  s.scheduled = silence_due(s);
  schedule(s.scheduled, &s, kSilenceSlot);
}

void AlarmEngine::fall_silent(Series& s, Micros due, AlarmOutput& out) {
  // When it fell silent: `after` past its newest reading when that is known (it may be before
  // this start, while roomtempd was away), else when the watch that found nothing ended.
  const Micros after = to_micros(settings_.silence.after);
  Micros ts = s.heard ? s.heard + after : due;
  ts = std::max(ts, s.status_since + 1);
  s.silent = true;
  s.status_since = ts;
  silent_.insert(&s);
  const SeriesKey key = key_of(s);
  emit(make_event(ts, key, std::string(kSilentAlarm), "silent", std::nullopt,
                  s.heard ? std::optional<Micros>(s.heard) : std::nullopt),
       nullptr, out);
  publish_status(s, out);
}

void AlarmEngine::report(Series& s, Micros now, AlarmOutput& out) {
  s.silent = false;
  s.status_since = std::max(now, s.status_since + 1);
  silent_.erase(&s);
  const SeriesKey key = key_of(s);
  emit(make_event(s.status_since, key, std::string(kSilentAlarm), "reporting", std::nullopt,
                  s.heard ? std::optional<Micros>(s.heard) : std::nullopt),
       nullptr, out);
  publish_status(s, out);
  schedule_silence(s);
}

void AlarmEngine::hear(Series& s, Micros at, Micros now, AlarmOutput& out) {
  if (at <= s.heard) return;  // nothing newer than what it said before
  s.heard = at;
  if (!watches_silence()) return;
  if (s.silent) {
    // A reading measured within `after` of now ends the silence; an older one (a sensor
    // replaying its buffer, a retained message) only says when it was last heard of.
    if (at + to_micros(settings_.silence.after) > now) return report(s, now, out);
    publish_status(s, out);
    return;
  }
  if (!s.status_known) publish_status(s, out);
  schedule_silence(s);
}

// ---------------------------------------------------------------------------------------------
// Due times.

void AlarmEngine::schedule(Micros at, Series* s, std::int32_t slot) {
  heap_.push_back({at, s, slot});
  std::push_heap(heap_.begin(), heap_.end(), kEarliestDueFirst);
  // A `for` cancelled leaves its entry behind until its time: a value flapping around a
  // threshold under a long `for` would pile them up. Past a bound, start over from the states.
  if (heap_.size() > 64 + 4 * series_.size() * (1 + settings_.rules.size())) rebuild_heap();
}

void AlarmEngine::run_due(Micros now, AlarmOutput& out) {
  while (!heap_.empty() && heap_.front().at <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), kEarliestDueFirst);
    const Due d = heap_.back();
    heap_.pop_back();
    Series& s = *d.series;
    if (d.slot == kSilenceSlot) {
      if (s.scheduled != d.at) continue;  // replaced by a later entry
      s.scheduled = INT64_MAX;
      if (s.silent || !watches_silence()) continue;
      // Heard from since it was scheduled: the silence is due later (one entry per series,
      // moved only when it comes up, not at every reading).
      const Micros due = silence_due(s);
      if (due > now) {
        s.scheduled = due;
        schedule(due, &s, kSilenceSlot);
        continue;
      }
      fall_silent(s, due, out);
      continue;
    }
    if (static_cast<std::size_t>(d.slot) >= s.rules.size()) continue;
    RuleState& rs = s.rules[static_cast<std::size_t>(d.slot)];
    if (rs.phase != Phase::pending || rs.due != d.at) continue;  // cancelled or re-armed
    fire(s, rs, d.at, rs.last, out);
  }
}

void AlarmEngine::rebuild_heap() {
  heap_.clear();
  for (auto& [k, s] : series_) {
    s.scheduled = INT64_MAX;
    schedule_silence(s);
    for (std::size_t i = 0; i < s.rules.size(); ++i)
      if (s.rules[i].phase == Phase::pending)
        heap_.push_back({s.rules[i].due, &s, static_cast<std::int32_t>(i)});
  }
  std::make_heap(heap_.begin(), heap_.end(), kEarliestDueFirst);
}

// ---------------------------------------------------------------------------------------------
// The steps.

void AlarmEngine::apply_update(const AverageUpdate& u, Series*& s, Micros now, AlarmOutput& out) {
  if (u.key.room.empty()) return;  // rules watch rooms, not buildings
  const bool wanted = std::any_of(
      settings_.rules.begin(), settings_.rules.end(),
      [&](const AlarmRule& r) { return r.metric == u.key.metric && r.window == u.length; });
  if (!wanted) return;
  // Rules only: a series silence does not watch is tracked when a rule covers it.
  if (!s) s = watched(u.key, false);
  if (!s) return;
  for (RuleState& rs : s->rules)
    if (settings_.rules[rs.rule].window == u.length) evaluate(*s, rs, u.stats, now, out);
}

AlarmOutput AlarmEngine::tick(const std::vector<AverageUpdate>& changed,
                              const std::vector<SeriesHeard>& heard, Micros now) {
  AlarmOutput out;
  std::lock_guard lock(mutex_);
  if (!restored_) return out;
  // Each series heard from says where its changed windows are in `changed`: it is looked up
  // once for all of them (the lookup is most of what a reading costs here). The windows of
  // series not heard from (a window that moved on by itself) are looked up once per run.
  std::size_t j = 0;
  const SeriesKey* run_key = nullptr;
  Series* run = nullptr;
  for (std::size_t i = 0; i <= changed.size();) {
    if (j < heard.size() && heard[j].first_update <= i) {
      const SeriesHeard& h = heard[j++];
      // A handle is a Series of series_ (whose nodes stay), given for this very key.
      Series* s = static_cast<Series*>(h.handle);
      if (!s && watches_silence()) {
        s = &track(h.key);
        out.handles.emplace_back(h.key, s);
      }
      if (s && watches_silence()) hear(*s, h.at, now, out);
      if (h.first_update == i)
        for (std::size_t k = 0; k < h.updates && i < changed.size(); ++k, ++i)
          apply_update(changed[i], s, now, out);
      run_key = nullptr;
      continue;
    }
    if (i == changed.size()) break;
    if (!run_key || !(changed[i].key == *run_key)) run = nullptr;
    run_key = &changed[i].key;
    apply_update(changed[i++], run, now, out);
  }
  run_due(now, out);
  in_time_order(out);
  return out;
}

void AlarmEngine::evaluate_snapshot(Series& s, const RoomSnapshot& snap, Micros now,
                                    AlarmOutput& out, bool only_unknown) {
  for (RuleState& rs : s.rules) {
    if (only_unknown && rs.known) continue;
    if (const WindowStats* st = window_in(snap, settings_.rules[rs.rule].window))
      evaluate(s, rs, *st, now, out);
  }
}

AlarmEngine::Series* AlarmEngine::watched(const SeriesKey& key, bool or_silence) {
  if (Series* s = find(key)) return s;
  const bool covered =
      std::any_of(settings_.rules.begin(), settings_.rules.end(), [&](const AlarmRule& r) {
        return r.metric == key.metric && rule_covers(r, key.building, key.room);
      });
  if (!covered && !(or_silence && watches_silence())) return nullptr;
  return &track(key);
}

void AlarmEngine::restore_state(const StoredAlarmState& st, Micros now, AlarmOutput& out) {
  if (st.alarm == kSilentAlarm) {
    if (!watches_silence()) {
      // Silence was turned off while roomtempd was away: as a reload turning it off does, a
      // silent series reports again (with its event) and its retained status goes.
      if (st.state == "silent")
        emit(make_event(std::max(now, st.ts + 1), st.key, std::string(kSilentAlarm), "reporting",
                        std::nullopt, st.last_reading),
             nullptr, out);
      out.retained.push_back({room_status_topic(st.key.building, st.key.room, st.key.metric), ""});
      return;
    }
    Series& s = track(st.key);
    s.silent = st.state == "silent";
    s.status_since = st.ts;
    if (st.last_reading) s.heard = std::max(s.heard, *st.last_reading);
    s.status_known = true;
    if (s.silent) silent_.insert(&s);
    return;
  }
  Series& s = track(st.key);
  auto slot = std::find_if(s.rules.begin(), s.rules.end(), [&](const RuleState& rs) {
    return settings_.rules[rs.rule].name == st.alarm;
  });
  // The rule went, no longer covers this room, or was changed while roomtempd was away (the
  // definition stored with the state is not the configured one): what it decided clears now,
  // as a reload that removes or changes it does, and its retained state goes. A changed rule
  // then decides anew from what the windows hold, like an unknown state.
  const bool changed =
      slot != s.rules.end() && st.rule && *st.rule != rule_definition(settings_.rules[slot->rule]);
  if (slot == s.rules.end() || changed) {
    if (st.state == "firing") {
      AlarmEvent cleared =
          make_event(std::max(now, st.ts + 1), st.key, st.alarm, "ok", st.value, std::nullopt);
      cleared.threshold = st.threshold;
      cleared.window = st.window;
      cleared.rule = st.rule.value_or("");
      emit(std::move(cleared), nullptr, out);
    }
    remove_rule_topic(s, st.alarm, out);
    return;
  }
  slot->known = true;
  slot->phase = st.state == "firing" ? Phase::firing : Phase::ok;
  slot->since = st.ts;
  slot->has_value = st.value.has_value();
  slot->value = st.value.value_or(0);
  if (slot->phase == Phase::firing) firing_.insert({&s, slot->rule});
}

AlarmOutput AlarmEngine::restore(const AlarmRestore& stored, const std::vector<RoomSnapshot>& rooms,
                                 Micros now) {
  AlarmOutput out;
  std::lock_guard lock(mutex_);
  restored_ = true;
  // The states stored: each key as it was left.
  for (const StoredAlarmState& st : stored.states) restore_state(st, now, out);
  // Every series PostgreSQL has readings of is watched for silence from now on.
  if (watches_silence())
    for (const SeriesKey& key : stored.series) track(key);
  // What the windows say now.
  for (const RoomSnapshot& snap : rooms) {
    Series* s = watched(snap.key, true);
    if (!s) continue;
    s->heard = std::max(s->heard, snap.heard);
    evaluate_snapshot(*s, snap, now, out, false);
  }
  // Silence counts from the later of the newest reading and this start: readings the broker
  // held while roomtempd was away come in first, so a sensor that was alive meanwhile does not
  // look silent (and then not) for a moment. Every state is published once more.
  for (auto& [k, s] : series_) {
    s.watch_from = now;
    if (watches_silence()) {
      if (s.silent && s.heard + to_micros(settings_.silence.after) > now)
        report(s, now, out);  // it came back while roomtempd was away
      else
        publish_status(s, out);
    }
    for (const RuleState& rs : s.rules)
      if (rs.known && rs.phase != Phase::pending) publish_rule(s, rs, out);
  }
  rebuild_heap();
  keep_last_per_topic(out.retained);
  in_time_order(out);
  return out;
}

void AlarmEngine::drop_rules(const AlarmSettings& before, Micros now, AlarmOutput& out) {
  // Rules kept as they were: old index → new index.
  std::vector<int> kept(before.rules.size(), -1);
  for (std::size_t i = 0; i < before.rules.size(); ++i)
    for (std::size_t j = 0; j < settings_.rules.size(); ++j)
      if (before.rules[i] == settings_.rules[j]) kept[i] = static_cast<int>(j);
  firing_.clear();
  for (auto& [k, s] : series_) {
    std::vector<RuleState> rules;
    for (RuleState rs : s.rules) {
      if (kept[rs.rule] >= 0) {
        rs.rule = static_cast<std::uint16_t>(kept[rs.rule]);
        if (rs.phase == Phase::firing) firing_.insert({&s, rs.rule});
        rules.push_back(rs);
        continue;
      }
      // Removed or changed: a firing alarm clears, with its event.
      const AlarmRule& old = before.rules[rs.rule];
      if (rs.phase == Phase::firing) {
        const SeriesKey key = key_of(s);
        emit(
            make_event(std::max(now, rs.since + 1), key, old.name, "ok",
                       rs.has_value ? std::optional<double>(rs.value) : std::nullopt, std::nullopt),
            &old, out);
      }
      // Its retained state goes; a rule of the same name that covers the room publishes its
      // own state when it is evaluated.
      if (rs.known) remove_rule_topic(s, old.name, out);
    }
    s.rules = std::move(rules);
    s.covered = false;
    cover(s);
  }
}

void AlarmEngine::resilence(const AlarmSettings& before, const std::vector<RoomSnapshot>& rooms,
                            Micros now, AlarmOutput& out) {
  // Turned on: every series the windows hold is watched (not only those a rule covers), each
  // counting from now, and its status is published.
  if (before.silence.after.count() == 0 && watches_silence()) {
    for (const RoomSnapshot& snap : rooms) {
      Series& s = track(snap.key);
      s.heard = std::max(s.heard, snap.heard);
    }
    for (auto& [k, s] : series_) {
      s.watch_from = now;
      if (!s.status_known) publish_status(s, out);
    }
  }
  for (auto& [k, s] : series_) {
    if (!s.silent) continue;
    const bool still = watches_silence() && s.heard + to_micros(settings_.silence.after) <= now;
    if (!still) report(s, now, out);
  }
  if (watches_silence()) return;
  for (auto& [k, s] : series_) {
    if (!s.status_known) continue;
    const SeriesKey key = key_of(s);
    out.retained.push_back({room_status_topic(key.building, key.room, key.metric), ""});
    s.status_known = false;
  }
}

AlarmOutput AlarmEngine::reconfigure(AlarmSettings next, const std::vector<RoomSnapshot>& rooms,
                                     Micros now) {
  AlarmOutput out;
  std::lock_guard lock(mutex_);
  if (next == settings_) return out;
  const AlarmSettings before = std::move(settings_);
  settings_ = std::move(next);
  if (!restored_) return out;  // the restore applies them
  drop_rules(before, now, out);
  // New and changed rules start from what the windows hold now (a changed rule one microsecond
  // after its old self cleared, so that its events stay in order).
  for (const RoomSnapshot& snap : rooms)
    if (Series* s = watched(snap.key, false)) evaluate_snapshot(*s, snap, now + 1, out, true);
  // Another silence.after: each series is what the new one says it is.
  if (before.silence != settings_.silence) resilence(before, rooms, now, out);
  rebuild_heap();
  in_time_order(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reads.

AlarmsNow AlarmEngine::active() const {
  AlarmsNow now;
  std::lock_guard lock(mutex_);
  now.restored = restored_;
  for (const auto& [s, rule_index] : firing_) {
    const RuleState* rs = nullptr;
    for (const RuleState& r : s->rules)
      if (r.rule == rule_index) rs = &r;
    if (!rs) continue;
    const AlarmRule& rule = settings_.rules[rule_index];
    now.firing.push_back({key_of(*s), rule.name, rs->since,
                          rs->has_value ? std::optional<double>(rs->value) : std::nullopt,
                          rule.threshold, rule.window});
  }
  for (const Series* s : silent_)
    now.silent.push_back({key_of(*s), s->heard ? std::optional<Micros>(s->heard) : std::nullopt});
  std::sort(now.firing.begin(), now.firing.end(), [](const FiringAlarm& a, const FiringAlarm& b) {
    if (!(a.key == b.key)) return natural_key_less(a.key, b.key);
    return a.alarm < b.alarm;
  });
  std::sort(now.silent.begin(), now.silent.end(), [](const SilentSeries& a, const SilentSeries& b) {
    return natural_key_less(a.key, b.key);
  });
  return now;
}

std::map<std::string, std::size_t> AlarmEngine::firing_by_rule() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::size_t> out;
  for (const AlarmRule& r : settings_.rules) out[r.name] = 0;
  for (const auto& [s, rule] : firing_) ++out[settings_.rules[rule].name];
  return out;
}

std::size_t AlarmEngine::silent_count() const {
  std::lock_guard lock(mutex_);
  return silent_.size();
}

std::size_t AlarmEngine::series_count() const {
  std::lock_guard lock(mutex_);
  return series_.size();
}

void render_alarm_metrics(const AlarmEngine& engine, std::string& out) {
  out +=
      "# HELP roomtemp_alarms_firing Room series whose alarm rule is firing, by rule.\n"
      "# TYPE roomtemp_alarms_firing gauge\n";
  for (const auto& [name, n] : engine.firing_by_rule())
    out += "roomtemp_alarms_firing{alarm=\"" + name + "\"} " + std::to_string(n) + "\n";
  out +=
      "# HELP roomtemp_series_silent Room series with no reading for silence.after.\n"
      "# TYPE roomtemp_series_silent gauge\n"
      "roomtemp_series_silent " +
      std::to_string(engine.silent_count()) + "\n";
}

std::size_t AlarmEngine::rule_state_count() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [k, s] : series_) n += s.rules.size();
  return n;
}

}  // namespace roomtemp
