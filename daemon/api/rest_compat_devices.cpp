// The device dashboard's calls (README, "Coming from another service"): the devices with the
// highest value of each feature over the past minute, hour or all time, and a device's
// histogram. A device is a sensor id, placed as the sensor-id service's are (compat.h); its
// readings come in by MQTT sources or POST /ingest. Both read the same `readings` as /v1.
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

/// GET /dashboard?features&interval&NUM_TOP_DEVICES: {"interval", "features": {feature:
/// [{"device", "value"}]}}, each feature's devices by their highest value, highest first.
void dashboard(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const auto config = deps.config.get();
  const std::vector<std::string> names = features(req, *config);
  const std::string interval = params::optional(req, "interval").value_or("all_time");
  const Micros span = interval_span(interval);
  const std::int64_t n = params::integer(req, "NUM_TOP_DEVICES", kDefaultTopDevices, 1, 1000);
  const Micros to = now_micros() + 1;
  const json top = read_only(deps, [&](pqxx::transaction_base& txn) {
    const Micros from = span ? to - span : std::max<Micros>(raw_horizon(txn), 0);
    json out = json::object();
    for (const std::string& name : names) {
      const pqxx::result rows = txn.exec_params(
          "SELECT sensor_id, max(value) FROM readings WHERE metric = $1 AND sensor_id IS NOT NULL"
          " AND ts >= $2::timestamptz AND ts < $3::timestamptz"
          " GROUP BY sensor_id ORDER BY 2 DESC, 1 LIMIT $4::bigint",
          name, format_rfc3339(from), format_rfc3339(to), n);
      json list = json::array();
      for (const auto& row : rows)
        list.push_back({{"device", row[0].as<std::string>()}, {"value", row[1].as<double>()}});
      out[name] = std::move(list);
    }
    return out;
  });
  send_json(res, 200, json_text(json{{"interval", interval}, {"features", top}}));
}

}  // namespace

void register_device_routes(Routes& s, HttpDeps& deps) {
  s.Get("/dashboard", [&deps](const httplib::Request& req, httplib::Response& res) {
    dashboard(req, res, deps);
  });
  // /v1's histogram of where the device is placed (`feature=`, default temperature; from, to,
  // bins as /v1's): an unmapped device's own room.
  s.Get(R"(/devices/([^/]+)/histogram)",
        [&deps](const httplib::Request& req, httplib::Response& res) {
          const auto config = deps.config.get();
          const DevicePlace place = sensor_place(*config, params::id(req.matches[1], "device"));
          const std::string feature =
              params::id(params::optional(req, "feature").value_or("temperature"), "feature");
          histogram(req, res, deps, SeriesKey{place.building, place.room, feature});
        });
}

}  // namespace roomtemp
