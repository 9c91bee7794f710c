// REST routes served from memory: live averages, rankings, what reported, and ingest by POST.
#include "rest_live.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "aggregator.h"
#include "http_api.h"
#include "ingest.h"
#include "messages.h"
#include "rest_params.h"

namespace roomtemp {
namespace {

constexpr std::size_t kMaxPostItems = 10000;

}  // namespace

WindowStats live_or_404(HttpDeps& deps, const SeriesKey& key, std::size_t window) {
  auto stats = deps.aggregator.live(key, window, now_micros());
  if (!stats) {
    throw NotFound(key.room.empty()
                       ? "building " + key.building + " has no " + key.metric + " readings"
                       : "room " + key.building + "/" + key.room + " has no " + key.metric +
                             " readings");
  }
  return *stats;
}

nlohmann::json ingest_items(HttpDeps& deps, const nlohmann::json& body, const std::string& source) {
  if (const Readiness r = deps.readiness(); !r.role.empty() && r.role != "active")
    throw Unavailable(
        "this instance is " + r.role + " and takes no input" +
        (r.active.empty() || r.role != "standby" ? std::string() : "; send it to " + r.active));
  const bool many = body.is_array();
  if (many && body.size() > kMaxPostItems)
    throw BadRequest("at most " + std::to_string(kMaxPostItems) + " readings per request");
  std::size_t accepted = 0;
  nlohmann::json rejected = nlohmann::json::array();
  const std::size_t n = many ? body.size() : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const nlohmann::json& item = many ? body[i] : body;
    const std::string text = json_text(item);
    if (auto refusal = deps.ingest.on_posted(text, source)) {
      rejected.push_back({{"index", i},
                          {"reason", std::string(reason_name(refusal->reason))},
                          {"detail", refusal->detail}});
    } else {
      ++accepted;
    }
  }
  return {{"accepted", accepted}, {"rejected", rejected}};
}

nlohmann::json parse_body(const httplib::Request& req) {
  // nlohmann parses iteratively, but copies and dumps recurse once per level: 100,000 levels
  // overflow the handler thread's stack. No reading needs more than a few.
  constexpr int kMaxDepth = 32;
  nlohmann::json body = nlohmann::json::parse(
      req.body,
      [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxDepth)
          throw BadRequest("the body is nested deeper than " + std::to_string(kMaxDepth) +
                           " levels");
        return true;
      },
      false);
  if (body.is_discarded()) throw BadRequest("the body is not valid JSON");
  return body;
}

std::size_t live_window(const httplib::Request& req, const Aggregator& agg) {
  const auto& windows = agg.windows();
  auto asked = params::optional_duration(req, "window");
  if (!asked) {
    if (auto i = agg.window_index(std::chrono::minutes(15))) return *i;
    return 0;
  }
  if (auto i = agg.window_index(*asked)) return *i;
  std::string list;
  for (auto w : windows) list += (list.empty() ? "" : ", ") + format_duration(w);
  throw BadRequest("window " + format_duration(*asked) + " is not configured (configured: " + list +
                   ")");
}

void handle_live_room_average(const httplib::Request& req, httplib::Response& res, HttpDeps& deps) {
  SeriesKey key{params::id(req.matches[1], "building"), params::id(req.matches[2], "room"),
                params::id(req.matches[3], "metric")};
  const std::size_t w = live_window(req, deps.aggregator);
  send_json(res, 200, average_json(key, deps.aggregator.windows()[w], live_or_404(deps, key, w)));
}

void handle_live_building_average(const httplib::Request& req, httplib::Response& res,
                                  HttpDeps& deps) {
  SeriesKey key{params::id(req.matches[1], "building"), "", params::id(req.matches[2], "metric")};
  const std::size_t w = live_window(req, deps.aggregator);
  send_json(res, 200, average_json(key, deps.aggregator.windows()[w], live_or_404(deps, key, w)));
}

// POSTs need http.token_file's token and GETs http.read_token_file's, when set: Routes checks.
void register_live_routes(Routes& s, HttpDeps& deps) {
  s.Get("/v1/top", [&deps](const httplib::Request& req, httplib::Response& res) {
    const std::string metric =
        params::id(params::optional(req, "metric").value_or("temperature"), "metric");
    const std::string by = params::optional(req, "by").value_or("avg");
    if (by != "avg" && by != "min" && by != "max")
      throw BadRequest("parameter 'by' must be avg, min or max");
    const std::string order = params::optional(req, "order").value_or("desc");
    if (order != "asc" && order != "desc")
      throw BadRequest("parameter 'order' must be asc or desc");
    const auto n = params::integer(req, "n", 10, 1, 1000);
    const std::size_t w = live_window(req, deps.aggregator);
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : deps.aggregator.top(metric, w, by, order == "desc", n))
      out.push_back(nlohmann::ordered_json::parse(average_json(
          SeriesKey{r.building, r.room, metric}, deps.aggregator.windows()[w], r.stats)));
    send_json(res, 200, json_text(out));
  });

  s.Get("/v1/buildings", [&deps](const httplib::Request&, httplib::Response& res) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [b, rooms] : deps.aggregator.reported())
      out.push_back({{"building", b}, {"rooms", rooms.size()}});
    send_json(res, 200, json_text(out));
  });

  s.Get(R"(/v1/buildings/([^/]+)/rooms)",
        [&deps](const httplib::Request& req, httplib::Response& res) {
          const std::string b = params::id(req.matches[1], "building");
          const auto rooms = deps.aggregator.rooms_of(b);
          if (!rooms) throw NotFound("building " + b + " has not reported");
          nlohmann::json out = nlohmann::json::array();
          for (const RoomListing& r : *rooms)
            out.push_back(
                {{"room", r.room},
                 {"metrics", r.metrics},
                 {"last_reading", r.last_reading ? nlohmann::json(format_rfc3339(r.last_reading))
                                                 : nlohmann::json(nullptr)}});
          send_json(res, 200, json_text(out));
        });

  s.Post("/v1/readings", [&deps](const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body = parse_body(req);
    if (!body.is_object() && !body.is_array())
      throw BadRequest("the body must be a reading object or an array of them");
    send_json(res, 202, json_text(ingest_items(deps, body, "http:POST /v1/readings")));
  });
}

}  // namespace roomtemp
