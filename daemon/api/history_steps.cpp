#include "history_steps.h"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "history_plan.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

/// PostgreSQL's SQLSTATE for an unknown time zone (invalid_parameter_value).
constexpr const char* kInvalidParameter = "22023";

/// A timestamptz as integer microseconds, and back: exact both ways.
constexpr const char* kMicrosOfT = "(extract(epoch FROM t) * 1000000)::bigint";
std::string as_timestamptz(const std::string& micros) {
  return "(timestamptz 'epoch' + (" + micros + ") * interval '1 microsecond')";
}

std::string bigint_array(const std::vector<Micros>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "}";
}

/// The starts and the ends of `spans`, as two bigint[] literals.
std::pair<std::string, std::string> span_arrays(const std::vector<TimeSpan>& spans) {
  std::vector<Micros> from, to;
  for (const auto& s : spans) {
    from.push_back(s.from);
    to.push_back(s.to);
  }
  return {bigint_array(from), bigint_array(to)};
}

/// The series of the question: a room's ($1 building, $2 metric, $3 room) or, when $3 is '',
/// every room's of the building.
constexpr const char* kSeriesCte =
    "s AS (SELECT id FROM series WHERE building = $1 AND metric = $2"
    " AND ($3 = '' OR room = $3))";

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

}  // namespace

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

  if (!plan.days.empty() || !plan.hours.empty()) {
    // The rollups, and the deltas not folded into them yet (so that the answer counts every
    // reading stored up to now, as the raw readings would), in one snapshot.
    const auto [hour_from, hour_to] = span_arrays(plan.hours);
    const auto [day_from, day_to] = span_arrays(plan.days);
    const std::string hours_cte = "hi AS (SELECT " + as_timestamptz("a") + " AS a, " +
                                  as_timestamptz("b") +
                                  " AS b FROM unnest($4::bigint[], $5::bigint[]) AS i(a, b))";
    const std::string days_cte = "di AS (SELECT " + as_timestamptz("a") + " AS a, " +
                                 as_timestamptz("b") +
                                 " AS b FROM unnest($6::bigint[], $7::bigint[]) AS i(a, b))";
    const auto rows = exec_prepared(
        txn, "history_rollups",
        std::string("WITH ") + kSeriesCte + ", " + hours_cte + ", " + days_cte +
            ", parts AS ("
            " SELECT h.hour AS t, h.count, h.sum, h.min, h.max FROM hi JOIN rollup_hourly h"
            "  ON h.hour >= hi.a AND h.hour < hi.b WHERE h.series IN (SELECT id FROM s)"
            " UNION ALL"
            " SELECT d.day, d.count, d.sum, d.min, d.max FROM di JOIN rollup_daily d"
            "  ON d.day >= di.a AND d.day < di.b WHERE d.series IN (SELECT id FROM s)"
            " UNION ALL"
            " SELECT x.hour, x.count, x.sum, x.min, x.max FROM rollup_delta x"
            "  WHERE x.series IN (SELECT id FROM s)"
            "  AND (EXISTS (SELECT 1 FROM hi WHERE x.hour >= hi.a AND x.hour < hi.b)"
            "    OR EXISTS (SELECT 1 FROM di WHERE x.hour >= di.a AND x.hour < di.b)))"
            " SELECT " +
            kMicrosOfT + ", sum(count)::bigint, sum(sum), min(min), max(max) FROM parts GROUP BY t",
        key.building, key.metric, key.room, hour_from, hour_to, day_from, day_to);
    for (const auto& row : rows)
      add(steps[step_of(boundaries, row[0].as<Micros>())], row[1].as<std::uint64_t>(),
          row[2].as<double>(), row[3].as<double>(), row[4].as<double>());
  }

  if (!plan.raw.empty()) {
    const auto [raw_from, raw_to] = span_arrays(plan.raw);
    const auto rows =
        exec_prepared(txn, "history_raw_spans",
                      std::string("WITH ") + kSeriesCte +
                          " SELECT i.a, count(*), sum(r.value), min(r.value), max(r.value)"
                          " FROM unnest($4::bigint[], $5::bigint[]) AS i(a, b)"
                          " JOIN readings_raw r ON r.ts >= " +
                          as_timestamptz("i.a") + " AND r.ts < " + as_timestamptz("i.b") +
                          " WHERE r.series IN (SELECT id FROM s) GROUP BY i.a",
                      key.building, key.metric, key.room, raw_from, raw_to);
    for (const auto& row : rows)
      add(steps[step_of(boundaries, row[0].as<Micros>())], row[1].as<std::uint64_t>(),
          row[2].as<double>(), row[3].as<double>(), row[4].as<double>());
  }
  return steps;
}

}  // namespace roomtemp
