// GET /v1/alarms, the alarms the live answers carry, /metrics' alarm series and the history's
// parameters, on the real REST server with an alarm engine driven by hand (no broker, no
// database: the history itself is alarms_test's).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alarms.h"
#include "rest_server.h"

namespace roomtemp {
namespace {

using json = nlohmann::json;
using rest_test::RestServer;

AlarmRule too_hot() {
  AlarmRule r;
  r.name = "too_hot";
  r.metric = "temperature";
  r.threshold = 28;
  r.clear = 27;
  r.window = std::chrono::minutes(1);
  return r;
}

AverageUpdate hot(const std::string& building, const std::string& room, double v) {
  AverageUpdate u;
  u.key = {building, room, "temperature"};
  u.length = std::chrono::minutes(1);
  u.stats.count = 1;
  u.stats.sum = u.stats.min = u.stats.max = v;
  return u;
}

json get(RestServer& server, const std::string& path, int status = 200) {
  auto res = server.client().Get(path);
  EXPECT_TRUE(res) << path;
  if (!res) return json();
  EXPECT_EQ(res->status, status) << path << ": " << res->body;
  return json::parse(res->body, nullptr, false);
}

TEST(RestAlarms, AnswerWhatFiresAndWhatIsSilentOnceRestored) {
  RestServer server;
  AlarmEngine& engine = server.alarms();
  engine.reconfigure({{too_hot()}, SilenceConfig{std::chrono::seconds(10)}}, {}, now_micros());
  EXPECT_NE(get(server, "/v1/alarms", 503)["error"].get<std::string>().find("not read back yet"),
            std::string::npos);
  EXPECT_EQ(get(server, "/v1/overview")["alarms"]["restored"], false);

  const Micros t0 = now_micros() - 60'000'000;
  engine.restore({}, {}, t0);
  engine.tick({hot("B1", "101", 30.5), hot("B2", "7", 31), hot("B1", "102", 20)},
              {{{"B1", "103", "temperature"}, t0}}, t0);
  engine.tick({}, {}, t0 + 11'000'000);  // B1/103 falls silent

  const json all = get(server, "/v1/alarms");
  EXPECT_EQ(all["firing_total"], 2);
  EXPECT_EQ(all["silent_total"], 1);
  ASSERT_EQ(all["firing"].size(), 2u);
  EXPECT_EQ(all["firing"][0],
            json::parse(R"({"building":"B1","room":"101","metric":"temperature","alarm":"too_hot",
                            "state":"firing","since":")" +
                        format_rfc3339(t0) + R"(","value":30.5,"threshold":28,"window":"1m"})"));
  EXPECT_EQ(all["firing"][1]["building"], "B2") << "in natural order";
  EXPECT_EQ(all["silent"][0], json::parse(R"({"building":"B1","room":"103","metric":"temperature",
                                               "state":"silent","last_reading":")" +
                                          format_rfc3339(t0) + R"("})"));

  const json b2 = get(server, "/v1/alarms?building=B2");
  EXPECT_EQ(b2["firing_total"], 1);
  EXPECT_EQ(b2["silent_total"], 0);
  const json one = get(server, "/v1/alarms?limit=1");
  EXPECT_EQ(one["firing"].size(), 1u);
  EXPECT_EQ(one["firing_total"], 2) << "the totals count them all";
  const json room = get(server, "/v1/alarms?building=B1&room=103");
  EXPECT_EQ(room["firing_total"], 0);
  EXPECT_EQ(room["silent_total"], 1);
  EXPECT_EQ(get(server, "/v1/alarms?building=B1&room=101")["firing_total"], 1);
  get(server, "/v1/alarms?building=B%201", 400);
  get(server, "/v1/alarms?limit=-1", 400);
  get(server, "/v1/alarms?room=101", 400);

  // The live answers carry them: the site's, and a building's own.
  server.aggregator().add(
      {now_micros(), "B1", "101", "temperature", 30.5, std::nullopt, now_micros()}, now_micros());
  const json overview = get(server, "/v1/overview");
  EXPECT_EQ(overview["alarms"]["restored"], true);
  EXPECT_EQ(overview["alarms"]["firing"], all["firing"]);
  const json building = get(server, "/v1/buildings/B1/live");
  EXPECT_EQ(building["alarms"]["firing_total"], 1);
  EXPECT_EQ(building["alarms"]["silent_total"], 1);
  // A room's answer: that room's, not its building's first.
  const json one_room = get(server, "/v1/buildings/B1/live?room=101");
  EXPECT_EQ(one_room["alarms"]["firing_total"], 1);
  EXPECT_EQ(one_room["alarms"]["silent_total"], 0) << "B1/103's silence is not room 101's";

  // /metrics: a series per configured rule, and the silent count.
  auto metrics = server.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("roomtemp_alarms_firing{alarm=\"too_hot\"} 2\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("\nroomtemp_series_silent 1\n"), std::string::npos);
}

TEST(RestAlarms, HistoryRefusesBadParametersBeforeAskingPostgres) {
  RestServer server;
  get(server, "/v1/alarms/history?alarm=Too-Hot", 400);
  get(server, "/v1/alarms/history?from=2026-11-22T12:00:00Z&to=2026-11-22T11:00:00Z", 400);
  get(server, "/v1/alarms/history?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 400);
  get(server, "/v1/alarms/history?room=a/b", 400);
  get(server, "/v1/alarms/history?limit=0", 400);
  // Valid: PostgreSQL is asked, and is not there.
  get(server, "/v1/alarms/history?alarm=silent", 503);
}

}  // namespace
}  // namespace roomtemp
