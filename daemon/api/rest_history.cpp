// REST routes answered from PostgreSQL: averages over any [from, to) and series of a room's or
// a building's metric (from the rollups wherever the range allows: history_steps.h), raw
// readings of a room, histograms of a room or a building (README, REST API).
//
// Every query is parameterised, read-only, bounded by a row/point/bin limit and by the
// session's statement_timeout, and runs on the calling HTTP worker's own connection
// (history_db.h).
#include <httplib.h>

#include <array>
#include <charconv>
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
#include "history_steps.h"
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
// Also the device dashboard's GET /devices/{device}/histogram (rest_compat_devices.cpp).
void histogram(const httplib::Request& req, httplib::Response& res, HttpDeps& deps,
               const SeriesKey& key);

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

/// /v1/buildings/{b}/{metric}/…: the building's key (room empty).
SeriesKey building_key(const httplib::Request& req) {
  return {params::id(req.matches[1], "building"), "", params::id(req.matches[2], "metric")};
}

/// Raw readings are needed from `from` on (readings, histogram): a 400 naming the horizon when
/// retention dropped them.
void require_raw_from(pqxx::transaction_base& txn, Micros from) {
  const Micros horizon = raw_horizon(txn);
  if (from < horizon)
    throw BadRequest("raw readings before " + format_rfc3339(horizon) +
                     " were dropped (retention.readings): ask from " + format_rfc3339(horizon) +
                     " on; averages and series of whole hours before it come from the rollups");
}

/// Timestamps go to PostgreSQL as RFC 3339 text cast to timestamptz (exact to the microsecond)
/// and come back as integer microseconds (exact again; no float on the way).
std::string sql_time(Micros t) { return format_rfc3339(t); }
constexpr const char* kTsMicros = "(extract(epoch FROM ts) * 1000000)::bigint";

const char* const kRoomFilter =
    " FROM readings WHERE building = $1 AND room = $2 AND metric = $3"
    " AND ts >= $4::timestamptz AND ts < $5::timestamptz";

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

/// A double as nlohmann::json prints one (the shortest digits that read back exactly, ".0" on a
/// whole number), without building a JSON value first.
void append_number(std::string& out, double v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".eEni") == std::string_view::npos) out += ".0";
}

/// A series' JSON array written straight into a string: a year of hourly steps is 8,760
/// objects, and building a JSON value for each took longer than the query that found them.
/// The text is what nlohmann::json would print for the same objects.
std::string json_array(const std::vector<SeriesPoint>& points) {
  const auto& c = SeriesPoint::kColumns;
  std::string out;
  out.reserve(points.size() * 130 + 2);
  out += '[';
  for (const SeriesPoint& p : points) {
    if (out.size() > 1) out += ',';
    out += "{\"";
    out += c[0];
    out += "\":\"" + format_rfc3339(p.from) + "\",\"";
    out += c[1];
    out += "\":\"" + format_rfc3339(p.to) + "\"";
    const double numbers[] = {p.avg, p.min, p.max};
    for (int i = 0; i < 3; ++i) {
      out += ",\"";
      out += c[2 + i];
      out += "\":";
      if (p.count)
        append_number(out, numbers[i]);
      else
        out += "null";
    }
    out += ",\"";
    out += c[5];
    out += "\":" + std::to_string(p.count) + "}";
  }
  out += ']';
  return out;
}

/// Other rows: through nlohmann::json.
template <typename Row>
std::string json_array(const std::vector<Row>& rows) {
  json list = json::array();
  for (const Row& row : rows) list.push_back(to_json(row));
  return json_text(list);
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
        key.room.empty()
            ? csv_filename({key.building, key.metric, route}, range.from, range.to)
            : csv_filename({key.building, key.room, key.metric, route}, range.from, range.to));
  }
  send_json(res, 200, json_array(rows));
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
    WindowStats s = step_figures(txn, key, {range.from, range.to}).front();
    if (s.count == 0) require_known(txn, key);
    return s;
  });
  send_json(res, 200, average_json(key, window, stats));
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
    require_raw_from(txn, range.from);
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

/// GET …/series?from&to&step&tz: one entry per step aligned to `from`, every step present
/// (count 0 and null numbers when empty) so that a chart gets a continuous axis; the last step
/// ends at `to` even when that makes it shorter. With `tz` and a step of whole days, steps are
/// that zone's calendar days. For a room or, with `key.room` empty, a building.
void series(const httplib::Request& req, httplib::Response& res, HttpDeps& deps,
            const SeriesKey& key) {
  const Range range = time_range(req);
  const Duration step = params::optional_duration(req, "step").value_or(kDefaultStep);
  const Micros step_us = to_micros(step);
  if (step_us <= 0) throw BadRequest("'step' must be longer than 0");
  const std::optional<std::string> tz = params::optional(req, "tz");
  if (tz && (tz->empty() || tz->size() > 64))
    throw BadRequest("'tz' must name a time zone, e.g. Europe/Zurich");
  const BodyFormat format = requested_format(req, true);

  const auto points = read_only(deps, [&](pqxx::transaction_base& txn) {
    const std::vector<Micros> boundaries = step_boundaries(txn, range.from, range.to, step_us, tz);
    const std::vector<WindowStats> figures = step_figures(txn, key, boundaries);
    std::vector<SeriesPoint> out;
    bool any = false;
    for (const WindowStats& f : figures) {
      SeriesPoint point;
      point.from = f.from;
      point.to = f.to;
      point.count = f.count;
      if (f.count) {
        point.avg = f.avg();
        point.min = f.min;
        point.max = f.max;
        any = true;
      }
      out.push_back(point);
    }
    if (!any) require_known(txn, key);
    return out;
  });
  send_rows(res, format, points, "series", key, range);
}

}  // namespace

/// GET …/histogram?from&to&bins: `bins` equal-width bins from the smallest to the largest
/// value in [from, to) (the largest lands in the last bin); {"edges":[],"counts":[]} when the
/// range holds no readings. When every value is the same, all edges equal it and the first
/// bin holds them all.
void histogram(const httplib::Request& req, httplib::Response& res, HttpDeps& deps,
               const SeriesKey& key) {
  const Range range = time_range(req);
  const std::int64_t bins = params::integer(req, "bins", kDefaultBins, 1, kMaxBins);
  requested_format(req, false);  // JSON only: a 400 for format=csv, not a JSON surprise

  const json out = read_only(deps, [&](pqxx::transaction_base& txn) {
    require_raw_from(txn, range.from);
    // One statement, so the bounds and the counts come from the same snapshot. A building's
    // values are every room's ($2 = '').
    const pqxx::result rows = txn.exec_params(
        "WITH r AS (SELECT value FROM readings WHERE building = $1 AND ($2 = '' OR room = $2)"
        " AND metric = $3 AND ts >= $4::timestamptz AND ts < $5::timestamptz),"
        " b AS (SELECT min(value) AS lo, max(value) AS hi FROM r)"
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
  send_json(res, 200, json_text(out));
}

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
  s.Get(R"(/v1/buildings/([^/]+)/([^/]+)/average)",
        [&deps](const httplib::Request& req, httplib::Response& res) {
          requested_format(req, false);
          if (!wants_history(req)) return handle_live_building_average(req, res, deps);
          history_average(req, res, deps, building_key(req));
        });
  s.Get(room + "/readings",
        [&deps](const httplib::Request& req, httplib::Response& res) { readings(req, res, deps); });
  s.Get(room + "/series", [&deps](const httplib::Request& req, httplib::Response& res) {
    series(req, res, deps, room_key(req));
  });
  s.Get(room + "/histogram", [&deps](const httplib::Request& req, httplib::Response& res) {
    histogram(req, res, deps, room_key(req));
  });
  const std::string building = R"(/v1/buildings/([^/]+)/([^/]+))";
  s.Get(building + "/series", [&deps](const httplib::Request& req, httplib::Response& res) {
    series(req, res, deps, building_key(req));
  });
  s.Get(building + "/histogram", [&deps](const httplib::Request& req, httplib::Response& res) {
    histogram(req, res, deps, building_key(req));
  });
}

}  // namespace roomtemp
