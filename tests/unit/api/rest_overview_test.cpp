// GET /v1/overview and GET /v1/buildings/{b}/live on the real HTTP server (no broker, no
// PostgreSQL), and the last_reading of GET /v1/buildings/{b}/rooms: the JSON they answer, its
// numbers against the per-room and per-building average routes, their errors, and
// roomtemp_http_requests_total.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rest_server.h"

namespace roomtemp {
namespace {

using json = nlohmann::json;
using rest_test::RestServer;

constexpr Micros kS = 1'000'000;
const std::vector<std::string> kWindows = {"1m", "15m", "1h"};

struct Answer {
  int status = 0;
  json body;
};

class RestOverview : public ::testing::Test {
 protected:
  Answer get(const std::string& path) {
    auto res = server_.client().Get(path);
    if (!res) return {};
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  void add(const std::string& b, const std::string& r, Micros ago, double v, Micros received_ago,
           const std::string& metric = "temperature") {
    Reading x;
    x.building = b;
    x.room = r;
    x.metric = metric;
    x.ts = now_ - ago;
    x.value = v;
    x.received_at = now_ - received_ago;
    server_.aggregator().add(x, now_micros());
  }

  /// B1: 101 (25 and 27), 102 (16.5), 103 silent (a reading older than every window); B10: 1
  /// (21); B2: 201 humidity only.
  void feed() {
    add("B1", "101", 20 * kS, 25.0, 20 * kS);
    add("B1", "101", 4 * 60 * kS, 27.0, 4 * 60 * kS);
    add("B1", "102", 8 * 60 * kS, 16.5, 8 * 60 * kS);
    add("B1", "103", 3 * 3600 * kS, 30.0, 90 * kS);
    add("B10", "1", 30 * 60 * kS, 21.0, 30 * 60 * kS);
    add("B2", "201", 10 * kS, 40.0, 10 * kS, "humidity");
  }

  std::string received(Micros ago) const { return format_rfc3339(now_ - ago); }

  /// The window `w` of an entry's "windows" list.
  static json window_of(const json& entry, const std::string& w) {
    for (const auto& x : entry["windows"])
      if (x["window"] == w) return x;
    return nullptr;
  }

  /// Expects `entry`'s windows to say what GET `average_path`?window=w answers, for every
  /// window. The windows roll on: when the average route's answer changed around `fetch`, the
  /// comparison is tried again.
  void expect_windows_match(const std::function<json()>& fetch, const std::string& average_path) {
    for (int attempt = 1; attempt <= 4; ++attempt) {
      auto averages = [&] {
        std::map<std::string, json> m;
        for (const auto& w : kWindows) m[w] = get(average_path + "?window=" + w).body;
        return m;
      };
      const auto before = averages();
      const json entry = fetch();
      if (before != averages() && attempt < 4) continue;
      for (const auto& w : kWindows) {
        SCOPED_TRACE(average_path + " " + w);
        const json mine = window_of(entry, w);
        ASSERT_TRUE(mine.is_object()) << entry.dump();
        for (const char* field : {"avg", "min", "max", "count", "from", "to"})
          EXPECT_EQ(mine[field], before.at(w)[field]) << field;
      }
      return;
    }
  }

  RestServer server_;
  const Micros now_ = now_micros();
};

TEST_F(RestOverview, SummarisesEveryBuildingAndListsRoomsWorstFirst) {
  feed();
  const Answer a = get("/v1/overview?sort=hottest&window=15m");
  ASSERT_EQ(a.status, 200) << a.body.dump();
  const json& o = a.body;
  EXPECT_EQ(o["metric"], "temperature") << "the first metric with rooms";
  EXPECT_EQ(o["unit"], "°C");
  EXPECT_EQ(o["window"], "15m");
  EXPECT_EQ(o["windows"], json(kWindows));
  // temperature is configured; humidity reported without being configured.
  EXPECT_EQ(o["metrics"], json::parse(R"([{"metric":"temperature","unit":"°C","rooms":4},
                                          {"metric":"humidity","unit":"","rooms":1}])"));
  const auto now = parse_rfc3339(o["now"].get<std::string>());
  ASSERT_TRUE(now);
  EXPECT_GE(*now, now_);

  ASSERT_EQ(o["buildings"].size(), 3u);
  const json& b1 = o["buildings"][0];
  EXPECT_EQ(b1["building"], "B1");
  EXPECT_EQ(o["buildings"][1]["building"], "B2") << "natural order: B2 before B10";
  EXPECT_EQ(o["buildings"][2]["building"], "B10");
  EXPECT_EQ(b1["rooms"], 3);
  EXPECT_EQ(b1["reporting"], 2) << "103's one reading is older than every window";
  EXPECT_EQ(b1["last_reading"], received(20 * kS));
  EXPECT_EQ(b1["hottest"], (json{{"room", "101"}, {"avg", (25.0 + 27.0) / 2}}));
  EXPECT_EQ(b1["coldest"], (json{{"room", "102"}, {"avg", 16.5}}));
  const json& b2 = o["buildings"][1];
  EXPECT_EQ(b2["rooms"], 0) << "no temperature there";
  EXPECT_EQ(b2["hottest"], nullptr);
  EXPECT_EQ(b2["last_reading"], nullptr);
  EXPECT_EQ(window_of(b2, "15m")["count"], 0);
  EXPECT_EQ(window_of(b2, "15m")["avg"], nullptr);
  EXPECT_EQ(o["buildings"][2]["hottest"], nullptr) << "B10's reading is not in the 15m window";

  const json& rooms = o["rooms"];
  EXPECT_EQ(rooms["sort"], "hottest");
  EXPECT_EQ(rooms["total"], 4);
  std::vector<std::string> order;
  for (const auto& r : rooms["items"])
    order.push_back(r["building"].get<std::string>() + "/" + r["room"].get<std::string>());
  EXPECT_EQ(order, (std::vector<std::string>{"B1/101", "B1/102", "B1/103", "B10/1"}));
  const json& r101 = rooms["items"][0];
  EXPECT_EQ(r101["last_reading"], received(20 * kS));
  EXPECT_EQ(r101["reporting"], true);
  EXPECT_EQ(rooms["items"][2]["reporting"], false);
  EXPECT_EQ(r101["trend"]["window"], "1h");
  EXPECT_EQ(r101["trend"]["avg"].size(), 30u);
  double in_trend = 0;
  for (const auto& v : r101["trend"]["avg"])
    if (!v.is_null()) in_trend += v.get<double>();
  EXPECT_DOUBLE_EQ(in_trend, 25.0 + 27.0) << "one reading in each of two buckets";
  EXPECT_EQ(r101["trend"]["to"], window_of(r101, "1h")["to"]);

  // Every number is what the per-room and per-building routes answer.
  for (const char* b : {"B1", "B10"})
    expect_windows_match(
        [&] {
          const json answer = get("/v1/overview").body;
          for (const auto& x : answer["buildings"])
            if (x["building"] == b) return x;
          return json();
        },
        std::string("/v1/buildings/") + b + "/temperature/average");
  for (const char* r : {"101", "102"})
    expect_windows_match(
        [&] {
          const json answer = get("/v1/overview?q=B1/").body;
          for (const auto& x : answer["rooms"]["items"])
            if (x["room"] == r) return x;
          return json();
        },
        std::string("/v1/buildings/B1/rooms/") + r + "/temperature/average");
}

TEST_F(RestOverview, SearchesPagesAndOrders) {
  feed();
  auto rooms_of = [&](const std::string& query) {
    const Answer a = get("/v1/overview?" + query);
    EXPECT_EQ(a.status, 200) << query << ": " << a.body.dump();
    std::vector<std::string> out;
    for (const auto& r : a.body["rooms"]["items"])
      out.push_back(r["building"].get<std::string>() + "/" + r["room"].get<std::string>());
    return std::make_pair(a.body["rooms"]["total"], out);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(rooms_of("q=b1/1").second, (V{"B1/101", "B1/102", "B1/103"}));
  EXPECT_EQ(rooms_of("q=B10").second, (V{"B10/1"}));
  EXPECT_EQ(rooms_of("sort=coldest").second, (V{"B1/102", "B1/101", "B1/103", "B10/1"}));
  EXPECT_EQ(rooms_of("sort=coldest&window=1h").second, (V{"B1/102", "B10/1", "B1/101", "B1/103"}));
  EXPECT_EQ(rooms_of("sort=silent").second, (V{"B1/103", "B10/1", "B1/102", "B1/101"}));
  const auto page = rooms_of("sort=name&offset=1&limit=2");
  EXPECT_EQ(page.first, 4);
  EXPECT_EQ(page.second, (V{"B1/102", "B1/103"}));
  EXPECT_EQ(rooms_of("limit=0").second, V{});
  EXPECT_EQ(rooms_of("metric=humidity").second, (V{"B2/201"}));
}

TEST_F(RestOverview, OneBuildingsRoomsWithEveryWindow) {
  feed();
  const Answer a = get("/v1/buildings/B1/live?metric=temperature");
  ASSERT_EQ(a.status, 200) << a.body.dump();
  EXPECT_EQ(a.body["metric"], "temperature");
  EXPECT_EQ(a.body["window"], "15m") << "the default ranking window";
  EXPECT_EQ(a.body["building"]["building"], "B1");
  EXPECT_EQ(a.body["building"]["rooms"], 3);
  std::vector<std::string> rooms;
  for (const auto& r : a.body["rooms"]) rooms.push_back(r["room"]);
  EXPECT_EQ(rooms, (std::vector<std::string>{"101", "102", "103"}));
  EXPECT_EQ(a.body["rooms"][1]["last_reading"], received(8 * 60 * kS));
  EXPECT_EQ(a.body["rooms"][2]["last_reading"], received(90 * kS));
  for (const char* r : {"101", "102", "103"})
    expect_windows_match(
        [&] { return get(std::string("/v1/buildings/B1/live?room=") + r).body["rooms"][0]; },
        std::string("/v1/buildings/B1/rooms/") + r + "/temperature/average");
  expect_windows_match([&] { return get("/v1/buildings/B1/live").body["building"]; },
                       "/v1/buildings/B1/temperature/average");
  const Answer one = get("/v1/buildings/B1/live?room=102&window=1h");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body["rooms"].size(), 1u);
  EXPECT_EQ(one.body["window"], "1h");
  const Answer humid = get("/v1/buildings/B2/live?metric=humidity");
  ASSERT_EQ(humid.status, 200);
  EXPECT_EQ(humid.body["unit"], "");
  EXPECT_EQ(humid.body["rooms"][0]["room"], "201");
}

TEST_F(RestOverview, RoomListingsSayWhenEachRoomLastReported) {
  feed();
  const Answer a = get("/v1/buildings/B1/rooms");
  ASSERT_EQ(a.status, 200);
  const json want = json::parse(R"([
    {"room":"101","metrics":["temperature"],"last_reading":")" +
                                received(20 * kS) + R"("},
    {"room":"102","metrics":["temperature"],"last_reading":")" +
                                received(8 * 60 * kS) + R"("},
    {"room":"103","metrics":["temperature"],"last_reading":")" +
                                received(90 * kS) + R"("}])");
  EXPECT_EQ(a.body, want);
  // A room known from the warm start alone has no known last reading.
  Bucket b;
  b.add(20);
  const Micros now = now_micros();
  server_.aggregator().warm({{"B5", "501", "temperature", 1, now / (30 * kS), b}}, now);
  EXPECT_EQ(get("/v1/buildings/B5/rooms").body[0]["last_reading"], nullptr);
}

TEST_F(RestOverview, AnEmptySiteAnswersEmptyLists) {
  const Answer a = get("/v1/overview");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body["metric"], "temperature") << "no metric has rooms: the first configured";
  EXPECT_TRUE(a.body["buildings"].empty());
  EXPECT_EQ(a.body["rooms"]["total"], 0);
}

TEST_F(RestOverview, BadParametersAnswer400AndUnknownOnes404) {
  feed();
  for (const char* path :
       {"/v1/overview?sort=loudest", "/v1/overview?limit=1001", "/v1/overview?limit=-1",
        "/v1/overview?offset=x", "/v1/overview?metric=co2", "/v1/overview?metric=b%20d",
        "/v1/overview?window=7m", "/v1/overview?q=a%20b", "/v1/overview?q=%3Cscript%3E",
        "/v1/buildings/B1/live?metric=co2", "/v1/buildings/B1/live?window=2h",
        "/v1/buildings/B1/live?room=a%20b", "/v1/buildings/B%201/live"}) {
    const Answer a = get(path);
    EXPECT_EQ(a.status, 400) << path;
    EXPECT_TRUE(a.body.is_object() && a.body["error"].is_string()) << path << ": " << a.body;
  }
  for (const char* path : {"/v1/buildings/B9/live", "/v1/buildings/B1/live?room=999"}) {
    const Answer a = get(path);
    EXPECT_EQ(a.status, 404) << path;
    EXPECT_TRUE(a.body.is_object() && a.body["error"].is_string()) << path << ": " << a.body;
  }
}

TEST_F(RestOverview, EveryRequestIsCounted) {
  const auto& counter = server_.metrics().http_requests;
  const auto before = counter.load();
  get("/v1/overview");
  get("/v1/no/such/route");
  get("/healthz");
  // Counted once the answer is written: a moment after the client has it.
  auto settled = [&](std::uint64_t n) {
    for (int i = 0; i < 200 && counter.load() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return counter.load();
  };
  EXPECT_EQ(settled(before + 3), before + 3);
  const auto text = server_.client().Get("/metrics");
  ASSERT_TRUE(text);
  EXPECT_NE(text->body.find("\nroomtemp_http_requests_total " + std::to_string(before + 3) + "\n"),
            std::string::npos)
      << text->body;
  EXPECT_EQ(settled(before + 4), before + 4) << "the scrape too";
}

}  // namespace
}  // namespace roomtemp
