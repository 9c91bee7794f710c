// The Flask + InfluxDB service's calls (README, "Coming from another service"): a room's reading
// in with `recorded_at` (no offset = UTC), and its average over any `duration`, from the live
// window when one is configured at that length, else from PostgreSQL over [now − duration, now).
// Both go through the ingest, live windows and history that serve /v1.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "compat.h"
#include "history_db.h"
#include "history_steps.h"
#include "http_api.h"
#include "messages.h"
#include "rest_live.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

using json = nlohmann::json;

/// The duration an average spans when the request names none.
constexpr Duration kDefaultDuration = std::chrono::minutes(15);

SeriesKey room_temperature(const httplib::Request& req) {
  return {params::id(req.matches[1], "building"), params::id(req.matches[2], "room"),
          "temperature"};
}

/// POST /api/v1/buildings/{building}/rooms/{room}/temperatures {"temperature", "recorded_at"?}:
/// 201 with the reading as stored, 400 with the refusal.
void post_temperature(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SeriesKey key = room_temperature(req);
  const json body = parse_body(req);
  if (!body.is_object()) throw BadRequest("the body must be a JSON object");
  json item = {{"building_id", key.building}, {"room_id", key.room}};
  if (body.contains("temperature")) item["temperature"] = body["temperature"];
  if (auto at = body.find("recorded_at"); at != body.end() && !at->is_null()) {
    const auto t = at->is_string() ? parse_time_utc_default(at->get<std::string>()) : std::nullopt;
    if (!t)
      throw BadRequest(
          "'recorded_at' must be an ISO 8601 time, e.g. 2024-12-10T16:45:00 (UTC "
          "when it has no offset)");
    item["timestamp"] = format_rfc3339(*t);
  }
  const json result =
      ingest_items(deps, item, "http:POST /api/v1/buildings/{building}/rooms/{room}/temperatures");
  if (result["accepted"] != 1) {
    const json& r = result["rejected"][0];
    return send_json(res, 400, json_text(json{{"error", r["detail"]}, {"reason", r["reason"]}}));
  }
  json out = {{"building", key.building}, {"room", key.room}};
  out["temperature"] = item["temperature"];
  out["recorded_at"] = item.value("timestamp", json(nullptr));
  send_json(res, 201, json_text(out));
}

/// GET …/temperatures/average?duration: the room's average over the last `duration`.
void average_temperature(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SeriesKey key = room_temperature(req);
  const Duration duration = params::optional_duration(req, "duration").value_or(kDefaultDuration);
  if (to_micros(duration) > kMaxHistorySpan) throw BadRequest("'duration' may be at most 366d");
  WindowStats stats;
  const char* source = "live";
  if (auto window = deps.aggregator.window_index(duration)) {
    stats = live_or_404(deps, key, *window);
  } else {
    source = "history";
    const Micros to = now_micros();
    stats = read_only(deps, [&](pqxx::transaction_base& txn) {
      WindowStats s = step_figures(txn, key, {to - to_micros(duration), to}).front();
      if (s.count == 0) require_known(txn, key);
      return s;
    });
  }
  json out = {{"building", key.building}, {"room", key.room}};
  out["duration"] = format_duration(duration);
  out["average_temperature"] = stats.count ? json(stats.avg()) : json(nullptr);
  out["count"] = stats.count;
  out["from"] = format_rfc3339(stats.from);
  out["to"] = format_rfc3339(stats.to);
  out["source"] = source;
  send_json(res, 200, json_text(out));
}

}  // namespace

void register_compat_routes(Routes& s, HttpDeps& deps) {
  const std::string room = R"(/api/v1/buildings/([^/]+)/rooms/([^/]+)/temperatures)";
  s.Post(room, [&deps](const httplib::Request& req, httplib::Response& res) {
    post_temperature(req, res, deps);
  });
  s.Get(room + "/average", [&deps](const httplib::Request& req, httplib::Response& res) {
    average_temperature(req, res, deps);
  });
  register_sensor_routes(s, deps);
  register_device_routes(s, deps);
}

}  // namespace roomtemp
