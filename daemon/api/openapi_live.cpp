// The OpenAPI description of the dashboard's bulk reads: GET /v1/overview and
// GET /v1/buildings/{building}/live (rest_overview.cpp), and the last_reading they share with
// GET /v1/buildings/{building}/rooms.
#include "openapi_build.h"

namespace roomtemp::openapi {
namespace {

json integer(const std::string& description) {
  return {{"type", "integer"}, {"minimum", 0}, {"description", description}};
}

}  // namespace

json last_reading() {
  return {{"type", "string"},
          {"format", "date-time"},
          {"nullable", true},
          {"description",
           "when roomtempd last received a reading of it; null when not known (after a "
           "restart, only readings received within averages.dedupe_horizon are known)"}};
}

/// The answers of GET /v1/overview and GET /v1/buildings/{building}/live.
void add_live_schemas(json& s) {
  s["WindowNumbers"] = {{"type", "object"},
                        {"description", "one live window, as GET …/average?window= answers it"},
                        {"required", {"window", "avg", "min", "max", "count", "from", "to"}},
                        {"properties",
                         {{"window", ref("Duration")},
                          {"avg", nullable_number()},
                          {"min", nullable_number()},
                          {"max", nullable_number()},
                          {"count", {{"type", "integer"}, {"minimum", 0}}},
                          {"from", date_time()},
                          {"to", date_time()}}}};
  s["RoomLive"] = {
      {"type", "object"},
      {"required", {"building", "room", "last_reading", "reporting", "windows", "trend"}},
      {"properties",
       {{"building", {{"type", "string"}}},
        {"room", {{"type", "string"}}},
        {"last_reading", last_reading()},
        {"reporting", {{"type", "boolean"}, {"description", "it has a reading in some window"}}},
        {"windows", {{"type", "array"}, {"items", ref("WindowNumbers")}}},
        {"trend",
         {{"type", "object"},
          {"description",
           "the longest window now, bucket by bucket (30 buckets for 1m, 15m, 1h): the "
           "average of each, oldest first, null where empty"},
          {"required", {"window", "from", "to", "avg"}},
          {"properties",
           {{"window", ref("Duration")},
            {"from", date_time()},
            {"to", date_time()},
            {"avg", {{"type", "array"}, {"items", nullable_number()}}}}}}}}}};
  const json ranked = {
      {"type", "object"},
      {"nullable", true},
      {"required", {"room", "avg"}},
      {"properties",
       {{"room", {{"type", "string"}}}, {"avg", {{"type", "number"}, {"format", "double"}}}}}};
  s["BuildingLive"] = {
      {"type", "object"},
      {"required",
       {"building", "rooms", "reporting", "last_reading", "windows", "hottest", "coldest"}},
      {"properties",
       {{"building", {{"type", "string"}}},
        {"rooms", integer("rooms that reported the metric")},
        {"reporting", integer("of those, rooms with a reading in some live window")},
        {"last_reading", last_reading()},
        {"windows",
         {{"type", "array"},
          {"description", "the building-wide series (count 0 with null numbers when none)"},
          {"items", ref("WindowNumbers")}}},
        {"hottest", ranked},
        {"coldest", ranked}}},
      {"description",
       "hottest and coldest: the rooms with the highest and lowest average of the ranking "
       "window (null when no room has one)"}};
  s["MetricChoice"] = {{"type", "object"},
                       {"required", {"metric", "unit", "rooms"}},
                       {"properties",
                        {{"metric", {{"type", "string"}}},
                         {"unit", {{"type", "string"}}},
                         {"rooms", integer("rooms that reported it")}}}};
  const json head = {
      {"metric", {{"type", "string"}}},
      {"unit", {{"type", "string"}, {"description", "the metric's configured unit"}}},
      {"window", ref("Duration")},
      {"windows", {{"type", "array"}, {"items", ref("Duration")}}},
      {"metrics",
       {{"type", "array"},
        {"description", "the configured metrics, then any reported one no longer configured"},
        {"items", ref("MetricChoice")}}},
      {"now", date_time()}};
  json overview = {
      {"type", "object"},
      {"required",
       {"metric", "unit", "window", "windows", "metrics", "now", "buildings", "rooms", "alarms"}},
      {"properties", head}};
  overview["properties"]["buildings"] = {{"type", "array"}, {"items", ref("BuildingLive")}};
  overview["properties"]["rooms"] = {
      {"type", "object"},
      {"required", {"q", "sort", "offset", "limit", "total", "items"}},
      {"properties",
       {{"q", {{"type", "string"}}},
        {"sort", {{"type", "string"}}},
        {"offset", {{"type", "integer"}}},
        {"limit", {{"type", "integer"}}},
        {"total", integer("rooms that match")},
        {"items", {{"type", "array"}, {"items", ref("RoomLive")}}}}}};
  overview["properties"]["alarms"] = ref("AlarmsSummary");
  s["Overview"] = std::move(overview);
  json building = {
      {"type", "object"},
      {"required",
       {"metric", "unit", "window", "windows", "metrics", "now", "building", "rooms", "alarms"}},
      {"properties", head}};
  building["properties"]["building"] = ref("BuildingLive");
  building["properties"]["rooms"] = {
      {"type", "array"}, {"description", "in natural order"}, {"items", ref("RoomLive")}};
  building["properties"]["alarms"] = ref("AlarmsSummary");
  s["BuildingLiveAnswer"] = std::move(building);
}

void add_live_paths(json& p) {
  const json live_metric = query_param(
      "metric", {{"type", "string"}},
      "a configured (or reported) metric; default: the first configured metric that has "
      "rooms");
  const json rank_window =
      window_param("the live window that ranks rooms (hottest, coldest; default 15m)");
  p["/v1/overview"]["get"] = operation(
      "The whole site in one answer: every building's live summary (its windows, rooms, "
      "rooms reporting, hottest and coldest room, last reading), and its rooms searched, "
      "ordered and paged. Visits every room once.",
      {live_metric, rank_window,
       query_param("q", {{"type", "string"}, {"maxLength", 129}, {"pattern", "^[A-Za-z0-9_./-]*$"}},
                   "only rooms whose \"building/room\" contains this, in any case"),
       query_param("sort",
                   {{"type", "string"},
                    {"enum", {"name", "hottest", "coldest", "silent"}},
                    {"default", "name"}},
                   "rooms by id (natural order), highest or lowest average first (rooms without "
                   "one last), or rooms with no reading in any window first, then the longest "
                   "since a reading"),
       query_param("limit",
                   {{"type", "integer"}, {"minimum", 0}, {"maximum", 1000}, {"default", 50}},
                   "the most rooms to list"),
       query_param("offset", {{"type", "integer"}, {"minimum", 0}, {"default", 0}},
                   "rooms to skip")},
      {{"200", ok("the overview", ref("Overview"))},
       {"400", error("a bad parameter, an unknown metric or a window that is not configured")}});
  p["/v1/buildings/{building}/live"]["get"] = operation(
      "One building's live summary and its rooms, each with every window, a trend of the "
      "longest and when it last reported.",
      {building(), live_metric, rank_window, query_param("room", ref("Id"), "only this room")},
      {{"200", ok("the building", ref("BuildingLiveAnswer"))},
       {"400", error("a bad parameter, an unknown metric or a window that is not configured")},
       {"404", error("the building has not reported, or the room has no readings of the metric")}});
}

}  // namespace roomtemp::openapi
