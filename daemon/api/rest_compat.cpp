// The calls of the two room services (README, "Coming from another service"):
// - the FastAPI service's POST /temperature and GET /temperature/average, the latter also under
//   the /v1 prefix its deployment guide calls;
// - the Flask service's room reading in with `recorded_at`, and its average over any
//   `duration`, from the live window when one is configured at that length, else from
//   PostgreSQL over [now − duration, now).
// Times without an offset are UTC. All of it goes through the ingest, live windows and history
// that serve /v1.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "aggregator.h"
#include "compat.h"
#include "history_db.h"
#include "history_steps.h"
#include "http_api.h"
#include "messages.h"
#include "rest_live.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

/// The duration an average spans when the request names none.
constexpr Duration kDefaultDuration = std::chrono::minutes(15);

/// 400 {"error", "reason"} for the first refused reading of an ingest_items() result.
void send_refusal(httplib::Response& res, const nlohmann::json& result) {
  const nlohmann::json& r = result["rejected"][0];
  send_json(res, 400, json_text(nlohmann::json{{"error", r["detail"]}, {"reason", r["reason"]}}));
}

/// POST /temperature {"building_id", "room_id", "temperature", "timestamp"?, "sensor_id"?}: 202
/// {"status": "accepted"}, 400 with the refusal.
void post_fastapi_temperature(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  nlohmann::json body = parse_body(req);
  if (!body.is_object()) throw BadRequest("the body must be a JSON object");
  if (auto ts = body.find("timestamp"); ts != body.end()) *ts = utc_timestamp(*ts);
  const nlohmann::json result = ingest_items(deps, body, "http:POST /temperature");
  if (result["accepted"] != 1) return send_refusal(res, result);
  send_json(res, 202, json_text(nlohmann::json{{"status", "accepted"}}));
}

/// GET /temperature/average?building_id&room_id&window: the live average; without room_id,
/// the building's.
void fastapi_average(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  SeriesKey key{params::id(params::required(req, "building_id"), "building"), "", "temperature"};
  if (auto room = params::optional(req, "room_id"); room && !room->empty())
    key.room = params::id(*room, "room");
  const std::size_t w = live_window(req, deps.aggregator);
  const WindowStats st = live_or_404(deps, key, w);
  nlohmann::json out = {{"building_id", key.building}};
  if (!key.room.empty()) out["room_id"] = key.room;
  out["window"] = format_duration(deps.aggregator.windows()[w]);
  out["average_temperature"] = st.count ? nlohmann::json(st.avg()) : nlohmann::json(nullptr);
  out["min_temperature"] = st.count ? nlohmann::json(st.min) : nlohmann::json(nullptr);
  out["max_temperature"] = st.count ? nlohmann::json(st.max) : nlohmann::json(nullptr);
  out["count"] = st.count;
  out["from"] = format_rfc3339(st.from);
  out["to"] = format_rfc3339(st.to);
  send_json(res, 200, json_text(out));
}

SeriesKey room_temperature(const httplib::Request& req) {
  return {params::id(req.matches[1], "building"), params::id(req.matches[2], "room"),
          "temperature"};
}

/// POST /api/v1/buildings/{building}/rooms/{room}/temperatures {"temperature", "recorded_at"?}:
/// 201 with the reading as stored (recorded_at absent: the arrival time), 400 with the refusal.
void post_flask_temperature(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SeriesKey key = room_temperature(req);
  const nlohmann::json body = parse_body(req);
  if (!body.is_object()) throw BadRequest("the body must be a JSON object");
  nlohmann::json item = {{"building_id", key.building}, {"room_id", key.room}};
  if (body.contains("temperature")) item["temperature"] = body["temperature"];
  Micros at = now_micros();
  if (auto given = body.find("recorded_at"); given != body.end() && !given->is_null()) {
    const auto t =
        given->is_string() ? parse_time_utc_default(given->get<std::string>()) : std::nullopt;
    if (!t)
      throw BadRequest(
          "'recorded_at' must be an ISO 8601 time, e.g. 2024-12-10T16:45:00 (UTC "
          "when it has no offset)");
    at = *t;
  }
  item["timestamp"] = format_rfc3339(at);
  const nlohmann::json result =
      ingest_items(deps, item, "http:POST /api/v1/buildings/{building}/rooms/{room}/temperatures");
  if (result["accepted"] != 1) return send_refusal(res, result);
  nlohmann::json out = {{"building", key.building}, {"room", key.room}};
  out["temperature"] = item["temperature"];
  out["recorded_at"] = item["timestamp"];
  send_json(res, 201, json_text(out));
}

/// GET …/temperatures/average?duration: the room's average over the last `duration`.
void flask_average(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const SeriesKey key = room_temperature(req);
  Duration duration = kDefaultDuration;
  if (auto text = params::optional(req, "duration")) {
    const auto d = parse_any_duration(*text);
    if (!d)
      throw BadRequest("parameter 'duration': '" + text->substr(0, 64) +
                       "' is not a duration like 15m, 1h30m or 2w (units ms, s, m, h, d, w)");
    duration = *d;
  }
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
  nlohmann::json out = {{"building", key.building}, {"room", key.room}};
  out["duration"] = format_duration(duration);
  out["average_temperature"] = stats.count ? nlohmann::json(stats.avg()) : nlohmann::json(nullptr);
  out["count"] = stats.count;
  out["from"] = format_rfc3339(stats.from);
  out["to"] = format_rfc3339(stats.to);
  out["source"] = source;
  send_json(res, 200, json_text(out));
}

}  // namespace

void register_compat_routes(Routes& s, HttpDeps& deps) {
  s.Post("/temperature", [&deps](const httplib::Request& req, httplib::Response& res) {
    post_fastapi_temperature(req, res, deps);
  });
  // The FastAPI service's deployment guide calls the same average under /v1.
  for (const char* path : {"/temperature/average", "/v1/temperature/average"})
    s.Get(path, [&deps](const httplib::Request& req, httplib::Response& res) {
      fastapi_average(req, res, deps);
    });

  const std::string room = R"(/api/v1/buildings/([^/]+)/rooms/([^/]+)/temperatures)";
  s.Post(room, [&deps](const httplib::Request& req, httplib::Response& res) {
    post_flask_temperature(req, res, deps);
  });
  s.Get(room + "/average", [&deps](const httplib::Request& req, httplib::Response& res) {
    flask_average(req, res, deps);
  });
  register_sensor_routes(s, deps);
  register_device_routes(s, deps);
}

}  // namespace roomtemp
