// The sensor-id service's calls (README, "Coming from another service"): readings that name only
// a sensor, in by POST /ingest, out by GET /get_range, /min and /hourly. A sensor's readings
// belong where sensor_place() puts them (a source's `devices`, else building "sensors", room =
// the sensor id) and go through the same ingest as /v1; the reads are of the same `readings`.
//
// Those routes take [start, end] with both ends in, as the service's BETWEEN did; /v1's ranges
// are [from, to).
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "compat.h"
#include "config.h"
#include "history_db.h"
#include "history_steps.h"
#include "http_api.h"
#include "messages.h"
#include "rest_live.h"
#include "rest_params.h"
#include "validate.h"

namespace roomtemp {
namespace {

using json = nlohmann::ordered_json;

/// One sensor's readings over [from, to], both in.
struct SensorRange {
  std::string sensor;
  DevicePlace place;
  std::string metric;
  Micros from = 0;
  Micros to = 0;
};

constexpr const char* kSensorFilter =
    " FROM readings WHERE building = $1 AND room = $2 AND metric = $3 AND sensor_id = $4"
    " AND ts >= $5::timestamptz AND ts <= $6::timestamptz";

Micros compat_time(const std::string& text, const char* name) {
  if (auto t = parse_time_utc_default(text)) return *t;
  throw BadRequest(std::string("parameter '") + name + "': '" + text.substr(0, 64) +
                   "' is not an ISO 8601 time, e.g. 2025-10-22T21:00:00Z (UTC without an offset)");
}

/// sensor_id and, when `need_range`, start and end; without, all time.
SensorRange sensor_range(const httplib::Request& req, HttpDeps& deps, bool need_range) {
  const auto config = deps.config.get();
  SensorRange r;
  r.sensor = params::id(params::required(req, "sensor_id"), "sensor");
  r.place = sensor_place(*config, r.sensor);
  r.metric = std::string(default_posted_metric(*config));
  const auto start = params::optional(req, "start");
  const auto end = params::optional(req, "end");
  if (need_range && (!start || !end)) throw BadRequest("give both 'start' and 'end'");
  r.from = start ? compat_time(*start, "start") : 0;
  r.to = end ? compat_time(*end, "end") : now_micros() + kMaxHistorySpan;
  if (r.from > r.to) throw BadRequest("'start' must not be later than 'end'");
  if (need_range && r.to - r.from > kMaxHistorySpan)
    throw BadRequest("start..end spans more than 366d; ask for a shorter range");
  return r;
}

/// Raw readings before the retention horizon are gone: a range that needs them is a 400,
/// unless `clamp` (a question over all time), which then starts at the horizon.
Micros kept_from(pqxx::transaction_base& txn, const SensorRange& r, bool clamp) {
  const Micros horizon = raw_horizon(txn);
  if (r.from >= horizon) return r.from;
  if (clamp) return horizon;
  throw BadRequest("raw readings before " + format_rfc3339(horizon) +
                   " were dropped (retention.readings): ask from " + format_rfc3339(horizon) +
                   " on");
}

/// POST /ingest: a JSON array of {"sensor_id", "timestamp", "value"}; 200 with how many were
/// accepted and why the others were not (/v1/readings' answer).
void ingest(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const nlohmann::json body = parse_body(req);
  if (!body.is_array()) throw BadRequest("the body must be a JSON array of readings");
  const auto config = deps.config.get();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& element : body) {
    const auto sensor = element.is_object() ? element.find("sensor_id") : element.end();
    if (!element.is_object() || sensor == element.end() || !sensor->is_string()) {
      items.push_back(element);  // refused by the ingest, which says why
      continue;
    }
    const DevicePlace place = sensor_place(*config, sensor->get<std::string>());
    nlohmann::json item = {
        {"building_id", place.building}, {"room_id", place.room}, {"sensor_id", *sensor}};
    if (element.contains("value")) item["value"] = element["value"];
    if (auto ts = element.find("timestamp"); ts != element.end())
      item["timestamp"] = utc_timestamp(*ts);
    items.push_back(std::move(item));
  }
  send_json(res, 200, json_text(ingest_items(deps, items, "http:POST /ingest")));
}

/// GET /get_range?sensor_id&start&end: {"data": [{id, timestamp, sensor_id, value}]}, oldest
/// first. `id` is the reading's time in epoch microseconds: one sensor has one reading a time.
void get_range(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SensorRange r = sensor_range(req, deps, true);
  bool truncated = false;
  const json data = read_only(deps, [&](pqxx::transaction_base& txn) {
    const pqxx::result rows = txn.exec_params(
        std::string("SELECT (extract(epoch FROM ts) * 1000000)::bigint, value") + kSensorFilter +
            " ORDER BY ts LIMIT $7::bigint",
        r.place.building, r.place.room, r.metric, r.sensor,
        format_rfc3339(kept_from(txn, r, false)), format_rfc3339(r.to), kMaxRows + 1);
    truncated = static_cast<std::int64_t>(rows.size()) > kMaxRows;
    json list = json::array();
    for (const auto& row : rows) {
      if (static_cast<std::int64_t>(list.size()) == kMaxRows) break;
      const auto ts = row[0].as<Micros>();
      list.push_back({{"id", ts},
                      {"timestamp", format_rfc3339(ts)},
                      {"sensor_id", r.sensor},
                      {"value", row[1].as<double>()}});
    }
    return list;
  });
  if (truncated) res.set_header("X-Truncated", "true");
  send_json(res, 200, json_text(json{{"data", data}}));
}

/// GET /min?sensor_id&start&end: {"min_value": the smallest value, null when none}.
void min_value(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SensorRange r = sensor_range(req, deps, true);
  const json out = read_only(deps, [&](pqxx::transaction_base& txn) {
    const pqxx::row row = txn.exec_params1(
        std::string("SELECT min(value)") + kSensorFilter, r.place.building, r.place.room, r.metric,
        r.sensor, format_rfc3339(kept_from(txn, r, false)), format_rfc3339(r.to));
    return row[0].is_null() ? json(nullptr) : json(row[0].as<double>());
  });
  send_json(res, 200, json_text(json{{"min_value", out}}));
}

/// GET /hourly?sensor_id[&start&end]: one object per UTC hour that has readings, oldest first.
void hourly(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SensorRange r = sensor_range(req, deps, false);
  bool truncated = false;
  const json hours = read_only(deps, [&](pqxx::transaction_base& txn) {
    const pqxx::result rows = txn.exec_params(
        std::string("SELECT (floor(extract(epoch FROM ts) / 3600) * 3600)::bigint AS hour,"
                    " avg(value), min(value), max(value), count(*)") +
            kSensorFilter + " GROUP BY hour ORDER BY hour LIMIT $7::bigint",
        r.place.building, r.place.room, r.metric, r.sensor, format_rfc3339(kept_from(txn, r, true)),
        format_rfc3339(r.to), kMaxSeriesPoints + 1);
    truncated = static_cast<std::int64_t>(rows.size()) > kMaxSeriesPoints;
    json list = json::array();
    for (const auto& row : rows) {
      if (static_cast<std::int64_t>(list.size()) == kMaxSeriesPoints) break;
      list.push_back({{"timestamp", format_rfc3339(row[0].as<Micros>() * kMicrosPerSecond)},
                      {"avg", row[1].as<double>()},
                      {"min", row[2].as<double>()},
                      {"max", row[3].as<double>()},
                      {"samples", row[4].as<std::int64_t>()}});
    }
    return list;
  });
  if (truncated) res.set_header("X-Truncated", "true");
  send_json(res, 200, json_text(hours));
}

}  // namespace

void register_sensor_routes(Routes& s, HttpDeps& deps) {
  s.Post("/ingest",
         [&deps](const httplib::Request& req, httplib::Response& res) { ingest(req, res, deps); });
  s.Get("/get_range", [&deps](const httplib::Request& req, httplib::Response& res) {
    get_range(req, res, deps);
  });
  s.Get("/min", [&deps](const httplib::Request& req, httplib::Response& res) {
    min_value(req, res, deps);
  });
  s.Get("/hourly",
        [&deps](const httplib::Request& req, httplib::Response& res) { hourly(req, res, deps); });
}

}  // namespace roomtemp
