// REST routes of alarms and silent sensors (README "Alarms and silent sensors"): what fires and
// what is silent now, from the alarm engine's memory; the transitions of a time range, from
// alarm_events in PostgreSQL.
#include "rest_alarms.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "alarm_messages.h"
#include "alarm_rules.h"
#include "alarms.h"
#include "history_db.h"
#include "http_api.h"
#include "messages.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

using json = nlohmann::ordered_json;

/// GET /v1/alarms/history: `from` defaults to a day before `to` (transitions are few).
constexpr Micros kDefaultHistorySpan = 86400 * kMicrosPerSecond;
constexpr std::int64_t kDefaultHistoryLimit = 1000;

/// An optional id filter (building=, room=, metric=), checked like ids in paths.
std::optional<std::string> id_filter(const httplib::Request& req, const char* name) {
  auto v = params::optional(req, name);
  if (!v) return std::nullopt;
  return params::id(*v, name);
}

/// GET /v1/alarms: every firing alarm and every silent series now, optionally of one building
/// or one room.
void alarms_now(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const AlarmsOf of{id_filter(req, "building"), id_filter(req, "room")};
  if (of.room && !of.building) throw BadRequest("'room' needs 'building'");
  const std::int64_t limit = params::integer(req, "limit", kMaxRows, 0, kMaxRows);
  if (!deps.alarms) throw Unavailable("alarms are not kept by this server");
  json summary = alarms_summary(deps.alarms, of, static_cast<std::size_t>(limit));
  if (!summary["restored"].get<bool>())
    throw Unavailable(
        "the alarm states of earlier runs are not read back yet (roomtempd waits for "
        "PostgreSQL and its spool to be written)");
  json out;
  out["now"] = format_rfc3339(now_micros());
  for (const char* key : {"firing_total", "silent_total", "firing", "silent"})
    out[key] = std::move(summary[key]);
  send_json(res, 200, json_text(out));
}

/// GET /v1/alarms/history?from&to: transitions with from ≤ ts < to, oldest first.
void alarms_history(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  const Micros to = params::optional_time(req, "to").value_or(
      (now_micros() / kMicrosPerSecond + 1) * kMicrosPerSecond);
  const Micros from = params::optional_time(req, "from").value_or(to - kDefaultHistorySpan);
  if (from >= to) throw BadRequest("'from' must be earlier than 'to'");
  if (to - from > kMaxHistorySpan)
    throw BadRequest("from..to spans more than 366d; ask for a shorter range");
  const std::int64_t limit = params::integer(req, "limit", kDefaultHistoryLimit, 1, kMaxRows);
  const auto building = id_filter(req, "building");
  const auto room = id_filter(req, "room");
  const auto metric = id_filter(req, "metric");
  const auto alarm = params::optional(req, "alarm");
  if (alarm && !valid_alarm_name(*alarm))
    throw BadRequest("parameter 'alarm' must be a rule's name (1-32 of a-z 0-9 _) or silent");
  bool truncated = false;
  json rows = read_only(deps, [&](pqxx::transaction_base& txn) {
    const auto result = txn.exec_params(
        "SELECT (extract(epoch FROM ts) * 1000000)::bigint, building, room, metric, alarm, state,"
        " value, (extract(epoch FROM last_reading) * 1000000)::bigint, threshold,"
        " (extract(epoch FROM window_length) * 1000)::bigint FROM alarm_events"
        " WHERE ts >= $1::timestamptz AND ts < $2::timestamptz"
        " AND ($3::text IS NULL OR building = $3) AND ($4::text IS NULL OR room = $4)"
        " AND ($5::text IS NULL OR metric = $5) AND ($6::text IS NULL OR alarm = $6)"
        " ORDER BY ts, id LIMIT $7",
        format_rfc3339(from), format_rfc3339(to), building, room, metric, alarm, limit + 1);
    json list = json::array();
    for (const auto& row : result) {
      if (static_cast<std::int64_t>(list.size()) == limit) {
        truncated = true;
        break;
      }
      json item;
      item["ts"] = format_rfc3339(row[0].as<Micros>());
      item["building"] = row[1].as<std::string>();
      item["room"] = row[2].as<std::string>();
      item["metric"] = row[3].as<std::string>();
      item["alarm"] = row[4].as<std::string>();
      item["state"] = row[5].as<std::string>();
      item["value"] = row[6].is_null() ? json(nullptr) : json(row[6].as<double>() + 0.0);
      // The rule's threshold and window with this transition, as roomtemp/events said them.
      item["threshold"] = row[8].is_null() ? json(nullptr) : json(row[8].as<double>() + 0.0);
      item["window"] = row[9].is_null()
                           ? json(nullptr)
                           : json(format_duration(Duration(row[9].as<std::int64_t>())));
      item["last_reading"] =
          row[7].is_null() ? json(nullptr) : json(format_rfc3339(row[7].as<Micros>()));
      list.push_back(std::move(item));
    }
    return list;
  });
  if (truncated) res.set_header("X-Truncated", "true");
  send_json(res, 200, json_text(rows));
}

}  // namespace

json alarms_summary(const AlarmEngine* engine, const AlarmsOf& of, std::size_t limit) {
  const auto kept = [&of](const SeriesKey& key) {
    return (!of.building || key.building == *of.building) && (!of.room || key.room == *of.room);
  };
  json out;
  json firing = json::array(), silent = json::array();
  std::size_t firing_total = 0, silent_total = 0;
  const AlarmsNow now = engine ? engine->active() : AlarmsNow{};
  for (const FiringAlarm& f : now.firing) {
    if (!kept(f.key)) continue;
    if (firing_total++ >= limit) continue;
    firing.push_back(with_series(
        f.key, alarm_state_object(f.alarm, f.threshold, f.window, true, f.since, f.value)));
  }
  for (const SilentSeries& s : now.silent) {
    if (!kept(s.key)) continue;
    if (silent_total++ >= limit) continue;
    silent.push_back(with_series(s.key, series_status_object(true, s.last_reading)));
  }
  out["restored"] = now.restored;
  out["firing_total"] = firing_total;
  out["silent_total"] = silent_total;
  out["firing"] = std::move(firing);
  out["silent"] = std::move(silent);
  return out;
}

void register_alarm_routes(Routes& routes, HttpDeps& deps) {
  routes.Get("/v1/alarms", [&deps](const httplib::Request& req, httplib::Response& res) {
    alarms_now(req, res, deps);
  });
  routes.Get("/v1/alarms/history", [&deps](const httplib::Request& req, httplib::Response& res) {
    alarms_history(req, res, deps);
  });
}

}  // namespace roomtemp
