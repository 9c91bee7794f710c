// The OpenAPI description of alarms and silent sensors: GET /v1/alarms and
// GET /v1/alarms/history (rest_alarms.cpp).
#include "openapi_build.h"
#include "rest_params.h"

namespace roomtemp::openapi {

void add_alarm_schemas(json& s) {
  s["FiringAlarm"] = {
      {"type", "object"},
      {"description",
       "a rule firing for a room's metric: its retained state (buildings/{building}/rooms/"
       "{room}/{metric}/alarms/{alarm}) with the building, room and metric in front, as "
       "roomtemp/events carries it"},
      {"required",
       {"building", "room", "metric", "alarm", "state", "since", "value", "threshold", "window"}},
      {"properties",
       {{"building", {{"type", "string"}}},
        {"room", {{"type", "string"}}},
        {"metric", {{"type", "string"}}},
        {"alarm", {{"type", "string"}, {"description", "the rule's name"}}},
        {"state", {{"type", "string"}, {"enum", {"firing"}}}},
        {"since", date_time()},
        {"value",
         {{"type", "number"},
          {"format", "double"},
          {"nullable", true},
          {"description", "the live average of `window` when it fired"}}},
        {"threshold", {{"type", "number"}, {"format", "double"}}},
        {"window", ref("Duration")}}},
      {"example",
       {{"building", "B1"},
        {"room", "101"},
        {"metric", "temperature"},
        {"alarm", "too_hot"},
        {"state", "firing"},
        {"since", "2026-11-22T12:05:00Z"},
        {"value", 28.4},
        {"threshold", 28},
        {"window", "1m"}}}};
  s["SilentSeries"] = {
      {"type", "object"},
      {"description",
       "a room's metric with no reading for silence.after: its retained status "
       "(…/{metric}/status) with the building, room and metric in front"},
      {"required", {"building", "room", "metric", "state", "last_reading"}},
      {"properties",
       {{"building", {{"type", "string"}}},
        {"room", {{"type", "string"}}},
        {"metric", {{"type", "string"}}},
        {"state", {{"type", "string"}, {"enum", {"silent"}}}},
        {"last_reading",
         {{"type", "string"},
          {"format", "date-time"},
          {"nullable", true},
          {"description",
           "its newest reading's time (its timestamp, or when roomtempd received it if that was "
           "earlier); null when not known"}}}}}};
  s["AlarmsNow"] = {{"type", "object"},
                    {"required", {"now", "firing_total", "silent_total", "firing", "silent"}},
                    {"properties",
                     {{"now", date_time()},
                      {"firing_total", {{"type", "integer"}, {"minimum", 0}}},
                      {"silent_total", {{"type", "integer"}, {"minimum", 0}}},
                      {"firing",
                       {{"type", "array"},
                        {"description", "in natural order of building, room, metric, then rule"},
                        {"items", ref("FiringAlarm")}}},
                      {"silent",
                       {{"type", "array"},
                        {"description", "in natural order of building, room, metric"},
                        {"items", ref("SilentSeries")}}}}}};
  s["AlarmsSummary"] = {
      {"type", "object"},
      {"description",
       "what fires and what is silent (of the building in a building's answer, of the room "
       "when it names one), as GET "
       "/v1/alarms lists it: the first 12 of each, and how many there are; restored is false "
       "(and the lists empty) until the states of earlier runs are read back from PostgreSQL"},
      {"required", {"restored", "firing_total", "silent_total", "firing", "silent"}},
      {"properties",
       {{"restored", {{"type", "boolean"}}},
        {"firing_total", {{"type", "integer"}, {"minimum", 0}}},
        {"silent_total", {{"type", "integer"}, {"minimum", 0}}},
        {"firing", {{"type", "array"}, {"maxItems", 12}, {"items", ref("FiringAlarm")}}},
        {"silent", {{"type", "array"}, {"maxItems", 12}, {"items", ref("SilentSeries")}}}}}};
  s["AlarmEvent"] = {
      {"type", "object"},
      {"description", "a row of alarm_events: one transition"},
      {"required",
       {"ts", "building", "room", "metric", "alarm", "state", "value", "threshold", "window",
        "last_reading"}},
      {"properties",
       {{"ts", date_time()},
        {"building", {{"type", "string"}}},
        {"room", {{"type", "string"}}},
        {"metric", {{"type", "string"}}},
        {"alarm", {{"type", "string"}, {"description", "a rule's name, or silent"}}},
        {"state", {{"type", "string"}, {"enum", {"firing", "ok", "silent", "reporting"}}}},
        {"value", nullable_number()},
        {"threshold",
         {{"type", "number"},
          {"nullable", true},
          {"description",
           "the rule's threshold then (null for silence, and for rows of "
           "before roomtempd stored it)"}}},
        {"window",
         {{"type", "string"},
          {"nullable", true},
          {"description", "the rule's window then, as configured (15m); null as threshold"}}},
        {"last_reading", {{"type", "string"}, {"format", "date-time"}, {"nullable", true}}}}}};
}

void add_alarm_paths(json& p) {
  const json building_filter = query_param("building", ref("Id"), "only this building");
  p["/v1/alarms"]["get"] = operation(
      "Every firing alarm and every silent room's metric now, from memory.",
      {building_filter, query_param("room", ref("Id"), "only this room (needs building)"),
       query_param("limit", {{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxRows}},
                   "the most items of each list (the totals count them all); default: all")},
      {{"200", ok("what fires and what is silent", ref("AlarmsNow"))},
       {"400", error("a bad parameter, or room without building")},
       {"503", error("the states of earlier runs are not read back from PostgreSQL yet")}});
  p["/v1/alarms/history"]["get"] = operation(
      "Transitions of alarms and silent sensors with from ≤ ts < to, oldest first, from "
      "alarm_events.",
      {time_param("from", "start of the range, inclusive (default: a day before `to`)"), to_param(),
       building_filter, query_param("room", ref("Id"), "only this room"),
       query_param("metric", ref("Id"), "only this metric"),
       query_param("alarm", {{"type", "string"}}, "only this rule (or silent)"),
       query_param("limit",
                   {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxRows}, {"default", 1000}},
                   "the most transitions to return")},
      {{"200",
        {{"description", "transitions, oldest first"},
         {"headers",
          {{"X-Truncated",
            {{"description", "true when more transitions exist than limit"},
             {"schema", {{"type", "string"}}}}}}},
         {"content", content({{"type", "array"}, {"items", ref("AlarmEvent")}})}}},
       {"400", error("a bad id or parameter, from ≥ to, or a range over 366d")},
       {"503", error("PostgreSQL is unreachable, or the query took over 10s")}});
}

}  // namespace roomtemp::openapi
