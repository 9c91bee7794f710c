// The dashboard at GET /, in a real browser. The real roomtempd, mosquitto and
// PostgreSQL; an hour of readings for 2 buildings × 2 rooms goes in over MQTT; headless
// Chromium opens the page (overview, building view, room view) and the DOM it rendered must
// show every room with the averages the REST API gives, formatted as the page formats them,
// coloured by temperature, with a chart of the last hour drawn by Chart.js.
//
// Skips (77) when chromium is not installed. ROOMTEMP_DASHBOARD_SCREENSHOT=FILE keeps the
// overview's screenshot (1280×900) in FILE: docs/dashboard.png is made that way.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness/harness.h"

namespace roomtemp::harness {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kWindows = {"1m", "15m", "1h"};

struct Room {
  std::string building, room;
  double base;   ///< the hour's typical temperature
  double swing;  ///< how far it wanders from it
};

// Cold, comfortable, warm and hot, so that the colours differ; ids with the punctuation that
// sensor ids allow (they end up in attributes, URLs and selectors).
const std::vector<Room> kRooms = {
    {"Annex", "A.1", 16.0, 0.8},
    {"Annex", "meeting_2", 23.4, 0.6},
    {"HQ", "101", 21.2, 1.0},
    {"HQ", "server-room", 28.5, 1.4},
};

std::string room_card(const std::string& dom, const Room& r) {
  return dashboard_room_card(dom, r.building, r.room);
}

// ---------------------------------------------------------------------------------------

class DashboardTest : public ::testing::Test {
 protected:
  // One PostgreSQL for the file, a fresh database per test.
  static void SetUpTestSuite() {
    if (!chromium_path())
      skip("chromium is not installed (Debian package chromium; ./scripts/test installs it)");
    pg_ = new Postgres;
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override { browser_ = std::make_unique<Browser>(*chromium_path()); }

  /// Starts roomtempd on a fresh database with these live windows (the README's "Configuration by
  /// default).
  void start_daemon(std::vector<std::string> windows = kWindows) {
    windows_ = std::move(windows);
    std::string list;
    for (const auto& w : windows_) list += (list.empty() ? "" : ", ") + w;
    pg_->create_database(db_);
    daemon_ = std::make_unique<Daemon>(default_config(
        broker_, *pg_, dir_,
        {.database = db_, .log_level = "info", .averages = "  windows: [" + list + "]\n"}));
    ASSERT_TRUE(daemon_->wait_ready(30s)) << "roomtempd did not become ready";
    url_ = "http://127.0.0.1:" + std::to_string(daemon_->http_port()) + "/";
  }

  /// An hour of readings per room, one a minute from 55 to 2 minutes ago, then three in the
  /// last 15 s, so that every window has its own average. Waits until all are stored and live.
  void publish_hour() {
    const std::int64_t now = now_micros();
    std::vector<Publication> out;
    for (const Room& r : kRooms) {
      auto add = [&](std::int64_t ts, int i) {
        const double wave = r.swing * std::sin(i / 9.0) + ((i * 7) % 5 - 2) * 0.06;
        const double v = std::round((r.base + wave) * 100) / 100;
        out.push_back({"buildings/" + r.building + "/rooms/" + r.room + "/temperature",
                       json{{"temperature", v}, {"timestamp", rfc3339(ts)}}.dump()});
      };
      for (int k = 55; k >= 2; --k) add(now - k * kMinute - 17 * kSecond, 60 - k);
      for (int s : {14, 9, 4}) add(now - s * kSecond, 60 + s);
    }
    MqttClient sensor(broker_.port());
    sensor.publish_many(out);
    const long long n = static_cast<long long>(out.size());
    ASSERT_TRUE(wait_until(
        [&] { return pg_->query_count("SELECT count(*) FROM readings", db_) == n; }, 20s, 50ms))
        << "not every reading was stored";
    for (const Room& r : kRooms)
      ASSERT_TRUE(
          wait_until([&] { return live(r, windows_[0]).value("count", 0) == 3; }, 10s, 50ms))
          << r.building << "/" << r.room << " has not its 3 recent readings in its " << windows_[0]
          << " window";
  }

  json get(const std::string& path) {
    const HttpResponse res = daemon_->http_get(path);
    EXPECT_EQ(res.status, 200) << path << ": " << res.body;
    return res.status == 200 ? json::parse(res.body) : json();
  }
  json live(const Room& r, const std::string& w) {
    return get("/v1/buildings/" + r.building + "/rooms/" + r.room +
               "/temperature/average?window=" + w);
  }
  json building_live(const std::string& b, const std::string& w) {
    return get("/v1/buildings/" + b + "/temperature/average?window=" + w);
  }

  /// Every room's and building's averages as the page would show them, keyed by what they are.
  std::map<std::string, std::string> expected_numbers() {
    std::map<std::string, std::string> m;
    for (const std::string& w : windows_) {
      for (const Room& r : kRooms) {
        const json s = live(r, w);
        for (const char* f : {"avg", "min", "max"})
          m[r.building + "/" + r.room + " " + w + " " + f] = shown(s, f);
      }
      for (const char* b : {"Annex", "HQ"}) {
        const json s = building_live(b, w);
        for (const char* f : {"avg", "min", "max"})
          m[std::string(b) + " " + w + " " + f] = shown(s, f);
      }
    }
    return m;
  }

  /// Opens `fragment` and returns the DOM with the numbers the REST API gave meanwhile. The
  /// windows roll on while the browser runs; when a number changed between before and after,
  /// the page may show either, so it tries again (a window moves rarely: a few tries do).
  std::pair<std::string, std::map<std::string, std::string>> open(const std::string& fragment) {
    for (int attempt = 1;; ++attempt) {
      auto before = expected_numbers();
      std::string dom = browser_->dump_dom(url_ + fragment);
      auto after = expected_numbers();
      if (before == after || attempt == 4) return {dom, after};
    }
  }

  void expect_page_ok(const std::string& dom) {
    EXPECT_NE(dom.find("<body data-state=\"ready\""), std::string::npos)
        << "the page did not finish a refresh:\n"
        << dom.substr(0, 3000);
    // Script errors and refused loads (Content-Security-Policy) are console errors.
    for (const char* bad : {"Uncaught", "Refused to", "Failed to load resource"})
      EXPECT_EQ(browser_->last_log().find(bad), std::string::npos)
          << "console says " << bad << ":\n"
          << browser_->last_log();
    EXPECT_EQ(body_number(dom, "failed"), 0) << "requests the page counted as failed";
    EXPECT_EQ(body_number(dom, "overflow"), 0) << "values wider than their box";
  }

  static Postgres* pg_;
  std::string db_ = unique_name("dashboard");
  TempDir dir_;
  Broker broker_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Browser> browser_;
  std::vector<std::string> windows_;
  std::string url_;
};

Postgres* DashboardTest::pg_ = nullptr;

TEST_F(DashboardTest, ServesThePageAndItsAssetsFromTheBinary) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const HttpResponse page = daemon_->http_get("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<meta name=\"viewport\""), std::string::npos);
  for (const char* asset : {"/assets/app.js", "/assets/plots.js", "/assets/style.css",
                            "/assets/favicon.svg", "/assets/chart.js"}) {
    const HttpResponse res = daemon_->http_get(asset);
    EXPECT_EQ(res.status, 200) << asset;
    EXPECT_FALSE(res.body.empty()) << asset;
  }
  EXPECT_EQ(daemon_->http_get("/assets/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(daemon_->http_get("/assets/style.css").content_type, "text/css; charset=utf-8");
  const HttpResponse chart = daemon_->http_get("/assets/chart.js");
  EXPECT_NE(chart.body.find("Chart.js v"), std::string::npos) << "not Chart.js";
  // Works with no internet: the page and its own code load nothing from elsewhere.
  for (const char* own : {"/", "/assets/app.js", "/assets/plots.js", "/assets/style.css"}) {
    const std::string body = daemon_->http_get(own).body;
    EXPECT_EQ(body.find("http://"), std::string::npos) << own;
    EXPECT_EQ(body.find("https://"), std::string::npos) << own;
  }
  const HttpResponse missing = daemon_->http_get("/assets/nope.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("\"error\""), std::string::npos);
  // With nothing reported yet, the page says so instead of showing an empty grid.
  const std::string dom = browser_->dump_dom(url_);
  expect_page_ok(dom);
  EXPECT_NE(dom.find("Nothing has reported yet"), std::string::npos) << dom;
}

TEST_F(DashboardTest, OverviewShowsEveryRoomWithItsLiveAveragesAndTheLastHour) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(publish_hour());
  const auto [dom, want] = open("");
  expect_page_ok(dom);

  for (const Room& r : kRooms) {
    SCOPED_TRACE(r.building + "/" + r.room);
    const std::string card = room_card(dom, r);
    ASSERT_FALSE(card.empty()) << "no card for the room in:\n" << dom;
    EXPECT_NE(card.find("<h3>" + r.room + "</h3>"), std::string::npos) << card;
    for (const std::string& w : kWindows) {
      const std::string avg = want.at(r.building + "/" + r.room + " " + w + " avg");
      EXPECT_NE(avg, "—") << w;
      EXPECT_NE(card.find(value_span("v", w, avg)), std::string::npos)
          << "window " << w << ": REST says " << avg << "; the card:\n"
          << card;
    }
    EXPECT_TRUE(has_chart(card)) << "no chart of the last hour drawn:\n" << card;
    // Coloured by temperature: the card's hue follows its newest average.
    const int hue = painted_hue(card);
    if (r.base < 18)
      EXPECT_GT(hue, 160) << "a cold room is blue";
    else if (r.base < 24)
      EXPECT_EQ(hue, 130) << "a comfortable room is green";
    else
      EXPECT_LT(hue, 40) << "a hot room is red";
  }
  // Each room says when roomtempd last received a reading of it.
  for (const char* b : {"Annex", "HQ"}) {
    for (const json& listed : get(std::string("/v1/buildings/") + b + "/rooms")) {
      const std::string card = room_card(dom, {b, listed["room"], 0, 0});
      ASSERT_TRUE(listed["last_reading"].is_string()) << listed;
      EXPECT_NE(card.find("<time datetime=\"" + listed["last_reading"].get<std::string>() + "\""),
                std::string::npos)
          << b << "/" << listed["room"] << ": " << listed << "\n"
          << card;
    }
  }
  for (const char* b : {"Annex", "HQ"}) {
    SCOPED_TRACE(b);
    const std::string head =
        between(dom, "data-building=\"" + std::string(b) + "\"><header class=\"building-head\">",
                "<div class=\"grid\">");
    ASSERT_FALSE(head.empty()) << "no section for the building";
    EXPECT_NE(head.find("href=\"#/b/" + std::string(b) + "\""), std::string::npos) << head;
    for (const std::string& w : kWindows)
      EXPECT_NE(head.find(value_span("v", w, want.at(std::string(b) + " " + w + " avg"))),
                std::string::npos)
          << "building average, window " << w << ":\n"
          << head;
  }

  // The picture the README shows.
  const std::string png = browser_->screenshot(url_);
  const std::string bytes = read_file(png);
  ASSERT_GT(bytes.size(), 24u) << "no screenshot:\n" << browser_->last_log();
  ASSERT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(bytes[at]) << 24) |
           (static_cast<unsigned char>(bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(bytes[at + 2]) << 8) |
           static_cast<unsigned char>(bytes[at + 3]);
  };
  EXPECT_EQ(be32(16), 1280u);  // IHDR width
  EXPECT_EQ(be32(20), 900u);   // IHDR height
  if (const char* keep = std::getenv("ROOMTEMP_DASHBOARD_SCREENSHOT"))
    std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
}

TEST_F(DashboardTest, BuildingViewShowsItsAveragesAndOnlyItsRooms) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(publish_hour());
  const auto [dom, want] = open("#/b/Annex");
  expect_page_ok(dom);
  EXPECT_NE(dom.find("<h1>Annex</h1>"), std::string::npos);
  const std::string tiles = between(dom, "<div class=\"tiles\">", "<section");
  ASSERT_FALSE(tiles.empty()) << dom;
  for (const std::string& w : kWindows) {
    for (const char* f : {"avg", "min", "max"}) {
      const std::string cls = std::string(f) == "avg" ? "v" : f;
      EXPECT_NE(tiles.find(value_span(cls, w, want.at("Annex " + w + " " + f))), std::string::npos)
          << "building " << f << ", window " << w << ":\n"
          << tiles;
    }
  }
  for (const Room& r : kRooms) {
    const std::string card = room_card(dom, r);
    if (r.building == "Annex") {
      ASSERT_FALSE(card.empty()) << r.room;
      EXPECT_NE(card.find(value_span("v", "15m", want.at("Annex/" + r.room + " 15m avg"))),
                std::string::npos)
          << card;
      EXPECT_TRUE(has_chart(card)) << card;
    } else {
      EXPECT_TRUE(card.empty()) << "a room of another building: " << r.building << "/" << r.room;
    }
  }
}

TEST_F(DashboardTest, RoomViewShowsEveryWindowWithMinMaxAndABigChart) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(publish_hour());
  const auto [dom, want] = open("#/b/HQ/r/server-room");
  expect_page_ok(dom);
  const std::string tiles = between(dom, "<div class=\"tiles\">", "<section");
  ASSERT_FALSE(tiles.empty()) << dom;
  for (const std::string& w : kWindows) {
    for (const char* f : {"avg", "min", "max"}) {
      const std::string cls = std::string(f) == "avg" ? "v" : f;
      EXPECT_NE(tiles.find(value_span(cls, w, want.at("HQ/server-room " + w + " " + f))),
                std::string::npos)
          << f << ", window " << w << ":\n"
          << tiles;
    }
  }
  EXPECT_NE(dom.find("<div class=\"chart big\""), std::string::npos);
  EXPECT_TRUE(has_chart(element_with(dom, "section", "<div class=\"chart big\""))) << dom;
  EXPECT_NE(dom.find("<title>server-room · HQ · roomtemp</title>"), std::string::npos);
}

// The history chart asks for the span its links choose (days in the browser's time zone for
// the longer ones) and draws what the REST API answers for the same question: a building's
// week hour by hour, a room's year day by day.
TEST_F(DashboardTest, HistoryChartShowsTheSpanItsLinksChooseForABuildingAndARoom) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(publish_hour());
  // Readings on days before: 1, 3 and 5 days ago in HQ, and 200 days ago in HQ/101.
  const std::int64_t now = now_micros();
  std::vector<Publication> old;
  for (const std::int64_t back : {kDay + 5 * kHour, 3 * kDay, 5 * kDay + 2 * kHour, 200 * kDay})
    for (const Room& r : kRooms)
      if (r.building == "HQ" && (back < 100 * kDay || r.room == "101"))
        old.push_back({"buildings/HQ/rooms/" + r.room + "/temperature",
                       json{{"temperature", r.base}, {"timestamp", rfc3339(now - back)}}.dump()});
  const long long all =
      pg_->query_count("SELECT count(*) FROM readings", db_) + static_cast<long long>(old.size());
  MqttClient sensor(broker_.port());
  sensor.publish_many(old);
  ASSERT_TRUE(wait_until(
      [&] { return pg_->query_count("SELECT count(*) FROM readings", db_) == all; }, 20s, 50ms))
      << pg_->query_count("SELECT count(*) FROM readings", db_) << " of " << all << " stored; "
      << pg_->query_count("SELECT count(*) FROM rejected_readings", db_) << " rejected";

  struct Case {
    std::string fragment, series, span, step;
    long long
        min_points;  ///< steps with readings at least (the hour published now, the days before)
  };
  for (const Case& c :
       {Case{"#/b/HQ?span=7d", "/v1/buildings/HQ/temperature/series", "7d", "1h", 4},
        Case{"#/b/HQ/r/101?span=1y", "/v1/buildings/HQ/rooms/101/temperature/series", "1y", "1d",
             4}}) {
    SCOPED_TRACE(c.fragment);
    const std::string dom = browser_->dump_dom(url_ + c.fragment);
    expect_page_ok(dom);
    const std::string section = element_with(dom, "section", "<div class=\"chart big\"");
    ASSERT_FALSE(section.empty()) << dom;
    EXPECT_TRUE(has_chart(section)) << section;
    EXPECT_EQ(attribute(section, "data-span"), c.span) << section;
    EXPECT_EQ(attribute(section, "data-step"), c.step) << section;
    // The span's link is the current one; the others lead to their spans.
    EXPECT_NE(section.find(">" + c.span + "</a>"), std::string::npos) << section;
    EXPECT_NE(section.find("aria-current=\"true\">" + c.span + "</a>"), std::string::npos)
        << section;
    EXPECT_NE(section.find("span=24h\""), std::string::npos) << section;

    const auto from = attribute(section, "data-from");
    const auto to = attribute(section, "data-to");
    const auto tz = attribute(section, "data-tz");
    ASSERT_TRUE(from && to && tz) << section;
    std::string query = "?from=" + *from + "&to=" + *to + "&step=" + c.step;
    if (!tz->empty()) query += "&tz=" + *tz;
    const json answer = get(c.series + query);
    ASSERT_TRUE(answer.is_array()) << answer;
    long long filled = 0;
    for (const json& step : answer) filled += step["count"].get<long long>() > 0;
    EXPECT_EQ(attribute(section, "data-steps"), std::to_string(answer.size())) << section;
    EXPECT_EQ(attribute(section, "data-points"), std::to_string(filled)) << section;
    EXPECT_GE(filled, c.min_points) << answer;
  }
}

// With http.read_token_file set, the page and its files stay open, the data answers 401, and
// the page asks for the token instead of showing an error alone (it keeps it in
// sessionStorage, never in a URL).
TEST_F(DashboardTest, AsksForTheReadTokenWhenTheDaemonWantsOne) {
  const std::string token_file = dir_.file("read-token");
  write_file(token_file, "s3cret-" + unique_name("t") + "\n");
  pg_->create_database(db_);
  std::string config = default_config(broker_, *pg_, dir_, {.database = db_, .log_level = "info"});
  config.replace(config.find("http:\n"), 6, "http:\n  read_token_file: " + token_file + "\n");
  daemon_ = std::make_unique<Daemon>(config);
  ASSERT_TRUE(daemon_->wait_ready(30s));
  url_ = "http://127.0.0.1:" + std::to_string(daemon_->http_port()) + "/";
  ASSERT_EQ(daemon_->http_get("/v1/overview").status, 401);
  const std::string dom = browser_->dump_dom(url_);
  const std::string prompt = element_with(dom, "section", "id=\"token\"");
  ASSERT_FALSE(prompt.empty()) << dom;
  EXPECT_EQ(prompt.substr(0, prompt.find('>')).find(" hidden"), std::string::npos)
      << "the token prompt is not shown:\n"
      << prompt;
  EXPECT_NE(dom.find("class=\"status offline\""), std::string::npos) << "no error status";
  EXPECT_EQ(body_number(dom, "failed"), 0) << "a 401 is a question, not a failure";
  EXPECT_GE(body_number(dom, "requests").value_or(0), 1);
}

// A daemon configured with other windows: the page learns them from the API and shows those.
TEST_F(DashboardTest, ShowsTheWindowsTheDaemonIsConfiguredWith) {
  ASSERT_NO_FATAL_FAILURE(start_daemon({"30s", "5m", "2h"}));
  ASSERT_NO_FATAL_FAILURE(publish_hour());
  const auto [dom, want] = open("");
  expect_page_ok(dom);
  EXPECT_EQ(dom.find("data-window=\"15m\""), std::string::npos) << "a window not configured";
  for (const Room& r : kRooms) {
    const std::string card = room_card(dom, r);
    ASSERT_FALSE(card.empty()) << r.room;
    for (const std::string& w : windows_) {
      const std::string avg = want.at(r.building + "/" + r.room + " " + w + " avg");
      EXPECT_NE(card.find(value_span("v", w, avg)), std::string::npos)
          << r.room << ", window " << w << ": REST says " << avg << "; the card:\n"
          << card;
    }
  }
}

}  // namespace
}  // namespace roomtemp::harness
