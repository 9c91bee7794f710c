#pragma once
// Alarm rules and silent sensors (README "Alarms and silent sensors"): for every room's metric
// and every rule that covers it, a state with hysteresis and `for`; for every room's metric,
// whether it is silent. Pure logic, no I/O: the publish tick feeds it what changed (averages
// whose numbers changed, series that were heard from) and the time, and gets back what to
// publish and store. Work is done only where numbers changed and where a due time came (a `for`
// that ends, a series that falls silent: one min-heap), never by visiting every room.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "aggregator.h"
#include "config.h"
#include "reading.h"
#include "series_key.h"

namespace roomtemp {

/// The last state of one key in alarm_events, as an earlier run left it.
struct StoredAlarmState {
  SeriesKey key;
  std::string alarm;  ///< a rule's name, or "silent"
  std::string state;
  Micros ts = 0;
  std::optional<double> value;
  std::optional<Micros> last_reading;
  /// The rule's threshold, window and definition with that transition (none: not known).
  std::optional<double> threshold;
  std::optional<Duration> window;
  std::optional<std::string> rule;
};

/// What the restore at start reads from PostgreSQL.
struct AlarmRestore {
  std::vector<StoredAlarmState> states;
  /// Every room's metric PostgreSQL has readings of: watched for silence from the start on.
  std::vector<SeriesKey> series;
};

/// A retained message to publish: a state, or (empty payload) the removal of one.
struct RetainedState {
  std::string topic;
  std::string payload;
};

/// What a step of the engine asks to be published and stored.
struct AlarmOutput {
  std::vector<RetainedState> retained;
  /// Each transition once, in order: for roomtemp/events and alarm_events.
  std::vector<AlarmEvent> events;
  /// The events' JSON for roomtemp/events, one per event.
  std::vector<std::string> event_payloads;
  /// Series heard from without a handle, and the handle to give them (Aggregator::set_handles).
  std::vector<std::pair<SeriesKey, void*>> handles;
};

/// A firing alarm now (GET /v1/alarms).
struct FiringAlarm {
  SeriesKey key;
  std::string alarm;
  Micros since = 0;
  std::optional<double> value;
  double threshold = 0;
  Duration window{};
};

/// A silent room's metric now.
struct SilentSeries {
  SeriesKey key;
  std::optional<Micros> last_reading;
};

/// Every firing alarm and silent series, in natural order of building, room, metric (and rule).
struct AlarmsNow {
  bool restored = false;  ///< false until the states of earlier runs are back
  std::vector<FiringAlarm> firing;
  std::vector<SilentSeries> silent;
};

/// The rules and the silence setting the engine applies.
struct AlarmSettings {
  std::vector<AlarmRule> rules;
  SilenceConfig silence;
  bool operator==(const AlarmSettings&) const = default;
};

class AlarmEngine {
 public:
  explicit AlarmEngine(AlarmSettings settings);

  /// Brings back the states earlier runs stored, then evaluates every room of `rooms` against
  /// them: what changed while roomtempd was away is a transition now (a rule no longer in the
  /// configuration clears). Publishes every state once. Until this is called, tick() does
  /// nothing: no transition is decided without knowing the state before it.
  AlarmOutput restore(const AlarmRestore& stored, const std::vector<RoomSnapshot>& rooms,
                      Micros now);

  /// One publish tick: the averages whose numbers changed, the room series heard from, then
  /// every due time up to `now`.
  AlarmOutput tick(const std::vector<AverageUpdate>& changed, const std::vector<SeriesHeard>& heard,
                   Micros now);

  /// A reload: rules removed or changed clear (a firing one with an "ok" event), new and changed
  /// ones are evaluated on `rooms`; a new silence.after applies to every series.
  AlarmOutput reconfigure(AlarmSettings settings, const std::vector<RoomSnapshot>& rooms,
                          Micros now);

  /// The settings in force.
  AlarmSettings settings() const;
  bool restored() const;

  /// Every firing alarm and silent series now (any thread).
  AlarmsNow active() const;
  /// Firing alarms per rule (every configured rule, 0 included) and silent series: /metrics.
  std::map<std::string, std::size_t> firing_by_rule() const;
  std::size_t silent_count() const;
  /// Room series the engine watches, and rule states it holds (for measurements).
  std::size_t series_count() const;
  std::size_t rule_state_count() const;

 private:
  enum class Phase : std::uint8_t { ok, pending, firing };
  /// One rule's state for one room's metric.
  struct RuleState {
    std::uint16_t rule = 0;  ///< index into settings_.rules
    Phase phase = Phase::ok;
    bool known = false;  ///< evaluated or restored: its retained state exists
    bool has_value = false;
    Micros since = 0;  ///< when it entered ok or firing
    Micros due = 0;    ///< pending: when `for` is over
    double value = 0;  ///< the live average at the last transition (has_value)
    double last = 0;   ///< pending: the latest live average, which it fires with
  };
  /// One room's metric.
  struct Series {
    const std::string* key = nullptr;  ///< its key in series_ (nodes do not move)
    Micros heard = 0;                  ///< newest sign of life; 0: not known
    Micros watch_from = 0;             ///< silence counts from max(heard, watch_from)
    Micros status_since = 0;
    Micros shown_reading = 0;      ///< last_reading of the status published (0: null)
    Micros scheduled = INT64_MAX;  ///< the due time of its silence entry in the heap
    bool silent = false;
    bool status_known = false;     ///< a status was published
    bool covered = false;          ///< rules were matched to it (rules_for)
    std::vector<RuleState> rules;  ///< the rules that cover it
  };
  /// A due time in the heap: a series' silence (slot -1) or a rule's `for` (slot index).
  struct Due {
    Micros at;
    Series* series;
    std::int32_t slot;
  };

  Series& track(const SeriesKey& key);
  /// The series when a rule covers it (or `or_silence` and silence is watched), tracked from
  /// now on; null otherwise.
  Series* watched(const SeriesKey& key, bool or_silence);
  /// restore(): one key's stored state.
  void restore_state(const StoredAlarmState& st, Micros now, AlarmOutput& out);
  /// reconfigure(): rules removed or changed clear (firing ones with an event); the others
  /// keep their state under their new index.
  void drop_rules(const AlarmSettings& before, Micros now, AlarmOutput& out);
  /// reconfigure(): every series as another silence.after says.
  void resilence(const AlarmSettings& before, const std::vector<RoomSnapshot>& rooms, Micros now,
                 AlarmOutput& out);
  Series* find(const SeriesKey& key);
  static SeriesKey key_of(const Series& s);
  /// Gives `s` a slot for each rule that covers it (once, or again after a reconfigure).
  void cover(Series& s);
  void evaluate(Series& s, RuleState& rs, const WindowStats& stats, Micros now, AlarmOutput& out);
  /// Evaluates the rules of `u`'s series on its window; `s` is that series when known (looked
  /// up, and kept, when null).
  void apply_update(const AverageUpdate& u, Series*& s, Micros now, AlarmOutput& out);
  void fire(Series& s, RuleState& rs, Micros ts, double value, AlarmOutput& out);
  void clear(Series& s, RuleState& rs, Micros ts, std::optional<double> value, AlarmOutput& out);
  void hear(Series& s, Micros at, Micros now, AlarmOutput& out);
  void fall_silent(Series& s, Micros due, AlarmOutput& out);
  void report(Series& s, Micros now, AlarmOutput& out);
  void schedule_silence(Series& s);
  void schedule(Micros at, Series* s, std::int32_t slot);
  void run_due(Micros now, AlarmOutput& out);
  /// When `s` falls silent without another reading; INT64_MAX when it cannot (silence off).
  Micros silence_due(const Series& s) const;
  /// Evaluates every rule slot of `s` that `snapshot` has the window of, those not yet known
  /// only when `only_unknown`.
  void evaluate_snapshot(Series& s, const RoomSnapshot& snapshot, Micros now, AlarmOutput& out,
                         bool only_unknown);
  void publish_rule(const Series& s, const RuleState& rs, AlarmOutput& out) const;
  void publish_status(Series& s, AlarmOutput& out);
  void remove_rule_topic(const Series& s, const std::string& alarm, AlarmOutput& out) const;
  void emit(AlarmEvent event, const AlarmRule* rule, AlarmOutput& out) const;
  bool watches_silence() const { return settings_.silence.after.count() > 0; }
  /// Rebuilds the heap from every pending rule and every series' silence.
  void rebuild_heap();

  mutable std::mutex mutex_;
  AlarmSettings settings_;
  bool restored_ = false;
  std::unordered_map<std::string, Series, SeriesKeyHash, SeriesKeyEqual> series_;
  std::vector<Due> heap_;  ///< min-heap by `at`; stale entries are skipped when they come up
  /// (series, rule index) of every firing alarm; silent series.
  std::set<std::pair<const Series*, std::uint16_t>> firing_;
  std::set<const Series*> silent_;
};

/// roomtemp_alarms_firing{alarm} and roomtemp_series_silent in Prometheus text (GET /metrics).
void render_alarm_metrics(const AlarmEngine& engine, std::string& out);

}  // namespace roomtemp
