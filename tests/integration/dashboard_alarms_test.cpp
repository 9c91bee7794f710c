// The dashboard puts firing alarms and silent rooms first, visibly (README "Alarms and silent
// sensors"): the real roomtempd with a rule and silence watching, a hot room and rooms that
// stopped reporting, and headless Chromium opening the site, a building and a room. The panel
// above the view must list what GET /v1/alarms lists (of that building or room), linking to the
// rooms, before any building or room card.
//
// Skips (77) when chromium is not installed. ROOMTEMP_ALARMS_SCREENSHOT=FILE keeps the site
// view's screenshot (1280×900) in FILE.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;

class DashboardAlarmsTest : public DaemonTest {
 protected:
  static void SetUpTestSuite() {
    if (!chromium_path())
      skip("chromium is not installed (Debian package chromium; ./scripts/test installs it)");
    DaemonTest::SetUpTestSuite();
  }
};

TEST_F(DashboardAlarmsTest, ShowsFiringAlarmsAndSilentRoomsFirst) {
  ConfigOptions o;
  o.averages = "  publish_interval: 200ms\n";
  o.log_level = "info";
  o.extra =
      "alarms:\n"
      "  - {name: too_hot, metric: temperature, above: 28, clear: 27, window: 1m}\n"
      "silence:\n"
      "  after: 2s\n";
  ASSERT_NO_FATAL_FAILURE(start_daemon("dashboard_alarms", o));
  MqttClient sensor(broker_.port());
  // HQ/server-room is hot; Annex/A.1 reported once and goes silent; HQ/101 is fine.
  sensor.publish("buildings/Annex/rooms/A.1/temperature", "21");
  sensor.publish("buildings/HQ/rooms/server-room/temperature", "31.25");
  sensor.publish("buildings/HQ/rooms/101/temperature", "21.5");
  json now;
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse r = daemon_->http_get("/v1/alarms");
        if (r.status != 200) return false;
        now = json::parse(r.body);
        return now["firing_total"] == 1 && now["silent_total"] == 3;
      },
      20s))
      << now.dump();
  ASSERT_EQ(now["firing"][0]["room"], "server-room");

  Browser browser(*chromium_path());
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon_->http_port()) + "/";
  // The site, a building, a room: what each shows of the three silent rooms.
  const std::vector<std::pair<std::string, std::vector<std::string>>> views = {
      {"", {"A.1", "101", "server-room"}},
      {"#/b/HQ", {"101", "server-room"}},
      {"#/b/HQ/r/server-room", {"server-room"}}};
  for (const auto& [fragment, silent_rooms] : views) {
    SCOPED_TRACE("view " + fragment);
    const std::string dom = browser.dump_dom(url + fragment);
    ASSERT_NE(dom.find("<body data-state=\"ready\""), std::string::npos) << dom.substr(0, 3000);
    for (const char* bad : {"Uncaught", "Refused to", "Failed to load resource"})
      EXPECT_EQ(browser.last_log().find(bad), std::string::npos) << browser.last_log();
    EXPECT_EQ(body_number(dom, "failed"), 0);
    EXPECT_EQ(body_number(dom, "firing"), 1);
    const std::string panel = element_with(dom, "section", "id=\"alarms\"");
    ASSERT_FALSE(panel.empty()) << "no alarm panel on the page";
    EXPECT_EQ(panel.find(" hidden"), std::string::npos) << "the panel is hidden: " << panel;
    // First: the panel comes before the view's buildings and rooms.
    EXPECT_LT(dom.find("id=\"alarms\""), dom.find("<main id=\"view\"")) << "not first";
    // The firing alarm, red, linking to its room, with its value against the rule.
    const std::string firing = element_with(panel, "li", "class=\"alarm-item firing\"");
    ASSERT_FALSE(firing.empty()) << panel;
    EXPECT_EQ(attribute(firing, "data-alarm"), "too_hot");
    EXPECT_EQ(attribute(firing, "data-room"), "server-room");
    EXPECT_NE(firing.find("href=\"#/b/HQ/r/server-room\""), std::string::npos) << firing;
    EXPECT_NE(firing.find("31.3"), std::string::npos) << "its value as the page shows numbers";
    EXPECT_NE(firing.find("threshold 28.0 over 1m"), std::string::npos) << firing;
    EXPECT_NE(panel.find("<div class=\"alarm-list firing\""), std::string::npos);
    // The silent rooms, amber: the view's own.
    const std::string silent = element_with(panel, "div", "class=\"alarm-list silent\"");
    EXPECT_FALSE(silent.empty()) << panel;
    for (const char* room : {"A.1", "101", "server-room"}) {
      const bool shown =
          silent.find(std::string("data-room=\"") + room + "\"") != std::string::npos;
      const bool wanted =
          std::find(silent_rooms.begin(), silent_rooms.end(), room) != silent_rooms.end();
      EXPECT_EQ(shown, wanted) << room << " in " << silent;
    }
    EXPECT_EQ(body_number(dom, "silent"), static_cast<long long>(silent_rooms.size()));
  }
  if (const char* keep = std::getenv("ROOMTEMP_ALARMS_SCREENSHOT"))
    std::filesystem::copy_file(browser.screenshot(url), keep,
                               std::filesystem::copy_options::overwrite_existing);
}

// A building's answer lists its first 12 firing alarms; a room's view shows its own however far
// down that list it is (the 14th of 14 hot rooms here), and only its own.
TEST_F(DashboardAlarmsTest, ARoomViewShowsItsOwnAlarmBeyondTheBuildingsFirstTwelve) {
  ConfigOptions o;
  o.averages = "  publish_interval: 200ms\n";
  o.extra =
      "alarms:\n"
      "  - {name: too_hot, metric: temperature, above: 28, clear: 27, window: 1m}\n";
  ASSERT_NO_FATAL_FAILURE(start_daemon("dashboard_alarms_room", o));
  MqttClient sensor(broker_.port());
  constexpr int kRooms = 14;
  for (int i = 1; i <= kRooms; ++i)
    sensor.publish("buildings/HQ/rooms/r" + std::to_string(i) + "/temperature", "30");
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse r = daemon_->http_get("/v1/alarms");
        return r.status == 200 && json::parse(r.body)["firing_total"] == kRooms;
      },
      20s));
  const HttpResponse live = daemon_->http_get("/v1/buildings/HQ/live?room=r14");
  ASSERT_EQ(live.status, 200) << live.body;
  const json alarms = json::parse(live.body)["alarms"];
  EXPECT_EQ(alarms["firing_total"], 1) << alarms.dump();
  ASSERT_EQ(alarms["firing"].size(), 1u) << alarms.dump();
  EXPECT_EQ(alarms["firing"][0]["room"], "r14");

  Browser browser(*chromium_path());
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon_->http_port()) + "/";
  const std::string dom = browser.dump_dom(url + "#/b/HQ/r/r14");
  ASSERT_NE(dom.find("<body data-state=\"ready\""), std::string::npos) << dom.substr(0, 3000);
  EXPECT_EQ(body_number(dom, "firing"), 1);
  const std::string panel = element_with(dom, "section", "id=\"alarms\"");
  const std::string firing = element_with(panel, "li", "class=\"alarm-item firing\"");
  ASSERT_FALSE(firing.empty()) << "the room's own alarm is not shown: " << panel;
  EXPECT_EQ(attribute(firing, "data-room"), "r14");
  // The building's view: the first 12, and how many more.
  const std::string building = browser.dump_dom(url + "#/b/HQ");
  EXPECT_EQ(body_number(building, "firing"), kRooms);
  EXPECT_NE(building.find("and 2 more"), std::string::npos);
}

}  // namespace
}  // namespace roomtemp::harness
