// REST routes for a whole site at a glance, answered from memory in one request whatever its
// size: every building's live summary with the site's rooms searched, ordered worst first and
// paged (GET /v1/overview), and one building's rooms with all their windows
// (GET /v1/buildings/{b}/live). The dashboard asks for nothing else on a refresh.
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "aggregator.h"
#include "config.h"
#include "http_api.h"
#include "messages.h"
#include "rest_alarms.h"
#include "rest_live.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

using json = nlohmann::ordered_json;

/// The most rooms one overview answer lists.
constexpr std::int64_t kMaxRoomsPerPage = 1000;
/// The longest search text: a building id, a slash and a room id.
constexpr std::size_t kMaxSearch = 129;

json time_or_null(Micros t) { return t ? json(format_rfc3339(t)) : json(nullptr); }

json number_or_null(bool known, double v) { return known ? json(v) : json(nullptr); }

json window_json(Duration window, const WindowStats& s) {
  const bool known = s.count > 0;
  return {{"window", format_duration(window)},
          {"avg", number_or_null(known, s.avg())},
          {"min", number_or_null(known, s.min)},
          {"max", number_or_null(known, s.max)},
          {"count", s.count},
          {"from", format_rfc3339(s.from)},
          {"to", format_rfc3339(s.to)}};
}

json windows_json(const std::vector<Duration>& windows, const std::vector<WindowStats>& stats) {
  json out = json::array();
  for (std::size_t w = 0; w < windows.size() && w < stats.size(); ++w)
    out.push_back(window_json(windows[w], stats[w]));
  return out;
}

Duration longest(const std::vector<Duration>& windows) {
  return windows.empty() ? Duration{} : *std::max_element(windows.begin(), windows.end());
}

json room_json(const std::vector<Duration>& windows, const RoomLive& r) {
  json trend = json::array();
  for (const Bucket& b : r.trend)
    trend.push_back(number_or_null(b.count > 0, b.count ? b.sum / b.count : 0));
  const Micros length = to_micros(longest(windows));
  return {{"building", r.building},
          {"room", r.room},
          {"last_reading", time_or_null(r.last_reading)},
          {"reporting", r.reporting()},
          {"windows", windows_json(windows, r.windows)},
          {"trend",
           {{"window", format_duration(longest(windows))},
            {"from", format_rfc3339(r.trend_to - length)},
            {"to", format_rfc3339(r.trend_to)},
            {"avg", std::move(trend)}}}};
}

json ranked_json(const std::optional<RankedRoom>& r) {
  if (!r) return nullptr;
  return {{"room", r->room}, {"avg", r->stats.avg()}};
}

json building_json(const std::vector<Duration>& windows, const BuildingLive& b) {
  return {{"building", b.building},
          {"rooms", b.rooms},
          {"reporting", b.reporting},
          {"last_reading", time_or_null(b.last_reading)},
          {"windows", windows_json(windows, b.windows)},
          {"hottest", ranked_json(b.hottest)},
          {"coldest", ranked_json(b.coldest)}};
}

/// What both answers start with: the metric, its unit, the windows, every metric there is to
/// choose from, and the daemon's clock.
// (NOLINT: clang-tidy 14 follows json's noexcept move constructor into a throw that its
// json_value(value_t) never reaches.)
struct Context {  // NOLINT(bugprone-exception-escape)
  std::string metric;
  std::vector<Duration> windows;
  std::size_t rank = 0;  ///< the ranking window
  Micros now = 0;
  json head;
};

/// The metrics to choose from: the configured ones in their order, then any that reported and
/// is no longer configured (a reload removed it), each with its unit and how many rooms
/// reported it.
json metrics_json(const Config& config, const std::map<std::string, std::size_t>& reported) {
  json out = json::array();
  auto rooms = [&](const std::string& m) {
    auto it = reported.find(m);
    return it == reported.end() ? std::size_t{0} : it->second;
  };
  for (const MetricConfig& m : config.metrics)
    out.push_back({{"metric", m.name}, {"unit", m.unit}, {"rooms", rooms(m.name)}});
  for (const auto& [m, n] : reported)
    if (!config.find_metric(m)) out.push_back({{"metric", m}, {"unit", ""}, {"rooms", n}});
  return out;
}

/// `metric=` if given (configured, or reported before a reload removed it), else the first
/// metric with rooms (configured ones first), else the first configured one.
std::string chosen_metric(const httplib::Request& req, const json& metrics) {
  if (auto asked = params::optional(req, "metric")) {
    std::string m = params::id(*asked, "metric");
    std::string names;
    for (const auto& item : metrics) {
      if (item["metric"] == m) return m;
      names += (names.empty() ? "" : ", ") + item["metric"].get<std::string>();
    }
    throw BadRequest("metric " + m + " is neither configured nor reported (metrics: " + names +
                     ")");
  }
  for (const auto& item : metrics)
    if (item["rooms"].get<std::size_t>() > 0) return item["metric"];
  return metrics.empty() ? "temperature" : metrics.front()["metric"].get<std::string>();
}

Context context(const httplib::Request& req, HttpDeps& deps) {
  Context c;
  const auto config = deps.config.get();
  json metrics = metrics_json(*config, deps.aggregator.metrics_reported());
  c.metric = chosen_metric(req, metrics);
  c.rank = live_window(req, deps.aggregator);
  c.windows = deps.aggregator.windows();
  c.now = now_micros();
  const MetricConfig* m = config->find_metric(c.metric);
  json windows = json::array();
  for (auto w : c.windows) windows.push_back(format_duration(w));
  c.head = {{"metric", c.metric},
            {"unit", m ? m->unit : ""},
            {"window", format_duration(c.windows.at(c.rank))},
            {"windows", std::move(windows)},
            {"metrics", std::move(metrics)},
            {"now", format_rfc3339(c.now)}};
  return c;
}

RoomOrder room_order(const std::string& sort) {
  if (sort == "name") return RoomOrder::name;
  if (sort == "hottest") return RoomOrder::hottest;
  if (sort == "coldest") return RoomOrder::coldest;
  if (sort == "silent") return RoomOrder::silent;
  throw BadRequest("parameter 'sort' must be name, hottest, coldest or silent");
}

/// The search text: ids and the slash between them; anything else cannot match an id.
std::string search_text(const httplib::Request& req) {
  std::string q = params::optional(req, "q").value_or("");
  if (q.size() > kMaxSearch)
    throw BadRequest("parameter 'q' is longer than " + std::to_string(kMaxSearch) + " characters");
  for (char c : q) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '/';
    if (!ok) throw BadRequest("parameter 'q' may hold only A-Z a-z 0-9 _ - . and /");
  }
  return q;
}

void send(httplib::Response& res, const json& body) {
  res.status = 200;
  res.set_content(json_text(body), "application/json");
}

}  // namespace

void register_overview_routes(Routes& routes, HttpDeps& deps) {
  routes.Get("/v1/overview", [&deps](const httplib::Request& req, httplib::Response& res) {
    Context c = context(req, deps);
    RoomQuery q;
    q.metric = c.metric;
    q.contains = search_text(req);
    const std::string sort = params::optional(req, "sort").value_or("name");
    q.order = room_order(sort);
    q.window = c.rank;
    q.limit = static_cast<std::size_t>(params::integer(req, "limit", 50, 0, kMaxRoomsPerPage));
    q.offset = static_cast<std::size_t>(params::integer(req, "offset", 0, 0, INT32_MAX));
    const SiteView site = deps.aggregator.site_live(q, c.now);
    json buildings = json::array();
    for (const BuildingLive& b : site.buildings) buildings.push_back(building_json(c.windows, b));
    const RoomPage& page = site.rooms;
    json items = json::array();
    for (const RoomLive& r : page.rooms) items.push_back(room_json(c.windows, r));
    json body = std::move(c.head);
    body["buildings"] = std::move(buildings);
    body["rooms"] = {{"q", q.contains},  {"sort", sort},        {"offset", q.offset},
                     {"limit", q.limit}, {"total", page.total}, {"items", std::move(items)}};
    // What fires and what is silent comes along: the page shows it first at no extra request.
    body["alarms"] = alarms_summary(deps.alarms, {}, kAlarmsInLiveAnswers);
    send(res, body);
  });

  routes.Get(R"(/v1/buildings/([^/]+)/live)", [&deps](const httplib::Request& req,
                                                      httplib::Response& res) {
    const std::string b = params::id(req.matches[1], "building");
    std::string room;
    if (auto r = params::optional(req, "room")) room = params::id(*r, "room");
    Context c = context(req, deps);
    const auto view = deps.aggregator.building_live(b, c.metric, c.rank, c.now, room);
    if (!view) throw NotFound("building " + b + " has not reported");
    if (!room.empty() && view->rooms.empty())
      throw NotFound("room " + b + "/" + room + " has no " + c.metric + " readings");
    json rooms = json::array();
    for (const RoomLive& r : view->rooms) rooms.push_back(room_json(c.windows, r));
    json body = std::move(c.head);
    body["building"] = building_json(c.windows, view->summary);
    body["rooms"] = std::move(rooms);
    // One room's view gets that room's, not the first of its building's.
    body["alarms"] = alarms_summary(
        deps.alarms, {b, room.empty() ? std::nullopt : std::optional(room)}, kAlarmsInLiveAnswers);
    send(res, body);
  });
}

}  // namespace roomtemp
