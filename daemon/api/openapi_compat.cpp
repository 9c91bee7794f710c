// The OpenAPI description of the calls of the services roomtemp replaces (rest_compat.cpp,
// rest_compat_sensors.cpp, rest_compat_devices.cpp), tagged
// "compatibility" (README, "Coming from another service").
#include "openapi_build.h"

namespace roomtemp::openapi {
namespace {

json tagged(json op) {
  op["tags"] = {"compatibility"};
  return op;
}

json number() { return {{"type", "number"}, {"format", "double"}}; }

json sensor_param() {
  return query_param("sensor_id", ref("Id"),
                     "the sensor: placed by a source's devices, else in building \"sensors\", "
                     "room = the sensor id",
                     true);
}

json range_param(const std::string& name, const std::string& description, bool required) {
  return query_param(name, {{"type", "string"}, {"format", "date-time"}},
                     description + " (RFC 3339; without an offset, UTC)", required);
}

/// The FastAPI service: POST /temperature, GET /temperature/average and the /v1 spelling of it.
void add_fastapi_paths(json& p) {
  json post = operation(
      "Submit one reading in the shape of the FastAPI service (building_id, room_id, "
      "temperature, timestamp?, sensor_id?); a timestamp without an offset is UTC. Same as POST "
      "/v1/readings.",
      json::array(),
      {{"202", ok("accepted",
                  {{"type", "object"},
                   {"properties", {{"status", {{"type", "string"}, {"enum", {"accepted"}}}}}}})},
       {"400", error("not a valid reading (the body also carries a reason)")}});
  post["requestBody"] = {{"required", true}, {"content", content(ref("ReadingInput"))}};
  p["/temperature"]["post"] = tagged(post);
  for (const char* path : {"/temperature/average", "/v1/temperature/average"})
    p[path]["get"] = tagged(operation(
        "A live temperature average in the shape of the FastAPI service (its deployment guide "
        "calls it under /v1); without room_id, the building's. Same as GET "
        "/v1/buildings/{building}/rooms/{room}/temperature/average?window=.",
        {query_param("building_id", ref("Id"), "building id", true),
         query_param("room_id", ref("Id"), "room id (optional)"),
         window_param("a configured live window (default 15m)")},
        {{"200", ok("the average", ref("LegacyAverage"))},
         {"400", error("a bad parameter or a window that is not configured")},
         {"404", error("no temperature readings for that building or room")}}));
}

/// The Flask service: a room's reading in, its average over any duration out.
void add_flask_paths(json& p) {
  const std::string path = "/api/v1/buildings/{building}/rooms/{room}/temperatures";
  json post = operation(
      "Submit a room's temperature in the shape of the Flask service. Same as POST /v1/readings.",
      {building(), room()},
      {{"201", ok("accepted: the reading, recorded_at in UTC (absent: its arrival time)",
                  ref("FlaskReading"))},
       {"400", error("not JSON, a bad recorded_at or a refused reading (the body also carries "
                     "a reason)")}});
  post["requestBody"] = {
      {"required", true},
      {"content",
       content({{"type", "object"},
                {"required", {"temperature"}},
                {"properties",
                 {{"temperature", number()},
                  {"recorded_at",
                   {{"type", "string"},
                    {"description", "ISO 8601; without an offset, UTC; absent: arrival time"}}}}},
                {"example", {{"temperature", 10.5}, {"recorded_at", "2024-12-10T16:45:00"}}}})}};
  p[path]["post"] = tagged(post);
  p[path + "/average"]["get"] = tagged(operation(
      "A room's average temperature over the last `duration`: the live window when one of that "
      "length is configured (GET /v1/…/temperature/average?window=), else PostgreSQL over "
      "[now − duration, now) (…/average?from=&to=).",
      {building(), room(),
       query_param("duration", {{"type", "string"}, {"example", "1h30m"}},
                   "how far back, as InfluxDB spells it: integer-and-unit parts, units ms, s, m, "
                   "h, d, w (default 15m, at most 366d)")},
      {{"200", ok("the average", ref("FlaskAverage"))},
       {"400", error("a bad id or duration, or history retention dropped")},
       {"404", error("the room has no temperature readings")},
       {"503", error("PostgreSQL is unavailable (history only)")}}));
}

/// The sensor-id service: POST /ingest, GET /get_range, /min, /hourly.
void add_sensor_paths(json& p) {
  json post = operation(
      "Submit readings that name only a sensor. Same as POST /v1/readings with the sensor's "
      "building and room.",
      json::array(),
      {{"200", ok("how many were accepted, and why the others were not", ref("IngestResult"))},
       {"400", error("not JSON, or not an array")}});
  post["requestBody"] = {
      {"required", true},
      {"content",
       content({{"type", "array"},
                {"items",
                 {{"type", "object"},
                  {"required", {"sensor_id", "value"}},
                  {"properties",
                   {{"sensor_id", ref("Id")},
                    {"timestamp",
                     {{"type", "string"}, {"description", "RFC 3339; without an offset, UTC"}}},
                    {"value", number()}}}}}})}};
  p["/ingest"]["post"] = tagged(post);
  const json bad = error("a bad sensor_id, start or end, start after end, or more than 366d");
  p["/get_range"]["get"] = tagged(operation(
      "A sensor's readings in [start, end], oldest first (GET /v1/…/readings, by sensor).",
      {sensor_param(), range_param("start", "first time, in", true),
       range_param("end", "last time, in", true)},
      {{"200", ok("the readings (X-Truncated: true past 100,000)", ref("SensorRange"))},
       {"400", bad},
       {"503", error("PostgreSQL is unavailable")}}));
  p["/min"]["get"] = tagged(operation(
      "A sensor's smallest value in [start, end].",
      {sensor_param(), range_param("start", "first time, in", true),
       range_param("end", "last time, in", true)},
      {{"200", ok("the minimum",
                  {{"type", "object"}, {"properties", {{"min_value", nullable_number()}}}})},
       {"400", bad},
       {"503", error("PostgreSQL is unavailable")}}));
  p["/hourly"]["get"] = tagged(
      operation("A sensor's figures per UTC hour that has readings, oldest first (GET "
                "/v1/…/series?step=1h, by sensor).",
                {sensor_param(), range_param("start", "first time, in (default: all kept)", false),
                 range_param("end", "last time, in (default: all)", false)},
                {{"200", ok("the hours", {{"type", "array"}, {"items", ref("SensorHour")}})},
                 {"400", bad},
                 {"503", error("PostgreSQL is unavailable")}}));
}

/// The device dashboard: POST /devicedata, GET /dashboard, GET /devices/{device}/histogram.
void add_device_paths(json& p) {
  json post = operation(
      "Submit a device's readings in the shape of the device dashboard's simulator: one reading "
      "of each feature (a configured metric) at `timestamp`, the device placed by a source's "
      "devices, else as room {deviceId} of building \"sensors\". Same as POST /v1/readings with "
      "sensor_id = deviceId.",
      json::array(),
      {{"200", ok("accepted: the device, the time (UTC) and the features", ref("DeviceReading"))},
       {"400", error("not JSON, no deviceId or no feature, or a refused reading (the body also "
                     "carries a reason; the device's other features are kept)")}});
  post["requestBody"] = {
      {"required", true},
      {"content",
       content({{"type", "object"},
                {"required", {"deviceId"}},
                {"properties",
                 {{"deviceId", ref("Id")},
                  {"timestamp",
                   {{"type", "string"},
                    {"description", "RFC 3339; without an offset, UTC; absent: arrival time"}}},
                  {"status", {{"type", "string"}, {"description", "not kept"}}}}},
                {"additionalProperties", number()},
                {"example",
                 {{"deviceId", "device_1"},
                  {"timestamp", "2024-12-10T16:45:00.123456"},
                  {"status", "ON"},
                  {"pressure", 12.5},
                  {"temperature", 21.5}}}})}};
  p["/devicedata"]["post"] = tagged(post);
  p["/dashboard"]["get"] = tagged(operation(
      "Each feature's devices (sensor ids) by their highest reading in the interval, highest "
      "first, from PostgreSQL's readings: per device, that reading's time and every feature it "
      "reported at that time.",
      {query_param("features", {{"type", "string"}},
                   "comma-separated configured metrics, e.g. pressure (default: every metric)"),
       query_param("interval",
                   {{"type", "string"},
                    {"enum", {"past_minute", "past_hour", "all_time"}},
                    {"default", "all_time"}},
                   "how far back (all_time: every raw reading kept)"),
       query_param("NUM_TOP_DEVICES",
                   {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 10}},
                   "how many devices per feature")},
      {{"200", ok("the devices, by feature", ref("DeviceDashboard"))},
       {"400", error("a feature that is not a configured metric, or a bad interval or count")},
       {"503", error("PostgreSQL is unavailable")}}));
  p["/devices/{device}/histogram"]["get"] = tagged(operation(
      "The histogram of where the device is placed (a source's devices, else its own room of "
      "building \"sensors\"): GET /v1/buildings/{building}/rooms/{room}/{feature}/histogram, "
      "over all the device's kept readings when `from` is not given.",
      {path_param("device", "the device's sensor id"),
       query_param("feature", ref("Id"), "a configured metric (default temperature)"),
       query_param("from", {{"type", "string"}, {"format", "date-time"}},
                   "first time, in (default: the oldest raw reading kept, at most 366d back)"),
       to_param(),
       query_param("bins",
                   {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 10}},
                   "the number of equal-width bins")},
      {{"200", ok("the histogram", ref("Histogram"))},
       {"400", error("a bad id or parameter, or from before the raw horizon")},
       {"404", error("the device's place never reported this feature")},
       {"503", error("PostgreSQL is unavailable")}}));
}

}  // namespace

void add_compat_schemas(json& s) {
  s["LegacyAverage"] = {
      {"type", "object"},
      {"properties",
       {{"building_id", {{"type", "string"}}},
        {"room_id", {{"type", "string"}, {"description", "absent for a whole building"}}},
        {"window", ref("Duration")},
        {"average_temperature", nullable_number()},
        {"min_temperature", nullable_number()},
        {"max_temperature", nullable_number()},
        {"count", {{"type", "integer"}}},
        {"from", date_time()},
        {"to", date_time()}}}};
  s["FlaskReading"] = {{"type", "object"},
                       {"properties",
                        {{"building", {{"type", "string"}}},
                         {"room", {{"type", "string"}}},
                         {"temperature", number()},
                         {"recorded_at", {{"type", "string"}, {"nullable", true}}}}}};
  s["FlaskAverage"] = {{"type", "object"},
                       {"properties",
                        {{"building", {{"type", "string"}}},
                         {"room", {{"type", "string"}}},
                         {"duration", ref("Duration")},
                         {"average_temperature", nullable_number()},
                         {"count", {{"type", "integer"}}},
                         {"from", date_time()},
                         {"to", date_time()},
                         {"source", {{"type", "string"}, {"enum", {"live", "history"}}}}}}};
  s["SensorRange"] = {
      {"type", "object"},
      {"properties",
       {{"data",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"id",
               {{"type", "integer"},
                {"description", "stable: the reading's time in epoch microseconds"}}},
              {"timestamp", date_time()},
              {"sensor_id", {{"type", "string"}}},
              {"value", number()}}}}}}}}}};
  const json device_reading = {
      {"type", "object"},
      {"properties", {{"deviceId", {{"type", "string"}}}, {"timestamp", date_time()}}},
      {"additionalProperties", number()},
      {"description", "and each feature (metric) the device reported at that time"}};
  s["DeviceReading"] = device_reading;
  s["DeviceDashboard"] = {
      {"type", "object"},
      {"description", "one list per feature asked for"},
      {"additionalProperties", {{"type", "array"}, {"items", ref("DeviceReading")}}}};
  s["SensorHour"] = {{"type", "object"},
                     {"properties",
                      {{"timestamp", date_time()},
                       {"avg", number()},
                       {"min", number()},
                       {"max", number()},
                       {"samples", {{"type", "integer"}}}}}};
}

void add_compat_paths(json& p) {
  add_fastapi_paths(p);
  add_flask_paths(p);
  add_sensor_paths(p);
  add_device_paths(p);
}

}  // namespace roomtemp::openapi
