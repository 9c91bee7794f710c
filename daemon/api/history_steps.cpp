#include "history_steps.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <pqxx/pqxx>

#include "history_plan.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

std::string describe(const SeriesKey& key) {
  return key.room.empty() ? "building " + key.building : "room " + key.building + "/" + key.room;
}

/// PostgreSQL's SQLSTATE for an unknown time zone (invalid_parameter_value).
constexpr const char* kInvalidParameter = "22023";

/// A timestamptz column `t` of whole seconds (a rollup's hour or day) as integer microseconds:
/// exact (well within a double's 53 bits), and cheaper than extract()'s numeric.
constexpr const char* kMicrosOfT = "(date_part('epoch', t) * 1000000)::bigint";

/// A field's number, read with from_chars: libpqxx 6 reads through an istringstream, which was
/// a good part of a year of hourly rows' time. PostgreSQL prints a float8 in its shortest exact
/// form (extra_float_digits 1, the default), so the double read back is the one stored.
template <typename T>
T number(const pqxx::field& f) {
  T value{};
  const char* text = f.c_str();
  const auto [end, error] = std::from_chars(text, text + f.size(), value);
  if (error != std::errc{} || end != text + f.size())
    throw std::runtime_error(std::string("not a number from PostgreSQL: ") + text);
  return value;
}

void add(WindowStats& step, std::uint64_t count, double sum, double min, double max) {
  if (count == 0) return;
  step.min = step.count ? std::min(step.min, min) : min;
  step.max = step.count ? std::max(step.max, max) : max;
  step.count += count;
  step.sum += sum;
}

std::string utc_text(Micros t) { return format_rfc3339(t); }

/// Runs `sql` as a prepared statement named `name` on the transaction's connection (each HTTP
/// worker keeps its own): PostgreSQL plans these statements once and not on every request, which
/// on a busy machine was most of a request's time (10–20 ms of planning against 1 ms of work).
template <typename... Args>
pqxx::result exec_prepared(pqxx::transaction_base& txn, const char* name, const std::string& sql,
                           Args&&... args) {
  txn.conn().prepare(name,
                     sql);  // registers it once per connection; the same text again is a no-op
  return txn.exec_prepared(name, std::forward<Args>(args)...);
}

/// Adds the rollups of the plan's hours and days, and the deltas not folded into them yet (so
/// that the answer counts every reading stored up to now, as the raw readings would), to their
/// steps; one simple statement per span, so that each has a plan that suits it whatever its
/// parameters (an index range scan per series). A daily row lies within one step, and so do the
/// hours of its deltas. A room's rows come as they are; a building's are added up per hour (or
/// day) first, so that fewer rows travel (sum over int4 is int8 arithmetic, much cheaper than
/// numeric's).
void add_rollups(pqxx::transaction_base& txn, const std::string& ids, bool building,
                 const HistoryPlan& plan, const std::vector<Micros>& boundaries,
                 std::vector<WindowStats>& steps) {
  for (const auto* spans : {&plan.hours, &plan.days}) {
    const bool daily = spans == &plan.days;
    const std::string column = daily ? "day" : "hour";
    std::string parts = "SELECT " + column + " AS t, count, sum, min, max FROM ";
    parts.append(daily ? "rollup_daily" : "rollup_hourly")
        .append(" WHERE ")
        .append(column)
        .append(" >= $2::timestamptz AND ")
        .append(column)
        .append(
            " < $3::timestamptz AND series = ANY($1::int[])"
            " UNION ALL SELECT hour, count, sum, min, max FROM rollup_delta"
            " WHERE hour >= $2::timestamptz AND hour < $3::timestamptz AND series = "
            "ANY($1::int[])");
    std::string sql = "SELECT ";
    sql.append(kMicrosOfT)
        .append(building ? ", sum(count::integer), sum(sum), min(min), max(max) FROM ("
                         : ", count, sum, min, max FROM (")
        .append(parts)
        .append(building ? ") p GROUP BY t" : ") p");
    const std::string name =
        std::string("history_") + (daily ? "daily" : "hourly") + (building ? "_building" : "_room");
    for (const TimeSpan& span : *spans) {
      const auto rows =
          exec_prepared(txn, name.c_str(), sql, ids, utc_text(span.from), utc_text(span.to));
      for (const auto& row : rows)
        add(steps[step_of(boundaries, number<Micros>(row[0]))], number<std::uint64_t>(row[1]),
            number<double>(row[2]), number<double>(row[3]), number<double>(row[4]));
    }
  }
}

/// Adds the plan's raw readings to their steps: a run of touching spans (each within a step) at
/// a time, each reading put in its span by width_bucket over the spans' starts.
void add_raw(pqxx::transaction_base& txn, const std::string& ids, const HistoryPlan& plan,
             const std::vector<Micros>& boundaries, std::vector<WindowStats>& steps) {
  for (std::size_t first = 0; first < plan.raw.size();) {
    std::size_t last = first;
    while (last + 1 < plan.raw.size() && plan.raw[last + 1].from == plan.raw[last].to) ++last;
    std::string starts = "{";
    for (std::size_t i = first; i <= last; ++i)
      starts.append(i > first ? ",\"" : "\"").append(utc_text(plan.raw[i].from)).append("\"");
    starts += "}";
    const auto rows = exec_prepared(
        txn, "history_raw",
        "SELECT width_bucket(ts, $4::timestamptz[]) AS i, count(*), sum(value), min(value),"
        " max(value) FROM readings_raw WHERE ts >= $2::timestamptz AND ts < $3::timestamptz"
        " AND series = ANY($1::int[]) GROUP BY i",
        ids, utc_text(plan.raw[first].from), utc_text(plan.raw[last].to), starts);
    for (const auto& row : rows) {
      const TimeSpan& span = plan.raw.at(first + number<std::size_t>(row[0]) - 1);
      add(steps[step_of(boundaries, span.from)], number<std::uint64_t>(row[1]),
          number<double>(row[2]), number<double>(row[3]), number<double>(row[4]));
    }
    first = last + 1;
  }
}

}  // namespace

void require_known(pqxx::transaction_base& txn, const SeriesKey& key) {
  const pqxx::row row =
      key.room.empty()
          ? txn.exec_params1(
                "SELECT EXISTS (SELECT 1 FROM series WHERE building = $1 AND metric = $2)",
                key.building, key.metric)
          : txn.exec_params1(
                "SELECT EXISTS (SELECT 1 FROM series WHERE building = $1 AND room = $2 AND "
                "metric = $3)",
                key.building, key.room, key.metric);
  if (!row[0].as<bool>()) throw NotFound(describe(key) + " has no " + key.metric + " readings");
}

Micros raw_horizon(pqxx::transaction_base& txn) {
  const auto row = txn.exec1(
      "SELECT CASE WHEN horizon = '-infinity' THEN NULL"
      " ELSE (extract(epoch FROM horizon) * 1000000)::bigint END FROM readings_raw_horizon");
  return row[0].is_null() ? std::numeric_limits<Micros>::min() : row[0].as<Micros>();
}

std::vector<Micros> step_boundaries(pqxx::transaction_base& txn, Micros from, Micros to,
                                    Micros step, const std::optional<std::string>& tz) {
  const std::int64_t steps = (to - from + step - 1) / step;
  if (steps > kMaxSeriesPoints)
    throw BadRequest(
        "from..to in steps of " +
        format_duration(std::chrono::duration_cast<Duration>(std::chrono::microseconds(step))) +
        " makes " + std::to_string(steps) + " points; at most " + std::to_string(kMaxSeriesPoints) +
        " (use a larger step)");
  std::vector<Micros> b;
  if (tz) {
    try {
      // Checks the zone, whatever the step.
      txn.exec_params("SELECT now() AT TIME ZONE $1", *tz);
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == kInvalidParameter) throw BadRequest("unknown time zone '" + *tz + "'");
      throw;
    }
  }
  if (tz && step % kMicrosPerDay == 0) {
    // Local calendar days: k whole days after `from` on the zone's wall clock.
    const auto rows = txn.exec_params(
        "SELECT (extract(epoch FROM (g AT TIME ZONE $3)) * 1000000)::bigint"
        " FROM generate_series($1::timestamptz AT TIME ZONE $3, $2::timestamptz AT TIME ZONE $3,"
        "                      $4 * interval '1 day') g"
        " WHERE g AT TIME ZONE $3 < $2::timestamptz",
        utc_text(from), utc_text(to), *tz, step / kMicrosPerDay);
    for (const auto& row : rows) b.push_back(row[0].as<Micros>());
    if (b.empty() || b.front() != from) b.insert(b.begin(), from);
  } else {
    for (Micros t = from; t < to; t += step) b.push_back(t);
  }
  b.push_back(to);
  return b;
}

std::vector<WindowStats> step_figures(pqxx::transaction_base& txn, const SeriesKey& key,
                                      const std::vector<Micros>& boundaries) {
  std::vector<WindowStats> steps(boundaries.size() - 1);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    steps[i].from = boundaries[i];
    steps[i].to = boundaries[i + 1];
  }
  const Micros from = boundaries.front(), to = boundaries.back();

  // Days whose rollups are still being built: answered from raw readings.
  std::vector<Micros> incomplete;
  for (const auto& row : exec_prepared(
           txn, "history_incomplete_days",
           "SELECT (extract(epoch FROM day::timestamp AT TIME ZONE 'UTC') * 1000000)::bigint"
           " FROM rollup_backfill WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date"
           " AND day <= ($2::timestamptz AT TIME ZONE 'UTC')::date",
           utc_text(from), utc_text(to)))
    incomplete.push_back(row[0].as<Micros>());
  const HistoryPlan plan = plan_history(boundaries, incomplete);

  if (!plan.raw.empty()) {
    const Micros horizon = raw_horizon(txn);
    if (plan.raw.front().from < horizon)
      throw BadRequest(
          "raw readings before " + utc_text(horizon) +
          " were dropped (retention.readings); before then only whole hours are kept: give "
          "from, to and step in whole hours (UTC, or of a time zone whose offset is whole "
          "hours)");
  }

  if (plan.days.empty() && plan.hours.empty() && plan.raw.empty()) return steps;
  const std::string ids =
      exec_prepared(txn, "history_series_ids",
                    "SELECT coalesce(array_agg(id), '{}')::text FROM series WHERE building = $1 "
                    "AND metric = $2 AND ($3 = '' OR room = $3)",
                    key.building, key.metric, key.room)[0][0]
          .as<std::string>();
  if (ids == "{}") return steps;  // never reported: every step empty
  add_rollups(txn, ids, key.room.empty(), plan, boundaries, steps);
  add_raw(txn, ids, plan, boundaries, steps);
  return steps;
}

}  // namespace roomtemp
