#pragma once
// Pieces of the OpenAPI document (GET /openapi.json), shared by the files that describe routes:
// openapi.cpp (the document, most routes), openapi_live.cpp (the dashboard's bulk reads),
// openapi_alarms.cpp (alarms and silent sensors) and openapi_compat.cpp (the calls of the services
// roomtemp replaces).
#include <nlohmann/json.hpp>
#include <string>

namespace roomtemp::openapi {

using json = nlohmann::ordered_json;

inline json ref(const std::string& schema) { return {{"$ref", "#/components/schemas/" + schema}}; }

inline json nullable_number() {
  return {{"type", "number"}, {"format", "double"}, {"nullable", true}};
}
inline json date_time() { return {{"type", "string"}, {"format", "date-time"}}; }

inline json path_param(const std::string& name, const std::string& description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", description},
          {"schema", ref("Id")}};
}

inline json query_param(const std::string& name, json schema, const std::string& description,
                        bool required = false) {
  return {{"name", name},
          {"in", "query"},
          {"required", required},
          {"description", description},
          {"schema", std::move(schema)}};
}

inline json building() { return path_param("building", "building id"); }
inline json room() { return path_param("room", "room id"); }
inline json metric() { return path_param("metric", "a configured metric, e.g. temperature"); }

inline json time_param(const std::string& name, const std::string& description) {
  return query_param(name, ref("Time"), description);
}
inline json from_param() {
  return time_param("from", "start of the range, inclusive (default: one hour before `to`)");
}
inline json to_param() {
  return time_param("to",
                    "end of the range, exclusive (default: the end of the current second, so "
                    "every reading stamped up to now is in)");
}
inline json window_param(const std::string& description) {
  return query_param("window", ref("Duration"), description);
}

inline json content(const json& schema, const std::string& type = "application/json") {
  return {{type, {{"schema", schema}}}};
}

inline json ok(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", content(schema)}};
}

inline json error(const std::string& description) {
  return {{"description", description}, {"content", content(ref("Error"))}};
}

inline json operation(const std::string& summary, json parameters, json responses) {
  json op = {{"summary", summary}};
  if (!parameters.empty()) op["parameters"] = std::move(parameters);
  op["responses"] = std::move(responses);
  return op;
}

/// "last_reading": when roomtempd last received a reading of a room, or null.
json last_reading();

/// Adds the schemas of GET /v1/overview and GET /v1/buildings/{building}/live.
void add_live_schemas(json& schemas);

/// Adds GET /v1/overview and GET /v1/buildings/{building}/live.
void add_live_paths(json& paths);

/// Adds the schemas of GET /v1/alarms and GET /v1/alarms/history (openapi_alarms.cpp).
void add_alarm_schemas(json& schemas);

/// Adds GET /v1/alarms and GET /v1/alarms/history.
void add_alarm_paths(json& paths);

/// Adds the schemas of the compatibility routes (openapi_compat.cpp).
void add_compat_schemas(json& schemas);

/// Adds the routes of the services roomtemp replaces, tagged "compatibility".
void add_compat_paths(json& paths);

}  // namespace roomtemp::openapi
