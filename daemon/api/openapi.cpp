// The OpenAPI 3.0 description of the REST API, one operation per route of the README's
// REST API section.
// Built once at first use; served as-is at GET /openapi.json.
#include "openapi.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "http_api.h"
#include "openapi_build.h"
#include "rest_params.h"
#include "version.h"

namespace roomtemp {
namespace {

using namespace openapi;

/// The error answers a history query can give.
void add_history_errors(json& responses, const std::string& not_found) {
  responses["400"] = error(
      "a bad id or parameter (a format other than json or csv too), from ≥ to, a range over "
      "366d, or a range that needs raw readings from before the raw horizon (retention."
      "readings dropped them; the error names the horizon)");
  responses["404"] = error(not_found);
  responses["503"] = error("PostgreSQL is unreachable, or the query took over 10s");
}

/// The `format` parameter of a route that answers rows (readings, series).
json format_param() {
  return query_param("format", {{"type", "string"}, {"enum", {"json", "csv"}}},
                     "json or csv; without it, CSV when Accept prefers text/csv to "
                     "application/json, else JSON. Another value is a 400.");
}

/// A 200 of rows: a JSON array of `item`, or the same as CSV (RFC 4180, CRLF line ends): a
/// header naming the JSON keys in order, a record per object, null as an empty field.
json rows_ok(const std::string& description, const std::string& item,
             json headers = json::object()) {
  headers["Content-Disposition"] = {
      {"description",
       "CSV only: attachment; filename=\"{building}_{room}_{metric}_{route}_{from}_{to}.csv\""},
      {"schema", {{"type", "string"}}}};
  headers["Vary"] = {{"description", "Accept"}, {"schema", {{"type", "string"}}}};
  json response = {{"description", description},
                   {"headers", std::move(headers)},
                   {"content", content({{"type", "array"}, {"items", ref(item)}})}};
  response["content"]["text/csv"] = {
      {"schema",
       {{"type", "string"},
        {"description",
         "sent as text/csv; charset=utf-8: a header line with the JSON answer's keys, then one "
         "record per object (RFC 4180, CRLF); times RFC 3339 UTC, numbers that read back to "
         "the same double, null empty"}}}};
  return response;
}

/// Who may call an operation, as http_api.cpp's Routes enforces it: its security requirement
/// (either token, or none while http.read_token_file / http.token_file are unset) and the 401
/// and 503 a token check can answer.
void set_access(json& op, Access access) {
  if (access == Access::open) {
    op["security"] = json::array();
    return;
  }
  // (ordered_json is a vector: take references only after the last insertion into `op`.)
  if (access == Access::read)
    op["security"] = {
        {{"readToken", json::array()}}, {{"writeToken", json::array()}}, json::object()};
  else
    op["security"] = {{{"writeToken", json::array()}}, json::object()};
  json& responses = op["responses"];
  responses["401"] =
      error(std::string(access == Access::read ? "http.read_token_file" : "http.token_file") +
            " is set and the bearer token is missing or wrong");
  const std::string unreadable = "a token file cannot be read";
  if (auto it = responses.find("503"); it != responses.end())
    (*it)["description"] = (*it)["description"].get<std::string>() + "; or " + unreadable;
  else
    responses["503"] = error(unreadable);
}

/// What a room's or building's numbers answer: an average, stored readings, a series, a
/// histogram.
void add_history_schemas(json& s) {
  s["Average"] = {
      {"type", "object"},
      {"description",
       "avg, min, max and count are exact over the readings with from ≤ ts < to; "
       "to − from is the window. An empty window has count 0 and null numbers. The "
       "building-wide object has no room key."},
      {"required", {"building", "metric", "window", "avg", "min", "max", "count", "from", "to"}},
      {"properties",
       {{"building", {{"type", "string"}}},
        {"room", {{"type", "string"}}},
        {"metric", {{"type", "string"}}},
        {"window", ref("Duration")},
        {"avg", nullable_number()},
        {"min", nullable_number()},
        {"max", nullable_number()},
        {"count", {{"type", "integer"}, {"minimum", 0}}},
        {"from", date_time()},
        {"to", date_time()}}},
      {"example",
       {{"building", "B1"},
        {"room", "101"},
        {"metric", "temperature"},
        {"window", "15m"},
        {"avg", 22.48},
        {"min", 19.0},
        {"max", 25.5},
        {"count", 180},
        {"from", "2026-11-22T12:00:15Z"},
        {"to", "2026-11-22T12:15:15Z"}}}};
  s["StoredReading"] = {{"type", "object"},
                        {"required", {"ts", "value", "sensor_id", "received_at"}},
                        {"properties",
                         {{"ts", date_time()},
                          {"value", {{"type", "number"}, {"format", "double"}}},
                          {"sensor_id", {{"type", "string"}, {"nullable", true}}},
                          {"received_at", date_time()}}}};
  s["SeriesPoint"] = {
      {"type", "object"},
      {"description", "numbers over from ≤ ts < to; count 0 with null numbers when empty"},
      {"required", {"from", "to", "avg", "min", "max", "count"}},
      {"properties",
       {{"from", date_time()},
        {"to", date_time()},
        {"avg", nullable_number()},
        {"min", nullable_number()},
        {"max", nullable_number()},
        {"count", {{"type", "integer"}, {"minimum", 0}}}}}};
  s["Histogram"] = {
      {"type", "object"},
      {"description",
       "bins equal-width bins from the smallest to the largest value in the range: edges has "
       "bins+1 numbers, counts has bins; bin i holds edges[i] ≤ value < edges[i+1], the last "
       "bin also holds the largest value. Both arrays are empty when the range has no "
       "readings. When all values are equal, every edge equals that value and the first "
       "bin holds them all."},
      {"required", {"edges", "counts"}},
      {"properties",
       {{"edges", {{"type", "array"}, {"items", {{"type", "number"}, {"format", "double"}}}}},
        {"counts", {{"type", "array"}, {"items", {{"type", "integer"}, {"minimum", 0}}}}}}}};
}

/// What POST /v1/readings and POST /temperature take and answer.
void add_input_schemas(json& s) {
  s["ReadingInput"] = {
      {"type", "object"},
      {"description",
       "the value is under the metric's name (e.g. temperature) or value; metric defaults to "
       "temperature; timestamp defaults to the arrival time"},
      {"required", {"building_id", "room_id"}},
      {"properties",
       {{"building_id", ref("Id")},
        {"room_id", ref("Id")},
        {"metric", {{"type", "string"}}},
        {"temperature", {{"type", "number"}}},
        {"value", {{"type", "number"}}},
        {"timestamp",
         {{"oneOf", {date_time(), {{"type", "number"}, {"description", "epoch seconds"}}}}}},
        {"sensor_id", ref("Id")}}},
      {"example",
       {{"building_id", "B1"},
        {"room_id", "101"},
        {"temperature", 22.5},
        {"timestamp", "2024-12-01T12:34:56.000Z"},
        {"sensor_id", "s1"}}}};
  s["IngestResult"] = {
      {"type", "object"},
      {"properties",
       {{"accepted", {{"type", "integer"}}},
        {"rejected",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"index", {{"type", "integer"}, {"description", "position in the request"}}},
              {"reason", {{"type", "string"}}},
              {"detail", {{"type", "string"}}}}}}}}}}}};
}

json schemas() {
  json s;
  s["Error"] = {{"type", "object"},
                {"required", {"error"}},
                {"properties", {{"error", {{"type", "string"}}}}}};
  s["Id"] = {{"type", "string"},
             {"pattern", "^[A-Za-z0-9_.-]{1,64}$"},
             {"description", "1–64 characters of A-Z a-z 0-9 _ - ."}};
  s["Time"] = {{"type", "string"},
               {"description", "RFC 3339 with offset, or seconds since the epoch"},
               {"example", "2026-11-22T12:00:00Z"}};
  s["Duration"] = {{"type", "string"}, {"pattern", "^[0-9]+(ms|s|m|h|d)$"}, {"example", "15m"}};
  add_history_schemas(s);
  s["BuildingSummary"] = {{"type", "object"},
                          {"properties",
                           {{"building", {{"type", "string"}}},
                            {"rooms", {{"type", "integer"}, {"description", "rooms reported"}}}}}};
  s["RoomSummary"] = {{"type", "object"},
                      {"required", {"room", "metrics", "last_reading"}},
                      {"properties",
                       {{"room", {{"type", "string"}}},
                        {"metrics", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                        {"last_reading", last_reading()}}}};
  add_live_schemas(s);
  add_alarm_schemas(s);
  add_input_schemas(s);
  add_compat_schemas(s);
  s["Readiness"] = {
      {"type", "object"},
      {"properties",
       {{"mqtt", {{"type", "string"}, {"enum", {"up", "down"}}}},
        {"postgres", {{"type", "string"}, {"enum", {"up", "down"}}}},
        {"spool", {{"type", "string"}, {"enum", {"writable", "unwritable"}}}},
        {"status", {{"type", "string"}, {"enum", {"ready", "not ready", "standby"}}}},
        {"error", {{"type", "string"}, {"description", "what is down, or who is active"}}},
        {"role",
         {{"type", "string"},
          {"enum", {"active", "standby", "stepping down"}},
          {"description", "with cluster.name set only"}}},
        {"instance", {{"type", "string"}, {"description", "this instance, host:pid:tag"}}},
        {"active",
         {{"type", "string"},
          {"nullable", true},
          {"description", "the active instance as last seen; null when unknown"}}}}}};
  return s;
}

/// An average's 400s: a history query's, and a range that is not whole milliseconds.
constexpr const char* kAverageBadRequest =
    "a bad id or parameter (format other than json included: an average is not rows), both "
    "window and from/to, from ≥ to, a range over 366d, from..to not whole milliseconds, or a "
    "range whose ends before the raw horizon (retention.readings) are not whole hours";

/// A room's or a building's numbers: averages (live or from PostgreSQL), readings, series and
/// histograms.
void add_history_paths(json& p) {
  const std::string room_path = "/v1/buildings/{building}/rooms/{room}/{metric}";
  const std::string range_note =
      " Give `window` for the live window, or `from`/`to` (either defaults) for history "
      "from PostgreSQL; not both. For history, `window` is always to − from, spelled as a "
      "configured duration is (the largest of d, h, m, s, ms that spells it exactly: a day is "
      "1d, 90 s is 90s), so from..to must be whole milliseconds.";

  {
    json r = {{"200", ok("the average", ref("Average"))}};
    add_history_errors(r, "the room never reported this metric (or the live window is unknown)");
    r["400"]["description"] = kAverageBadRequest;
    p[room_path + "/average"]["get"] = operation(
        "A room's average: the live window (as the retained MQTT message) or any [from, to)." +
            range_note,
        {building(), room(), metric(), window_param("a configured live window (default 15m)"),
         from_param(), to_param()},
        r);
  }
  {
    json r = {{"200", ok("the average over every room", ref("Average"))}};
    add_history_errors(r, "the building never reported this metric");
    r["400"]["description"] = kAverageBadRequest;
    p["/v1/buildings/{building}/{metric}/average"]["get"] =
        operation("A building's average over all its rooms, live or over [from, to)." + range_note,
                  {building(), metric(), window_param("a configured live window (default 15m)"),
                   from_param(), to_param()},
                  r);
  }
  {
    json r = {{"200", rows_ok("readings with from ≤ ts < to, oldest first", "StoredReading",
                              {{"X-Truncated",
                                {{"description", "true when more readings exist than limit"},
                                 {"schema", {{"type", "string"}}}}}})}};
    add_history_errors(r, "the room never reported this metric");
    p[room_path + "/readings"]["get"] = operation(
        "Raw stored readings of a room, oldest first; as JSON or CSV.",
        {building(), room(), metric(), from_param(), to_param(),
         query_param(
             "limit",
             {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxRows}, {"default", 1000}},
             "the most readings to return"),
         format_param()},
        r);
  }
  const std::string rollups_note =
      " Answered from the hourly and daily rollups wherever the range allows (whole UTC hours "
      "and days), from raw readings for the rest, with the same numbers either way; before the "
      "raw horizon (retention.readings) only whole hours can be answered.";
  const json step_param = query_param(
      "step", {{"type", "string"}, {"pattern", "^[0-9]+(ms|s|m|h|d)$"}, {"default", "1h"}},
      "the width of a step");
  const json tz_param = query_param(
      "tz", {{"type", "string"}, {"example", "Europe/Zurich"}},
      "a time zone (IANA name): with a step of whole days, steps are that zone's calendar days "
      "from `from` on (23 or 25 hours across a change of summer time). Without it, every step "
      "is `step` long.");
  for (const bool building_wide : {false, true}) {
    json r = {
        {"200", rows_ok("every step from `from` to `to`, empty ones included", "SeriesPoint")}};
    add_history_errors(r, building_wide ? "the building never reported this metric"
                                        : "the room never reported this metric");
    json parameters = building_wide ? json::array({building(), metric()})
                                    : json::array({building(), room(), metric()});
    for (const json& q : {from_param(), to_param(), step_param, tz_param, format_param()})
      parameters.push_back(q);
    p[building_wide ? "/v1/buildings/{building}/{metric}/series" : room_path + "/series"]["get"] =
        operation(std::string(building_wide ? "A building's (every room's readings together)"
                                            : "A room's") +
                      " average, min, max and count per step, steps aligned to `from`; the last "
                      "step ends at `to`. At most " +
                      std::to_string(kMaxSeriesPoints) + " steps. As JSON or CSV." + rollups_note,
                  parameters, r);
  }
  for (const bool building_wide : {false, true}) {
    json r = {{"200", ok("the histogram", ref("Histogram"))}};
    add_history_errors(r, building_wide ? "the building never reported this metric"
                                        : "the room never reported this metric");
    r["400"]["description"] =
        "a bad id or parameter (format other than json included: a histogram is not rows), "
        "from ≥ to, a range over 366d, or from before the raw horizon (retention.readings; the "
        "error names it)";
    json parameters = building_wide ? json::array({building(), metric()})
                                    : json::array({building(), room(), metric()});
    for (const json& q :
         {from_param(), to_param(),
          query_param("bins",
                      {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxBins}, {"default", 10}},
                      "the number of equal-width bins")})
      parameters.push_back(q);
    p[building_wide ? "/v1/buildings/{building}/{metric}/histogram" : room_path + "/histogram"]
     ["get"] =
         operation(std::string("The distribution of ") +
                       (building_wide ? "a building's values (every room's)" : "a room's values") +
                       " over [from, to), from the raw readings.",
                   parameters, r);
  }
}

/// Site-wide reads: the top rooms, the buildings, a building's rooms.
void add_site_paths(json& p) {
  p["/v1/top"]["get"] = operation(
      "The n rooms ranked by a statistic of their live window.",
      {query_param("metric", {{"type", "string"}, {"default", "temperature"}}, "the metric"),
       window_param("a configured live window (default 15m)"),
       query_param("by", {{"type", "string"}, {"enum", {"avg", "max", "min"}}, {"default", "avg"}},
                   "the statistic to rank by"),
       query_param("order", {{"type", "string"}, {"enum", {"desc", "asc"}}, {"default", "desc"}},
                   "the order"),
       query_param("n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 10}},
                   "how many rooms")},
      {{"200", ok("rooms, best first", {{"type", "array"}, {"items", ref("Average")}})},
       {"400", error("a bad parameter or a window that is not configured")}});
  p["/v1/buildings"]["get"] =
      operation("The buildings that have reported.", json::array(),
                {{"200", ok("buildings", {{"type", "array"}, {"items", ref("BuildingSummary")}})}});
  p["/v1/buildings/{building}/rooms"]["get"] =
      operation("The rooms of a building that have reported, with their metrics and last reading.",
                json::array({building()}),
                {{"200", ok("rooms", {{"type", "array"}, {"items", ref("RoomSummary")}})},
                 {"400", error("a bad building id")},
                 {"404", error("the building has not reported")}});
}

/// Readings submitted over HTTP.
void add_input_path(json& p) {
  json body = {
      {"required", true},
      {"content",
       content({{"oneOf",
                 {ref("ReadingInput"), {{"type", "array"}, {"items", ref("ReadingInput")}}}}})}};
  json op = operation(
      "Submit a reading or an array of them; accepted ones take the same path as MQTT "
      "readings.",
      json::array(),
      {{"202", ok("how many were accepted, and why the others were not", ref("IngestResult"))},
       {"400", error("the body is not JSON, or not a reading or an array of them")}});
  op["requestBody"] = body;
  p["/v1/readings"]["post"] = op;
}

/// The dashboard, the probes, the metrics and this description.
void add_service_paths(json& p) {
  p["/"]["get"] = operation(
      "The dashboard: every building's live summary, its rooms with live averages, when each "
      "last reported and a trend, searchable and worst first, refreshing itself.",
      json::array(),
      {{"200",
        {{"description", "an HTML page"},
         {"content", content({{"type", "string"}}, "text/html")}}}});
  p["/assets/{name}"]["get"] = operation(
      "A file of the dashboard page: its script, styles, icon and Chart.js, compiled into the "
      "daemon. Answers 304 to a matching If-None-Match.",
      json::array({{{"name", "name"},
                    {"in", "path"},
                    {"required", true},
                    {"description", "the file's name, e.g. app.js"},
                    {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._-]+$"}}}}}),
      {{"200",
        {{"description", "the file"},
         {"content",
          {{"text/javascript", {{"schema", {{"type", "string"}}}}},
           {"text/css", {{"schema", {{"type", "string"}}}}},
           {"image/svg+xml", {{"schema", {{"type", "string"}}}}}}}}},
       {"304", {{"description", "unchanged since the ETag given in If-None-Match"}}},
       {"404", error("no such file")}});
  p["/healthz"]["get"] = operation(
      "Liveness: 200 while the process runs.", json::array(),
      {{"200",
        ok("running", {{"type", "object"}, {"properties", {{"status", {{"type", "string"}}}}}})}});
  p["/readyz"]["get"] = operation(
      "Readiness: connected to the broker and PostgreSQL, and (with cluster.name) the "
      "active instance of the cluster.",
      json::array(),
      {{"200", ok("ready", ref("Readiness"))},
       {"503", ok("not ready (error says what is down), or a standby", ref("Readiness"))}});
  p["/metrics"]["get"] = operation(
      "Prometheus metrics (text exposition format 0.0.4).", json::array(),
      {{"200",
        {{"description", "metrics"}, {"content", content({{"type", "string"}}, "text/plain")}}}});
  p["/openapi.json"]["get"] =
      operation("This description.", json::array(),
                {{"200", ok("OpenAPI 3.0 document", {{"type", "object"}})}});
}

json paths() {
  json p;
  add_history_paths(p);
  add_site_paths(p);
  add_live_paths(p);
  add_alarm_paths(p);
  add_input_path(p);
  add_compat_paths(p);
  add_service_paths(p);
  // Probes, this description and the dashboard's page and assets hold no readings and stay
  // open; every other GET needs the read token and every POST the write token, when set.
  for (const char* path :
       {"/healthz", "/readyz", "/metrics", "/openapi.json", "/", "/assets/{name}"})
    set_access(p[path]["get"], Access::open);
  for (auto& [path, item] : p.items())
    for (auto& [method, op] : item.items()) {
      if (!op.contains("security")) set_access(op, method == "post" ? Access::write : Access::read);
      // Every POST is input, which a standby of a cluster refuses (README "Standby and failover").
      if (method == "post" && !op["responses"].contains("503"))
        op["responses"]["503"] = error(
            "this instance is a standby of its cluster (or stepping down) and takes no "
            "input: send it to the active one");
    }
  return p;
}

json document() {
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "roomtemp"},
                 {"version", ROOMTEMP_VERSION},
                 {"description",
                  "Room temperature monitoring: live rolling averages from MQTT, history from "
                  "PostgreSQL. Errors are {\"error\": \"…\"}. A method a path does not "
                  "serve answers 405 with an Allow header naming the ones it does (GET paths "
                  "also answer HEAD); a path not listed here answers 404. With "
                  "http.token_file and "
                  "http.read_token_file set, writes and reads need \"Authorization: Bearer "
                  "<token>\"."}};
  doc["tags"] = {{{"name", "compatibility"},
                  {"description",
                   "the calls of the services roomtemp replaces, answered from the same ingest, "
                   "live windows and history as /v1 (README, \"Coming from another service\")"}}};
  doc["paths"] = paths();
  doc["components"] = {
      {"schemas", schemas()},
      {"securitySchemes",
       {{"readToken",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"description",
           "the token in the file http.read_token_file names; when that is set, every GET "
           "but the open ones (probes, /metrics, this description, the dashboard's page and "
           "assets) needs it or the write token"}}},
        {"writeToken",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"description",
           "the token in the file http.token_file names; when that is set, every POST needs "
           "it"}}}}}};
  return doc;
}

}  // namespace

std::string openapi_json() {
  static const std::string text = document().dump(2);
  return text;
}

void register_openapi_route(Routes& routes) {
  routes.Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(openapi_json(), "application/json");
  });
}

}  // namespace roomtemp
