// The device dashboard's calls (README, "Coming from another service"): a device's readings in
// (POST /devicedata, one reading per feature), the devices with the highest value of each
// feature over the past minute, hour or all time, and a device's histogram. A device is a
// sensor id, placed as the sensor-id service's are (compat.h), so its readings may also come in
// by MQTT sources or POST /ingest. All of it goes through the ingest and reads the same
// `readings` as /v1.
#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "compat.h"
#include "config.h"
#include "history_db.h"
#include "history_steps.h"
#include "http_api.h"
#include "messages.h"
#include "rest_live.h"
#include "rest_params.h"

namespace roomtemp {

// GET …/histogram?from&to&bins of a room (rest_history.cpp).
void histogram(const httplib::Request& req, httplib::Response& res, HttpDeps& deps,
               const SeriesKey& key);

namespace {

using json = nlohmann::ordered_json;

constexpr std::int64_t kDefaultTopDevices = 10;

/// `features=a,b`: each a configured metric; none given: every configured metric.
std::vector<std::string> features(const httplib::Request& req, const Config& config) {
  std::vector<std::string> out;
  const std::string list = params::optional(req, "features").value_or("");
  for (std::size_t at = 0; at < list.size();) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    const std::string name = list.substr(at, comma - at);
    if (!config.find_metric(name))
      throw BadRequest("feature '" + name.substr(0, 64) + "' is not a configured metric");
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    at = comma + 1;
  }
  if (out.empty())
    for (const MetricConfig& m : config.metrics) out.push_back(m.name);
  return out;
}

/// `interval`: past_minute, past_hour or all_time (the default) → how far back; 0: all time.
Micros interval_span(const std::string& interval) {
  if (interval == "past_minute") return 60 * kMicrosPerSecond;
  if (interval == "past_hour") return 3600 * kMicrosPerSecond;
  if (interval == "all_time") return 0;
  throw BadRequest("parameter 'interval' must be past_minute, past_hour or all_time");
}

/// Each device's reading with the highest value of one feature in [$2, $3), the $4 highest of
/// them, highest first; with it every feature that device reported at that time, as JSON.
constexpr const char* kTopDevices =
    "WITH best AS ("
    "  SELECT DISTINCT ON (sensor_id) sensor_id, building, room, ts, value FROM readings"
    "   WHERE metric = $1 AND sensor_id IS NOT NULL"
    "     AND ts >= $2::timestamptz AND ts < $3::timestamptz"
    "   ORDER BY sensor_id, value DESC, ts),"
    " top AS (SELECT * FROM best ORDER BY value DESC, sensor_id LIMIT $4::bigint)"
    " SELECT t.sensor_id, (extract(epoch FROM t.ts) * 1000000)::bigint,"
    "  (SELECT json_object_agg(o.metric, o.value ORDER BY o.metric) FROM readings o"
    "    WHERE o.building = t.building AND o.room = t.room AND o.sensor_id = t.sensor_id"
    "      AND o.ts = t.ts)::text"
    " FROM top t ORDER BY t.value DESC, t.sensor_id";

/// GET /dashboard?features&interval&NUM_TOP_DEVICES: {feature: [{"deviceId", "timestamp",
/// feature: value, other features at that time…}]}, each feature's devices by their highest
/// reading, highest first.
void dashboard(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const auto config = deps.config.get();
  const std::vector<std::string> names = features(req, *config);
  const Micros span = interval_span(params::optional(req, "interval").value_or("all_time"));
  const std::int64_t n = params::integer(req, "NUM_TOP_DEVICES", kDefaultTopDevices, 1, 1000);
  const Micros to = now_micros() + 1;
  const json top = read_only(deps, [&](pqxx::transaction_base& txn) {
    const Micros from = span ? to - span : std::max<Micros>(raw_horizon(txn), 0);
    json out = json::object();
    for (const std::string& name : names) {
      const pqxx::result rows =
          txn.exec_params(kTopDevices, name, format_rfc3339(from), format_rfc3339(to), n);
      json list = json::array();
      for (const auto& row : rows) {
        json reading = {{"deviceId", row[0].as<std::string>()},
                        {"timestamp", format_rfc3339(row[1].as<Micros>())}};
        const json at_that_time = json::parse(row[2].as<std::string>());
        for (const auto& [feature, value] : at_that_time.items()) reading[feature] = value;
        list.push_back(std::move(reading));
      }
      out[name] = std::move(list);
    }
    return out;
  });
  send_json(res, 200, json_text(top));
}

/// POST /devicedata {"deviceId", "timestamp"?, "status"?, feature: value…}: a reading of each
/// feature (a metric), all at `timestamp` (no offset: UTC; absent: now). 200 with the device,
/// the time and the features as stored; 400 with the first refusal (the other features stay).
/// `status` is not a number and is not kept.
void post_device_data(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const nlohmann::json body = parse_body(req);
  if (!body.is_object()) throw BadRequest("the body must be a JSON object");
  const auto device = body.find("deviceId");
  if (device == body.end() || !device->is_string())
    throw BadRequest("'deviceId' must be the device's id, a string");
  const auto config = deps.config.get();
  const std::string id = device->get<std::string>();
  const DevicePlace place = sensor_place(*config, id);
  const auto given = body.find("timestamp");
  const nlohmann::json at = given != body.end() && !given->is_null()
                                ? utc_timestamp(*given)
                                : nlohmann::json(format_rfc3339(now_micros()));
  json items = json::array();
  json stored = {{"deviceId", id}, {"timestamp", at}};
  for (const auto& [key, value] : body.items()) {
    if (key == "deviceId" || key == "timestamp" || key == "status") continue;
    items.push_back({{"building_id", place.building},
                     {"room_id", place.room},
                     {"sensor_id", id},
                     {"metric", key},
                     {"value", value},
                     {"timestamp", at}});
    stored[key] = value;
  }
  if (items.empty()) throw BadRequest("no feature values (e.g. \"temperature\": 21.5)");
  const nlohmann::json result = ingest_items(deps, items, "http:POST /devicedata");
  if (!result["rejected"].empty()) {
    const auto& r = result["rejected"][0];
    return send_json(res, 400, json_text(json{{"error", r["detail"]}, {"reason", r["reason"]}}));
  }
  send_json(res, 200, json_text(stored));
}

}  // namespace

void register_device_routes(Routes& s, HttpDeps& deps) {
  s.Post("/devicedata", [&deps](const httplib::Request& req, httplib::Response& res) {
    post_device_data(req, res, deps);
  });
  s.Get("/dashboard", [&deps](const httplib::Request& req, httplib::Response& res) {
    dashboard(req, res, deps);
  });
  // /v1's histogram of where the device is placed (`feature=`, default temperature; from, to,
  // bins as /v1's): an unmapped device's own room. Without `from`, as the device dashboard's,
  // over all of the device's readings that are kept (at most /v1's longest range).
  s.Get(R"(/devices/([^/]+)/histogram)", [&deps](const httplib::Request& req,
                                                 httplib::Response& res) {
    const auto config = deps.config.get();
    const DevicePlace place = sensor_place(*config, params::id(req.matches[1], "device"));
    const std::string feature =
        params::id(params::optional(req, "feature").value_or("temperature"), "feature");
    const SeriesKey key{place.building, place.room, feature};
    if (req.has_param("from")) return histogram(req, res, deps, key);
    const Micros horizon =
        read_only(deps, [](pqxx::transaction_base& txn) { return raw_horizon(txn); });
    httplib::Request all_kept = req;
    all_kept.params.emplace(
        "from",
        format_rfc3339(std::max(horizon, now_micros() - kMaxHistorySpan + 60 * kMicrosPerSecond)));
    histogram(all_kept, res, deps, key);
  });
}

}  // namespace roomtemp
