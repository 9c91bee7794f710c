// REST routes answered from PostgreSQL: averages over any [from, to), raw readings, series
// and histograms of one room's metric (README, REST API).
//
// Every query is parameterised, read-only, bounded by a row/point/bin limit and by the
// session's statement_timeout, and runs on the calling HTTP worker's own connection
// (history_db.h).
#include <httplib.h>

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator.h"
#include "config.h"
#include "history_db.h"
#include "http_api.h"
#include "messages.h"
#include "rest_csv.h"
#include "rest_params.h"

namespace roomtemp {

// The live variants of the average routes (rest_live.cpp): same path, `window=` instead of
// `from`/`to`. Declared here so this file does not wait on http_api.h.
void handle_live_room_average(const httplib::Request& req, httplib::Response& res, HttpDeps& deps);
void handle_live_building_average(const httplib::Request& req, httplib::Response& res,
                                  HttpDeps& deps);

namespace {

using json = nlohmann::ordered_json;

/// `from` defaults to this long before `to`.
constexpr Micros kDefaultSpan = 3600 * kMicrosPerSecond;
constexpr std::int64_t kDefaultLimit = 1000;
constexpr std::int64_t kDefaultBins = 10;
constexpr auto kDefaultStep = std::chrono::hours(1);

// ---------------------------------------------------------------------------------------
// Request parts.

/// A half-open time range [from, to) in microseconds.
struct Range {
  Micros from = 0;
  Micros to = 0;
  Micros span() const { return to - from; }
};

/// The end of the second now is in: `to`'s default. Every reading stamped up to now falls
/// before it, and a range with a whole-second `from` then spans whole seconds.
Micros end_of_this_second() { return (now_micros() / kMicrosPerSecond + 1) * kMicrosPerSecond; }

/// `from` and `to` from the query string, one rule for every history route, room or building:
/// to defaults to the end of the current second, from to one hour before to.
Range time_range(const httplib::Request& req) {
  Range r;
  r.to = params::optional_time(req, "to").value_or(end_of_this_second());
  r.from = params::optional_time(req, "from").value_or(r.to - kDefaultSpan);
  if (r.from >= r.to) throw BadRequest("'from' must be earlier than 'to'");
  if (r.span() > kMaxHistorySpan)
    throw BadRequest("from..to spans more than " +
                     format_duration(std::chrono::duration_cast<Duration>(
                         std::chrono::microseconds(kMaxHistorySpan))) +
                     "; ask for a shorter range");
  return r;
}

/// True when an average request asks for history (from/to) rather than a live window.
bool wants_history(const httplib::Request& req) {
  const bool range = req.has_param("from") || req.has_param("to");
  if (range && req.has_param("window"))
    throw BadRequest("give either 'window' (live) or 'from'/'to' (history), not both");
  return range;
}

SeriesKey room_key(const httplib::Request& req) {
  return {params::id(req.matches[1], "building"), params::id(req.matches[2], "room"),
          params::id(req.matches[3], "metric")};
}

/// Timestamps go to PostgreSQL as RFC 3339 text cast to timestamptz (exact to the microsecond)
/// and come back as integer microseconds (exact again; no float on the way).
std::string sql_time(Micros t) { return format_rfc3339(t); }
constexpr const char* kTsMicros = "(extract(epoch FROM ts) * 1000000)::bigint";

const char* const kRoomFilter =
    " FROM readings WHERE building = $1 AND room = $2 AND metric = $3"
    " AND ts >= $4::timestamptz AND ts < $5::timestamptz";

std::string describe(const SeriesKey& key) {
  return key.room.empty() ? "building " + key.building : "room " + key.building + "/" + key.room;
}

/// Throws NotFound when the series has never had a reading (an empty range of a known room is
/// not an error): a series is a row of `series` from its first stored reading on.
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

void send_json(httplib::Response& res, const std::string& body) {
  res.status = 200;
  res.set_content(body, "application/json");
}

std::string dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------------------
// Rows of readings and series: a JSON object each, or a CSV record whose header is the JSON
// object's keys in the same order (null: an empty field).

/// One stored reading, as readings answers it.
struct StoredReading {
  static constexpr std::array<std::string_view, 4> kColumns = {"ts", "value", "sensor_id",
                                                               "received_at"};
  Micros ts = 0;
  double value = 0;
  std::optional<std::string> sensor_id;
  Micros received_at = 0;
};

json to_json(const StoredReading& r) {
  const auto& c = StoredReading::kColumns;
  json doc;
  doc[c[0]] = format_rfc3339(r.ts);
  doc[c[1]] = r.value;
  doc[c[2]] = r.sensor_id ? json(*r.sensor_id) : json(nullptr);
  doc[c[3]] = format_rfc3339(r.received_at);
  return doc;
}

void write_csv(CsvWriter& csv, const StoredReading& r) {
  csv.time(r.ts).number(r.value);
  r.sensor_id ? csv.text(*r.sensor_id) : csv.null();
  csv.time(r.received_at).end_record();
}

/// One step of a series; avg, min and max mean something only when count > 0.
struct SeriesPoint {
  static constexpr std::array<std::string_view, 6> kColumns = {"from", "to",  "avg",
                                                               "min",  "max", "count"};
  Micros from = 0, to = 0;
  std::uint64_t count = 0;
  double avg = 0, min = 0, max = 0;
};

json to_json(const SeriesPoint& p) {
  const auto& c = SeriesPoint::kColumns;
  json doc;
  doc[c[0]] = format_rfc3339(p.from);
  doc[c[1]] = format_rfc3339(p.to);
  doc[c[2]] = p.count ? json(p.avg) : json(nullptr);
  doc[c[3]] = p.count ? json(p.min) : json(nullptr);
  doc[c[4]] = p.count ? json(p.max) : json(nullptr);
  doc[c[5]] = p.count;
  return doc;
}

void write_csv(CsvWriter& csv, const SeriesPoint& p) {
  csv.time(p.from).time(p.to);
  for (double v : {p.avg, p.min, p.max}) p.count ? csv.number(v) : csv.null();
  csv.integer(p.count).end_record();
}

/// The answer's body, as JSON or as CSV named after the route, the series and the range. The
/// body depends on Accept, so caches are told to keep the two apart.
template <typename Row>
void send_rows(httplib::Response& res, BodyFormat format, const std::vector<Row>& rows,
               const char* route, const SeriesKey& key, const Range& range) {
  res.set_header("Vary", "Accept");
  if (format == BodyFormat::csv) {
    CsvWriter csv(Row::kColumns);
    for (const Row& row : rows) write_csv(csv, row);
    return send_csv(
        res, csv.str(),
        csv_filename({key.building, key.room, key.metric, route}, range.from, range.to));
  }
  json list = json::array();
  for (const Row& row : rows) list.push_back(to_json(row));
  send_json(res, dump(list));
}

// ---------------------------------------------------------------------------------------
// Handlers.

/// GET …/average?from&to: the live average's object, computed over [from, to).
void history_average(const httplib::Request& req, httplib::Response& res, HttpDeps& deps,
                     const SeriesKey& key) {
  const Range range = time_range(req);
  // The window is always to − from, spelled as a configured duration is (README, REST API).
  // Those are whole milliseconds: a range that is not gets a 400, not a window that is not
  // to − from.
  constexpr Micros kMicrosPerMilli = 1000;
  if (range.span() % kMicrosPerMilli != 0)
    throw BadRequest("an average's window is to − from in whole milliseconds; from..to spans " +
                     std::to_string(range.span()) + " µs");
  const Duration window{range.span() / kMicrosPerMilli};
  const WindowStats stats = read_only(deps, [&](pqxx::transaction_base& txn) {
    const char* select = "SELECT count(*), sum(value), min(value), max(value)";
    const pqxx::row row =
        key.room.empty()
            ? txn.exec_params1(std::string(select) +
                                   " FROM readings WHERE building = $1 AND metric = $2"
                                   " AND ts >= $3::timestamptz AND ts < $4::timestamptz",
                               key.building, key.metric, sql_time(range.from), sql_time(range.to))
            : txn.exec_params1(std::string(select) + kRoomFilter, key.building, key.room,
                               key.metric, sql_time(range.from), sql_time(range.to));
    WindowStats s;
    s.from = range.from;
    s.to = range.to;
    s.count = row[0].as<std::uint64_t>();
    if (s.count == 0) {
      require_known(txn, key);
    } else {
      s.sum = row[1].as<double>();
      s.min = row[2].as<double>();
      s.max = row[3].as<double>();
    }
    return s;
  });
  send_json(res, average_json(key, window, stats));
}

/// GET …/readings?from&to&limit: raw readings, oldest first (ties by sensor_id). When more
/// exist than `limit`, the answer carries `X-Truncated: true`.
void readings(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SeriesKey key = room_key(req);
  const Range range = time_range(req);
  const std::int64_t limit = params::integer(req, "limit", kDefaultLimit, 1, kMaxRows);
  const BodyFormat format = requested_format(req, true);
  bool truncated = false;
  const auto list = read_only(deps, [&](pqxx::transaction_base& txn) {
    const pqxx::result rows = txn.exec_params(
        std::string("SELECT ") + kTsMicros +
            ", value, sensor_id, (extract(epoch FROM received_at) * 1000000)::bigint" +
            kRoomFilter + " ORDER BY ts, sensor_id LIMIT $6::bigint",
        key.building, key.room, key.metric, sql_time(range.from), sql_time(range.to), limit + 1);
    if (rows.empty()) require_known(txn, key);
    truncated = static_cast<std::int64_t>(rows.size()) > limit;
    std::vector<StoredReading> stored;
    for (const auto& row : rows) {
      if (static_cast<std::int64_t>(stored.size()) == limit) break;
      stored.push_back({row[0].as<Micros>(), row[1].as<double>(),
                        row[2].is_null() ? std::nullopt : std::optional(row[2].as<std::string>()),
                        row[3].as<Micros>()});
    }
    return stored;
  });
  if (truncated) res.set_header("X-Truncated", "true");
  send_rows(res, format, list, "readings", key, range);
}

/// GET …/series?from&to&step: one entry per step aligned to `from`, every step present (count 0
/// and null numbers when empty) so that a chart gets a continuous axis; the last step ends at
/// `to` even when that makes it shorter.
void series(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SeriesKey key = room_key(req);
  const Range range = time_range(req);
  const Duration step = params::optional_duration(req, "step").value_or(kDefaultStep);
  const Micros step_us = std::chrono::duration_cast<std::chrono::microseconds>(step).count();
  const std::int64_t steps = (range.span() + step_us - 1) / step_us;
  if (steps > kMaxSeriesPoints)
    throw BadRequest("from..to in steps of " + format_duration(step) + " makes " +
                     std::to_string(steps) + " points; at most " +
                     std::to_string(kMaxSeriesPoints) + " (use a larger step)");
  const BodyFormat format = requested_format(req, true);

  const auto points = read_only(deps, [&](pqxx::transaction_base& txn) {
    // ts >= from, so the integer division is a floor.
    const pqxx::result rows = txn.exec_params(
        std::string("SELECT (") + kTsMicros + " - $6::bigint) / $7::bigint AS step," +
            " count(*), sum(value), min(value), max(value)" + kRoomFilter +
            " GROUP BY step ORDER BY step",
        key.building, key.room, key.metric, sql_time(range.from), sql_time(range.to), range.from,
        step_us);
    if (rows.empty()) require_known(txn, key);
    std::vector<SeriesPoint> steps_out;
    auto row = rows.begin();
    for (std::int64_t i = 0; i < steps; ++i) {
      SeriesPoint point;
      point.from = range.from + i * step_us;
      point.to = std::min(point.from + step_us, range.to);
      if (row != rows.end() && row[0].as<std::int64_t>() == i) {
        point.count = row[1].as<std::uint64_t>();  // > 0: only steps with readings are rows
        point.avg = row[2].as<double>() / static_cast<double>(point.count);
        point.min = row[3].as<double>();
        point.max = row[4].as<double>();
        ++row;
      }
      steps_out.push_back(point);
    }
    return steps_out;
  });
  send_rows(res, format, points, "series", key, range);
}

/// GET …/histogram?from&to&bins: `bins` equal-width bins from the smallest to the largest
/// value in [from, to) (the largest lands in the last bin); {"edges":[],"counts":[]} when the
/// range holds no readings. When every value is the same, all edges equal it and the first
/// bin holds them all.
void histogram(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SeriesKey key = room_key(req);
  const Range range = time_range(req);
  const std::int64_t bins = params::integer(req, "bins", kDefaultBins, 1, kMaxBins);
  requested_format(req, false);  // JSON only: a 400 for format=csv, not a JSON surprise

  const json out = read_only(deps, [&](pqxx::transaction_base& txn) {
    // One statement, so the bounds and the counts come from the same snapshot.
    const pqxx::result rows = txn.exec_params(
        std::string("WITH r AS (SELECT value") + kRoomFilter +
            "), b AS (SELECT min(value) AS lo, max(value) AS hi FROM r)"
            " SELECT b.lo, b.hi, CASE WHEN b.lo = b.hi THEN 1"
            " ELSE least(width_bucket(r.value, b.lo, b.hi, $6::int), $6::int) END AS bin,"
            " count(*) FROM r CROSS JOIN b GROUP BY b.lo, b.hi, bin ORDER BY bin",
        key.building, key.room, key.metric, sql_time(range.from), sql_time(range.to), bins);
    json doc = {{"edges", json::array()}, {"counts", json::array()}};
    if (rows.empty()) {
      require_known(txn, key);
      return doc;
    }
    const double lo = rows[0][0].as<double>();
    const double hi = rows[0][1].as<double>();
    std::vector<std::uint64_t> counts(static_cast<std::size_t>(bins), 0);
    for (const auto& row : rows)
      counts.at(row[2].as<std::size_t>() - 1) = row[3].as<std::uint64_t>();
    for (std::int64_t i = 0; i < bins; ++i)
      doc["edges"].push_back(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(bins));
    doc["edges"].push_back(hi);
    doc["counts"] = counts;
    return doc;
  });
  send_json(res, dump(out));
}

}  // namespace

void register_history_routes(Routes& s, HttpDeps& deps) {
  // Ids match anything between slashes here so that a bad one gets a 400 that says why
  // (params::id) rather than the router's 404.
  const std::string room = R"(/v1/buildings/([^/]+)/rooms/([^/]+)/([^/]+))";

  // Averages are one object, live or history: JSON only (format=csv is a 400).
  s.Get(room + "/average", [&deps](const httplib::Request& req, httplib::Response& res) {
    requested_format(req, false);
    if (!wants_history(req)) return handle_live_room_average(req, res, deps);
    history_average(req, res, deps, room_key(req));
  });
  s.Get(R"(/v1/buildings/([^/]+)/([^/]+)/average)", [&deps](const httplib::Request& req,
                                                            httplib::Response& res) {
    requested_format(req, false);
    if (!wants_history(req)) return handle_live_building_average(req, res, deps);
    SeriesKey key{params::id(req.matches[1], "building"), "", params::id(req.matches[2], "metric")};
    history_average(req, res, deps, key);
  });
  s.Get(room + "/readings",
        [&deps](const httplib::Request& req, httplib::Response& res) { readings(req, res, deps); });
  s.Get(room + "/series",
        [&deps](const httplib::Request& req, httplib::Response& res) { series(req, res, deps); });
  s.Get(room + "/histogram", [&deps](const httplib::Request& req, httplib::Response& res) {
    histogram(req, res, deps);
  });
}

}  // namespace roomtemp
